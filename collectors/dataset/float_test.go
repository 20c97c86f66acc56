package dataset

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParseNumberAgreesWithStrconv checks the fast float path bit for bit
// against strconv.ParseFloat on random values written in every common form
// and on hand-picked hard cases.
func TestParseNumberAgreesWithStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var inputs []string
	for range 200_000 {
		x := math.Float64frombits(rng.Uint64())
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		inputs = append(inputs,
			strconv.FormatFloat(x, 'g', -1, 64),
			strconv.FormatFloat(x, 'e', rng.IntN(25), 64),
			strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)), 'f', rng.IntN(30), 64),
		)
	}
	inputs = append(inputs,
		"0", "-0", "0.0", "-0.000", "00012", "000.5", ".5", "5.", "1e0", "1E+2", "1e-2",
		"9007199254740993", "9007199254740992.5", "1.00000000000000011102230246251565404236316680908203125",
		"1.00000000000000011102230246251565404236316680908203124", "2.2250738585072011e-308",
		"2.2250738585072012e-308", "4.9406564584124654e-324", "2e-324", "1e-400", "1.7976931348623157e308",
		"1.7976931348623159e308", "1e400", "-1e400", "123456789012345678901234567890", "0.1", "0.3",
		"1e23", "8.41e21", "5e-324", "1e22", "1e-22", "9999999999999999999", "18446744073709551615",
		"18446744073709551616e-20", "0.000000000000000000000000000000000000001e39", "1e9999999999",
	)
	for _, in := range inputs {
		want, err := strconv.ParseFloat(in, 64)
		if err != nil && err.(*strconv.NumError).Err != strconv.ErrRange {
			t.Fatalf("strconv rejects %q: %v", in, err)
		}
		got, ok := parseNumber([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%q: want %v, got %v", in, want, got)
	}
}

func TestParseNumberSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{in: "1.5", want: 1.5, ok: true},
		{in: " 1.5\t", want: 1.5, ok: true},
		{in: "+.5e1", want: 5, ok: true},
		{in: "-Inf", want: math.Inf(-1), ok: true},
		{in: "+infinity", want: math.Inf(1), ok: true},
		{in: "INF", want: math.Inf(1), ok: true},
		{in: "NaN", want: math.NaN(), ok: true},
		{in: " nan ", want: math.NaN(), ok: true},
		{in: "-nan", ok: false},
		{in: "1_000", ok: false},
		{in: "0x1p-2", ok: false},
		{in: "1e", ok: false},
		{in: "1e+", ok: false},
		{in: ".", ok: false},
		{in: "-", ok: false},
		{in: "", ok: false},
		{in: " ", ok: false},
		{in: "1.2.3", ok: false},
		{in: "1,5", ok: false},
		{in: "infin", ok: false},
		{in: "12abc", ok: false},
		{in: "١٢", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseNumber([]byte(tc.in))
			require.Equal(t, tc.ok, ok)
			if !tc.ok {
				return
			}
			if math.IsNaN(tc.want) {
				require.True(t, math.IsNaN(got), "got %v", got)
				return
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func BenchmarkParseNumber(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var in [][]byte
	for range 1024 {
		in = append(in, strconv.AppendFloat(nil, rng.NormFloat64(), 'g', -1, 64))
	}
	i := 0
	for b.Loop() {
		parseNumber(in[i&1023])
		i++
	}
}
