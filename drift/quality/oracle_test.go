package quality

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// oraclePath is the scikit-learn fixture written by
// testdata/oracles/gen_quality.py.
var oraclePath = filepath.Join("..", "..", "testdata", "oracles", "quality_cases.json")

// Oracle agreement: within relTol relative or absTol absolute.
const (
	relTol = 1e-12
	absTol = 1e-14
)

// oracleCase is one input set with scikit-learn's value of every metric
// defined on it.
type oracleCase struct {
	Name     string             `json:"name"`
	YTrue    []float64          `json:"y_true"`
	YPred    []float64          `json:"y_pred"`
	Scores   []float64          `json:"scores"`
	Proba    [][]float64        `json:"proba"`
	Positive int                `json:"positive"`
	Want     map[Metric]float64 `json:"want"`
}

func loadOracle(t testing.TB) []oracleCase {
	t.Helper()
	raw, err := os.ReadFile(oraclePath)
	require.NoError(t, err)
	var file struct {
		Versions map[string]string `json:"versions"`
		Cases    []oracleCase      `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Equal(t, "1.9.1", file.Versions["scikit-learn"])
	return file.Cases
}

// metrics returns the case's metrics in a fixed order.
func (c oracleCase) metrics() []Metric {
	var ms []Metric
	for _, m := range Metrics() {
		if _, ok := c.Want[m]; ok {
			ms = append(ms, m)
		}
	}
	return ms
}

// classes returns y_true and y_pred as class indices.
func (c oracleCase) classes(t testing.TB) (yTrue, yPred []int) {
	t.Helper()
	return toInts(t, c.YTrue), toInts(t, c.YPred)
}

// outcomes returns y_true as positive-class flags.
func (c oracleCase) outcomes(t testing.TB) []bool {
	t.Helper()
	out := make([]bool, len(c.YTrue))
	for i, y := range c.YTrue {
		require.True(t, y == 0 || y == 1, "y_true[%d] = %v is not 0 or 1", i, y)
		out[i] = y == 1
	}
	return out
}

func toInts(t testing.TB, xs []float64) []int {
	t.Helper()
	out := make([]int, len(xs))
	for i, x := range xs {
		require.Equal(t, math.Trunc(x), x, "value %d is not a class index", i)
		out[i] = int(x)
	}
	return out
}

// batch evaluates m on c with the batch evaluator.
func (c oracleCase) batch(t testing.TB, m Metric) (float64, error) {
	t.Helper()
	switch m.Kind() {
	case LabelKind:
		yTrue, yPred := c.classes(t)
		return map[Metric]func() (float64, error){
			Accuracy:       func() (float64, error) { return AccuracyScore(yTrue, yPred) },
			Precision:      func() (float64, error) { return PrecisionScore(yTrue, yPred, c.Positive) },
			Recall:         func() (float64, error) { return RecallScore(yTrue, yPred, c.Positive) },
			F1:             func() (float64, error) { return F1Score(yTrue, yPred, c.Positive) },
			PrecisionMacro: func() (float64, error) { return MacroPrecisionScore(yTrue, yPred) },
			RecallMacro:    func() (float64, error) { return MacroRecallScore(yTrue, yPred) },
			F1Macro:        func() (float64, error) { return MacroF1Score(yTrue, yPred) },
		}[m]()
	case ScoreKind:
		if c.Proba != nil {
			require.Equal(t, LogLoss, m)
			return MulticlassLogLoss(toInts(t, c.YTrue), c.Proba)
		}
		return map[Metric]func([]bool, []float64) (float64, error){
			ROCAUC:  ROCAUCScore,
			LogLoss: BinaryLogLoss,
			Brier:   BrierScoreLoss,
		}[m](c.outcomes(t), c.Scores)
	default:
		return map[Metric]func([]float64, []float64) (float64, error){
			MAE:  MeanAbsoluteError,
			RMSE: RootMeanSquaredError,
			MAPE: MeanAbsolutePercentageError,
			R2:   R2Score,
		}[m](c.YTrue, c.YPred)
	}
}

// requireClose fails unless got is within relTol relative or absTol absolute
// of want.
func requireClose(t testing.TB, want, got float64, msgAndArgs ...any) {
	t.Helper()
	diff := math.Abs(got - want)
	if diff <= absTol || diff <= relTol*math.Abs(want) {
		return
	}
	require.Failf(t, "not within tolerance",
		"want %v, got %v (abs diff %.3g, rel diff %.3g) %s",
		want, got, diff, diff/math.Abs(want), fmt.Sprint(msgAndArgs...))
}

func TestOracleCoverage(t *testing.T) {
	cases := loadOracle(t)
	require.GreaterOrEqual(t, len(cases), 40)
	perMetric := map[Metric]int{}
	for _, c := range cases {
		for m := range c.Want {
			require.NoError(t, m.Validate(), c.Name)
			perMetric[m]++
		}
	}
	for _, m := range Metrics() {
		require.GreaterOrEqual(t, perMetric[m], 5, "oracle cases for %s", m)
	}
}

func TestBatchMatchesScikitLearn(t *testing.T) {
	for _, c := range loadOracle(t) {
		t.Run(c.Name, func(t *testing.T) {
			for _, m := range c.metrics() {
				got, err := c.batch(t, m)
				require.NoError(t, err, m)
				requireClose(t, c.Want[m], got, m)
			}
		})
	}
}

// TestStreamingMatchesBatch feeds every oracle case to the accumulator of
// its kind, whole and split into parts that are merged, and compares with
// both the batch evaluator and scikit-learn.
func TestStreamingMatchesBatch(t *testing.T) {
	for _, c := range loadOracle(t) {
		if c.Proba != nil {
			continue // multiclass log loss has no accumulator
		}
		for _, parts := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/parts=%d", c.Name, parts), func(t *testing.T) {
				for _, m := range c.metrics() {
					want, err := c.batch(t, m)
					require.NoError(t, err, m)
					got, err := c.stream(t, m, parts)
					require.NoError(t, err, m)
					requireClose(t, want, got, m, " against batch")
					requireClose(t, c.Want[m], got, m, " against scikit-learn")
				}
			})
		}
	}
}

// stream evaluates m on c with an accumulator. With parts > 1 it splits the
// samples into contiguous parts, accumulates each separately and merges them
// in order.
func (c oracleCase) stream(t testing.TB, m Metric, parts int) (float64, error) {
	t.Helper()
	n := len(c.YTrue)
	bounds := func(p int) (int, int) { return p * n / parts, (p + 1) * n / parts }
	switch m.Kind() {
	case LabelKind:
		yTrue, yPred := c.classes(t)
		classes := max(2, c.Positive+1, slices.Max(yTrue)+1, slices.Max(yPred)+1)
		var total *Confusion
		for p := range parts {
			acc, err := NewConfusion(classes, c.Positive)
			require.NoError(t, err)
			lo, hi := bounds(p)
			for i := lo; i < hi; i++ {
				require.NoError(t, acc.Add(yTrue[i], yPred[i]))
			}
			if total == nil {
				total = acc
			} else {
				require.NoError(t, total.Merge(acc))
			}
		}
		require.Equal(t, int64(n), total.Count())
		return total.Value(m)
	case ScoreKind:
		outcomes := c.outcomes(t)
		var total *Scores
		for p := range parts {
			acc, err := NewScores(max(2, n), uint64(p))
			require.NoError(t, err)
			lo, hi := bounds(p)
			for i := lo; i < hi; i++ {
				require.NoError(t, acc.Add(outcomes[i], c.Scores[i]))
			}
			if total == nil {
				total = acc
			} else {
				require.NoError(t, total.Merge(acc))
			}
		}
		require.True(t, total.Exact())
		return total.Value(m)
	default:
		var total Residuals
		for p := range parts {
			var acc Residuals
			lo, hi := bounds(p)
			for i := lo; i < hi; i++ {
				require.NoError(t, acc.Add(c.YTrue[i], c.YPred[i]))
			}
			total.Merge(&acc)
		}
		require.Equal(t, int64(n), total.Count())
		return total.Value(m)
	}
}
