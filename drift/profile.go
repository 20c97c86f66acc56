package drift

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"math"
	"time"
)

// ProfileVersion is the format version this package writes and reads.
// A change that an older reader would misread bumps it.
const ProfileVersion = 1

// Profile describes the training data of one model: for every feature and
// for the prediction, how often it is missing and how its values are
// distributed. Drift statistics compare each production window with it.
//
// A Profile is built once by a ProfileBuilder, stored as JSON with Encode
// and read back with DecodeProfile. Treat it as immutable once built:
// accumulators keep pointers into it.
type Profile struct {
	// Version is the format version, ProfileVersion.
	Version int `json:"version"`
	// Model names the model the profile belongs to.
	Model string `json:"model"`
	// ModelVersion optionally names the model's version.
	ModelVersion string `json:"model_version,omitempty"`
	// CreatedAt is when the profile was built, in UTC, as supplied by the
	// caller.
	CreatedAt time.Time `json:"created_at"`
	// Rows is the number of training rows profiled. Every feature saw
	// exactly Rows observations, present or missing.
	Rows int64 `json:"rows"`
	// Options are the settings the profile was built with.
	Options ProfileOptions `json:"options"`
	// Features holds one profile per model input, in the model's order.
	Features []FeatureProfile `json:"features"`
	// Prediction profiles the model's output, when it was profiled.
	Prediction *FeatureProfile `json:"prediction,omitempty"`
}

// FeatureProfile describes one column of the training data. The fields in
// the first group apply to every column; the others apply to numeric or to
// categorical columns only, as marked, and are empty for the other type.
//
// Numeric bins are closed on the right; Edges holds only the inner edges,
// because JSON cannot hold the outer edges -Inf and +Inf. Counts has one
// entry per bin, len(Edges)+1, and counts -Inf in the first bin and +Inf in
// the last. NaN and missing values are in no bin.
type FeatureProfile struct {
	// Name is the column's name, unique within the profile.
	Name string `json:"name"`
	// Type says whether the column is numeric or categorical.
	Type FeatureType `json:"type"`
	// Count is the number of observations, including missing ones.
	Count int64 `json:"count"`
	// Missing counts observations where the value was absent or empty.
	Missing int64 `json:"missing"`
	// Approximate reports that the column exceeded a build-time bound: for
	// a numeric column, Edges and Counts come from a uniform sample of
	// Options.QuantileSampleSize values; for a categorical column, values
	// first seen after Options.MaxDistinct distinct values were counted in
	// Other.
	Approximate bool `json:"approximate,omitempty"`

	// NaN counts NaN values (numeric only).
	NaN int64 `json:"nan,omitempty"`
	// PosInf counts +Inf values (numeric only).
	PosInf int64 `json:"pos_inf,omitempty"`
	// NegInf counts -Inf values (numeric only).
	NegInf int64 `json:"neg_inf,omitempty"`
	// Mean is the mean of the finite values, 0 when there are none
	// (numeric only).
	Mean float64 `json:"mean,omitempty"`
	// Std is the population standard deviation of the finite values, 0
	// when there are none (numeric only).
	Std float64 `json:"std,omitempty"`

	// Categories are the most frequent values, most frequent first, ties
	// in byte order of the value (categorical only).
	Categories []string `json:"categories,omitempty"`
	// Other counts the present values outside Categories (categorical
	// only).
	Other int64 `json:"other,omitempty"`

	// Edges are the strictly increasing inner bin edges (numeric only).
	Edges []float64 `json:"edges,omitempty"`
	// Counts holds the reference counts: one per bin for a numeric column,
	// one per entry of Categories for a categorical one.
	Counts []int64 `json:"counts,omitempty"`
	// Sample is a sorted uniform sample of the finite values, all of them
	// when there are at most Options.SampleSize (numeric only).
	Sample []float64 `json:"sample,omitempty"`
}

// Finite returns the number of finite values of a numeric column: its
// observations that were not missing, NaN or infinite.
func (f *FeatureProfile) Finite() int64 {
	return f.Count - f.Missing - f.NaN - f.PosInf - f.NegInf
}

// Feature returns the profile of the named feature. The prediction is not
// a feature; use the Prediction field.
func (p *Profile) Feature(name string) (*FeatureProfile, bool) {
	i, ok := p.FeatureIndex(name)
	if !ok {
		return nil, false
	}
	return &p.Features[i], true
}

// FeatureIndex returns the position of the named feature in Features.
func (p *Profile) FeatureIndex(name string) (int, bool) {
	for i := range p.Features {
		if p.Features[i].Name == name {
			return i, true
		}
	}
	return -1, false
}

// Encode validates p and returns it as indented JSON ending in a newline.
// The output is deterministic: the same profile always encodes to the same
// bytes.
func (p *Profile) Encode() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	return append(data, '\n'), nil
}

// DecodeProfile parses and validates a profile written by Encode. It
// rejects unknown format versions and unknown fields, and reports every
// validation problem at once, each prefixed with its field path.
func DecodeProfile(data []byte) (*Profile, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	switch {
	case head.Version == nil:
		return nil, fmt.Errorf("decode profile: version is missing (supported: %d)", ProfileVersion)
	case *head.Version != ProfileVersion:
		return nil, fmt.Errorf("decode profile: version %d is not supported (supported: %d)", *head.Version, ProfileVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	return &p, nil
}

// fingerprint hashes everything about a feature that accumulators depend
// on, so that accumulators built from separately decoded copies of one
// profile can be merged and those built from different profiles cannot.
func (f *FeatureProfile) fingerprint() uint64 {
	h := newHasher()
	h.string(f.Name)
	h.string(string(f.Type))
	h.ints(f.Count, f.Missing, f.NaN, f.PosInf, f.NegInf, f.Other)
	h.int(int64(len(f.Edges)))
	for _, e := range f.Edges {
		h.int(int64(math.Float64bits(e)))
	}
	h.int(int64(len(f.Categories)))
	for _, c := range f.Categories {
		h.string(c)
	}
	h.ints(f.Counts...)
	return h.Sum64()
}

// fingerprint hashes the profile's identity and every column's
// fingerprint.
func (p *Profile) fingerprint() uint64 {
	h := newHasher()
	h.string(p.Model)
	h.string(p.ModelVersion)
	h.ints(p.CreatedAt.UnixNano(), p.Rows, int64(len(p.Features)))
	for i := range p.Features {
		h.int(int64(p.Features[i].fingerprint()))
	}
	if p.Prediction != nil {
		h.int(int64(p.Prediction.fingerprint()))
	}
	return h.Sum64()
}

// hasher feeds length-prefixed fields to FNV-1a, so that different field
// sequences cannot produce the same byte stream.
type hasher struct {
	hash.Hash64
	buf [8]byte
}

func newHasher() *hasher { return &hasher{Hash64: fnv.New64a()} }

func (h *hasher) int(v int64) {
	binary.LittleEndian.PutUint64(h.buf[:], uint64(v))
	h.Write(h.buf[:])
}

func (h *hasher) ints(vs ...int64) {
	for _, v := range vs {
		h.int(v)
	}
}

func (h *hasher) string(s string) {
	h.int(int64(len(s)))
	io.WriteString(h, s)
}
