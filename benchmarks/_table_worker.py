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


def _partner(spec, seed):
    """One blend partner: "BayesianRidge", "KNN", "ExtraTrees x3 rounds" or
    "ExtraTrees(5) x3 rounds" (trees, then IterativeImputer rounds)."""
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer

    if spec == "BayesianRidge":
        return IterativeImputer(max_iter=10, keep_empty_features=True, random_state=seed)
    if spec == "KNN":
        return KNNImputer(keep_empty_features=True)
    name, rounds = spec.split(" x")
    # "ExtraTrees(5)" or "ExtraTrees(10, sqrt)": trees, then features tried per split.
    args = name[len("ExtraTrees("):-1].split(", ") if "(" in name else ["10"]
    forest = ExtraTreesRegressor(n_estimators=int(args[0]), random_state=seed,
                                 max_features=args[1] if len(args) > 1 else 1.0)
    return IterativeImputer(estimator=forest, max_iter=int(rounds.split()[0]),
                            keep_empty_features=True, random_state=seed)


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
    if method.startswith("GAINImputer(max_epochs="):
        return GAINImputer(max_epochs=int(method[len("GAINImputer(max_epochs="):-1]),
                           random_state=seed)
    if method.startswith("GAINImputer(blend: "):
        # "GAINImputer(blend: BayesianRidge + ExtraTrees(5) x3 rounds; max_epochs=150)"
        inside = method[len("GAINImputer(blend: "):-1].split("; ")
        partners = [_partner(spec, seed) for spec in inside[0].split(" + ")]
        extra = {k: int(v) for k, v in (item.split("=") for item in inside[1:])}
        return GAINImputer(blend_estimator=partners, random_state=seed, **extra)
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


# Where a GAINImputer fit's time goes: (stage, functions of skgain/_gain.py or
# _adversarial.py whose cumulative time it is). The names exist in the
# reference commit's code too; a missing one counts 0.
STAGES = (("network training steps", ("run_single_epoch",)),
          ("validation for early stopping", ("_validation_rmse",)),
          ("blend partners and weights", ("_fit_blend", "_refit_blend")))


def profile_stages(method, seed, data):
    """Seconds of each of :data:`STAGES` in ``fit_transform`` of the training rows
    (under cProfile, which slows Python-heavy code: read the shares)."""
    import cProfile
    import pstats

    imputer = make(method, seed)
    profile = cProfile.Profile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profile.enable()
        imputer.fit_transform(data["X_missing"][data["train"]])
        profile.disable()
    stats = pstats.Stats(profile).stats
    cumulative = {}
    for (path, _, name), (_, _, _, total, _) in stats.items():
        if path.endswith(("_gain.py", "_adversarial.py", "_base.py")):
            # The outermost call of a name (GAINImputer's, not its super()'s).
            cumulative[name] = max(cumulative.get(name, 0.0), total)
    stages = {stage: sum(cumulative.get(name, 0.0) for name in names)
              for stage, names in STAGES}
    stages["fit_transform (all of it)"] = cumulative.get("fit_transform", 0.0)
    return stages


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
        if job.get("profile") and method.startswith("GAINImputer"):
            record["stages"] = profile_stages(method, job["seed"], data)
        records.append(record)
    json.dump(records, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
