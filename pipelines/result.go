package pipelines

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// MaxResultBytes bounds a step's result. It is the size of a Kubernetes
// container's termination message, which carries results there.
const MaxResultBytes = 4096

// Result is the JSON a train or evaluate step writes to DRIFTWATCH_RESULT.
// docs/pipelines.md documents it.
type Result struct {
	// Metrics are the step's metrics: training metrics for train, the
	// challenger's holdout metrics for evaluate.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// ChampionMetrics are the champion's metrics on the same holdout
	// (evaluate, when there is a champion).
	ChampionMetrics map[string]float64 `json:"champion_metrics,omitempty"`
	// ModelURI is where the trained model is (train, required).
	ModelURI string `json:"model_uri,omitempty"`
	// Version names the trained model (train, optional; the run ID when
	// left out).
	Version string `json:"version,omitempty"`
	// ProfileURI is the driftwatch reference profile of the training data
	// (train, required).
	ProfileURI string `json:"profile_uri,omitempty"`
}

var versionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// ParseResult decodes and checks the result of the named step (train or
// evaluate). It accepts exactly one JSON object of at most MaxResultBytes
// with only the fields that the step reports, finite numbers and the
// step's required fields; any other input is an error that says what is
// wrong.
func ParseResult(step string, data []byte) (Result, error) {
	var r Result
	if len(data) > MaxResultBytes {
		return r, fmt.Errorf("result is larger than %d bytes", MaxResultBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return r, errors.New("result is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("result is not a valid result object: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return r, errors.New("result has data after its JSON object")
	}
	var errs []error
	for _, m := range []struct {
		field string
		v     map[string]float64
	}{{"metrics", r.Metrics}, {"champion_metrics", r.ChampionMetrics}} {
		errs = append(errs, checkMetrics(m.field, m.v)...)
	}
	switch step {
	case StepTrain:
		if r.ModelURI == "" {
			errs = append(errs, errors.New("model_uri is required"))
		}
		if r.ProfileURI == "" {
			errs = append(errs, errors.New("profile_uri is required (the reference profile of the training data)"))
		}
		if r.Version != "" && !versionName.MatchString(r.Version) {
			errs = append(errs, fmt.Errorf("version %q must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit", r.Version))
		}
		if r.ChampionMetrics != nil {
			errs = append(errs, errors.New("champion_metrics is reported by the evaluate step, not train"))
		}
	case StepEvaluate:
		if len(r.Metrics) == 0 {
			errs = append(errs, errors.New("metrics is required (the challenger's metrics on the holdout)"))
		}
		for name, v := range map[string]string{"model_uri": r.ModelURI, "version": r.Version, "profile_uri": r.ProfileURI} {
			if v != "" {
				errs = append(errs, fmt.Errorf("%s is reported by the train step, not evaluate", name))
			}
		}
	default:
		return r, fmt.Errorf("no result is defined for step %q", step)
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return r, errors.Join(errs...)
}

func checkMetrics(field string, m map[string]float64) []error {
	var errs []error
	for name, v := range m {
		if name == "" || len(name) > 128 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a metric name (1 to 128 printable characters)", field, name))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s.%s: must be a finite number", field, name))
		}
	}
	return errs
}
