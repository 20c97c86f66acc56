package dashboards

import (
	"fmt"
	"net/url"

	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/config/secret"
)

// GrafanaConfig locates Grafana and says where dashboards go.
type GrafanaConfig struct {
	// URL is Grafana's base URL, for pushing dashboards and for links.
	URL string `yaml:"url"`
	// Token is a service account token allowed to write dashboards.
	Token secret.Ref `yaml:"token"`
	// Folder is the title of the folder that holds driftwatch's dashboards.
	Folder string `yaml:"folder"`
	// DatasourceUID is the default Prometheus datasource of the panels.
	DatasourceUID string `yaml:"datasource_uid"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *GrafanaConfig) SetDefaults() {
	c.Folder = "driftwatch"
	c.DatasourceUID = "prometheus"
}

// Validate checks the settings without contacting Grafana.
func (c GrafanaConfig) Validate() error {
	var l field.List
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.Addf("url", "%q is not an http(s) URL with a host", c.URL)
		}
	}
	if !c.Token.IsZero() {
		l.Add("token", c.Token.Validate())
	}
	if c.Folder == "" {
		l.Addf("folder", "must not be empty")
	}
	if c.DatasourceUID == "" {
		l.Addf("datasource_uid", "must not be empty")
	}
	if len(c.Folder) > 100 {
		l.Add("folder", fmt.Errorf("is longer than 100 characters"))
	}
	return l.Err()
}
