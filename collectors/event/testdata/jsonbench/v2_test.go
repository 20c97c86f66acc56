//go:build goexperiment.jsonv2

package jsonbench

import (
	"bytes"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"io"
	"testing"
)

// encoding/json/v2 needs GOEXPERIMENT=jsonv2 in Go 1.26.

func BenchmarkV2UnmarshalStruct(b *testing.B) {
	payload := readPayload(b)
	var e stdEvent
	for b.Loop() {
		if err := jsonv2.Unmarshal(payload, &e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkV2ReadToken walks the tokens and converts the numbers.
func BenchmarkV2ReadToken(b *testing.B) {
	payload := readPayload(b)
	r := bytes.NewReader(nil)
	d := jsontext.NewDecoder(r)
	for b.Loop() {
		r.Reset(payload)
		d.Reset(r)
		for {
			tok, err := d.ReadToken()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if tok.Kind() == '0' {
				sink.score = tok.Float()
			}
		}
	}
}
