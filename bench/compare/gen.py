"""Write the reference and current CSV files for bench/compare/run.sh.

Both files hold ROWS rows of COLS standard normal columns named f0, f1, ...
drawn from numpy's PCG64 generator with the given seed. In the current file
column j is shifted by 0.01 * j standard deviations, so that the default
Wasserstein threshold of 0.1 flags the columns from f10 on. Floats are
written in their shortest round-trip form, as pandas writes them.
"""

import argparse
import pathlib

import numpy as np
import pandas as pd


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--cols", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=pathlib.Path, required=True)
    args = p.parse_args()

    rng = np.random.default_rng(args.seed)
    names = [f"f{j}" for j in range(args.cols)]
    shift = 0.01 * np.arange(args.cols)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, offset in (("ref", 0.0), ("cur", shift)):
        data = rng.standard_normal((args.rows, args.cols)) + offset
        pd.DataFrame(data, columns=names).to_csv(args.out / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
