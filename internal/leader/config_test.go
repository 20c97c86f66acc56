package leader

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{name: "defaults", change: func(*Config) {}},
		{name: "enabled with a namespace", change: func(c *Config) { c.Enabled, c.Namespace = true, "driftwatch" }},
		{name: "bad names", change: func(c *Config) { c.Namespace, c.LeaseName = "Drift_Watch", "lease/1" }, want: []string{
			`namespace: "Drift_Watch" is not a valid namespace name (lowercase letters, digits and '-', at most 63)`,
			`lease_name: "lease/1" is not a valid object name (lowercase letters, digits, '-' and '.')`,
		}},
		{name: "no lease name", change: func(c *Config) { c.LeaseName = "" }, want: []string{"lease_name: is required"}},
		{name: "fractional lease", change: func(c *Config) { c.LeaseDuration = 15500 * time.Millisecond }, want: []string{
			"lease_duration: must be whole seconds, as the Lease records it, got 15.5s",
		}},
		{name: "renew deadline not below the lease", change: func(c *Config) { c.RenewDeadline = 15 * time.Second }, want: []string{
			"renew_deadline: must be shorter than lease_duration (15s), got 15s",
		}},
		{name: "retry period too long", change: func(c *Config) { c.RetryPeriod = 9 * time.Second }, want: []string{
			"retry_period: must be shorter than renew_deadline (10s) divided by 1.2, got 9s",
		}},
		{name: "zeros", change: func(c *Config) { c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 0, 0, 0 }, want: []string{
			"lease_duration: must be at least 1s, got 0s",
			"renew_deadline: must be positive, got 0s",
			"retry_period: must be positive, got 0s",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			c.SetDefaults()
			tc.change(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				got = append(got, e.Error())
			}
			require.Equal(t, tc.want, got)
		})
	}
}
