package event

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// TestPredictedKeys checks that matching keys by the order learned from
// the previous payload changes no result: every payload decodes the same
// with a fresh decoder, which parses each key, and with a decoder that has
// learned the key order of a first payload, which matches keys by their
// raw bytes where it can.
func TestPredictedKeys(t *testing.T) {
	base := string(readPayload(t))
	oddCfg := churnConfig()
	oddCfg.Features = append(oddCfg.Features,
		collectors.FeatureConfig{Name: `odd"name`, Type: drift.Numeric},
		collectors.FeatureConfig{Name: `back\slash`, Type: drift.Categorical})
	oddBase := strings.Replace(base, `"age":42,`, `"age":42,"odd\"name":7,"back\\slash":"x",`, 1)

	cases := []struct {
		name    string
		cfg     collectors.ModelConfig
		learn   string // the first payload
		payload string
	}{
		{"same order", churnConfig(), base, base},
		{"space before colon", churnConfig(), base, strings.Replace(base, `"age":`, `"age" :`, 1)},
		{"space after colon", churnConfig(), base, strings.Replace(base, `"age":`, `"age": `, 1)},
		{"escaped key", churnConfig(), base, strings.Replace(base, `"age":`, `"\u0061ge":`, 1)},
		{"longer key", churnConfig(), base, strings.Replace(base, `"age":`, `"age2":`, 1)},
		{"shorter key", churnConfig(), base, strings.Replace(base, `"tenure_months":`, `"tenure":`, 1)},
		{"duplicate key", churnConfig(), base, strings.Replace(base, `"age":42,`, `"age":42,"age":43,`, 1)},
		{"keys swapped", churnConfig(), base, strings.Replace(base, `"age":42,"tenure_months":37`, `"tenure_months":37,"age":42`, 1)},
		{"missing colon", churnConfig(), base, strings.Replace(base, `"age":`, `"age"`, 1)},
		{"truncated after key", churnConfig(), base, base[:strings.Index(base, `"age"`)+5]},
		{"truncated after colon", churnConfig(), base, base[:strings.Index(base, `"age"`)+6]},
		{"truncated inside key", churnConfig(), base, base[:strings.Index(base, `"age"`)+3]},
		{"object instead of key", churnConfig(), base, strings.Replace(base, `"age":42,`, `{}`, 1)},
		{"names that need escapes", oddCfg, oddBase, oddBase},
		{"names that need escapes, raw", oddCfg, oddBase, strings.Replace(oddBase, `"odd\"name":7`, `"odd"name":7`, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fresh := newTestDecoder(t, tc.cfg)
			warm := newTestDecoder(t, tc.cfg)
			var ev Event
			require.NoError(t, warm.DecodeJSON(&ev, KindPrediction, []byte(tc.learn), kafkaTime))

			var want, got Event
			wantErr := fresh.DecodeJSON(&want, KindPrediction, []byte(tc.payload), kafkaTime)
			gotErr := warm.DecodeJSON(&got, KindPrediction, []byte(tc.payload), kafkaTime)
			if diff := cmp.Diff(errText(wantErr), errText(gotErr)); diff != "" {
				t.Fatalf("error (-fresh +warm):\n%s", diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-fresh +warm):\n%s", diff)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
