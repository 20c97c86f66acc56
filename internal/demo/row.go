package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// The numeric features of the demo model: their positions in Row.Num.
const (
	Age = iota
	Income
	DebtRatio
	CreditLines
	Utilization
	MonthsEmployed
	LoanAmount
	// NumNumeric is the number of numeric features.
	NumNumeric
)

// The categorical features of the demo model: their positions in Row.Cat.
const (
	Term = iota
	Employment
	Region
	HomeOwnership
	Purpose
	// NumCategorical is the number of categorical features.
	NumCategorical
)

var (
	numericNames     = [NumNumeric]string{"age", "income", "debt_ratio", "credit_lines", "utilization", "months_employed", "loan_amount"}
	categoricalNames = [NumCategorical]string{"term", "employment", "region", "home_ownership", "purpose"}
	// levels are every value a categorical feature takes, in a fixed order:
	// the model's one-hot columns.
	levels = [NumCategorical][]string{
		Term:          {"36", "60"},
		Employment:    {"salaried", "self_employed", "contract", "retired", "unemployed"},
		Region:        {"north", "south", "east", "west"},
		HomeOwnership: {"rent", "mortgage", "own"},
		Purpose:       {"debt_consolidation", "credit_card", "home_improvement", "car", "other"},
	}
)

// Row holds the features of one loan application: the numeric ones in Num
// and the categorical ones in Cat, indexed by the constants above.
type Row struct {
	Num [NumNumeric]float64
	Cat [NumCategorical]string
}

// Features returns the demo model's features as a model configuration
// declares them: the numeric ones, then the categorical ones, in Row order.
func Features() []collectors.FeatureConfig {
	fs := make([]collectors.FeatureConfig, 0, NumNumeric+NumCategorical)
	for _, name := range numericNames {
		fs = append(fs, collectors.FeatureConfig{Name: name, Type: drift.Numeric})
	}
	for _, name := range categoricalNames {
		fs = append(fs, collectors.FeatureConfig{Name: name, Type: drift.Categorical})
	}
	return fs
}

// appendFields appends the features as JSON object members, without the
// braces, in Row order. Numbers are written in plain decimal, shortest
// form, so they read back exactly.
func (r Row) appendFields(b []byte) []byte {
	for i, x := range r.Num {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, numericNames[i])
		b = append(b, ':')
		b = strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	for i, v := range r.Cat {
		b = append(b, ',')
		b = strconv.AppendQuote(b, categoricalNames[i])
		b = append(b, ':')
		b = appendString(b, v)
	}
	return b
}

// MarshalJSON writes the row as a flat JSON object, the "features" object
// of a prediction event.
func (r Row) MarshalJSON() ([]byte, error) {
	b := append(r.appendFields([]byte{'{'}), '}')
	return b, nil
}

// UnmarshalJSON reads a flat object written by MarshalJSON. Every feature
// is required, with a number for a numeric feature and a string for a
// categorical one; other keys are errors.
func (r *Row) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	if err := r.take(fields); err != nil {
		return err
	}
	return unknownKeys(fields)
}

// take reads every feature from fields and deletes its key, leaving the
// keys that are not features.
func (r *Row) take(fields map[string]json.RawMessage) error {
	for i, name := range numericNames {
		raw, ok := fields[name]
		if !ok {
			return fmt.Errorf("%s is missing", name)
		}
		if err := json.Unmarshal(raw, &r.Num[i]); err != nil || bytes.Equal(raw, []byte("null")) {
			return fmt.Errorf("%s: want a number, got %s", name, raw)
		}
		delete(fields, name)
	}
	for i, name := range categoricalNames {
		v, err := takeString(fields, name)
		if err != nil {
			return err
		}
		r.Cat[i] = v
	}
	return nil
}

// unknownKeys reports the first left-over key in byte order, if any.
func unknownKeys(fields map[string]json.RawMessage) error {
	if len(fields) == 0 {
		return nil
	}
	return fmt.Errorf("unknown key %q", slices.Sorted(maps.Keys(fields))[0])
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		panic(err) // A string always marshals.
	}
	return append(b, q...)
}
