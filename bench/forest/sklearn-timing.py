"""Times scikit-learn's IsolationForest for bench/forest/run.ts.

Reads {"runs": R, "warmup": W, "cases": [{"key": str, "rows": [[float, ...], ...]}]} on stdin and
prints {"sklearn_version": str, "ms": {key: median milliseconds}} on stdout. Each timing covers
fit + score_samples on all rows with 100 trees and max_samples=256, the same work as ours.
"""
import json
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest


def main():
    request = json.load(sys.stdin)
    runs = int(request["runs"])
    warmup = int(request["warmup"])
    result = {}
    for case in request["cases"]:
        X = np.asarray(case["rows"], dtype=np.float64)
        times = []
        for i in range(warmup + runs):
            start = time.perf_counter()
            model = IsolationForest(n_estimators=100, max_samples=min(256, len(X)), random_state=i)
            model.fit(X)
            model.score_samples(X)
            elapsed_ms = (time.perf_counter() - start) * 1000.0
            if i >= warmup:
                times.append(elapsed_ms)
        result[case["key"]] = statistics.median(times)
    json.dump({"sklearn_version": sklearn.__version__, "ms": result}, sys.stdout)


if __name__ == "__main__":
    main()
