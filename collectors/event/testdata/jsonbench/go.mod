// Module jsonbench benchmarks the JSON parsers that package event was
// chosen against, on the same payload. It is a separate module so that the
// candidates stay out of driftwatch's go.mod; see docs/decoding.md.
module jsonbench

go 1.26

require (
	github.com/buger/jsonparser v1.6.1
	github.com/goccy/go-json v0.12.0
	github.com/valyala/fastjson v1.6.10
)
