package event

import (
	"testing"
)

// BenchmarkDecodePrediction20 decodes a 765-byte prediction event of a
// 20-feature model (testdata/prediction20.json) on one goroutine.
func BenchmarkDecodePrediction20(b *testing.B) {
	d := newTestDecoder(b, churnConfig())
	payload := readPayload(b)
	var ev Event
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.DecodeJSON(&ev, KindPrediction, payload, kafkaTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePrediction20Parallel decodes the same event on every
// processor, with one Decoder per goroutine.
func BenchmarkDecodePrediction20Parallel(b *testing.B) {
	cfg := churnConfig()
	payload := readPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := newTestDecoder(b, cfg)
		var ev Event
		for pb.Next() {
			if err := d.DecodeJSON(&ev, KindPrediction, payload, kafkaTime); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDecodeCSV20 decodes a replay record of the same 20-feature
// event, as encoding/csv returns it.
func BenchmarkDecodeCSV20(b *testing.B) {
	d := newTestDecoder(b, churnConfig())
	header := append([]string{"id", "model", "model_version", "timestamp", "prediction", "score"}, churnNumeric...)
	header = append(header, churnCategorical...)
	record := []string{"7f3c2a9e-1b4d-4c8e-9a6f-2d5e8b1c0a37", "churn", "2026-03-01.4", "2026-03-14T09:26:53.589Z", "churn", "0.8731",
		"42", "37", "89.45", "3312.6000000000004", "3", "23.75", "4", "2", "14.302", "0.15", "-12.5e2", "712",
		"month-to-month", "credit_card", "premium", "eu-west-1", "female", "true", "fiber", "search"}
	c, err := d.CSV(KindPrediction, header)
	if err != nil {
		b.Fatal(err)
	}
	var ev Event
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Decode(&ev, record, kafkaTime); err != nil {
			b.Fatal(err)
		}
	}
}
