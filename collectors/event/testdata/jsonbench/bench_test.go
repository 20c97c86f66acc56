// Package jsonbench benchmarks decoding testdata/prediction20.json with the
// candidates considered for package event. Each candidate does the work the
// decoder does: it yields the id, model, version, timestamp, 12 numbers, 8
// category texts, the class and the score.
package jsonbench

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/buger/jsonparser"
	"github.com/valyala/fastjson"
)

var (
	numericNames = []string{"age", "tenure_months", "monthly_charges", "total_charges", "num_support_calls",
		"avg_session_minutes", "days_since_last_login", "num_devices", "data_usage_gb", "discount_pct",
		"lifetime_value", "credit_score"}
	categoricalNames = []string{"contract", "payment_method", "plan", "region", "gender", "has_partner",
		"internet_service", "referral_source"}
)

type out struct {
	id, model, version []byte
	ts                 time.Time
	num                [12]float64
	cat                [8][]byte
	pred               []byte
	score              float64
}

var sink out

func readPayload(b *testing.B) []byte {
	p, err := os.ReadFile("../prediction20.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	return bytes.TrimSpace(p)
}

// stdEvent is the best case for encoding/json: field types that match this
// payload exactly. It cannot take a category that is sometimes a number,
// nor tell null from absent.
type stdEvent struct {
	ID           string    `json:"id"`
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version"`
	Timestamp    time.Time `json:"timestamp"`
	Features     struct {
		Age                float64 `json:"age"`
		TenureMonths       float64 `json:"tenure_months"`
		MonthlyCharges     float64 `json:"monthly_charges"`
		TotalCharges       float64 `json:"total_charges"`
		NumSupportCalls    float64 `json:"num_support_calls"`
		AvgSessionMinutes  float64 `json:"avg_session_minutes"`
		DaysSinceLastLogin float64 `json:"days_since_last_login"`
		NumDevices         float64 `json:"num_devices"`
		DataUsageGB        float64 `json:"data_usage_gb"`
		DiscountPct        float64 `json:"discount_pct"`
		LifetimeValue      float64 `json:"lifetime_value"`
		CreditScore        float64 `json:"credit_score"`
		Contract           string  `json:"contract"`
		PaymentMethod      string  `json:"payment_method"`
		Plan               string  `json:"plan"`
		Region             string  `json:"region"`
		Gender             string  `json:"gender"`
		HasPartner         bool    `json:"has_partner"`
		InternetService    string  `json:"internet_service"`
		ReferralSource     string  `json:"referral_source"`
	} `json:"features"`
	Prediction string  `json:"prediction"`
	Score      float64 `json:"score"`
}

func BenchmarkStdUnmarshalStruct(b *testing.B) {
	payload := readPayload(b)
	var e stdEvent
	for b.Loop() {
		if err := json.Unmarshal(payload, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStdUnmarshalMap(b *testing.B) {
	payload := readPayload(b)
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			b.Fatal(err)
		}
		f := m["features"].(map[string]any)
		for i, n := range numericNames {
			sink.num[i] = f[n].(float64)
		}
	}
}

// BenchmarkStdTokens only walks the tokens, without using them.
func BenchmarkStdTokens(b *testing.B) {
	payload := readPayload(b)
	r := bytes.NewReader(nil)
	for b.Loop() {
		r.Reset(payload)
		d := json.NewDecoder(r)
		d.UseNumber()
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func extractFastjson(v *fastjson.Value) {
	sink.id = v.GetStringBytes("id")
	sink.model = v.GetStringBytes("model")
	sink.version = v.GetStringBytes("model_version")
	sink.ts, _ = time.Parse(time.RFC3339, string(v.GetStringBytes("timestamp")))
	f := v.Get("features")
	for i, n := range numericNames {
		sink.num[i] = f.GetFloat64(n)
	}
	for i, n := range categoricalNames {
		c := f.Get(n)
		if c.Type() == fastjson.TypeString {
			sink.cat[i] = c.GetStringBytes()
		} else {
			sink.cat[i] = c.MarshalTo(sink.cat[i][:0])
		}
	}
	sink.pred = v.GetStringBytes("prediction")
	sink.score = v.GetFloat64("score")
}

// BenchmarkFastjsonValidateParse validates first: Parser.Parse alone
// accepts invalid JSON (valyala/fastjson issues #88 and #119).
func BenchmarkFastjsonValidateParse(b *testing.B) {
	payload := readPayload(b)
	var p fastjson.Parser
	for b.Loop() {
		if err := fastjson.ValidateBytes(payload); err != nil {
			b.Fatal(err)
		}
		v, err := p.ParseBytes(payload)
		if err != nil {
			b.Fatal(err)
		}
		extractFastjson(v)
	}
}

func BenchmarkFastjsonParseOnly(b *testing.B) {
	payload := readPayload(b)
	var p fastjson.Parser
	for b.Loop() {
		v, err := p.ParseBytes(payload)
		if err != nil {
			b.Fatal(err)
		}
		extractFastjson(v)
	}
}

var jsonparserPaths = func() [][]string {
	ps := [][]string{{"id"}, {"model"}, {"model_version"}, {"timestamp"}, {"prediction"}, {"score"}}
	for _, n := range append(append([]string{}, numericNames...), categoricalNames...) {
		ps = append(ps, []string{"features", n})
	}
	return ps
}()

// BenchmarkJsonparserEachKey does not validate what it skips.
func BenchmarkJsonparserEachKey(b *testing.B) {
	payload := readPayload(b)
	for b.Loop() {
		jsonparser.EachKey(payload, func(idx int, v []byte, _ jsonparser.ValueType, _ error) {
			switch {
			case idx == 0:
				sink.id = v
			case idx == 1:
				sink.model = v
			case idx == 2:
				sink.version = v
			case idx == 3:
				sink.ts, _ = time.Parse(time.RFC3339, string(v))
			case idx == 4:
				sink.pred = v
			case idx == 5:
				sink.score, _ = jsonparser.ParseFloat(v)
			case idx < 18:
				sink.num[idx-6], _ = jsonparser.ParseFloat(v)
			default:
				sink.cat[idx-18] = v
			}
		}, jsonparserPaths...)
	}
}

// BenchmarkFloor parses the payload's 13 numbers and its timestamp alone.
func BenchmarkFloor(b *testing.B) {
	nums := []string{"42", "37", "89.45", "3312.6000000000004", "3", "23.75", "4", "2", "14.302", "0.15", "-12.5e2", "712", "0.8731"}
	b.ReportAllocs()
	for b.Loop() {
		for i, n := range nums[:12] {
			sink.num[i], _ = strconv.ParseFloat(n, 64)
		}
		sink.score, _ = strconv.ParseFloat(nums[12], 64)
		sink.ts, _ = time.Parse(time.RFC3339, "2026-03-14T09:26:53.589Z")
	}
}
