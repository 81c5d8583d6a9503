"""Worker of ``benchmarks.table_speed``: times imputers on one table in a fresh process.

Run as a script (``python benchmarks/_table_worker.py JOB.json``), not as a
module: it imports only numpy, scikit-learn and the ``skgain`` found first on
``sys.path``, so that the same code times the package of this checkout or the
reference commit's (``PYTHONPATH`` pointing at a worktree of it). Each method
is first fitted once on a tiny table, so that one-off costs (imports, torch's
lazy initialisation) are recorded apart as ``first_use_seconds``.
"""

import json
import pickle
import sys
import time
import warnings

import numpy as np


def _imports():
    """Import what the methods need; returns the seconds torch and skgain took."""
    start = time.perf_counter()
    import torch

    torch_seconds = time.perf_counter() - start
    import skgain  # noqa: F401

    return torch_seconds, time.perf_counter() - start - torch_seconds


def _blend(seed, et_rounds, et_trees=10):
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    trees = ExtraTreesRegressor(n_estimators=et_trees, random_state=seed)
    return [IterativeImputer(max_iter=10, keep_empty_features=True, random_state=seed),
            IterativeImputer(estimator=trees, max_iter=et_rounds, keep_empty_features=True,
                             random_state=seed)]


def make(method, seed):
    """A fresh imputer for ``method`` (a name of :data:`METHODS`)."""
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer

    from skgain import GAINImputer

    if method == "GAINImputer()":
        return GAINImputer(random_state=seed)
    if method == "IterativeImputer(ExtraTrees)":
        trees = ExtraTreesRegressor(n_estimators=10, random_state=seed)
        return IterativeImputer(estimator=trees, max_iter=10, random_state=seed)
    if method == "IterativeImputer(BayesianRidge)":
        return IterativeImputer(max_iter=10, random_state=seed)
    if method == "KNNImputer":
        return KNNImputer()
    if method == "GAINImputer(blend_estimator=None)":
        return GAINImputer(blend_estimator=None, random_state=seed)
    if method.startswith("GAINImputer(blend: BayesianRidge + ExtraTrees x"):
        # "GAINImputer(blend: BayesianRidge + ExtraTrees x3 rounds; max_epochs=150)"
        inside = method[len("GAINImputer(blend: "):-1].split("; ")
        rounds = int(inside[0].split(" x")[1].split()[0])
        extra = {k: int(v) for k, v in (item.split("=") for item in inside[1:])}
        return GAINImputer(blend_estimator=_blend(seed, rounds), random_state=seed, **extra)
    raise ValueError(f"unknown method {method!r}")


def _rmse(truth, imputed, hidden, data_min, data_range):
    diff = (np.asarray(imputed) - truth) / data_range
    return float(np.sqrt(np.mean(diff[hidden] ** 2)))


def _warm_up(method):
    """Seconds of a first fit on a tiny table (imports and lazy initialisation)."""
    rng = np.random.RandomState(0)
    X = rng.rand(60, 5)
    X[rng.rand(*X.shape) < 0.2] = np.nan
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imputer = make(method, 0)
        imputer.fit_transform(X)
        imputer.transform(X)
    return time.perf_counter() - start


def measure(method, seed, data):
    """fit_transform on the training rows, transform on the unseen rows."""
    X, X_missing, hidden = data["X"], data["X_missing"], data["hidden"]
    train, test = data["train"], data["test"]
    data_min = X.min(axis=0)
    data_range = np.where(np.ptp(X, axis=0) > 0, np.ptp(X, axis=0), 1.0)
    imputer = make(method, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = imputer.fit_transform(X_missing[train])
        fit_seconds = time.perf_counter() - wall
        unseen = imputer.transform(X_missing[test])
    record = {
        "rmse_fit": _rmse(X[train], fitted, hidden[train], data_min, data_range),
        "rmse_unseen": _rmse(X[test], unseen, hidden[test], data_min, data_range),
        "seconds": time.perf_counter() - wall,
        "fit_seconds": fit_seconds,
        "cpu_seconds": time.process_time() - cpu,
        "pickle_mb": len(pickle.dumps(imputer)) / 2**20,
    }
    for name in ("n_iter_", "max_epochs_"):
        if hasattr(imputer, name):
            record[name.rstrip("_")] = int(getattr(imputer, name))
    return record


def main(job_path):
    job = json.loads(open(job_path).read())
    import threadpoolctl

    threadpoolctl.threadpool_limits(job["threads"])
    torch_seconds, skgain_seconds = _imports()
    import torch

    import skgain

    torch.set_num_threads(job["threads"])
    data = dict(np.load(job["data"]))
    records = []
    for method in job["methods"]:
        first_use = _warm_up(method)
        record = measure(method, job["seed"], data)
        record.update(method=method, first_use_seconds=first_use,
                      import_torch_seconds=torch_seconds, import_skgain_seconds=skgain_seconds,
                      skgain_version=skgain.__version__, skgain_path=skgain.__file__,
                      torch_threads=torch.get_num_threads())
        records.append(record)
    json.dump(records, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
