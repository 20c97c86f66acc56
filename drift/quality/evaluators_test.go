package quality

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEvaluatorErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name          string
		eval          func() (float64, error)
		wantErr       string
		wantUndefined bool
	}{
		{
			name:          "accuracy empty",
			eval:          func() (float64, error) { return AccuracyScore(nil, nil) },
			wantErr:       "accuracy: metric undefined: no samples",
			wantUndefined: true,
		},
		{
			name:    "precision length mismatch",
			eval:    func() (float64, error) { return PrecisionScore([]int{0, 1}, []int{1}, 1) },
			wantErr: "precision: length mismatch: 2 true values, 1 predictions",
		},
		{
			name:    "recall negative class",
			eval:    func() (float64, error) { return RecallScore([]int{0, -1}, []int{0, 1}, 1) },
			wantErr: "recall: y_true[1]: class -1 is outside [0, 1024)",
		},
		{
			name:    "f1 class too large",
			eval:    func() (float64, error) { return F1Score([]int{0, 1}, []int{0, MaxClasses}, 1) },
			wantErr: "f1: y_pred[1]: class 1024 is outside [0, 1024)",
		},
		{
			name:    "f1 negative positive class",
			eval:    func() (float64, error) { return F1Score([]int{0, 1}, []int{0, 1}, -1) },
			wantErr: "f1: positive class -1 is outside [0, 1024)",
		},
		{
			name:          "macro f1 empty",
			eval:          func() (float64, error) { return MacroF1Score([]int{}, []int{}) },
			wantErr:       "f1_macro: metric undefined: no samples",
			wantUndefined: true,
		},
		{
			name:          "roc auc only positives",
			eval:          func() (float64, error) { return ROCAUCScore([]bool{true, true, true}, []float64{0.1, 0.2, 0.3}) },
			wantErr:       "roc_auc: metric undefined: only one class present (3 positive of 3)",
			wantUndefined: true,
		},
		{
			name:          "roc auc only negatives",
			eval:          func() (float64, error) { return ROCAUCScore([]bool{false}, []float64{0.4}) },
			wantErr:       "roc_auc: metric undefined: only one class present (0 positive of 1)",
			wantUndefined: true,
		},
		{
			name:    "roc auc nan score",
			eval:    func() (float64, error) { return ROCAUCScore([]bool{true, false}, []float64{0.4, nan}) },
			wantErr: "roc_auc: scores[1] is NaN: values must be finite",
		},
		{
			name:    "roc auc infinite score",
			eval:    func() (float64, error) { return ROCAUCScore([]bool{true, false}, []float64{inf, 0.1}) },
			wantErr: "roc_auc: scores[0] is +Inf: values must be finite",
		},
		{
			name:    "log loss above one",
			eval:    func() (float64, error) { return BinaryLogLoss([]bool{true, false}, []float64{0.4, 1.2}) },
			wantErr: "log_loss: proba[1]: 1.2 is not a probability in [0, 1]",
		},
		{
			name:    "log loss nan",
			eval:    func() (float64, error) { return BinaryLogLoss([]bool{true}, []float64{nan}) },
			wantErr: "log_loss: proba[0]: NaN is not a probability in [0, 1]",
		},
		{
			name:    "brier negative",
			eval:    func() (float64, error) { return BrierScoreLoss([]bool{true}, []float64{-0.1}) },
			wantErr: "brier: proba[0]: -0.1 is not a probability in [0, 1]",
		},
		{
			name:    "brier length mismatch",
			eval:    func() (float64, error) { return BrierScoreLoss([]bool{true}, []float64{0.1, 0.2}) },
			wantErr: "brier: length mismatch: 1 true values, 2 predictions",
		},
		{
			name: "multiclass row does not sum to one",
			eval: func() (float64, error) {
				return MulticlassLogLoss([]int{0, 1}, [][]float64{{0.5, 0.5, 0}, {0.5, 0.4, 0}})
			},
			wantErr: "log_loss: proba[1]: probabilities sum to 0.9, not 1",
		},
		{
			name: "multiclass ragged rows",
			eval: func() (float64, error) {
				return MulticlassLogLoss([]int{0, 1}, [][]float64{{0.5, 0.5, 0}, {0.5, 0.5}})
			},
			wantErr: "log_loss: proba[1]: 2 columns, want 3",
		},
		{
			name:    "multiclass one column",
			eval:    func() (float64, error) { return MulticlassLogLoss([]int{0}, [][]float64{{1}}) },
			wantErr: "log_loss: 1 probability columns is outside [2, 1024]",
		},
		{
			name:    "multiclass class outside columns",
			eval:    func() (float64, error) { return MulticlassLogLoss([]int{2}, [][]float64{{0.5, 0.5}}) },
			wantErr: "log_loss: y_true[0]: class 2 is outside [0, 2)",
		},
		{
			name:    "multiclass negative probability",
			eval:    func() (float64, error) { return MulticlassLogLoss([]int{0}, [][]float64{{1.5, -0.5}}) },
			wantErr: "log_loss: proba[0]: column 0: 1.5 is not a probability in [0, 1]",
		},
		{
			name:          "multiclass empty",
			eval:          func() (float64, error) { return MulticlassLogLoss(nil, nil) },
			wantErr:       "log_loss: metric undefined: no samples",
			wantUndefined: true,
		},
		{
			name:          "mae empty",
			eval:          func() (float64, error) { return MeanAbsoluteError(nil, []float64{}) },
			wantErr:       "mae: metric undefined: no samples",
			wantUndefined: true,
		},
		{
			name:    "rmse nan truth",
			eval:    func() (float64, error) { return RootMeanSquaredError([]float64{1, nan}, []float64{1, 2}) },
			wantErr: "rmse: y_true[1] is NaN: values must be finite",
		},
		{
			name:    "mape infinite prediction",
			eval:    func() (float64, error) { return MeanAbsolutePercentageError([]float64{1}, []float64{-inf}) },
			wantErr: "mape: y_pred[0] is -Inf: values must be finite",
		},
		{
			name:    "rmse overflow",
			eval:    func() (float64, error) { return RootMeanSquaredError([]float64{1e300}, []float64{-1e300}) },
			wantErr: "rmse: result is +Inf (inputs too large)",
		},
		{
			name:          "r2 single sample",
			eval:          func() (float64, error) { return R2Score([]float64{1}, []float64{2}) },
			wantErr:       "r2: metric undefined: 1 sample, need at least 2",
			wantUndefined: true,
		},
		{
			name:    "r2 length mismatch",
			eval:    func() (float64, error) { return R2Score([]float64{1, 2, 3}, []float64{2, 3}) },
			wantErr: "r2: length mismatch: 3 true values, 2 predictions",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.eval()
			require.EqualError(t, err, tt.wantErr)
			require.Equal(t, tt.wantUndefined, errors.Is(err, ErrUndefined))
		})
	}
}

// TestEvaluatorConventions pins the documented places where a value is
// chosen by convention, and the two where the package departs from
// scikit-learn on purpose.
func TestEvaluatorConventions(t *testing.T) {
	tests := []struct {
		name string
		eval func() (float64, error)
		want float64
	}{
		{
			// scikit-learn raises here: two other labels are present.
			name: "precision of a class absent from the window",
			eval: func() (float64, error) { return PrecisionScore([]int{0, 1, 1}, []int{0, 1, 0}, 2) },
			want: 0,
		},
		{
			name: "recall without true positives",
			eval: func() (float64, error) { return RecallScore([]int{0, 0}, []int{1, 1}, 1) },
			want: 0,
		},
		{
			// scikit-learn computes a tiny non-zero SStot from the rounded
			// mean of six 0.1s and returns about -5e31.
			name: "r2 of constant 0.1 truth",
			eval: func() (float64, error) { return R2Score(constant(0.1, 6), []float64{0.1, 0.2, 0.1, 0.1, 0.1, 0.1}) },
			want: 0,
		},
		{
			name: "r2 perfect on constant truth",
			eval: func() (float64, error) { return R2Score(constant(0.1, 6), constant(0.1, 6)) },
			want: 1,
		},
		{
			name: "log loss of a confident mistake is -ln(eps)",
			eval: func() (float64, error) { return BinaryLogLoss([]bool{false}, []float64{1}) },
			want: -math.Log(0x1p-52),
		},
		{
			name: "mape with zero truth divides by eps",
			eval: func() (float64, error) { return MeanAbsolutePercentageError([]float64{0}, []float64{1}) },
			want: 0x1p52,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.eval()
			require.NoError(t, err)
			requireClose(t, tt.want, got)
		})
	}
}

func TestEvaluatorsLeaveInputsAlone(t *testing.T) {
	positive := []bool{true, false, true, false}
	scores := []float64{0.9, 0.8, 0.1, 0.3}
	_, err := ROCAUCScore(positive, scores)
	require.NoError(t, err)
	require.Equal(t, []bool{true, false, true, false}, positive)
	require.Equal(t, []float64{0.9, 0.8, 0.1, 0.3}, scores)
}

func constant(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
