"""Time Evidently's DataDriftPreset on two CSV files, as driftwatch compare
runs on them: read both files with pandas, then run the report.

Prints one JSON object: the seconds spent (imports excluded), the number of
drifted columns and each column's drift score.
"""

import json
import sys
import time
import warnings

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def main() -> None:
    ref_path, cur_path = sys.argv[1], sys.argv[2]
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    seconds = time.perf_counter() - start

    drifted, scores = None, {}
    for m in snapshot.dict()["metrics"]:
        name = m["metric_name"]
        if name.startswith("DriftedColumnsCount"):
            drifted = int(m["value"]["count"])
        elif name.startswith("ValueDrift(column="):
            column = name[len("ValueDrift(column="):].split(",")[0]
            scores[column] = m["value"]
    json.dump({"seconds": seconds, "drifted": drifted, "scores": scores}, sys.stdout)


if __name__ == "__main__":
    main()
