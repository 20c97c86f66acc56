package triggers

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/config/secret"
)

// Config is the trigger section of the configuration file.
type Config struct {
	// MaxConcurrentRuns bounds the runs in flight across all models.
	MaxConcurrentRuns int `yaml:"max_concurrent_runs"`
	// Rules map alerts and schedules to pipelines.
	Rules []Rule `yaml:"rules"`
}

// Rule starts a pipeline when a matching alert fires or a schedule is due.
type Rule struct {
	Name string `yaml:"name"`
	// Pipeline is the name of the pipeline to run. The model is the
	// pipeline's model.
	Pipeline string `yaml:"pipeline"`
	// Match and MatchRegex select alerts by label: every entry must hold.
	Match      map[string]string `yaml:"match"`
	MatchRegex map[string]string `yaml:"match_regex"`
	// Schedule is a cron expression (five fields, or a descriptor such as
	// @daily) in UTC.
	Schedule string `yaml:"schedule"`
	// Cooldown is the quiet time after a run of this rule's pipeline ends,
	// during which new triggers are suppressed.
	Cooldown time.Duration `yaml:"cooldown"`
	// MaxConcurrent bounds the runs in flight for the pipeline's model.
	MaxConcurrent int `yaml:"max_concurrent"`
	// MinDriftedFeatures suppresses drift alerts that name fewer drifted
	// features.
	MinDriftedFeatures int `yaml:"min_drifted_features"`
	// CancelOnResolve cancels a queued run when its alert resolves first.
	CancelOnResolve bool `yaml:"cancel_on_resolve"`
	// Silence silences the model's drift alerts while a run is in flight.
	Silence bool `yaml:"silence"`
}

// AlertmanagerConfig locates Alertmanager, for silences.
type AlertmanagerConfig struct {
	// URL is Alertmanager's base URL. Empty means no Alertmanager: the
	// embedded evaluator raises triggers in-process.
	URL string `yaml:"url"`
	// BearerToken authenticates to Alertmanager, if it needs it.
	BearerToken secret.Ref `yaml:"bearer_token"`
	// Timeout bounds each API call.
	Timeout time.Duration `yaml:"timeout"`
}

// PrometheusConfig locates Prometheus and shapes the generated alert rules.
type PrometheusConfig struct {
	// URL is Prometheus's base URL, used by the verify phase and dashboards.
	URL string `yaml:"url"`
	// Rules shapes the output of `driftwatch rules`.
	Rules RulesConfig `yaml:"rules"`
}

// RulesConfig shapes the generated alerting rules.
type RulesConfig struct {
	// For is how long a condition must hold before the alert fires.
	For time.Duration `yaml:"for"`
	// KeepFiringFor keeps an alert firing after its condition clears.
	KeepFiringFor time.Duration `yaml:"keep_firing_for"`
	// Severity is the severity label of the alerts.
	Severity string `yaml:"severity"`
	// StaleAfter is how long a model may go without events before the
	// stalled-input alert fires.
	StaleAfter time.Duration `yaml:"stale_after"`
	// MinLabelJoinRate is the share of predictions that must find their
	// label.
	MinLabelJoinRate float64 `yaml:"min_label_join_rate"`
	// RunbookURL and DashboardURL are linked from the annotations.
	RunbookURL   string `yaml:"runbook_url"`
	DashboardURL string `yaml:"dashboard_url"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *Config) SetDefaults() { c.MaxConcurrentRuns = 1 }

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (r *Rule) SetDefaults() {
	r.Cooldown = time.Hour
	r.MaxConcurrent = 1
	r.CancelOnResolve = true
	r.Silence = true
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *AlertmanagerConfig) SetDefaults() { c.Timeout = 10 * time.Second }

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *RulesConfig) SetDefaults() {
	c.For = 5 * time.Minute
	c.KeepFiringFor = 10 * time.Minute
	c.Severity = "warning"
	c.StaleAfter = 15 * time.Minute
	c.MinLabelJoinRate = 0.5
	c.RunbookURL = "https://github.com/driftwatch/driftwatch/blob/main/docs/runbook.md"
}

// Validate checks the trigger rules without contacting anything.
func (c Config) Validate() error {
	var l field.List
	if c.MaxConcurrentRuns < 1 {
		l.Addf("max_concurrent_runs", "must be at least 1, got %d", c.MaxConcurrentRuns)
	}
	names := map[string]int{}
	for i, r := range c.Rules {
		p := field.NewPath("rules").Index(i)
		l.Add(p, r.Validate())
		if j, dup := names[r.Name]; dup && r.Name != "" {
			l.Addf(p.Child("name"), "duplicate rule %q (also rules[%d])", r.Name, j)
		}
		names[r.Name] = i
	}
	return l.Err()
}

// Validate checks one rule.
func (r Rule) Validate() error {
	var l field.List
	if r.Name == "" {
		l.Add("name", errors.New("is required"))
	}
	if r.Pipeline == "" {
		l.Add("pipeline", errors.New("is required"))
	}
	if len(r.Match) == 0 && len(r.MatchRegex) == 0 && r.Schedule == "" {
		l.Addf("match", "a rule needs match, match_regex or schedule, or it never fires")
	}
	for k := range r.Match {
		if !labelName.MatchString(k) {
			l.Addf(field.NewPath("match").Key(k), "%q is not a valid label name", k)
		}
	}
	for k, v := range r.MatchRegex {
		p := field.NewPath("match_regex").Key(k)
		if !labelName.MatchString(k) {
			l.Addf(p, "%q is not a valid label name", k)
		}
		if _, err := regexp.Compile("^(?:" + v + ")$"); err != nil {
			l.Addf(p, "invalid regular expression: %v", err)
		}
	}
	if r.Schedule != "" {
		if _, err := cron.ParseStandard(r.Schedule); err != nil {
			l.Addf("schedule", "invalid cron expression %q: %v", r.Schedule, err)
		}
	}
	if r.Cooldown < 0 {
		l.Addf("cooldown", "must not be negative, got %s", r.Cooldown)
	}
	if r.MaxConcurrent < 1 {
		l.Addf("max_concurrent", "must be at least 1, got %d", r.MaxConcurrent)
	}
	if r.MinDriftedFeatures < 0 {
		l.Addf("min_drifted_features", "must not be negative, got %d", r.MinDriftedFeatures)
	}
	return l.Err()
}

// Validate checks the Alertmanager settings.
func (c AlertmanagerConfig) Validate() error {
	var l field.List
	if c.URL != "" {
		l.Add("url", validateURL(c.URL))
	}
	if !c.BearerToken.IsZero() {
		l.Add("bearer_token", c.BearerToken.Validate())
	}
	if c.Timeout <= 0 {
		l.Addf("timeout", "must be positive, got %s", c.Timeout)
	}
	return l.Err()
}

// Validate checks the Prometheus settings.
func (c PrometheusConfig) Validate() error {
	var l field.List
	if c.URL != "" {
		l.Add("url", validateURL(c.URL))
	}
	l.Add("rules", c.Rules.Validate())
	return l.Err()
}

// Validate checks the rule generation settings.
func (c RulesConfig) Validate() error {
	var l field.List
	if c.For < 0 {
		l.Addf("for", "must not be negative, got %s", c.For)
	}
	if c.KeepFiringFor < 0 {
		l.Addf("keep_firing_for", "must not be negative, got %s", c.KeepFiringFor)
	}
	switch c.Severity {
	case "critical", "warning", "info":
	default:
		l.Addf("severity", "unknown severity %q (want critical, warning or info)", c.Severity)
	}
	if c.StaleAfter <= 0 {
		l.Addf("stale_after", "must be positive, got %s", c.StaleAfter)
	}
	if !(c.MinLabelJoinRate >= 0 && c.MinLabelJoinRate <= 1) {
		l.Addf("min_label_join_rate", "must be between 0 and 1, got %v", c.MinLabelJoinRate)
	}
	if c.RunbookURL != "" {
		l.Add("runbook_url", validateURL(c.RunbookURL))
	}
	if c.DashboardURL != "" {
		l.Add("dashboard_url", validateURL(c.DashboardURL))
	}
	return l.Err()
}

// labelName is Prometheus's label name syntax.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func validateURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %q must start with http:// or https://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("URL %q has no host", s)
	}
	return nil
}
