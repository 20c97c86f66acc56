package demo

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Defaults and bounds of Fit.
const (
	// DefaultL2 is the ridge penalty per example. It is sklearn's C = 1
	// for about a thousand rows: a mild shrinkage that keeps the one-hot
	// weights identifiable and barely moves the others.
	DefaultL2 = 1e-3
	// DefaultThreshold is the decision threshold a fitted model gets.
	DefaultThreshold = 0.5
	// maxIterations bounds Newton's method, which converges in about eight
	// iterations on the demo's data.
	maxIterations = 50
	// gradientTolerance stops Newton's method once no component of the
	// objective's gradient exceeds it.
	gradientTolerance = 1e-9
)

// FitOptions tune Fit. The zero value takes the defaults.
type FitOptions struct {
	// L2 is λ in the objective, the mean log loss plus λ/2 times the sum
	// of the squared weights (the intercept is not penalised). Zero means
	// DefaultL2.
	L2 float64
	// Threshold is the model's decision threshold. Zero means
	// DefaultThreshold.
	Threshold float64
}

// Fit trains a logistic regression named name on examples, which must hold
// both classes. The model has no version yet; the caller sets one.
//
// Fit minimises the penalised log loss with Newton's method, whose steps
// solve the Hessian system by Cholesky factorisation (iteratively
// reweighted least squares), with a backtracking line search. The
// objective is strictly convex, so the minimum is unique, and for a few
// thousand rows and 27 columns Fit takes milliseconds. The result is
// deterministic: the same examples in the same order give the same model,
// bit for bit.
func Fit(name string, examples []Example, opts FitOptions) (*Model, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	positives := 0
	for _, e := range examples {
		if e.Default {
			positives++
		}
	}
	if positives == 0 || positives == len(examples) {
		return nil, fmt.Errorf("fit: the %d examples hold one class only (%d defaults)", len(examples), positives)
	}
	m := &Model{
		Format: ModelFormat, Name: name, Threshold: opts.Threshold,
		Training: TrainingSummary{Rows: len(examples), Positives: positives, L2: opts.L2},
	}
	m.standardisation(examples)
	x, y := m.design(examples)
	beta, iterations, err := newton(x, y, opts.L2)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	m.setWeights(beta)
	m.Training.Iterations = iterations
	m.buildIndex()
	return m, nil
}

func (o FitOptions) withDefaults() FitOptions {
	if o.L2 == 0 {
		o.L2 = DefaultL2
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	return o
}

func (o FitOptions) validate() error {
	var errs []error
	if !(o.L2 > 0) || math.IsInf(o.L2, 1) {
		errs = append(errs, fmt.Errorf("l2 %v is not a positive number", o.L2))
	}
	if !(o.Threshold > 0 && o.Threshold < 1) {
		errs = append(errs, fmt.Errorf("threshold %v is outside (0, 1)", o.Threshold))
	}
	return errors.Join(errs...)
}

// standardisation sets the numeric features' names, means and population
// standard deviations from the examples. A constant feature gets a
// standard deviation of 1, so its standardised value is 0.
func (m *Model) standardisation(examples []Example) {
	m.Numeric = make([]NumericWeight, NumNumeric)
	col := make([]float64, len(examples))
	for i := range m.Numeric {
		for k, e := range examples {
			col[k] = e.Row.Num[i]
		}
		mean := floats.Sum(col) / float64(len(col))
		var ss float64
		for _, x := range col {
			ss += (x - mean) * (x - mean)
		}
		std := math.Sqrt(ss / float64(len(col)))
		if std == 0 {
			std = 1
		}
		m.Numeric[i] = NumericWeight{Name: numericNames[i], Mean: mean, Std: std}
	}
}

// columns returns the width of the design matrix: the intercept, the
// numeric features and every level of every categorical feature.
func columns() int {
	p := 1 + NumNumeric
	for _, ls := range levels {
		p += len(ls)
	}
	return p
}

// design returns the design matrix of the examples, whose first column is
// the intercept's, and their outcomes as 0 and 1.
func (m *Model) design(examples []Example) (*mat.Dense, []float64) {
	p := columns()
	x := mat.NewDense(len(examples), p, nil)
	y := make([]float64, len(examples))
	for k, e := range examples {
		row := x.RawRowView(k)
		row[0] = 1
		for i, w := range m.Numeric {
			row[1+i] = (e.Row.Num[i] - w.Mean) / w.Std
		}
		off := 1 + NumNumeric
		for i, ls := range levels {
			if j := slices.Index(ls, e.Row.Cat[i]); j >= 0 {
				row[off+j] = 1
			}
			off += len(ls)
		}
		if e.Default {
			y[k] = 1
		}
	}
	return x, y
}

// setWeights copies the fitted coefficients into the model.
func (m *Model) setWeights(beta []float64) {
	m.Intercept = beta[0]
	for i := range m.Numeric {
		m.Numeric[i].Weight = beta[1+i]
	}
	m.Categorical = make([]CategoricalWeight, NumCategorical)
	off := 1 + NumNumeric
	for i, ls := range levels {
		m.Categorical[i] = CategoricalWeight{
			Name: categoricalNames[i], Levels: slices.Clone(ls), Weights: slices.Clone(beta[off : off+len(ls)]),
		}
		off += len(ls)
	}
}
