package server

import (
	"errors"

	"net"

	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/config/secret"
)

// ServerConfig is the HTTP server that serves /metrics, the health probes,
// the Alertmanager webhook and the API.
type ServerConfig struct {
	// Listen is the host:port to listen on.
	Listen string `yaml:"listen"`
	// Auth protects the webhook and the API. /metrics and the probes stay
	// open, as Prometheus and the kubelet expect.
	Auth AuthConfig `yaml:"auth"`
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// AuthConfig is bearer token or basic authentication, or none when both are
// unset.
type AuthConfig struct {
	BearerToken secret.Ref      `yaml:"bearer_token"`
	Basic       BasicAuthConfig `yaml:"basic"`
}

// BasicAuthConfig is HTTP basic authentication.
type BasicAuthConfig struct {
	Username string     `yaml:"username"`
	Password secret.Ref `yaml:"password"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *ServerConfig) SetDefaults() {
	c.Listen = "127.0.0.1:9400"
	c.MaxBodyBytes = 1 << 20
}

// Validate checks the server settings without binding anything.
func (c ServerConfig) Validate() error {
	var l field.List
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		l.Addf("listen", "%q is not host:port", c.Listen)
	}
	l.Add("auth", c.Auth.Validate())
	if c.MaxBodyBytes < 1024 {
		l.Addf("max_body_bytes", "must be at least 1024, got %d", c.MaxBodyBytes)
	}
	return l.Err()
}

// Validate checks that at most one scheme is configured, completely.
func (c AuthConfig) Validate() error {
	var l field.List
	basic := c.Basic.Username != "" || !c.Basic.Password.IsZero()
	if !c.BearerToken.IsZero() {
		l.Add("bearer_token", c.BearerToken.Validate())
		if basic {
			l.Addf("basic", "set bearer_token or basic, not both")
		}
	}
	if basic {
		if c.Basic.Username == "" {
			l.Add("basic.username", errors.New("is required"))
		}
		l.Add("basic.password", c.Basic.Password.Validate())
	}
	return l.Err()
}

// Enabled reports whether any authentication is configured.
func (c AuthConfig) Enabled() bool {
	return !c.BearerToken.IsZero() || c.Basic.Username != ""
}
