package event

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// nestedConfig is a multiclass model whose fields sit on custom nested
// paths, one of them shared by the id and a feature, and whose labels are
// disabled.
func nestedConfig() collectors.ModelConfig {
	cfg := collectors.ModelConfig{Name: "router", Version: "v3"}
	cfg.Features = []collectors.FeatureConfig{
		{Name: "x", Type: drift.Numeric},
		{Name: "y", Type: drift.Numeric, Field: "extra.y"},
		{Name: "colour", Type: drift.Categorical},
		{Name: "request", Type: drift.Categorical, Field: "meta.request.id"},
	}
	cfg.Prediction = collectors.PredictionConfig{Kind: collectors.Multiclass, Classes: []string{"a", "b", "1", "true"}}
	cfg.Prediction.SetDefaults()
	cfg.Label.SetDefaults()
	cfg.Source.Fields.SetDefaults()
	cfg.Source.Fields.ID = "meta.request.id"
	cfg.Source.Fields.Timestamp = "meta.ts"
	cfg.Source.Fields.Features = "in"
	cfg.Source.Fields.Prediction = "out.class"
	cfg.Source.Fields.Score = "out.p"
	return cfg
}

// regressionConfig is a regression model without classes, whose binary
// class derivation and class checks do not apply.
func regressionConfig() collectors.ModelConfig {
	cfg := collectors.ModelConfig{Name: "price"}
	cfg.Features = []collectors.FeatureConfig{
		{Name: "rooms", Type: drift.Numeric},
		{Name: "city", Type: drift.Categorical},
	}
	cfg.Prediction = collectors.PredictionConfig{Kind: collectors.Regression}
	cfg.Prediction.SetDefaults()
	cfg.Label.SetDefaults()
	cfg.Label.Enabled = true
	cfg.Source.Fields.SetDefaults()
	return cfg
}

// scoreOnlyConfig is a binary model without classes: a score alone cannot
// name its class.
func scoreOnlyConfig() collectors.ModelConfig {
	cfg := regressionConfig()
	cfg.Name = "fraud"
	cfg.Prediction = collectors.PredictionConfig{Kind: collectors.Binary, PositiveClass: "fraud"}
	cfg.Prediction.SetDefaults()
	return cfg
}

func fuzzConfigs() []collectors.ModelConfig {
	return []collectors.ModelConfig{churnConfig(), nestedConfig(), regressionConfig(), scoreOnlyConfig()}
}

var fuzzKinds = []Kind{KindPrediction, KindFeatures, KindLabel}

func addJSONSeeds(f *testing.F) {
	f.Add(readPayload(f), uint8(0))
	for _, s := range []string{
		`{}`, `[]`, `"x"`, `12`, `null`, ``, ` `, `{`, `{"id":}`, `{"id":"a",}`, `{"id" "a"}`,
		`{"id":"a","prediction":"churn"}`, `{"id":"a","score":0.2}`, `{"id":"a","score":1.5}`,
		`{"id":"a","label":"stay","timestamp":1710408413}`, `{"id":7,"label":1,"timestamp":1710408413589.25}`,
		`{"id":"a","timestamp":"2026-02-29T00:00:00Z"}`, `{"id":"a","timestamp":"2024-02-29T23:59:59.123456789123+05:30"}`,
		`{"timestamp":1e400}`, `{"timestamp":-1}`, `{"timestamp":1.5e12}`, `{"timestamp":true}`,
		`{"features":{"age":1e400}}`, `{"features":{"age":"3.5"}}`, `{"features":{"age":null,"plan":7}}`,
		`{"features":{"age":-0,"plan":-0.0e-0}}`, `{"features":[1]}`, `{"features":null}`, `{"features":{"plan":[]}}`,
		`{"features":{"age":1},"features":{"age":2}}`, `{"id":"a","id":"a"}`, `{"model":"other","features":{"age":"x"}}`,
		`{"model":1}`, `{"model":""}`, `{"\u0069d":"\ud83d\ude00\ud800x\u00e9"}`, "{\"id\":\"\xff\xfe\"}",
		`{"id":"\"\\\/\b\f\n\r\t"}`, `{"id":"\u12"}`, `{"id":"\x"}`, "{\"id\":\"a\nb\"}", `{"a":[[[[{"b":[]}]]]]}`,
		`{"meta":{"request":{"id":"r1"},"ts":"2026-03-14T09:26:53Z"},"in":{"x":0.1,"colour":"red"},"out":{"class":"b","p":0.3},"extra":{"y":2}}`,
		`{"meta":{"request":{"id":true}}}`, `{"out":{"class":"zzz"}}`, `{"out":7}`, `{"prediction":12.5,"label":3}`,
		`{"id":"x","prediction":"5"}`, `{"x":1}  `, `{"x":1} {}`, `{"x":01}`, `{"x":1.}`, `{"x":.5}`, `{"x":-}`, `{"x":1e}`,
		`{"x":tru}`, `{"x":nul}`, `{"x":"\u00"}`, "\ufeff{}", `{"x":1,"y":{"z":[1,2,{"w":null}],"v":"s"}}`,
		"{\"prediction\":\"churn\",\"id\":\"" + string(make([]byte, 0)) + "\"}", `{"score":-0}`, `{"score":1e-400}`,
		`{"features":{"age":123456789012345678901234567890,"tenure_months":0.1e-10,"monthly_charges":9007199254740993}}`,
	} {
		for sel := range uint8(len(fuzzConfigs()) * len(fuzzKinds)) {
			f.Add([]byte(s), sel)
		}
	}
	f.Add(deepPayload(MaxDepth), uint8(0))
	f.Add(deepPayload(MaxDepth+1), uint8(0))
}

// deepPayload returns an object whose deepest value sits in n containers.
func deepPayload(n int) []byte {
	var b []byte
	for i := 0; i < n-1; i++ {
		b = append(b, `{"a":`...)
	}
	b = append(b, `[]`...)
	for i := 0; i < n-1; i++ {
		b = append(b, '}')
	}
	return b
}

// FuzzDecodeJSON holds the decoder to the oracle built on encoding/json:
// the same verdict on validity, a rejection reason the rules allow, and on
// acceptance the same values.
func FuzzDecodeJSON(f *testing.F) {
	addJSONSeeds(f)
	cfgs := fuzzConfigs()
	decoders := make([]*Decoder, len(cfgs))
	for i, cfg := range cfgs {
		decoders[i] = newTestDecoder(f, cfg)
	}
	var ev Event
	f.Fuzz(func(t *testing.T, payload []byte, sel uint8) {
		ci := int(sel) % len(cfgs)
		k := fuzzKinds[int(sel)/len(cfgs)%len(fuzzKinds)]
		fallback := kafkaTime
		if sel >= 128 {
			fallback = time.Time{}
		}
		err := decoders[ci].DecodeJSON(&ev, k, payload, fallback)
		want := oracleDecode(cfgs[ci], k, payload, fallback)
		got := ReasonOf(err)
		if want.accepts() {
			require.NoError(t, err)
			if diff := cmp.Diff(want.want, viewOf(&ev), unixTolerance(payload)); diff != "" {
				t.Fatalf("decoded event (-want +got):\n%s", diff)
			}
			return
		}
		require.Error(t, err)
		require.NotEmpty(t, got, "error without a reason: %v", err)
		require.Truef(t, want.allows(got), "reason %s, want one of %v (anySemantic=%v): %v", got, want.reasons, want.anySemantic, err)
	})
}

// unixTolerance compares times exactly, except that a Unix time written with
// an exponent goes through float64 and may be off by a microsecond.
func unixTolerance(payload []byte) cmp.Option {
	return cmp.Comparer(func(a, b time.Time) bool {
		d := a.Sub(b).Abs()
		return d == 0 || d <= time.Microsecond && (bytesContainsAny(payload, "eE"))
	})
}

func bytesContainsAny(b []byte, chars string) bool {
	for _, c := range b {
		for i := range len(chars) {
			if c == chars[i] {
				return true
			}
		}
	}
	return false
}

// FuzzNumber holds the number scanner and its fast path to
// strconv.ParseFloat, on every literal that encoding/json takes as a
// number.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "42", "89.45", "3312.6000000000004", "-12.5e2", "1e22", "1e23",
		"9007199254740993", "9007199254740992", "0.000001", "1e-22", "1e-23", "123456789012345678901234",
		"1.7976931348623157e308", "1.8e308", "4.9e-324", "2e-324", "0.10000000000000000000001", "100000000000000000000"} {
		f.Add(s)
	}
	d := &Decoder{}
	f.Fuzz(func(t *testing.T, s string) {
		var n json.Number
		if json.Unmarshal([]byte(s), &n) != nil || s == "" || s[0] == '"' || strings.Trim(s, " \t\r\n") != s {
			return
		}
		want, wantErr := strconv.ParseFloat(s, 64)
		d.in, d.pos = []byte(s), 0
		var dec decimal
		require.NoError(t, d.number(&dec))
		require.Equal(t, len(s), d.pos)
		got, ok := toFloat(dec, []byte(s))
		require.Equal(t, wantErr == nil, ok)
		if ok {
			require.Equalf(t, math.Float64bits(want), math.Float64bits(got), "%s: want %v, got %v", s, want, got)
		}
	})
}

// FuzzParseRFC3339 holds the timestamp parser to time.Parse.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2026-03-14T09:26:53Z", "2026-03-14T09:26:53.589Z", "2024-02-29T23:59:59.123456789123+05:30",
		"2023-02-29T00:00:00Z", "0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59.999999999+00:00", "2026-03-14T24:00:00Z",
		"2026-03-14T09:26:60Z", "2026-03-14t09:26:53z", "2026-03-14 09:26:53Z", "2026-03-14T09:26:53,5Z", "2026-03-14T09:26:53.Z",
		"2026-03-14T09:26:53+24:00", "2026-03-14T09:26:53+0100", "2026-3-14T09:26:53Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantOK := oracleRFC3339(s)
		got, ok := parseRFC3339([]byte(s))
		require.Equal(t, wantOK, ok, s)
		if ok {
			require.True(t, want.Equal(got), "%s: want %v, got %v", s, want, got)
			require.Equal(t, time.UTC, got.Location())
		}
	})
}
