package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Phase says which side of the shift a draw comes from.
type Phase string

// The phases of the world.
const (
	// Baseline is the world the first model is trained on.
	Baseline Phase = "baseline"
	// Shifted is the world after the shift.
	Shifted Phase = "shifted"
)

// World is the synthetic population of loan applicants, before and after
// its Shift. It holds no state, so one World serves any number of
// goroutines; each draw takes the caller's generator.
type World struct {
	Shift Shift
}

// Shift is a recession. At magnitude 1, the applicants' incomes are 30%
// lower, their card utilization is higher (its median moves from 0.31 to
// 0.55), the unemployed make up 20% of them rather than 5%, and the odds of
// default follow the recession's coefficients: months in employment, the
// region, the loan's size and purpose and the term weigh more, and income,
// debt ratio and utilization less. Smaller magnitudes
// move everything proportionally less; 0 is no shift.
type Shift struct {
	// Magnitude is in [0, 1].
	Magnitude float64
}

// DefaultShift is the shift the demo applies: the full recession.
func DefaultShift() Shift { return Shift{Magnitude: 1} }

// Validate reports a magnitude outside [0, 1].
func (s Shift) Validate() error {
	if !(s.Magnitude >= 0 && s.Magnitude <= 1) {
		return fmt.Errorf("shift magnitude %v is outside [0, 1]", s.Magnitude)
	}
	return nil
}

// Features names the features whose distribution the shift moves, in Row
// order; none at magnitude 0. The others keep their distribution, though
// their relation to default changes.
func (s Shift) Features() []string {
	if s.Magnitude == 0 {
		return nil
	}
	return []string{numericNames[Income], numericNames[Utilization], categoricalNames[Employment]}
}

// Example is one loan application and whether the applicant defaulted.
// ID and Time are set when the application is served; a fresh draw has
// neither.
type Example struct {
	ID      string
	Time    time.Time
	Row     Row
	Default bool
}

// Label returns the example's class as events carry it: "1" for a default,
// "0" otherwise.
func (e Example) Label() string {
	if e.Default {
		return positiveClass
	}
	return negativeClass
}

// The classes of the demo model.
const (
	positiveClass = "1"
	negativeClass = "0"
)

// NewRand returns the generator of one stream of a seed. Draws from
// different streams of a seed are independent.
func NewRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// Draw returns one application of phase p, labelled by the phase's true
// default probability. It panics if the shift is invalid or p unknown.
func (w World) Draw(rng *rand.Rand, p Phase) Example {
	m := w.magnitude(p)
	var r Row
	r.Num[Age] = math.Round(clamp(42+12*rng.NormFloat64(), 18, 85))
	r.Num[Income] = math.Round(math.Exp(10.8+0.45*rng.NormFloat64())*(1-0.3*m)/10) * 10
	r.Num[DebtRatio] = round3(clamp(0.3+0.12*rng.NormFloat64(), 0, 1.2))
	r.Num[CreditLines] = float64(poisson(rng, 5))
	r.Num[Utilization] = round3(sigmoid(-0.8 + 1.0*m + 0.9*rng.NormFloat64()))
	r.Num[MonthsEmployed] = math.Round(min(60*rng.ExpFloat64(), 480))
	r.Num[LoanAmount] = math.Round(clamp(math.Exp(9.4+0.6*rng.NormFloat64()), 1000, 100_000)/100) * 100
	r.Cat[Term] = pick(rng, levels[Term], []float64{0.7, 0.3})
	r.Cat[Employment] = pick(rng, levels[Employment], []float64{0.55 - 0.15*m, 0.20, 0.12, 0.08, 0.05 + 0.15*m})
	r.Cat[Region] = pick(rng, levels[Region], []float64{0.30, 0.25, 0.20, 0.25})
	r.Cat[HomeOwnership] = pick(rng, levels[HomeOwnership], []float64{0.40, 0.45, 0.15})
	r.Cat[Purpose] = pick(rng, levels[Purpose], []float64{0.40, 0.20, 0.15, 0.15, 0.10})
	return Example{Row: r, Default: rng.Float64() < w.defaultProbability(r, m)}
}

// DrawN returns n applications of phase p.
func (w World) DrawN(rng *rand.Rand, n int, p Phase) []Example {
	out := make([]Example, n)
	for i := range out {
		out[i] = w.Draw(rng, p)
	}
	return out
}

// DefaultProbability returns the true probability that the applicant of r
// defaults in phase p.
func (w World) DefaultProbability(r Row, p Phase) float64 {
	return w.defaultProbability(r, w.magnitude(p))
}

// magnitude returns how far phase p is shifted.
func (w World) magnitude(p Phase) float64 {
	if err := w.Shift.Validate(); err != nil {
		panic("demo: " + err.Error())
	}
	switch p {
	case Baseline:
		return 0
	case Shifted:
		return w.Shift.Magnitude
	}
	panic(fmt.Sprintf("demo: unknown phase %q", string(p)))
}

// pick returns one of values with the given weights, which sum to 1.
func pick(rng *rand.Rand, values []string, weights []float64) string {
	u := rng.Float64()
	for i, w := range weights {
		if u < w {
			return values[i]
		}
		u -= w
	}
	return values[len(values)-1]
}

// poisson draws from a Poisson distribution with mean lambda by Knuth's
// multiplication method, which suits small means.
func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// sigmoid is the logistic function, computed without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
