package leader

import (
	"errors"
	"regexp"
	"time"

	"github.com/driftwatch/driftwatch/config/field"
)

// jitterFactor is client-go's leaderelection.JitterFactor: the renew
// deadline must exceed the retry period by this factor.
const jitterFactor = 1.2

// Config is the leader_election section of the configuration: whether
// replicas elect a leader, and the Lease they compete for.
type Config struct {
	// Enabled turns leader election on. Without it, driftwatch runs both
	// halves and must run as a single replica.
	Enabled bool `yaml:"enabled"`
	// Namespace holds the Lease. Empty means the namespace driftwatch runs
	// in: $POD_NAMESPACE, the service account's, or the kubeconfig
	// context's.
	Namespace string `yaml:"namespace"`
	// LeaseName names the Lease.
	LeaseName string `yaml:"lease_name"`
	// LeaseDuration is how long a standby waits after the leader's last
	// renewal before it takes the Lease over. Whole seconds.
	LeaseDuration time.Duration `yaml:"lease_duration"`
	// RenewDeadline is how long the leader keeps trying to renew before it
	// gives up leading. Shorter than LeaseDuration, so the leader stops
	// before a standby may start.
	RenewDeadline time.Duration `yaml:"renew_deadline"`
	// RetryPeriod is how often candidates try to acquire or renew.
	RetryPeriod time.Duration `yaml:"retry_period"`
}

// SetDefaults fills in the defaults for fields the configuration leaves
// out: those of Kubernetes' own controllers.
func (c *Config) SetDefaults() {
	c.LeaseName = "driftwatch"
	c.LeaseDuration = 15 * time.Second
	c.RenewDeadline = 10 * time.Second
	c.RetryPeriod = 2 * time.Second
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// Validate checks the settings without contacting the cluster. The
// timings are checked even when election is off, so that turning it on
// cannot reveal an old mistake.
func (c Config) Validate() error {
	var l field.List
	if c.Namespace != "" && (len(c.Namespace) > 63 || !dnsLabel.MatchString(c.Namespace)) {
		l.Addf("namespace", "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63)", c.Namespace)
	}
	switch {
	case c.LeaseName == "":
		l.Add("lease_name", errors.New("is required"))
	case len(c.LeaseName) > 253 || !dnsSubdomain.MatchString(c.LeaseName):
		l.Addf("lease_name", "%q is not a valid object name (lowercase letters, digits, '-' and '.')", c.LeaseName)
	}
	switch {
	case c.LeaseDuration < time.Second:
		l.Addf("lease_duration", "must be at least 1s, got %s", c.LeaseDuration)
	case c.LeaseDuration%time.Second != 0:
		l.Addf("lease_duration", "must be whole seconds, as the Lease records it, got %s", c.LeaseDuration)
	}
	switch {
	case c.RenewDeadline <= 0:
		l.Addf("renew_deadline", "must be positive, got %s", c.RenewDeadline)
	case c.RenewDeadline >= c.LeaseDuration:
		l.Addf("renew_deadline", "must be shorter than lease_duration (%s), got %s", c.LeaseDuration, c.RenewDeadline)
	}
	switch {
	case c.RetryPeriod <= 0:
		l.Addf("retry_period", "must be positive, got %s", c.RetryPeriod)
	case float64(c.RenewDeadline) <= jitterFactor*float64(c.RetryPeriod):
		l.Addf("retry_period", "must be shorter than renew_deadline (%s) divided by %.1f, got %s", c.RenewDeadline, jitterFactor, c.RetryPeriod)
	}
	return l.Err()
}
