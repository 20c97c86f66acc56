package drift

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The oracle suite compares every statistic with reference values written by
// testdata/oracles/gen_drift.py (scipy, or exact arithmetic where no library
// implements the definition). docs/statistics.md describes the tolerances.
const (
	statRelTol = 1e-12
	statAbsTol = 1e-14
	pRelTol    = 1e-9
	pAbsTol    = 1e-14
)

const oraclePath = "../testdata/oracles/drift_cases.json"

type oracleFile struct {
	Generator string            `json:"generator"`
	Versions  map[string]string `json:"versions"`
	Cases     []oracleCase      `json:"cases"`
}

type oracleCase struct {
	Name   string     `json:"name"`
	Kind   string     `json:"kind"`
	Mode   string     `json:"mode"`
	Ref    []float64  `json:"ref"`
	Cur    []float64  `json:"cur"`
	RefGen *oracleGen `json:"ref_gen"`
	CurGen *oracleGen `json:"cur_gen"`
	N      int        `json:"n"`
	X      float64    `json:"x"`
	Eps    float64    `json:"eps"`
	K1     float64    `json:"k1"`
	N1     float64    `json:"n1"`
	K2     float64    `json:"k2"`
	N2     float64    `json:"n2"`
	P      []float64  `json:"p"`
	Want   oracleWant `json:"want"`
}

type oracleWant struct {
	Statistic float64   `json:"statistic"`
	PValue    float64   `json:"pvalue"`
	Dof       int       `json:"dof"`
	Value     float64   `json:"value"`
	Exact     *float64  `json:"exact"`
	Adjusted  []float64 `json:"adjusted"`
}

// oracleGen is the recipe gen_drift.py uses for large samples: SplitMix64
// uniforms summed four at a time (Irwin-Hall), scaled, shifted and
// optionally floored to a power-of-two grid. Every step is exactly rounded,
// so Go reproduces Python's values bit for bit; SHA256 guards that.
type oracleGen struct {
	Seed   uint64  `json:"seed"`
	N      int     `json:"n"`
	Loc    float64 `json:"loc"`
	Scale  float64 `json:"scale"`
	Quant  float64 `json:"quant"`
	SHA256 string  `json:"sha256"`
}

func (g oracleGen) values(t *testing.T) []float64 {
	t.Helper()
	state := g.Seed
	out := make([]float64, g.N)
	for i := range out {
		s := 0.0
		for range 4 {
			state += 0x9E3779B97F4A7C15
			z := state
			z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
			z = (z ^ (z >> 27)) * 0x94D049BB133111EB
			z ^= z >> 31
			s += float64(z>>11) * 0x1p-53
		}
		v := g.Loc + float64(g.Scale*(s-2))
		if g.Quant != 0 {
			v = math.Floor(v/g.Quant) * g.Quant
		}
		out[i] = v
	}
	raw := make([]byte, 8*len(out))
	for i, v := range out {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
	}
	sum := sha256.Sum256(raw)
	require.Equal(t, g.SHA256, hex.EncodeToString(sum[:]), "recipe seed %d does not reproduce the generator's values", g.Seed)
	return out
}

func (c oracleCase) samples(t *testing.T) ([]float64, []float64) {
	t.Helper()
	ref, cur := c.Ref, c.Cur
	if c.RefGen != nil {
		ref = c.RefGen.values(t)
	}
	if c.CurGen != nil {
		cur = c.CurGen.values(t)
	}
	return ref, cur
}

func loadOracles(t *testing.T) oracleFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(oraclePath))
	require.NoError(t, err)
	var f oracleFile
	require.NoError(t, json.Unmarshal(raw, &f))
	return f
}

// requireClose fails unless got is within relTol of want relative to |want|
// or within absTol absolutely. NaN never matches.
func requireClose(t *testing.T, what string, want, got, relTol, absTol float64) {
	t.Helper()
	diff := math.Abs(got - want)
	ok := diff <= absTol || diff <= relTol*math.Abs(want)
	require.Truef(t, ok, "%s: want %.17g, got %.17g (abs error %.3g, rel error %.3g)",
		what, want, got, diff, diff/math.Abs(want))
}

func TestOracles(t *testing.T) {
	f := loadOracles(t)
	require.Equal(t, "testdata/oracles/gen_drift.py", f.Generator)
	require.GreaterOrEqual(t, len(f.Cases), 80)
	seen := map[string]bool{}
	for _, c := range f.Cases {
		require.Falsef(t, seen[c.Name], "duplicate case name %q", c.Name)
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) { runOracle(t, c) })
	}
}

// runOracle runs the Go implementation for one case and compares it with the
// stored reference values.
func runOracle(t *testing.T, c oracleCase) {
	t.Helper()
	switch c.Kind {
	case "ks":
		ref, cur := c.samples(t)
		requireTestResult(t, c.Want, KolmogorovSmirnov(ref, cur, KSMode(c.Mode)))
	case "kstwo_sf":
		requireClose(t, "kstwo.sf", c.Want.Value, kolmogorovSF(c.N, c.X), pRelTol, pAbsTol)
	case "smirnov_sf":
		requireClose(t, "smirnov", c.Want.Value, smirnovSF(c.N, c.X), pRelTol, pAbsTol)
	case "cvm":
		ref, cur := c.samples(t)
		requireTestResult(t, c.Want, cvmWithMode(ref, cur, c.Mode))
	case "cvm_limit_cdf":
		requireClose(t, "_cdf_cvm_inf", c.Want.Value, cvmLimitCDF(c.X), pRelTol, pAbsTol)
	case "chi2_sf":
		requireClose(t, "chdtrc", c.Want.Value, chiSquareSF(c.X, c.N), pRelTol, pAbsTol)
	case "chisquare":
		res, dof, err := ChiSquareHomogeneity(c.Ref, c.Cur)
		require.NoError(t, err)
		require.Equal(t, c.Want.Dof, dof)
		requireTestResult(t, c.Want, res)
	case "psi":
		requireValue(t, c.Want, PSI(c.Ref, c.Cur, c.Eps))
	case "jensenshannon":
		requireValue(t, c.Want, JensenShannon(c.Ref, c.Cur))
	case "hellinger":
		requireValue(t, c.Want, Hellinger(c.Ref, c.Cur))
	case "l_infinity":
		requireValue(t, c.Want, LInfinity(c.Ref, c.Cur))
	case "wasserstein":
		ref, cur := c.samples(t)
		requireValue(t, c.Want, Wasserstein(ref, cur))
	case "normalized_wasserstein":
		ref, cur := c.samples(t)
		requireValue(t, c.Want, NormalizedWasserstein(ref, cur))
	case "ztest":
		requireTestResult(t, c.Want, TwoProportionZTest(c.K1, c.N1, c.K2, c.N2))
	case "missing_share":
		requireTestResult(t, c.Want, MissingShare(c.K1, c.N1, c.K2, c.N2))
	case "bonferroni":
		requireAdjusted(t, c.Want.Adjusted, Bonferroni(c.P))
	case "benjamini_hochberg":
		requireAdjusted(t, c.Want.Adjusted, BenjaminiHochberg(c.P))
	default:
		t.Fatalf("unknown oracle kind %q", c.Kind)
	}
}

// cvmWithMode runs the Cramér-von Mises test with scipy's method argument;
// only "auto" is public API, the others reach the p-value functions directly.
func cvmWithMode(ref, cur []float64, mode string) TestResult {
	switch mode {
	case "auto":
		return CramerVonMises(ref, cur)
	case "exact":
		return cvmTest(sortedCopy(ref), sortedCopy(cur), cvmExactPValue)
	case "asymptotic":
		return cvmTest(sortedCopy(ref), sortedCopy(cur), cvmAsymptoticPValue)
	default:
		panic(fmt.Sprintf("unknown Cramér-von Mises mode %q", mode))
	}
}

func requireTestResult(t *testing.T, want oracleWant, got TestResult) {
	t.Helper()
	requireClose(t, "statistic", want.Statistic, got.Statistic, statRelTol, statAbsTol)
	requireClose(t, "p-value", want.PValue, got.PValue, pRelTol, pAbsTol)
}

// requireValue compares a distance with the reference. When the case also
// stores the exact value (because scipy's own rounding error exceeds the
// tolerance), got must match the exact value and be no further from scipy's
// value than the exact value is, plus the tolerance.
func requireValue(t *testing.T, want oracleWant, got float64) {
	t.Helper()
	if want.Exact == nil {
		requireClose(t, "value", want.Value, got, statRelTol, statAbsTol)
		return
	}
	requireClose(t, "exact value", *want.Exact, got, statRelTol, statAbsTol)
	scipyErr := math.Abs(*want.Exact - want.Value)
	requireClose(t, "scipy value", want.Value, got, statRelTol+scipyErr/math.Abs(want.Value), statAbsTol)
}

func requireAdjusted(t *testing.T, want, got []float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		requireClose(t, fmt.Sprintf("adjusted[%d]", i), want[i], got[i], statRelTol, statAbsTol)
	}
}
