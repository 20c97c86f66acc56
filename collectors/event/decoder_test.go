package event

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
)

func TestNewDecoderErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(c *collectors.ModelConfig)
		wantErr string
	}{
		{"no model name", func(c *collectors.ModelConfig) { c.Name = "" }, "model name is required"},
		{"unknown prediction kind", func(c *collectors.ModelConfig) { c.Prediction.Kind = "ranking" }, `unknown prediction kind "ranking"`},
		{"unknown feature type", func(c *collectors.ModelConfig) { c.Features[1].Type = "text" }, `feature "plan": unknown type "text"`},
		{"empty path segment", func(c *collectors.ModelConfig) { c.Features[0].Field = "features..age" }, `features[0] "age": field path "features..age" has an empty segment`},
		{"no decision threshold", func(c *collectors.ModelConfig) { c.Prediction.DecisionThreshold = 0 }, "decision threshold 0 is outside (0, 1)"},
		{"invalid UTF-8 in a path", func(c *collectors.ModelConfig) { c.Source.Fields.ID = "i\xffd" }, "is not valid UTF-8"},
		{
			name:    "a path through a read value",
			edit:    func(c *collectors.ModelConfig) { c.Source.Fields.Prediction, c.Source.Fields.Score = "out", "out.p" },
			wantErr: `prediction events: score path "out.p" leads through "out", which is read as a value`,
		},
		{
			name:    "a read value that other paths lead through",
			edit:    func(c *collectors.ModelConfig) { c.Source.Fields.Prediction = "features" },
			wantErr: `prediction path "features" is also the object of other fields`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig()
			tt.edit(&cfg)
			_, err := NewDecoder(cfg)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		stream  kafkasource.Stream
		want    Kind
		wantErr string
	}{
		{kafkasource.StreamPredictions, KindPrediction, ""},
		{kafkasource.StreamFeatures, KindFeatures, ""},
		{kafkasource.StreamLabels, KindLabel, ""},
		{"metrics", "", `no event kind for stream "metrics"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.stream), func(t *testing.T) {
			got, err := KindOf(tt.stream)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.NoError(t, got.Validate())
		})
	}
}

func TestReasons(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		require.False(t, seen[r], "%s listed twice", r)
		require.Regexp(t, `^[a-z_]+$`, string(r))
		seen[r] = true
	}
	require.Len(t, seen, 12)
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Reason
	}{
		{"nil", nil, ""},
		{"another error", errors.New("boom"), ""},
		{"a rejection", &Error{Reason: ReasonWrongType}, ReasonWrongType},
		{"a wrapped rejection", fmt.Errorf("partition 3: %w", &Error{Reason: ReasonUnknownModel}), ReasonUnknownModel},
		{"an oversized message", Oversized(2_000_000, 1_048_576), ReasonOversized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ReasonOf(tt.err))
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"whole payload", &Error{Reason: ReasonMalformedJSON, Detail: "offset 3: got \"x\", want ':'"}, `event rejected: malformed_json: offset 3: got "x", want ':'`},
		{"with a path", &Error{Reason: ReasonWrongType, Path: "features.age", Detail: "got true, want a number"}, "event rejected: wrong_type: features.age: got true, want a number"},
		{"oversized", Oversized(2_000_000, 1_048_576), "event rejected: oversized: 2000000 bytes exceeds the limit of 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short", "abc", `"abc"`},
		{"exactly the bound", "0123456789abcdef0123456789abcdef", `"0123456789abcdef0123456789abcdef"`},
		{"cut", "0123456789abcdef0123456789abcdefXYZ", `"0123456789abcdef0123456789abcdef"...`},
		{"cut at a rune boundary", "0123456789abcdef0123456789abcdeé", `"0123456789abcdef0123456789abcde"...`},
		{"invalid UTF-8 is escaped", "a\xffb", `"a\xffb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, excerpt([]byte(tt.in)))
		})
	}
}
