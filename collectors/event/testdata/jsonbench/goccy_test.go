package jsonbench

import (
	"testing"

	gojson "github.com/goccy/go-json"
)

// goccy/go-json is a drop-in replacement for encoding/json that generates
// decoders per type at run time.

func BenchmarkGoccyUnmarshalStruct(b *testing.B) {
	payload := readPayload(b)
	var e stdEvent
	for b.Loop() {
		if err := gojson.Unmarshal(payload, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoccyUnmarshalMap(b *testing.B) {
	payload := readPayload(b)
	for b.Loop() {
		var m map[string]any
		if err := gojson.Unmarshal(payload, &m); err != nil {
			b.Fatal(err)
		}
		f := m["features"].(map[string]any)
		for i, n := range numericNames {
			sink.num[i] = f[n].(float64)
		}
	}
}
