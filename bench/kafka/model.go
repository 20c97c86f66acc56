package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

// The benchmark's model is a binary churn classifier with 12 numeric and 8
// categorical features, shaped like collectors/event/testdata/prediction20.json:
// an id, the model and its version, an RFC 3339 timestamp, the features, the
// prediction and its score, and a request object that driftwatch skips.
const (
	modelName    = "churn"
	modelVersion = "2026-03-01.4"
)

// feature is one input of the model and how to draw its values.
type feature struct {
	name        string
	categorical bool
	// draw appends a value as a JSON literal. The CSV of the reference
	// data holds the same literal, unquoted.
	draw func(r *rand.Rand, b []byte) []byte
}

func normal(mean, std, lo, hi float64, prec int) func(*rand.Rand, []byte) []byte {
	return func(r *rand.Rand, b []byte) []byte {
		v := min(max(mean+std*r.NormFloat64(), lo), hi)
		return strconv.AppendFloat(b, v, 'f', prec, 64)
	}
}

func exponential(mean float64, prec int) func(*rand.Rand, []byte) []byte {
	return func(r *rand.Rand, b []byte) []byte {
		return strconv.AppendFloat(b, mean*r.ExpFloat64(), 'f', prec, 64)
	}
}

func uniformInt(lo, hi int) func(*rand.Rand, []byte) []byte {
	return func(r *rand.Rand, b []byte) []byte {
		return strconv.AppendInt(b, int64(lo+r.IntN(hi-lo+1)), 10)
	}
}

// oneOf draws a category with weights falling off as 1/(i+1), quoted
// unless the values are JSON literals (booleans).
func oneOf(quote bool, values ...string) func(*rand.Rand, []byte) []byte {
	cum := make([]float64, len(values))
	total := 0.0
	for i := range values {
		total += 1 / float64(i+1)
		cum[i] = total
	}
	return func(r *rand.Rand, b []byte) []byte {
		u := r.Float64() * total
		i := 0
		for i < len(cum)-1 && u > cum[i] {
			i++
		}
		if quote {
			b = append(b, '"')
			b = append(b, values[i]...)
			return append(b, '"')
		}
		return append(b, values[i]...)
	}
}

var features = []feature{
	{name: "age", draw: normal(45, 14, 18, 90, 0)},
	{name: "tenure_months", draw: uniformInt(0, 72)},
	{name: "monthly_charges", draw: normal(70, 25, 5, 200, 2)},
	{name: "total_charges", draw: normal(2300, 1500, 0, 15000, 2)},
	{name: "num_support_calls", draw: uniformInt(0, 9)},
	{name: "avg_session_minutes", draw: normal(25, 8, 0, 120, 2)},
	{name: "days_since_last_login", draw: exponential(7, 0)},
	{name: "num_devices", draw: uniformInt(1, 5)},
	{name: "data_usage_gb", draw: exponential(15, 3)},
	{name: "discount_pct", draw: oneOf(false, "0", "0.05", "0.1", "0.15", "0.2")},
	{name: "lifetime_value", draw: normal(2000, 800, -1500, 9000, 1)},
	{name: "credit_score", draw: normal(680, 60, 300, 850, 0)},
	{name: "contract", categorical: true, draw: oneOf(true, "month-to-month", "one-year", "two-year")},
	{name: "payment_method", categorical: true, draw: oneOf(true, "credit_card", "bank_transfer", "electronic_check", "mailed_check")},
	{name: "plan", categorical: true, draw: oneOf(true, "basic", "standard", "premium")},
	{name: "region", categorical: true, draw: oneOf(true, "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "ap-northeast-1")},
	{name: "gender", categorical: true, draw: oneOf(true, "female", "male", "other")},
	{name: "has_partner", categorical: true, draw: oneOf(false, "false", "true")},
	{name: "internet_service", categorical: true, draw: oneOf(true, "fiber", "dsl", "none")},
	{name: "referral_source", categorical: true, draw: oneOf(true, "search", "social", "friend", "ad", "partner", "direct")},
}

// score draws the positive-class probability; the prediction is "churn"
// from 0.5 on.
func score(r *rand.Rand) float64 {
	return 1 / (1 + math.Exp(-(r.NormFloat64()*1.5 - 1)))
}

func prediction(s float64) string {
	if s >= 0.5 {
		return "churn"
	}
	return "stay"
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, r *rand.Rand, n int) []byte {
	for n > 0 {
		v := r.Uint64()
		for i := 0; i < 16 && n > 0; i, n = i+1, n-1 {
			b = append(b, hexDigits[v&15])
			v >>= 4
		}
	}
	return b
}

// appendEvent appends the JSON prediction event of time t.
func appendEvent(b []byte, r *rand.Rand, t time.Time) []byte {
	b = append(b, `{"id":"`...)
	for i, n := range [...]int{8, 4, 4, 4, 12} {
		if i > 0 {
			b = append(b, '-')
		}
		b = appendHex(b, r, n)
	}
	b = append(b, `","model":"`+modelName+`","model_version":"`+modelVersion+`","timestamp":"`...)
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","features":{`...)
	for i, f := range features {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = f.draw(r, b)
	}
	s := score(r)
	b = append(b, `},"prediction":"`...)
	b = append(b, prediction(s)...)
	b = append(b, `","score":`...)
	b = strconv.AppendFloat(b, s, 'f', 4, 64)
	b = append(b, `,"request":{"trace_id":"`...)
	b = appendHex(b, r, 32)
	b = append(b, `","latency_ms":`...)
	b = strconv.AppendFloat(b, 2+r.ExpFloat64()*10, 'f', 1, 64)
	b = append(b, `,"host":"scorer-7d9f8c6b5-`...)
	b = appendHex(b, r, 5)
	b = append(b, `","tags":["canary","eu"]}}`...)
	return b
}

// writeReference writes rows of training data, drawn from the same
// distributions as the events, as CSV: the features, then the prediction.
func writeReference(path string, rows int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	names := make([]string, 0, len(features)+1)
	for _, ft := range features {
		names = append(names, ft.name)
	}
	fmt.Fprintln(w, strings.Join(append(names, "prediction"), ","))
	r := rand.New(rand.NewPCG(seed, 0))
	var b []byte
	for range rows {
		b = b[:0]
		for _, ft := range features {
			start := len(b)
			b = ft.draw(r, b)
			if ft.categorical && b[start] == '"' {
				b = append(b[:start], b[start+1:len(b)-1]...)
			}
			b = append(b, ',')
		}
		b = append(b, prediction(score(r))...)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// configYAML is driftwatch's configuration for one run. Labels are off:
// the benchmark measures the prediction path. Windows are tumbling by
// event time, one minute long, as a live deployment would cut them.
const configYAML = `# Written by bench/kafka for one benchmark run.
server:
  listen: {{.Listen}}
storage:
  dir: {{.Storage}}
models:
  - name: ` + modelName + `
    version: v1
    features:
{{- range .Features}}
      - {name: {{.Name}}, type: {{.Type}}}
{{- end}}
    prediction: {kind: binary, positive_class: churn, classes: [stay, churn]}
    label: {enabled: false}
    source:
      type: kafka
      kafka:
        brokers: [{{.Broker}}]
        topics: {predictions: {{.Topic}}}
        group: {{.Group}}
        start_offset: earliest
    reference: {profile: {{.Profile}}}
    window: {size: {{.Window}}, allowed_lateness: {{.Lateness}}, min_events: 1000}
    drift: {numeric_method: auto, categorical_method: auto, dataset_share: 0.5}
`
