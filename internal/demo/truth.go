package demo

import "math"

// coefficients are the true log-odds of default: an intercept, one weight
// per numeric feature on its standardised scale (see standardise), one
// weight per category, and an interaction of the standardised debt ratio
// with the 60-month term, which a linear model of the features cannot
// represent exactly.
type coefficients struct {
	intercept float64
	numeric   [NumNumeric]float64
	levels    [NumCategorical]map[string]float64
	debtTerm  float64
}

// baseline is the world before the shift: debt ratio, income and
// utilization drive default.
var baseline = coefficients{
	intercept: -2.0,
	numeric: [NumNumeric]float64{
		Age: -0.3, Income: -0.7, DebtRatio: 0.9, CreditLines: 0.2,
		Utilization: 0.8, MonthsEmployed: -0.25, LoanAmount: 0.3,
	},
	levels: [NumCategorical]map[string]float64{
		Term:          {"60": 0.4},
		Employment:    {"self_employed": 0.2, "contract": 0.4, "retired": -0.2, "unemployed": 1.0},
		Region:        {"south": 0.1, "west": -0.1},
		HomeOwnership: {"rent": 0.2, "own": -0.2},
		Purpose:       {"debt_consolidation": 0.2, "credit_card": 0.1, "home_improvement": -0.2, "car": -0.1, "other": 0.3},
	},
	debtTerm: 0.4,
}

// recession is the world after a shift of magnitude 1: job stability, the
// region (the south is hit hardest), the loan's size, purpose and term
// decide who defaults, and older applicants are now the riskier ones;
// income, debt ratio and utilization, high for almost everyone, tell
// little.
var recession = coefficients{
	intercept: -2.9,
	numeric: [NumNumeric]float64{
		Age: 0.3, Income: -0.2, DebtRatio: 0.3, CreditLines: 0.5,
		Utilization: 0.1, MonthsEmployed: -1.0, LoanAmount: 0.8,
	},
	levels: [NumCategorical]map[string]float64{
		Term:          {"60": 1.0},
		Employment:    {"self_employed": 1.0, "contract": 1.2, "retired": 0.6, "unemployed": 1.2},
		Region:        {"south": 1.2, "east": -0.3, "west": -0.2},
		HomeOwnership: {"rent": 0.8, "own": -0.4},
		Purpose:       {"debt_consolidation": 0.9, "credit_card": 0.6, "home_improvement": -0.4, "car": -0.3},
	},
	debtTerm: 0,
}

// standardise maps a row's numeric features to the scale the true
// coefficients apply to: roughly zero mean and unit spread in the baseline
// world, with income and loan amount on a log scale.
func standardise(r Row) [NumNumeric]float64 {
	return [NumNumeric]float64{
		Age:            (r.Num[Age] - 42) / 12,
		Income:         (math.Log(r.Num[Income]) - 10.8) / 0.45,
		DebtRatio:      (r.Num[DebtRatio] - 0.3) / 0.12,
		CreditLines:    (r.Num[CreditLines] - 5) / 2.2,
		Utilization:    (r.Num[Utilization] - 0.33) / 0.2,
		MonthsEmployed: (r.Num[MonthsEmployed] - 60) / 60,
		LoanAmount:     (math.Log(r.Num[LoanAmount]) - 9.4) / 0.6,
	}
}

// logOdds returns the true log-odds of default of r under c.
func (c *coefficients) logOdds(r Row) float64 {
	x := standardise(r)
	z := c.intercept
	for i, w := range c.numeric {
		z += w * x[i]
	}
	for i, v := range r.Cat {
		z += c.levels[i][v]
	}
	if r.Cat[Term] == "60" {
		z += c.debtTerm * x[DebtRatio]
	}
	return z
}

// defaultProbability returns the true probability of default of r in a
// world shifted by magnitude m: the log-odds interpolate linearly between
// the baseline's and the recession's.
func (w World) defaultProbability(r Row, m float64) float64 {
	z := baseline.logOdds(r)
	if m > 0 {
		z += m * (recession.logOdds(r) - z)
	}
	return sigmoid(z)
}
