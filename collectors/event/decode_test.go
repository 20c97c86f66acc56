package event

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// smallConfig is a binary churn model with a numeric feature (age), a
// categorical one (plan) and a categorical one on a custom nested path
// (city, at geo.city), with labels enabled.
func smallConfig() collectors.ModelConfig {
	cfg := churnConfig()
	cfg.Features = []collectors.FeatureConfig{
		{Name: "age", Type: drift.Numeric},
		{Name: "plan", Type: drift.Categorical},
		{Name: "city", Type: drift.Categorical, Field: "geo.city"},
	}
	return cfg
}

// emptyView is a decoded event of the small model with nothing in it but
// the fallback time.
func emptyView() view {
	m := valueView{Missing: true}
	return view{Time: kafkaTime, Features: []valueView{m, m, m}, Prediction: m, Label: m}
}

func num(x float64) valueView    { return valueView{Num: math.Float64bits(x)} }
func text(s string) valueView    { return valueView{Text: s} }
func at(s string) time.Time      { t, _ := time.Parse(time.RFC3339Nano, s); return t.UTC() }
func scoreBits(x float64) uint64 { return math.Float64bits(x) }

func TestDecodeJSONAccepts(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func() collectors.ModelConfig // smallConfig when nil
		kind     Kind                          // KindPrediction when empty
		payload  string
		fallback time.Time // kafkaTime when zero
		want     func(v *view)
	}{
		{
			name:    "a full event",
			payload: `{"id":"p-1","model":"churn","model_version":"v7","timestamp":"2026-03-14T09:26:53.589Z","features":{"age":42,"plan":"premium"},"geo":{"city":"oslo"},"prediction":"churn","score":0.87}`,
			want: func(v *view) {
				v.ID, v.Model, v.ModelVersion = "p-1", "churn", "v7"
				v.Time, v.TimeFromEvent = at("2026-03-14T09:26:53.589Z"), true
				v.Features = []valueView{num(42), text("premium"), text("oslo")}
				v.Prediction, v.Score, v.HasScore = text("churn"), scoreBits(0.87), true
			},
		},
		{
			name:    "numbers and booleans as categories keep their JSON text",
			payload: `{"id":1e2,"model_version":3,"features":{"plan":7.50},"geo":{"city":false},"prediction":"stay"}`,
			want: func(v *view) {
				v.ID, v.ModelVersion = "1e2", "3"
				v.Features[1], v.Features[2] = text("7.50"), text("false")
				v.Prediction = text("stay")
			},
		},
		{
			name:    "escapes, surrogate pairs and escaped keys decode",
			payload: `{"\u0069d":"a\"b\\c\/d\n","features":{"pl\u0061n":"caf\u00e9 \ud83d\ude00"},"prediction":"st\u0061y"}`,
			want: func(v *view) {
				v.ID = "a\"b\\c/d\n"
				v.Features[1] = text("café 😀")
				v.Prediction = text("stay")
			},
		},
		{
			name:    "invalid UTF-8 and unpaired surrogates become U+FFFD, as in encoding/json",
			payload: "{\"id\":\"x\xffy\",\"features\":{\"plan\":\"\\ud800z\"},\"prediction\":\"stay\"}",
			want: func(v *view) {
				v.ID = "x\uFFFDy"
				v.Features[1] = text("\uFFFDz")
				v.Prediction = text("stay")
			},
		},
		{
			name:    "null, absent and empty features are missing",
			payload: `{"id":"a","features":{"age":null,"plan":""},"geo":null,"prediction":"stay"}`,
			want:    func(v *view) { v.ID, v.Prediction = "a", text("stay") },
		},
		{
			name: "whitespace, key order and unread values of any shape",
			payload: "{\n  \"extra\": [1, {\"a\": [true, null, -0.5e-3]}, \"s\"],\n  \"prediction\" : \"stay\" ,\r\n" +
				"\t\"features\": { \"tags\": {}, \"plan\": \"basic\", \"age\": 3.25 },\n  \"id\": \"a\", \"extra\": []\n}\n",
			want: func(v *view) {
				v.ID, v.Prediction = "a", text("stay")
				v.Features[0], v.Features[1] = num(3.25), text("basic")
			},
		},
		{
			name:    "a very long string",
			payload: `{"id":"a","features":{"plan":"` + strings.Repeat("x", 100_000) + `"},"prediction":"stay"}`,
			want: func(v *view) {
				v.ID, v.Prediction = "a", text("stay")
				v.Features[1] = text(strings.Repeat("x", 100_000))
			},
		},
		{
			name:    "nesting up to MaxDepth",
			payload: `{"id":"a","prediction":"stay","deep":` + string(deepPayload(MaxDepth-1)) + `}`,
			want:    func(v *view) { v.ID, v.Prediction = "a", text("stay") },
		},
		{
			name:    "numbers beyond the fast path, underflow to zero and negative zero",
			payload: `{"id":"a","features":{"age":-0},"geo":{"city":-0},"prediction":"stay","score":1e-400}`,
			want: func(v *view) {
				v.ID, v.Prediction, v.HasScore = "a", text("stay"), true
				v.Features[0], v.Features[2] = num(math.Copysign(0, -1)), text("-0")
			},
		},
		{
			name:    "a score at the threshold derives the positive class",
			payload: `{"id":"a","score":0.5}`,
			want: func(v *view) {
				v.ID, v.Score, v.HasScore = "a", scoreBits(0.5), true
				v.Prediction, v.PredictionFromScore = text("churn"), true
			},
		},
		{
			name:    "a score below the threshold derives the other class",
			payload: `{"id":"a","score":0.49,"prediction":null}`,
			want: func(v *view) {
				v.ID, v.Score, v.HasScore = "a", scoreBits(0.49), true
				v.Prediction, v.PredictionFromScore = text("stay"), true
			},
		},
		{
			name:    "a binary model without classes takes a score alone",
			cfg:     scoreOnlyConfig,
			payload: `{"id":"a","score":0.9}`,
			want: func(v *view) {
				v.ID, v.Score, v.HasScore = "a", scoreBits(0.9), true
				v.Features = v.Features[:2]
			},
		},
		{
			name:    "an RFC 3339 offset is applied and the time is in UTC",
			payload: `{"id":"a","prediction":"stay","timestamp":"2024-02-29T23:59:59.123456789999+05:30"}`,
			want: func(v *view) {
				v.ID, v.Prediction = "a", text("stay")
				v.Time, v.TimeFromEvent = at("2024-02-29T18:29:59.123456789Z"), true
			},
		},
		{
			name:    "Unix seconds with a fraction",
			payload: `{"id":"a","prediction":"stay","timestamp":1710408413.5893}`,
			want: func(v *view) {
				v.ID, v.Prediction = "a", text("stay")
				v.Time, v.TimeFromEvent = time.Unix(1710408413, 589300000).UTC(), true
			},
		},
		{
			name:    "Unix milliseconds from 1e11 on",
			payload: `{"id":"a","prediction":"stay","timestamp":1710408413589}`,
			want: func(v *view) {
				v.ID, v.Prediction = "a", text("stay")
				v.Time, v.TimeFromEvent = time.UnixMilli(1710408413589).UTC(), true
			},
		},
		{
			name:     "a null timestamp takes the fallback, in UTC",
			payload:  `{"id":"a","prediction":"stay","timestamp":null}`,
			fallback: kafkaTime.In(time.FixedZone("CET", 3600)),
			want:     func(v *view) { v.ID, v.Prediction = "a", text("stay") },
		},
		{
			name:    "an event without a model field is the decoder's model",
			payload: `{"id":"a","prediction":"stay","model":null}`,
			want:    func(v *view) { v.ID, v.Prediction = "a", text("stay") },
		},
		{
			name:    "repeated keys off the read paths are ignored",
			payload: `{"id":"a","trace":1,"trace":2,"features":{"other":1,"other":2},"prediction":"stay"}`,
			want:    func(v *view) { v.ID, v.Prediction = "a", text("stay") },
		},
		{
			name:    "a feature event needs neither id nor prediction",
			kind:    KindFeatures,
			payload: `{"features":{"age":7},"prediction":[],"label":{}}`,
			want:    func(v *view) { v.Features[0] = num(7) },
		},
		{
			name:    "a label event reads the label and ignores features",
			kind:    KindLabel,
			payload: `{"id":"a","label":"churn","features":"not read","score":7}`,
			want:    func(v *view) { v.ID, v.Label = "a", text("churn") },
		},
		{
			name:    "a regression label is a number",
			cfg:     regressionConfig,
			kind:    KindLabel,
			payload: `{"id":"a","label":-3.5e2}`,
			want: func(v *view) {
				v.ID, v.Label = "a", num(-350)
				v.Features = v.Features[:2]
			},
		},
		{
			name:    "a regression prediction is a number and has no score",
			cfg:     regressionConfig,
			payload: `{"id":"a","prediction":12.5,"score":"not read"}`,
			want: func(v *view) {
				v.ID, v.Prediction = "a", num(12.5)
				v.Features = v.Features[:2]
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig
			if tt.cfg != nil {
				cfg = tt.cfg
			}
			kind, fallback := cmpOr(tt.kind, KindPrediction), tt.fallback
			if fallback.IsZero() {
				fallback = kafkaTime
			}
			d := newTestDecoder(t, cfg())
			var ev Event
			require.NoError(t, d.DecodeJSON(&ev, kind, []byte(tt.payload), fallback))
			want := emptyView()
			tt.want(&want)
			require.Equal(t, kind, ev.Kind)
			if diff := cmp.Diff(want, viewOf(&ev)); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if got := oracleDecode(cfg(), kind, []byte(tt.payload), fallback); !got.accepts() {
				t.Errorf("the oracle rejects: %v", got.reasons)
			}
		})
	}
}

func cmpOr(k, def Kind) Kind {
	if k == "" {
		return def
	}
	return k
}

func TestDecodeJSONRejects(t *testing.T) {
	ok := `"id":"a","prediction":"stay"`
	tests := []struct {
		name       string
		cfg        func() collectors.ModelConfig // smallConfig when nil
		kind       Kind                          // KindPrediction when empty
		payload    string
		noFallback bool
		reason     Reason
		path       string
		detail     string // a part of the detail
	}{
		{name: "empty payload", payload: ``, reason: ReasonMalformedJSON, detail: "got the end of the payload"},
		{name: "truncated", payload: `{"id":"a","prediction":"st`, reason: ReasonMalformedJSON, detail: `closing '"'`},
		{name: "trailing comma", payload: `{` + ok + `,}`, reason: ReasonMalformedJSON, detail: "want a string key"},
		{name: "unquoted key", payload: `{id:"a"}`, reason: ReasonMalformedJSON},
		{name: "invalid escape", payload: `{"id":"a\x"}`, reason: ReasonMalformedJSON, detail: "valid escape"},
		{name: "short unicode escape", payload: `{"x":"\u12"}`, reason: ReasonMalformedJSON},
		{name: "control character in a string", payload: "{\"id\":\"a\tb\"}", reason: ReasonMalformedJSON},
		{name: "leading zero", payload: `{"features":{"age":01}}`, reason: ReasonMalformedJSON},
		{name: "bad literal", payload: `{"x":nul}`, reason: ReasonMalformedJSON},
		{name: "two objects", payload: `{` + ok + `} {}`, reason: ReasonMalformedJSON, detail: "want the end of the payload"},
		{name: "byte order mark", payload: "\ufeff{" + ok + `}`, reason: ReasonMalformedJSON},
		{name: "malformed wins over an earlier wrong type", payload: `{"features":{"age":"x"},` + ok, reason: ReasonMalformedJSON},
		{name: "array", payload: `[{` + ok + `}]`, reason: ReasonNotAnObject, detail: "got an array"},
		{name: "string", payload: ` "x" `, reason: ReasonNotAnObject},
		{name: "null", payload: `null`, reason: ReasonNotAnObject},
		{name: "nested deeper than MaxDepth", payload: `{` + ok + `,"deep":` + string(deepPayload(MaxDepth)) + `}`, reason: ReasonOversized},
		{name: "no id with labels enabled", payload: `{"prediction":"stay"}`, reason: ReasonMissingField, path: "id"},
		{name: "an empty id", payload: `{"id":"","prediction":"stay"}`, reason: ReasonMissingField, path: "id"},
		{name: "no prediction and no score", payload: `{"id":"a","prediction":null}`, reason: ReasonMissingField, path: "prediction"},
		{name: "no prediction in a multiclass model", cfg: nestedConfig, payload: `{"out":{"p":0.9}}`, reason: ReasonMissingField, path: "out.class"},
		{name: "a label event without label", kind: KindLabel, payload: `{"id":"a"}`, reason: ReasonMissingField, path: "label"},
		{name: "a label event without id", kind: KindLabel, payload: `{"label":"stay"}`, reason: ReasonMissingField, path: "id"},
		{name: "no timestamp and no fallback", payload: `{` + ok + `}`, noFallback: true, reason: ReasonMissingField, path: "timestamp"},
		{name: "a repeated id", payload: `{` + ok + `,"id":"b"}`, reason: ReasonDuplicateField, path: "id"},
		{name: "a repeated features object", payload: `{` + ok + `,"features":{"age":1},"features":{"plan":"x"}}`, reason: ReasonDuplicateField, path: "features"},
		{name: "a repeated feature", payload: `{` + ok + `,"features":{"age":1,"age":2}}`, reason: ReasonDuplicateField, path: "features.age"},
		{name: "a numeric string", payload: `{` + ok + `,"features":{"age":"3.5"}}`, reason: ReasonWrongType, path: "features.age", detail: `got a string "3.5", want a number`},
		{name: "a boolean number", payload: `{` + ok + `,"features":{"age":true}}`, reason: ReasonWrongType, path: "features.age"},
		{name: "an array category", payload: `{` + ok + `,"features":{"plan":["a"]}}`, reason: ReasonWrongType, path: "features.plan", detail: "got an array"},
		{name: "an object category", payload: `{` + ok + `,"geo":{"city":{"name":"oslo"}}}`, reason: ReasonWrongType, path: "geo.city"},
		{name: "features not an object", payload: `{` + ok + `,"features":[1,2]}`, reason: ReasonWrongType, path: "features", detail: "want an object"},
		{name: "a boolean id", payload: `{"id":true,"prediction":"stay"}`, reason: ReasonWrongType, path: "id"},
		{name: "a numeric model", payload: `{` + ok + `,"model":7}`, reason: ReasonWrongType, path: "model"},
		{name: "a boolean timestamp", payload: `{` + ok + `,"timestamp":true}`, reason: ReasonWrongType, path: "timestamp"},
		{name: "a string score", payload: `{` + ok + `,"score":"0.5"}`, reason: ReasonWrongType, path: "score"},
		{name: "an array prediction", payload: `{"id":"a","prediction":["stay"]}`, reason: ReasonWrongType, path: "prediction"},
		{name: "a string regression output", cfg: regressionConfig, payload: `{"id":"a","prediction":"12.5"}`, reason: ReasonWrongType, path: "prediction"},
		{name: "an overflowing feature", payload: `{` + ok + `,"features":{"age":1e400}}`, reason: ReasonInvalidNumber, path: "features.age", detail: `"1e400"`},
		{name: "an overflowing score", payload: `{` + ok + `,"score":-1e309}`, reason: ReasonInvalidNumber, path: "score"},
		{name: "an overflowing timestamp", payload: `{` + ok + `,"timestamp":1e999}`, reason: ReasonInvalidNumber, path: "timestamp"},
		{name: "a timestamp that is not RFC 3339", payload: `{` + ok + `,"timestamp":"14/03/2026 09:26"}`, reason: ReasonInvalidTimestamp, path: "timestamp"},
		{name: "a day that does not exist", payload: `{` + ok + `,"timestamp":"2026-02-29T00:00:00Z"}`, reason: ReasonInvalidTimestamp},
		{name: "a Unix time in a string", payload: `{` + ok + `,"timestamp":"1710408413"}`, reason: ReasonInvalidTimestamp},
		{name: "a negative Unix time", payload: `{` + ok + `,"timestamp":-1}`, reason: ReasonInvalidTimestamp},
		{name: "a Unix time beyond 5138", payload: `{` + ok + `,"timestamp":1e14}`, reason: ReasonInvalidTimestamp},
		{name: "another model", payload: `{` + ok + `,"model":"fraud"}`, reason: ReasonUnknownModel, path: "model", detail: `got "fraud", want "churn"`},
		{name: "another model wins over earlier problems", payload: `{"features":{"age":"x","age":1},"model":"fraud"}`, reason: ReasonUnknownModel},
		{name: "a class outside the classes", payload: `{"id":"a","prediction":"maybe"}`, reason: ReasonUnknownClass, path: "prediction"},
		{name: "a label outside the classes", kind: KindLabel, payload: `{"id":"a","label":1}`, reason: ReasonUnknownClass, path: "label"},
		{name: "a score above 1", payload: `{` + ok + `,"score":1.5}`, reason: ReasonScoreOutOfRange, path: "score"},
		{name: "a negative score", payload: `{` + ok + `,"score":-0.1}`, reason: ReasonScoreOutOfRange, path: "score"},
	}
	seen := map[Reason]bool{ReasonMalformedCSV: true} // CSV has its own test
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig
			if tt.cfg != nil {
				cfg = tt.cfg
			}
			kind, fallback := cmpOr(tt.kind, KindPrediction), kafkaTime
			if tt.noFallback {
				fallback = time.Time{}
			}
			d := newTestDecoder(t, cfg())
			var ev Event
			err := d.DecodeJSON(&ev, kind, []byte(tt.payload), fallback)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.reason, e.Reason, "%v", err)
			require.Equal(t, tt.reason, ReasonOf(err))
			if tt.path != "" {
				require.Equal(t, tt.path, e.Path)
			}
			require.Contains(t, e.Detail, tt.detail)
			if v := oracleDecode(cfg(), kind, []byte(tt.payload), fallback); !v.allows(tt.reason) {
				t.Errorf("the oracle wants one of %v", v.reasons)
			}
			seen[tt.reason] = true
		})
	}
	t.Run("every reason has a case", func(t *testing.T) {
		for _, r := range Reasons() {
			require.True(t, seen[r], "no case for %s", r)
		}
	})
}

func TestErrorDetailIsShort(t *testing.T) {
	d := newTestDecoder(t, smallConfig())
	long := strings.Repeat("é", 10_000)
	var ev Event
	for _, payload := range []string{
		`{"id":"a","prediction":"stay","features":{"age":"` + long + `"}}`,
		`{"id":"a","prediction":"` + long + `"}`,
		`["` + long + `"]`,
		`{"id":"` + long + `` + "\x01",
	} {
		err := d.DecodeJSON(&ev, KindPrediction, []byte(payload), kafkaTime)
		require.Error(t, err)
		require.Less(t, len(err.Error()), 200, err.Error())
		require.True(t, strings.HasPrefix(err.Error(), "event rejected: "))
	}
}

func TestDecodeJSONReusesTheEvent(t *testing.T) {
	d := newTestDecoder(t, smallConfig())
	var ev Event
	require.NoError(t, d.DecodeJSON(&ev, KindPrediction, []byte(`{"id":"a","prediction":"churn","score":0.9,"features":{"age":1,"plan":"x"},"timestamp":1}`), kafkaTime))
	require.NoError(t, d.DecodeJSON(&ev, KindLabel, []byte(`{"id":"b","label":"stay"}`), kafkaTime))
	want := emptyView()
	want.ID, want.Label = "b", text("stay")
	if diff := cmp.Diff(want, viewOf(&ev)); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}

func TestDecodeJSONDoesNotAllocate(t *testing.T) {
	d := newTestDecoder(t, churnConfig())
	payload := readPayload(t)
	escaped := []byte(`{"id":"caf\u00e9","prediction":"churn","features":{"plan":"\ud83d\ude00","age":3312.6000000000004}}`)
	var ev Event
	allocs := testing.AllocsPerRun(100, func() {
		require.NoError(t, d.DecodeJSON(&ev, KindPrediction, payload, kafkaTime))
		require.NoError(t, d.DecodeJSON(&ev, KindPrediction, escaped, kafkaTime))
	})
	require.Zero(t, allocs)
}

func TestDecodeJSONRejectsUnknownKind(t *testing.T) {
	d := newTestDecoder(t, smallConfig())
	var ev Event
	err := d.DecodeJSON(&ev, "metrics", []byte(`{}`), kafkaTime)
	require.ErrorContains(t, err, `unknown event kind "metrics"`)
	require.Empty(t, ReasonOf(err), "a caller's mistake is not a rejection")
}
