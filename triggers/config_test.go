package triggers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRuleValidate(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{name: "alert rule", rule: Rule{Name: "r", Pipeline: "p", Match: map[string]string{"model": "m"}}},
		{name: "schedule descriptor", rule: Rule{Name: "r", Pipeline: "p", Schedule: "@daily"}},
		{name: "never fires", rule: Rule{Name: "r", Pipeline: "p"},
			want: "match: a rule needs match, match_regex or schedule, or it never fires"},
		{name: "bad cron", rule: Rule{Name: "r", Pipeline: "p", Schedule: "0 3 * *"},
			want: `schedule: invalid cron expression "0 3 * *": expected exactly 5 fields, found 4: [0 3 * *]`},
		{name: "bad regex and label", rule: Rule{Name: "r", Pipeline: "p", MatchRegex: map[string]string{"model": "(", "0bad": "x"}},
			want: "bad regex"},
		{name: "missing names", rule: Rule{Schedule: "@hourly"}, want: "name: is required\npipeline: is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rule
			// Defaults as the loader applies them, then the case's values.
			var d Rule
			d.SetDefaults()
			r.Cooldown, r.MaxConcurrent = d.Cooldown, d.MaxConcurrent
			err := r.Validate()
			switch tc.want {
			case "":
				require.NoError(t, err)
			case "bad regex":
				require.ErrorContains(t, err, "match_regex[model]: invalid regular expression")
				require.ErrorContains(t, err, `match_regex[0bad]: "0bad" is not a valid label name`)
			default:
				require.EqualError(t, err, tc.want)
			}
		})
	}
}
