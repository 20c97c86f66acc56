package embedded

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

func TestParseExpr(t *testing.T) {
	sel := func(name string, pairs ...string) selector {
		s := selector{name: name, matchers: map[model.LabelName]model.LabelValue{}}
		for i := 0; i+1 < len(pairs); i += 2 {
			s.matchers[model.LabelName(pairs[i])] = model.LabelValue(pairs[i+1])
		}
		return s
	}
	tests := []struct {
		name, in string
		want     expr
		wantErr  string
	}{
		{name: "bare name", in: "up", want: sel("up")},
		{name: "empty braces", in: "up{}", want: sel("up")},
		{name: "recording rule name", in: `model:x:sum{model="a"}`, want: sel("model:x:sum", "model", "a")},
		{name: "matchers and escapes", in: `x{ a = "b" , c="d\"e\\f" }`, want: sel("x", "a", "b", "c", `d"e\f`)},
		{name: "comparison", in: `x{model="a"} >= 0.5`, want: comparison{vec: sel("x", "model", "a"), op: ">=", rhs: 0.5}},
		{name: "every operator", in: "a == 1 and b != 2 and c > 3 and d < 4 and e <= 5", want: and{
			lhs: and{lhs: and{lhs: and{
				lhs: comparison{vec: sel("a"), op: "==", rhs: 1},
				rhs: comparison{vec: sel("b"), op: "!=", rhs: 2}},
				rhs: comparison{vec: sel("c"), op: ">", rhs: 3}},
				rhs: comparison{vec: sel("d"), op: "<", rhs: 4}},
			rhs: comparison{vec: sel("e"), op: "<=", rhs: 5},
		}},
		{name: "and binds looser than ==", in: "a{m=\"x\"}\n  and b{m=\"x\"} == 1",
			want: and{lhs: sel("a", "m", "x"), rhs: comparison{vec: sel("b", "m", "x"), op: "==", rhs: 1}}},
		{name: "exponent", in: "a < 1e-3", want: comparison{vec: sel("a"), op: "<", rhs: 1e-3}},
		{name: "function", in: "sum by (model) (x)", wantErr: `unexpected "by (model) (x)"`},
		{name: "range function", in: "deriv(x[10m]) > 0", wantErr: `unexpected "(x[10m]) > 0"`},
		{name: "or", in: "a or b", wantErr: `unexpected "or b"`},
		{name: "regex matcher", in: `a{m=~"x"}`, wantErr: "want label=\"value\""},
		{name: "negative matcher", in: `a{m!="x"}`, wantErr: "want label=\"value\""},
		{name: "missing comma", in: `a{m="x" n="y"}`, wantErr: "want , or }"},
		{name: "unterminated", in: `a{m="x}`, wantErr: "unterminated label value"},
		{name: "not a number", in: "a > b", wantErr: `want a number, got "b"`},
		{name: "empty", in: "", wantErr: "want a metric name"},
		{name: "scalar", in: "1 > 0", wantErr: "want a metric name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseExpr(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(selector{}, comparison{}, and{})); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvalSemantics checks the PromQL rules the generated expressions
// rely on. The agreement test checks them against promtool too.
func TestEvalSemantics(t *testing.T) {
	smp := func(v float64, pairs ...string) sample {
		ls := model.LabelSet{}
		for i := 0; i+1 < len(pairs); i += 2 {
			ls[model.LabelName(pairs[i])] = model.LabelValue(pairs[i+1])
		}
		return sample{labels: ls, value: v}
	}
	in := series{
		"stat": {
			smp(0.3, "__name__", "stat", "model", "a", "feature", "x"),
			smp(math.NaN(), "__name__", "stat", "model", "a", "feature", "y"),
			smp(0.7, "__name__", "stat", "model", "a", "feature", "z"),
			smp(0.9, "__name__", "stat", "model", "b", "feature", "x"),
		},
		"flag": {
			smp(1, "__name__", "flag", "model", "a", "feature", "x"),
			smp(1, "__name__", "flag", "model", "a", "feature", "y"),
			smp(0, "__name__", "flag", "model", "a", "feature", "z"),
			smp(1, "__name__", "flag", "model", "a", "feature", "x", "extra", "1"),
		},
		"share": {
			smp(0.5, "__name__", "share", "model", "a"),
			smp(math.NaN(), "__name__", "share", "model", "b"),
			smp(0.4, "__name__", "share"),
		},
	}
	tests := []struct {
		name, expr string
		want       []sample
	}{
		{name: "and keeps the left sample, matched on labels without the name",
			expr: `stat{model="a"} and flag{model="a"} == 1`, want: []sample{in["stat"][0], in["stat"][1]}},
		{name: "and with nothing on the right", expr: `stat and flag{model="c"}`},
		{name: "NaN compares false", expr: `share >= 0.5`, want: []sample{in["share"][0]}},
		{name: "NaN != is true", expr: `share != 0.5`, want: []sample{in["share"][1], in["share"][2]}},
		{name: "empty matcher selects a missing label", expr: `share{model=""} < 1`, want: []sample{in["share"][2]}},
		{name: "unknown metric", expr: `nothing > 0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := parseExpr(tc.expr)
			require.NoError(t, err)
			got := e.eval(in)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(sample{}), cmp.Comparer(sameFloat)); diff != "" {
				t.Errorf("eval (-want +got):\n%s", diff)
			}
		})
	}
}

// sameFloat compares floats exactly, with NaN equal to NaN.
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestMetricNames(t *testing.T) {
	e, err := parseExpr(`a{m="x"} and b == 1 and a > 2`)
	require.NoError(t, err)
	names := map[string]bool{}
	e.metricNames(names)
	require.Equal(t, map[string]bool{"a": true, "b": true}, names)
}
