#!/usr/bin/env python3
"""Write drift_cases.json, the reference values for the drift statistics.

The Go tests in drift/oracle_test.go read the file; neither CI nor `go test`
runs this script. Re-running it with the pinned versions in requirements.txt
reproduces drift_cases.json byte for byte:

    python3 testdata/oracles/gen_drift.py

Sources of truth, case by case:

* ks, kstwo_sf, smirnov_sf: scipy.stats.ks_2samp, scipy.stats.kstwo.sf and
  scipy.special.smirnov.
* cvm, cvm_limit_cdf: scipy.stats.cramervonmises_2samp and its helper
  scipy.stats._hypotests._cdf_cvm_inf.
* chisquare: scipy.stats.chi2_contingency on the 2xK table after dropping the
  categories that are empty in both rows; chi2_sf: scipy.special.chdtrc.
* jensenshannon: scipy.spatial.distance.jensenshannon(ref, cur, base=2), with
  the exact value (computed as for psi below) stored next to it.
* wasserstein: scipy.stats.wasserstein_distance; normalized_wasserstein
  divides it by max(numpy.std(ref), 0.001).
* benjamini_hochberg: scipy.stats.false_discovery_control(p, method="bh");
  bonferroni: numpy.minimum(1, p*m).
* psi, hellinger, l_infinity: no library implements driftwatch's exact
  definitions, so the values are computed from the counts in exact rational
  arithmetic and 60-digit decimal logarithms and square roots, then rounded
  once to float64.
* ztest, missing_share: statsmodels is not a pinned dependency, so the pooled
  two-proportion z statistic is computed exactly as above and the p-value is
  2 * scipy.stats.norm.sf(|z|).

Inputs come from numpy.random.default_rng with fixed seeds and are stored with
repr-exact floats. The largest samples are instead stored as a recipe: a
SplitMix64 stream turned into Irwin-Hall variates with exactly rounded
operations only, which Go reproduces bit for bit; each recipe carries the
SHA-256 of the little-endian float64 values it yields.
"""

import decimal
import hashlib
import json
import math
import os
import struct
import sys
import warnings
from fractions import Fraction

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance
from scipy.stats._hypotests import _cdf_cvm_inf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "drift_cases.json")
PINS = {"numpy": "2.4.6", "scipy": "1.17.1"}

M64 = (1 << 64) - 1
decimal.getcontext().prec = 60


def check_pins():
    got = {"numpy": np.__version__, "scipy": scipy.__version__}
    if got != PINS:
        sys.exit(f"gen_drift.py needs {PINS} (requirements.txt), found {got}")


# ---------------------------------------------------------------- inputs


def recipe(seed, n, loc=0.0, scale=1.0, quant=0.0):
    """Return the recipe dict and the values it yields.

    u = (z >> 11) * 2**-53 for each SplitMix64 output z; a value is
    loc + scale * (u1 + u2 + u3 + u4 - 2), optionally floored to a multiple of
    quant (a power of two), so every operation is exactly rounded.
    """
    state = seed & M64
    out = []
    for _ in range(n):
        s = 0.0
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & M64
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            z ^= z >> 31
            s += (z >> 11) * 2.0**-53
        v = loc + scale * (s - 2.0)
        if quant:
            v = math.floor(v / quant) * quant
        out.append(v)
    raw = struct.pack(f"<{n}d", *out)
    gen = {"seed": seed, "n": n, "loc": loc, "scale": scale, "quant": quant,
           "sha256": hashlib.sha256(raw).hexdigest()}
    return gen, np.array(out)


def floats(a):
    return [float(v) for v in a]


def normal(seed, n, loc=0.0, scale=1.0):
    return np.random.default_rng(seed).normal(loc, scale, n)


def integers(seed, n, low, high):
    return np.random.default_rng(seed).integers(low, high, n).astype(float)


# ---------------------------------------------------------------- exact maths


def dec(q):
    return decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)


def shares(counts):
    fr = [Fraction(c) for c in counts]
    total = sum(fr)
    return [c / total for c in fr]


def exact_psi(ref, cur, eps):
    e = Fraction(eps)
    total = decimal.Decimal(0)
    for p, q in zip(shares(ref), shares(cur)):
        p = p if p != 0 else e
        q = q if q != 0 else e
        total += dec(q - p) * (dec(q) / dec(p)).ln()
    return float(total)


def exact_hellinger(ref, cur):
    total = decimal.Decimal(0)
    for p, q in zip(shares(ref), shares(cur)):
        total += (dec(p).sqrt() - dec(q).sqrt()) ** 2
    return float((total / 2).sqrt())


def exact_linf(ref, cur):
    return float(max(abs(p - q) for p, q in zip(shares(ref), shares(cur))))


def exact_js(ref, cur):
    total = decimal.Decimal(0)
    for p, q in zip(shares(ref), shares(cur)):
        m = (p + q) / 2
        for a in (p, q):
            if a:
                total += dec(a) * (dec(a) / dec(m)).ln()
    return float((total / decimal.Decimal(2).ln() / 2).sqrt())


def exact_z(k1, n1, k2, n2):
    k1, n1, k2, n2 = map(Fraction, (k1, n1, k2, n2))
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var == 0:
        return 0.0, 1.0
    diff = k1 / n1 - k2 / n2
    z = dec(diff) / dec(var).sqrt()
    z = float(z)
    return z, float(2 * stats.norm.sf(abs(z)))


# ---------------------------------------------------------------- cases


CASES = []


def add(case):
    CASES.append(case)


def sample_fields(ref, cur):
    """Inline sample values, or recipes for (gen, values) tuples."""
    fields = {}
    for key, val in (("ref", ref), ("cur", cur)):
        if isinstance(val, tuple):
            fields[key + "_gen"] = val[0]
        else:
            fields[key] = floats(val)
    return fields


def values(v):
    return v[1] if isinstance(v, tuple) else np.asarray(v, dtype=float)


def ks(name, ref, cur, mode="auto"):
    r = stats.ks_2samp(values(ref), values(cur), method=mode)
    add({"name": name, "kind": "ks", "mode": mode, **sample_fields(ref, cur),
         "want": {"statistic": float(r.statistic), "pvalue": float(r.pvalue)}})


def kstwo(n, x):
    add({"name": f"kstwo_sf n={n} x={x!r}", "kind": "kstwo_sf", "n": n, "x": x,
         "want": {"value": float(stats.kstwo.sf(x, n))}})


def smirnov(n, x):
    add({"name": f"smirnov_sf n={n} x={x!r}", "kind": "smirnov_sf", "n": n, "x": x,
         "want": {"value": float(special.smirnov(n, x))}})


def cvm(name, ref, cur, mode="auto"):
    r = stats.cramervonmises_2samp(values(ref), values(cur), method=mode)
    add({"name": name, "kind": "cvm", "mode": mode, **sample_fields(ref, cur),
         "want": {"statistic": float(r.statistic), "pvalue": float(r.pvalue)}})


def cvm_limit(x):
    add({"name": f"cvm_limit_cdf x={x!r}", "kind": "cvm_limit_cdf", "x": x,
         "want": {"value": float(_cdf_cvm_inf(x))}})


def chi2_sf(dof, x):
    add({"name": f"chi2_sf dof={dof} x={x!r}", "kind": "chi2_sf", "n": dof, "x": x,
         "want": {"value": float(special.chdtrc(dof, x))}})


def chisquare(name, ref, cur):
    keep = [i for i in range(len(ref)) if ref[i] != 0 or cur[i] != 0]
    table = np.array([[ref[i] for i in keep], [cur[i] for i in keep]], dtype=float)
    r = stats.chi2_contingency(table)
    add({"name": name, "kind": "chisquare", "ref": floats(ref), "cur": floats(cur),
         "want": {"statistic": float(r.statistic), "pvalue": float(r.pvalue), "dof": int(r.dof)}})


def psi(name, ref, cur, eps=1e-4):
    add({"name": name, "kind": "psi", "ref": floats(ref), "cur": floats(cur), "eps": eps,
         "want": {"value": exact_psi(ref, cur, eps)}})


def js(name, ref, cur):
    # scipy sums p*log(p/m) and q*log(q/m) separately, which cancels for
    # nearly equal distributions; the exact value is stored alongside.
    value = float(distance.jensenshannon(np.asarray(ref, float), np.asarray(cur, float), base=2))
    exact = exact_js(ref, cur)
    if abs(value - exact) > 1e-14 + 1e-12 * exact:
        print(f"note: {name}: scipy {value!r} differs from the exact {exact!r} "
              f"by {abs(value - exact) / exact:.2g} relative")
    add({"name": name, "kind": "jensenshannon", "ref": floats(ref), "cur": floats(cur),
         "want": {"value": value, "exact": exact}})


def hellinger(name, ref, cur):
    add({"name": name, "kind": "hellinger", "ref": floats(ref), "cur": floats(cur),
         "want": {"value": exact_hellinger(ref, cur)}})


def linf(name, ref, cur):
    add({"name": name, "kind": "l_infinity", "ref": floats(ref), "cur": floats(cur),
         "want": {"value": exact_linf(ref, cur)}})


def wasserstein(name, ref, cur, normalized=False):
    v = stats.wasserstein_distance(values(ref), values(cur))
    kind = "wasserstein"
    if normalized:
        v = v / max(np.std(values(ref)), 0.001)
        kind = "normalized_wasserstein"
    add({"name": name, "kind": kind, **sample_fields(ref, cur), "want": {"value": float(v)}})


def ztest(name, k1, n1, k2, n2, kind="ztest"):
    if kind == "ztest":
        z, p = exact_z(k1, n1, k2, n2)
    else:  # missing_share: (refMissing, refRows, curMissing, curRows)
        z, p = exact_z(k2, n2, k1, n1)
    add({"name": name, "kind": kind, "k1": k1, "n1": n1, "k2": k2, "n2": n2,
         "want": {"statistic": z, "pvalue": p}})


def correction(name, kind, p):
    p = np.asarray(p, dtype=float)
    if kind == "benjamini_hochberg":
        adj = stats.false_discovery_control(p, method="bh")
    else:
        adj = np.minimum(1, p * len(p))
    add({"name": name, "kind": kind, "p": floats(p), "want": {"adjusted": floats(adj)}})


def ks_cases():
    ks("ks n=1 vs n=1 equal", [0.5], [0.5])
    ks("ks n=1 vs n=1 different", [0.0], [1.0])
    ks("ks n=1 vs n=5", [0.3], normal(1, 5))
    ks("ks tiny 3 vs 4", normal(2, 3), normal(3, 4, 0.5))
    same = normal(4, 50)
    ks("ks identical samples", same, same.copy())
    ks("ks disjoint exact 20 vs 30", normal(5, 20), normal(6, 30, 100))
    ks("ks disjoint asymp 20 vs 30", normal(5, 20), normal(6, 30, 100), "asymp")
    ks("ks disjoint exact 200 vs 300", normal(7, 200), normal(8, 300, 100), "exact")
    ks("ks ties integers 100 vs 120", integers(9, 100, 0, 6), integers(10, 120, 0, 6))
    ks("ks ties integers asymp 100 vs 120", integers(9, 100, 0, 6), integers(10, 120, 0, 6), "asymp")
    ks("ks all values tied", np.ones(10), np.ones(15))
    ks("ks unequal 37 vs 91", normal(11, 37), normal(12, 91, 0.3))
    ks("ks medium 500 vs 700", normal(13, 500), normal(14, 700, 0.1, 1.2))
    ks("ks equal sizes 1000", normal(15, 1000), normal(16, 1000, 0.1))
    ks("ks 3 vs 1000", normal(17, 3, 1), normal(18, 1000))
    ks("ks negative values", -np.abs(normal(19, 60, 5, 3)), -np.abs(normal(20, 80, 6, 3)))
    ks("ks huge magnitudes", normal(21, 40, 0, 1e300), normal(22, 50, 1e299, 1e300))
    ks("ks tiny magnitudes", normal(23, 40, 0, 1e-300), normal(24, 50, 0, 2e-300))
    ks("ks exact forced 600 vs 900", normal(27, 600), normal(28, 900, 0.05))
    ks("ks asymp forced 600 vs 900", normal(27, 600), normal(28, 900, 0.05), "asymp")
    ks("ks asymp small n=4", normal(29, 8), normal(30, 9, 0.8), "asymp")
    ks("ks asymp n=140", normal(31, 280), normal(32, 280, 0.3), "asymp")
    ks("ks asymp n=141", normal(33, 282), normal(34, 282, 0.2), "asymp")
    base = 1000
    ks("ks auto 10000 vs 10000 (exact)", recipe(base + 1, 10000), recipe(base + 2, 10000, 0.01))
    ks("ks auto 10000 vs 9999 (exact, unequal)", recipe(base + 3, 10000), recipe(base + 4, 9999, 0.015))
    ks("ks auto 10001 vs 10000 (asymptotic)", recipe(base + 5, 10001), recipe(base + 6, 10000, 0.01))
    ks("ks exact 50000 vs 49999 falls back", recipe(base + 7, 50000), recipe(base + 8, 49999, 0.005), "exact")
    ks("ks large 50000 vs 60000 tiny D", recipe(base + 9, 50000), recipe(base + 10, 60000))
    ks("ks large ties 20000 vs 30000", recipe(base + 11, 20000, quant=2.0**-6),
       recipe(base + 12, 30000, 0.01, quant=2.0**-6))


def kstwo_cases():
    # One or more points in every branch of scipy's _kolmogn survival function.
    for n, x in [
        (1, 0.3), (1, 0.7), (5, 0.05), (5, 0.15), (5, 0.9), (10, 0.08), (10, 0.95),
        (10, 0.5), (10, 0.6), (20, 0.1), (20, 0.2), (20, 0.4), (20, 0.49),
        (50, 0.1), (50, 0.25), (50, 0.35), (140, 0.05), (140, 0.1), (140, 0.2),
        (141, 0.03), (141, 0.1), (141, 0.2), (141, 0.6), (500, 0.02), (500, 0.08),
        (500, 0.9), (5000, 0.006), (5000, 0.015), (5000, 0.03), (5000, 0.3),
        (27273, 0.004), (27273, 0.012), (100000, 0.003), (100001, 0.003),
        (100000, 0.0005), (3000000, 0.0008),
    ]:
        kstwo(n, x)
    for n, x in [(1, 0.4), (2, 0.3), (7, 0.1), (10, 0.05), (10, 0.3), (100, 0.02),
                 (100, 0.1), (1000, 0.04), (1000, 0.999), (2000000, 0.001)]:
        smirnov(n, x)


def cvm_cases():
    cvm("cvm exact 2 vs 2", [1.0, 2.0], [3.0, 4.0])
    cvm("cvm exact 5 vs 7", normal(40, 5), normal(41, 7, 0.5))
    cvm("cvm exact ties 10 vs 12", integers(42, 10, 0, 4), integers(43, 12, 0, 4))
    cvm("cvm exact 20 vs 20", normal(44, 20), normal(45, 20, 0.7))
    cvm("cvm exact 20 vs 3", normal(46, 20), normal(47, 3, 1))
    cvm("cvm exact identical 8", np.arange(8.0), np.arange(8.0))
    cvm("cvm asymptotic 21 vs 20", normal(48, 21), normal(49, 20, 0.7))
    cvm("cvm asymptotic 100 vs 150", normal(50, 100), normal(51, 150, 0.2))
    same = normal(52, 300)
    cvm("cvm asymptotic identical 300", same, same.copy())
    cvm("cvm asymptotic disjoint 60 vs 80", normal(53, 60), normal(54, 80, 50))
    cvm("cvm asymptotic ties 300 vs 200", integers(55, 300, 0, 10), integers(56, 200, 0, 10))
    cvm("cvm asymptotic negative huge", normal(57, 40, -1e250, 1e250), normal(58, 30, -2e250, 1e250))
    cvm("cvm forced asymptotic 5 vs 7", normal(40, 5), normal(41, 7, 0.5), "asymptotic")
    cvm("cvm forced exact 25 vs 4", normal(59, 25), normal(60, 4, 0.5), "exact")
    cvm("cvm asymptotic large 5000 vs 7000", recipe(2001, 5000), recipe(2002, 7000, 0.02))
    for x in [0.003, 0.01, 0.05, 0.2, 0.461, 1.0, 2.5, 8.0]:
        cvm_limit(x)


def chisquare_cases():
    chisquare("chi-square 5 categories", [120, 80, 50, 30, 20], [100, 95, 40, 45, 25])
    chisquare("chi-square 2 categories Yates", [60, 40], [45, 55])
    chisquare("chi-square Yates diff below 0.5", [50, 51], [50, 50])
    chisquare("chi-square single category", [30, 0, 0], [50, 0, 0])
    chisquare("chi-square unseen category", [100, 50, 0], [90, 40, 25])
    chisquare("chi-square column empty in both", [40, 0, 35, 25], [30, 0, 45, 20])
    chisquare("chi-square drop leaves two", [70, 0, 30], [50, 0, 50])
    chisquare("chi-square identical shares", [10, 20, 30], [20, 40, 60])
    chisquare("chi-square non-integer counts", [10.5, 20.25, 30.125], [12.0, 18.5, 33.75])
    chisquare("chi-square large counts", [1e6, 2e6, 3e6], [1.1e6, 1.9e6, 3e6])
    chisquare("chi-square underflow", [1e7, 1, 1e7], [1, 1e7, 1e7])
    rng = np.random.default_rng(61)
    chisquare("chi-square 60 categories", list(rng.integers(1, 200, 60)), list(rng.integers(1, 200, 60)))
    for dof, x in [(1, 3.841458820694124), (1, 50.0), (2, 0.1), (5, 11.0705), (10, 100.0),
                   (30, 67.58), (59, 1000.0), (200, 397.07), (999, 1100.0)]:
        chi2_sf(dof, x)


def distance_cases():
    r10 = [50, 80, 120, 160, 190, 170, 110, 70, 35, 15]
    c10 = [30, 60, 110, 150, 200, 180, 130, 80, 40, 20]
    psi("psi identical", r10, r10)
    psi("psi shifted 10 bins", r10, c10)
    psi("psi scaled counts are identical", r10, [2 * c for c in r10])
    psi("psi empty reference bin", [0, 30, 50, 20], [5, 30, 45, 20])
    psi("psi empty current bin", [10, 30, 50, 20], [0, 30, 45, 20])
    psi("psi bin empty in both", [10, 0, 50, 20], [12, 0, 45, 20])
    psi("psi custom eps", [0, 30, 50, 20], [5, 30, 45, 0], 1e-6)
    psi("psi nearly identical large counts", [1000000, 2000000, 3000000], [1000001, 2000000, 2999999])
    psi("psi non-integer counts", [0.5, 1.25, 2.75], [0.75, 1.0, 2.5])

    js("jensenshannon identical", r10, r10)
    js("jensenshannon shifted 10 bins", r10, c10)
    js("jensenshannon disjoint", [10, 20, 0, 0], [0, 0, 5, 5])
    js("jensenshannon one-sided bins", [10, 20, 30, 0], [0, 25, 30, 10])
    js("jensenshannon unnormalised non-integer", [0.1, 0.2, 0.7], [1.5, 2.5, 3.0])
    js("jensenshannon nearly identical", [10000, 20000, 30000], [10010, 19990, 30000])
    js("jensenshannon two categories", [900, 100], [850, 150])

    hellinger("hellinger identical", r10, r10)
    hellinger("hellinger shifted 10 bins", r10, c10)
    hellinger("hellinger disjoint", [10, 20, 0, 0], [0, 0, 5, 5])
    hellinger("hellinger one-sided bins", [10, 20, 30, 0], [0, 25, 30, 10])
    hellinger("hellinger nearly identical large counts", [1000000, 2000000, 3000000], [1000001, 2000000, 2999999])

    linf("l_infinity identical", r10, r10)
    linf("l_infinity shifted 10 bins", r10, c10)
    linf("l_infinity disjoint", [10, 20, 0, 0], [0, 0, 5, 5])
    linf("l_infinity nearly identical large counts", [1000000, 2000000, 3000000], [1000001, 2000000, 2999999])


def wasserstein_cases():
    wasserstein("wasserstein n=1 vs n=1", [0.0], [2.5])
    wasserstein("wasserstein small", [0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    wasserstein("wasserstein unequal", normal(70, 37), normal(71, 91, 0.3, 2))
    same = normal(72, 100)
    wasserstein("wasserstein identical", same, same.copy())
    wasserstein("wasserstein ties", integers(73, 200, 0, 5), integers(74, 150, 1, 6))
    wasserstein("wasserstein negative", -np.abs(normal(75, 60, 5, 3)), -np.abs(normal(76, 80, 6, 3)))
    wasserstein("wasserstein huge magnitudes", normal(77, 40, 0, 1e200), normal(78, 50, 1e199, 1e200))
    wasserstein("wasserstein large 50000 vs 60000", recipe(3001, 50000), recipe(3002, 60000, 0.05, 1.1))
    wasserstein("normalized wasserstein", normal(79, 500, 10, 4), normal(80, 400, 11, 4), True)
    wasserstein("normalized wasserstein constant reference", np.full(20, 3.0), normal(81, 30, 3, 0.01), True)
    wasserstein("normalized wasserstein large", recipe(3003, 20000, 100, 7), recipe(3004, 25000, 101, 7), True)


def ztest_cases():
    ztest("ztest equal shares", 30, 100, 60, 200)
    ztest("ztest basic", 45, 100, 30, 100)
    ztest("ztest all zero", 0, 50, 0, 80)
    ztest("ztest all one", 50, 50, 80, 80)
    ztest("ztest unequal sizes", 120, 1000, 20, 90)
    ztest("ztest extreme", 9000, 10000, 1000, 10000)
    ztest("ztest non-integer", 12.5, 40.0, 20.25, 41.5)
    ztest("ztest tiny difference", 500001, 1000000, 500000, 1000000)
    ztest("missing share rises", 10, 1000, 40, 1000, "missing_share")
    ztest("missing share falls", 40, 1000, 10, 1000, "missing_share")
    ztest("missing share none", 0, 1000, 0, 500, "missing_share")


def correction_cases():
    correction("bonferroni basic", "bonferroni", [0.01, 0.04, 0.2])
    correction("bonferroni capped", "bonferroni", [0.5, 0.6, 0.001, 1.0])
    correction("bonferroni single", "bonferroni", [0.03])
    correction("benjamini-hochberg scipy example", "benjamini_hochberg", [0.5, 0.6, 0.1, 0.001])
    correction("benjamini-hochberg ties", "benjamini_hochberg", [0.02, 0.02, 0.5, 0.02, 0.04])
    correction("benjamini-hochberg zeros and ones", "benjamini_hochberg", [0.0, 1.0, 0.3, 0.0])
    correction("benjamini-hochberg single", "benjamini_hochberg", [0.2])
    correction("benjamini-hochberg random 50", "benjamini_hochberg",
               np.random.default_rng(90).uniform(0, 1, 50) ** 3)


def main():
    check_pins()
    # One case forces method="exact" on sizes whose lcm is too large; scipy
    # warns that it falls back to the asymptotic distribution, as intended.
    warnings.filterwarnings("ignore", message="Exact ks_2samp calculation not possible")
    ks_cases()
    kstwo_cases()
    cvm_cases()
    chisquare_cases()
    distance_cases()
    wasserstein_cases()
    ztest_cases()
    correction_cases()
    names = [c["name"] for c in CASES]
    if len(names) != len(set(names)):
        sys.exit("case names are not unique")
    with open(OUT, "w") as f:
        f.write('{"generator": "testdata/oracles/gen_drift.py",\n')
        f.write(f' "versions": {json.dumps(PINS, sort_keys=True)},\n')
        f.write(' "cases": [\n')
        for i, case in enumerate(CASES):
            sep = "," if i < len(CASES) - 1 else ""
            f.write("  " + json.dumps(case, allow_nan=False, separators=(",", ":")) + sep + "\n")
        f.write(" ]}\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
