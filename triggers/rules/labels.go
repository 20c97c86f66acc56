package rules

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/driftwatch/driftwatch/triggers"
)

// finish gives an alert what every alert carries: for, keep_firing_for,
// the model, severity and driftwatch_trigger labels, and the runbook and
// dashboard links.
func (g *generator) finish(r *Rule, model string) error {
	r.For, r.KeepFiringFor = g.forDur, g.keepFiring
	if r.Labels == nil {
		r.Labels = map[string]string{}
	}
	r.Labels["model"] = model
	r.Labels["severity"] = g.settings.Severity
	static := map[string]string{"alertname": r.Alert}
	for k, v := range r.Labels {
		static[k] = v
	}
	if names := g.selectingTriggers(static); names != "" {
		r.Labels[triggerLabel] = names
	}
	if g.settings.RunbookURL != "" {
		r.Annotations["runbook_url"] = runbookURL(g.settings.RunbookURL, r.Alert)
	}
	if g.settings.DashboardURL != "" {
		u, err := dashboardURL(g.settings.DashboardURL, model)
		if err != nil {
			return err
		}
		r.Annotations["dashboard_url"] = u
	}
	return nil
}

// runbookURL links an alert's section of the runbook. The anchor is the
// alert name in lower case, as Markdown renderers derive it from a
// heading that is the alert name.
func runbookURL(base, alert string) string {
	base, _, _ = strings.Cut(base, "#")
	return base + "#" + strings.ToLower(alert)
}

// dashboardURL links the dashboard with its model variable set.
func dashboardURL(base, model string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("prometheus.rules.dashboard_url: %w", err)
	}
	q := u.Query()
	q.Set("var-model", model)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// triggerMatcher is a trigger rule's matchers, ready to test label sets.
type triggerMatcher struct {
	name  string
	match map[string]string
	regex map[string]*regexp.Regexp
}

// compileTriggers prepares the trigger rules that select alerts. Rules
// with neither match nor match_regex only run on a schedule and select no
// alert.
func compileTriggers(rules []triggers.Rule) ([]triggerMatcher, error) {
	var out []triggerMatcher
	for _, r := range rules {
		if len(r.Match) == 0 && len(r.MatchRegex) == 0 {
			continue
		}
		tm := triggerMatcher{name: r.Name, match: r.Match, regex: map[string]*regexp.Regexp{}}
		for k, v := range r.MatchRegex {
			re, err := regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				return nil, fmt.Errorf("trigger %s: match_regex[%s]: %w", r.Name, k, err)
			}
			tm.regex[k] = re
		}
		out = append(out, tm)
	}
	return out, nil
}

// matches reports whether every matcher holds for labels. A label the set
// does not have has the empty value, as in Alertmanager.
func (tm triggerMatcher) matches(labels map[string]string) bool {
	for k, v := range tm.match {
		if labels[k] != v {
			return false
		}
	}
	for k, re := range tm.regex {
		if !re.MatchString(labels[k]) {
			return false
		}
	}
	return true
}

// selectingTriggers returns the sorted, comma-separated names of the
// trigger rules that select an alert with the given static labels, or ""
// when none does. Labels that come from the series at evaluation time,
// such as feature and method, are not static: a matcher on them sees the
// empty value.
func (g *generator) selectingTriggers(static map[string]string) string {
	var names []string
	for _, tm := range g.matchers {
		if tm.matches(static) {
			names = append(names, tm.name)
		}
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}
