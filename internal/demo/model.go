package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// ModelFormat is the format version of the model artifact this package
// writes and reads.
const ModelFormat = 1

// Model is a logistic regression over the demo's features: the log-odds of
// default are the intercept, plus a weight times each numeric feature
// standardised with the training data's mean and standard deviation, plus
// the weight of each categorical feature's value (one-hot encoding, every
// level kept; the L2 penalty makes the weights identifiable). A value the
// model has no level for adds nothing.
//
// A Model comes from Fit or DecodeModel and is immutable afterwards, so one
// Model may score rows from any number of goroutines. Its JSON encoding is
// the model artifact.
type Model struct {
	// Format is ModelFormat.
	Format int `json:"format"`
	// Name is the model's name in driftwatch's configuration.
	Name string `json:"model"`
	// Version identifies the artifact: "v1" for the first champion,
	// "v<N>-<hash of the weights>" for retrained ones.
	Version string `json:"version"`
	// Threshold turns a score into a class: a score at or above it
	// predicts a default.
	Threshold   float64             `json:"threshold"`
	Intercept   float64             `json:"intercept"`
	Numeric     []NumericWeight     `json:"numeric"`
	Categorical []CategoricalWeight `json:"categorical"`
	Training    TrainingSummary     `json:"training"`

	// index maps each categorical feature's levels to their weights.
	index [NumCategorical]map[string]int
}

// NumericWeight is the weight of one numeric feature and the mean and
// standard deviation that standardise it.
type NumericWeight struct {
	Name   string  `json:"name"`
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`
	Weight float64 `json:"weight"`
}

// CategoricalWeight holds the weight of each level of one categorical
// feature.
type CategoricalWeight struct {
	Name    string    `json:"name"`
	Levels  []string  `json:"levels"`
	Weights []float64 `json:"weights"`
}

// TrainingSummary records how the model was fitted.
type TrainingSummary struct {
	Rows       int     `json:"rows"`
	Positives  int     `json:"positives"`
	L2         float64 `json:"l2"`
	Iterations int     `json:"iterations"`
}

// Predict returns the model's probability that the applicant of r
// defaults.
func (m *Model) Predict(r Row) float64 {
	z := m.Intercept
	for i, w := range m.Numeric {
		z += w.Weight * (r.Num[i] - w.Mean) / w.Std
	}
	for i, c := range m.Categorical {
		if j, ok := m.index[i][r.Cat[i]]; ok {
			z += c.Weights[j]
		}
	}
	return sigmoid(z)
}

// Class returns the class the model predicts for a score: "1" (default)
// at or above the threshold, as driftwatch derives it from a score.
func (m *Model) Class(score float64) string {
	if score >= m.Threshold {
		return positiveClass
	}
	return negativeClass
}

// Encode validates m and returns the artifact: indented JSON ending in a
// newline. The same model always encodes to the same bytes.
func (m *Model) Encode() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	return append(data, '\n'), nil
}

// DecodeModel parses and validates an artifact written by Encode. It
// rejects unknown fields, other format versions and models of other
// features than the demo's.
func DecodeModel(data []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode model: data after the model object")
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	m.buildIndex()
	return &m, nil
}

// ReadModel reads and decodes an artifact file.
func ReadModel(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := DecodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	return m, nil
}

// WriteFile writes the artifact to path atomically.
func (m *Model) WriteFile(path string) error {
	data, err := m.Encode()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data)
}

// validate reports every problem with m at once.
func (m *Model) validate() error {
	var errs []error
	if m.Format != ModelFormat {
		errs = append(errs, fmt.Errorf("format %d is not supported (supported: %d)", m.Format, ModelFormat))
	}
	if m.Name == "" {
		errs = append(errs, errors.New("model: is required"))
	}
	if m.Version == "" {
		errs = append(errs, errors.New("version: is required"))
	}
	if !(m.Threshold > 0 && m.Threshold < 1) {
		errs = append(errs, fmt.Errorf("threshold: %v is outside (0, 1)", m.Threshold))
	}
	errs = append(errs, checkFinite("intercept", m.Intercept))
	errs = append(errs, m.validateNumeric()...)
	errs = append(errs, m.validateCategorical()...)
	return errors.Join(errs...)
}

func (m *Model) validateNumeric() []error {
	if len(m.Numeric) != NumNumeric {
		return []error{fmt.Errorf("numeric: %d features, want %d", len(m.Numeric), NumNumeric)}
	}
	var errs []error
	for i, w := range m.Numeric {
		path := fmt.Sprintf("numeric[%d]", i)
		if w.Name != numericNames[i] {
			errs = append(errs, fmt.Errorf("%s.name: %q, want %q", path, w.Name, numericNames[i]))
		}
		errs = append(errs, checkFinite(path+".mean", w.Mean), checkFinite(path+".weight", w.Weight))
		if !(w.Std > 0) || math.IsInf(w.Std, 1) {
			errs = append(errs, fmt.Errorf("%s.std: %v is not a positive number", path, w.Std))
		}
	}
	return errs
}

func (m *Model) validateCategorical() []error {
	if len(m.Categorical) != NumCategorical {
		return []error{fmt.Errorf("categorical: %d features, want %d", len(m.Categorical), NumCategorical)}
	}
	var errs []error
	for i, c := range m.Categorical {
		path := fmt.Sprintf("categorical[%d]", i)
		if c.Name != categoricalNames[i] {
			errs = append(errs, fmt.Errorf("%s.name: %q, want %q", path, c.Name, categoricalNames[i]))
		}
		if !slices.Equal(c.Levels, levels[i]) {
			errs = append(errs, fmt.Errorf("%s.levels: %q, want %q", path, c.Levels, levels[i]))
		}
		if len(c.Weights) != len(c.Levels) {
			errs = append(errs, fmt.Errorf("%s.weights: %d weights for %d levels", path, len(c.Weights), len(c.Levels)))
		}
		for j, w := range c.Weights {
			errs = append(errs, checkFinite(fmt.Sprintf("%s.weights[%d]", path, j), w))
		}
	}
	return errs
}

// buildIndex maps every level of a validated model to its weight.
func (m *Model) buildIndex() {
	for i, c := range m.Categorical {
		m.index[i] = make(map[string]int, len(c.Levels))
		for j, l := range c.Levels {
			m.index[i][l] = j
		}
	}
}

func checkFinite(path string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%s: %v is not finite", path, x)
	}
	return nil
}

// contentHash returns the first eight hex digits of the SHA-256 of m's
// artifact without its version, which names the weights whatever version
// they are given.
func (m *Model) contentHash() (string, error) {
	c := *m
	c.Version = ""
	data, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:4]), nil
}
