"""Smoke tests of the benchmark runner and of the speed table (tiny settings)."""

import importlib.util
import json
import sys
import warnings

import numpy as np
import pytest
import torch

import skgain
from benchmarks import __main__ as runner
from benchmarks import scale, speed
from benchmarks._memory import PeakMemory

# Benchmark smoke runs: behind the slow marker (they need the benchmarks extra).
pytestmark = pytest.mark.slow

TINY = {"tables": [(60, 4)], "images": [(2, 8)], "zero_shot": [(24, 8)], "epochs": 1,
        "repeats": 1}


@pytest.fixture
def tiny_speed(monkeypatch):
    # The runner always passes quick=True here; shrink "quick" further so the
    # smoke test costs seconds. One torch thread: on a CPU shared with other
    # jobs, extra threads only wait for each other, and no timing is checked.
    monkeypatch.setitem(speed.SETTINGS, "quick", TINY)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The tiny zero-shot image has fewer crops than min_crops; that is expected here.
@pytest.mark.filterwarnings("ignore:pruning with beta")
def test_runner_speed_quick_writes_results(tiny_speed, tmp_path):
    assert runner.main(["speed", "--quick", "--out", str(tmp_path)]) == 0
    payload = json.loads((tmp_path / "speed.json").read_text())
    markdown = (tmp_path / "speed.md").read_text()
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "speed.png").stat().st_size > 1000
        assert "(speed.png)" in markdown
    assert payload["experiment"] == "speed"
    assert payload["mode"] == "quick"
    assert payload["settings"]["epochs"] == 1

    rows = payload["rows"]
    names = {row["estimator"] for row in rows}
    tabular = {n for n in speed.skgain_imputers() if n not in speed.NOT_TABULAR}
    # Every skgain imputer is timed, plus the scikit-learn references.
    assert set(speed.skgain_imputers()) <= names
    assert {"SimpleImputer (sklearn)", "KNNImputer (sklearn)"} <= names
    assert not [row for row in rows if "error" in row]
    for row in rows:
        assert row["fit_s"] > 0 and np.isfinite(row["fit_s"])
        assert row["transform_per_s"] > 0
        assert row["peak_mib"] >= 0
        assert row["device"] in ("cpu", "cuda")
        assert row["estimator"] in markdown
    gain = [row for row in rows if row["estimator"] == "GAINImputer" and row["device"] == "cpu"]
    assert len(gain) == 1 and gain[0]["epochs"] == 1  # fixed epochs, no early stop
    assert gain[0]["unit"] == "rows" and gain[0]["n_units"] == 60
    assert tabular <= {row["estimator"] for row in rows if row["data"] == "table 60 x 4"}
    for row in rows:
        # Image imputers are timed per image, with the same fixed epochs.
        if row["estimator"] in speed.IMAGE_IMPUTERS:
            assert (row["unit"], row["n_units"], row["epochs"]) == ("images", 2, 1)
        if row["estimator"] in speed.SINGLE_IMAGE_IMPUTERS:
            assert (row["unit"], row["n_units"], row["epochs"]) == ("images", 1, 1)
    # The markdown says which mode made the numbers and on what hardware.
    assert "Mode: **quick**" in markdown
    assert payload["environment"]["cpu"] in markdown
    assert markdown.count("| quick |") == len(rows)


def test_runner_rejects_unknown_and_reports_missing(monkeypatch):
    with pytest.raises(SystemExit):
        runner.main(["nope"])
    with pytest.raises(ValueError, match="Unknown experiment 'nope'"):
        runner.load("nope")
    # An experiment whose module is not (yet) in the checkout gives a clear error.
    monkeypatch.setattr(runner, "EXPERIMENTS", (*runner.EXPERIMENTS, "not_there"))
    with pytest.raises(runner.MissingExperiment, match="benchmarks/not_there.py"):
        runner.load("not_there")


def test_runner_all_runs_every_available_experiment(tmp_path, monkeypatch):
    called = []

    class Fake:
        @staticmethod
        def run(quick, data_home, out_dir):
            called.append((quick, data_home, out_dir))

    monkeypatch.setattr(runner, "available", lambda: ["speed", "tabular"])
    monkeypatch.setattr(runner, "load", lambda name: Fake)
    assert runner.main(["all", "--quick", "--out", str(tmp_path), "--data-home", "d"]) == 0
    assert len(called) == 2
    assert all(quick is True and str(out) == str(tmp_path) and str(home) == "d"
               for quick, home, out in called)
    timing = json.loads((tmp_path / "all_quick.json").read_text())
    assert set(timing["seconds"]) == {"speed", "tabular"}
    assert timing["total_seconds"] == pytest.approx(sum(timing["seconds"].values()))
    assert "| **total** |" in (tmp_path / "all_quick.md").read_text()


def test_runner_restores_torch_threads_after_each_experiment(tmp_path, monkeypatch):
    seen = []

    class PinsOneThread:
        @staticmethod
        def run(quick, data_home, out_dir):
            seen.append(torch.get_num_threads())
            torch.set_num_threads(1)

    threads = torch.get_num_threads()
    monkeypatch.setattr(runner, "available", lambda: ["speed", "tabular"])
    monkeypatch.setattr(runner, "load", lambda name: PinsOneThread)
    try:
        torch.set_num_threads(2)
        assert runner.main(["all", "--quick", "--out", str(tmp_path)]) == 0
        assert seen == [2, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_runner_quick_defaults_to_its_own_results_folder(monkeypatch):
    # A smoke run must never overwrite the committed full results.
    called = []

    class Fake:
        @staticmethod
        def run(quick, data_home, out_dir):
            called.append(out_dir)

    monkeypatch.setattr(runner, "load", lambda name: Fake)
    assert runner.main(["speed", "--quick"]) == 0
    assert runner.main(["speed"]) == 0
    assert called == [runner.RESULTS_DIR / "quick", None]


def test_available_lists_existing_modules():
    assert "speed" in runner.available()
    assert set(runner.available()) <= set(runner.EXPERIMENTS)


def test_peak_memory_sees_a_large_allocation():
    with PeakMemory() as memory:
        block = np.ones((2000, 2000))  # 30.5 MiB
        block += 1
    del block
    assert memory.method in ("rss", "tracemalloc")
    assert 25 < memory.peak_mib < 200
    assert memory.cuda_peak_mib is None


def test_make_table_and_images_have_missing_entries():
    X = speed.make_table(200, 6)
    assert X.shape == (200, 6)
    assert 0.1 < np.isnan(X).mean() < 0.3
    images = speed.make_images(3, 16)
    assert images.shape == (3, 16, 16)
    observed = images[~np.isnan(images)]
    assert observed.min() >= 0 and observed.max() <= 1
    assert 0.1 < np.isnan(images).mean() < 0.3


def test_skgain_imputers_lists_public_imputers():
    found = speed.skgain_imputers()
    assert "GAINImputer" in found and "SoftImputeFISTA" in found
    assert all(name in skgain.__all__ for name in found)
    # The blend of other imputers cannot be built without them.
    assert "BlendImputer" in skgain.__all__ and "BlendImputer" not in found


def test_every_experiment_has_the_runner_signature():
    # The runner calls run(quick=..., data_home=..., out_dir=...) on each module.
    import inspect

    for name in runner.available() + list(runner.ON_REQUEST):
        parameters = inspect.signature(runner.load(name).run).parameters
        for argument in ("quick", "data_home", "out_dir"):
            assert argument in parameters, f"benchmarks/{name}.py run() lacks {argument}"
        assert parameters["quick"].default is False


def test_every_benchmark_module_is_registered():
    # A script outside the runner is an experiment nobody can rerun the same way.
    from pathlib import Path

    here = Path(runner.__file__).resolve().parent
    modules = {p.stem for p in here.glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(runner.EXPERIMENTS) | set(runner.ON_REQUEST)
    assert not set(runner.EXPERIMENTS) & set(runner.ON_REQUEST)


@pytest.mark.parametrize("pattern", ["mcar", "mar", "mnar"])
def test_table_patterns_hide_the_asked_rate(pattern):
    from benchmarks._table_data import hide

    rng = np.random.RandomState(0)
    X = rng.rand(2000, 10) @ rng.rand(10, 10)
    X_missing, hidden = hide(X, pattern, 0.2, seed=1)
    assert hidden.mean() == pytest.approx(0.2, abs=0.01)
    np.testing.assert_array_equal(np.isnan(X_missing), hidden)
    np.testing.assert_array_equal(X_missing[~hidden], X[~hidden])
    if pattern == "mar":
        # 3 of 10 columns stay observed and drive the others' missingness.
        assert (hidden.sum(axis=0) == 0).sum() == 3
    if pattern == "mnar":
        # Self-masking: hidden entries are the larger values of their column.
        above = X > np.median(X, axis=0)
        assert hidden[above].mean() > 2 * hidden[~above].mean()


def test_tabular_protocol_scores_fit_and_unseen_rows():
    from sklearn.impute import SimpleImputer

    from benchmarks import tabular

    # Not seed 0 for the data: hide's mask would then be the data itself.
    X = np.random.RandomState(5).rand(100, 4)
    X_missing, hidden = tabular.hide(X, "mcar", 0.2, seed=0)
    rows = tabular.split_rows(100, seed=0)
    assert len(rows[1]) == 20 and not set(rows[0]) & set(rows[1])
    record = tabular.measure_one(SimpleImputer(), X, X_missing, hidden, rows,
                                 (X.min(axis=0), np.ptp(X, axis=0)))
    # Mean imputation of uniform values: RMSE about sqrt(1/12) = 0.29.
    assert 0.25 < record["rmse_fit"] < 0.33 and 0.25 < record["rmse_unseen"] < 0.33
    summary = tabular.summarise([
        {**record, "dataset": "t", "pattern": "mcar", "seed": 0, "method": name,
         "shape": [100, 4], "seconds": seconds}
        for name, seconds in ((tabular.ET, 2.0), (tabular.GAIN, 1.0))
    ])
    assert summary["t/mcar"][tabular.GAIN]["x_et"] == pytest.approx(0.5)


def test_tabular_mode_line_names_each_cpu_the_records_came_from():
    from benchmarks import tabular

    base = {"torch_threads": 1, "load_average_1min": 1.0, "seed": 0}
    line = tabular.mode_line([{**base, "cpu": "CPU B"}, {**base, "cpu": "CPU A"}, base],
                             quick=False)
    assert "(CPU A; CPU B; CPU not recorded)" in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the machine without CUDA")
def test_gpu_check_refuses_to_run_without_cuda(tmp_path):
    from benchmarks import gpu

    with pytest.raises(ValueError, match="No CUDA device"):
        gpu.run(quick=True, out_dir=tmp_path)
    assert "gpu" not in runner.EXPERIMENTS  # never part of "all"
    assert runner.load("gpu") is gpu


def test_gpu_check_smoke_on_the_cpu_writes_each_stage(data_home, tmp_path):
    from benchmarks import gpu

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gpu.run(quick=True, data_home=data_home, out_dir=tmp_path, stages=("images",),
                allow_cpu=True, image_params={"max_epochs": 1, "batch_size": 4})
    finally:
        torch.set_num_threads(threads)
    payload = json.loads((tmp_path / "gpu.json").read_text())
    rows = {row["method"]: row for row in payload["stages"]["images"]["rows"]}
    capped = "SpatialGAINImputer (defaults, max_epochs=1, batch_size=4)"
    from benchmarks.image_views import CONFIGS, VIEWS

    same_fit = {f"same fit: {VIEWS[augment]}, {precision}" for augment, precision in CONFIGS}
    assert set(rows) == {capped, "skimage inpaint_biharmonic"} | same_fit
    assert rows[capped]["epochs"] == 1
    assert rows[capped]["inference_precision"] in ("float32", "bfloat16")
    assert all(0 < row["rmse"] < 0.5 for row in rows.values())
    # The same fit under its own choices gives the defaults' row's imputations.
    chosen = rows[capped]["test_time_augmentation"], rows[capped]["inference_precision"]
    assert rows[f"same fit: {VIEWS[chosen[0]]}, {chosen[1]}"]["rmse"] == rows[capped]["rmse"]
    markdown = (tmp_path / "gpu.md").read_text()
    assert "auto chose test_time_augmentation=" in markdown
    assert "## images" in markdown and "Not run" in markdown.split("## tables")[1]


def test_gpu_profile_smoke_on_the_cpu_counts_steps_and_arithmetic(data_home, tmp_path):
    from benchmarks import gpu

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gpu.run(quick=True, data_home=data_home, out_dir=tmp_path, stages=("profile",),
                allow_cpu=True)
    finally:
        torch.set_num_threads(threads)
    result = json.loads((tmp_path / "gpu.json").read_text())["stages"]["profile"]
    jobs = result["jobs"]
    assert [name.split(",")[0] for name in jobs] == [
        "SpatialGAINImputer", "ZeroShotSpatialImputer", "GAINImputer"]
    for job in jobs.values():
        assert job["optimizer_steps"] > 1 and job["gflop_per_step"] > 0
        # No CUDA: no kernel launches, but the operators are counted.
        assert job["kernel_launches_per_step"] == 0 and job["aten_ops_per_step"] > 10
        assert 0 < job["achieved_tflops"] < 10 * result["matmul_tflops"]
    # SpatialGAIN on 4 images: 1 batch, 25 crops of 32x32 of the 160x160 images.
    assert jobs["SpatialGAINImputer, 1 epoch of the defaults on tench images"][
        "optimizer_steps"] == 25
    assert result["fill_ms"] > 0
    markdown = (tmp_path / "gpu.md").read_text()
    assert "of the matmul rate" in markdown and "GFLOP / step" in markdown


def test_gpu_render_keeps_the_stages_an_earlier_run_measured(tmp_path):
    from benchmarks import gpu

    def stage(seconds):
        return {"summary": "3 passed", "failures": [], "seconds": seconds}

    earlier = {"environment": {}, "mode": "full",
               "stages": {"tests": stage(1.0), "paper": {"error": "old"}}}
    later = {"environment": {}, "mode": "full", "stages": {"tests": stage(2.0)}}
    (tmp_path / "earlier.json").write_text(json.dumps(earlier))
    (tmp_path / "later.json").write_text(json.dumps(later))
    gpu.main(["--render", str(tmp_path / "later.json"), "--keep-stages-from",
              str(tmp_path / "earlier.json"), "--out", str(tmp_path / "out"), "--note", "kept"])
    payload = json.loads((tmp_path / "out" / "gpu.json").read_text())
    assert payload["stages"]["tests"]["seconds"] == 2.0  # the later run's own stage wins
    assert payload["stages"]["paper"] == {"error": "old"}
    assert "speed" not in payload["stages"] and payload["notes"] == ["kept"]
    assert payload["kept_stages"] == ["paper"]
    paper = (tmp_path / "out" / "gpu.md").read_text().split("## paper")[1]
    assert "From an earlier run" in paper


def test_gpu_check_reports_failing_tests_by_name_and_failed_stages():
    from benchmarks import gpu

    payload = {"environment": {}, "mode": "full", "notes": ["a note"], "stages": {
        "tests": {"summary": "1 failed, 2 passed", "failures": ["FAILED tests/x.py::t"],
                  "seconds": 3.0},
        "tables": {"error": "RuntimeError: boom", "seconds": 1.0}}}
    markdown = gpu.render(payload)
    assert "`FAILED tests/x.py::t`" in markdown
    assert "Total:" not in markdown  # a run before the total was recorded
    assert "Total: **12 s** for the stages run (tests, tables)" in gpu.render(
        dict(payload, total_seconds=12.3))
    assert "Failed: `RuntimeError: boom`" in markdown
    assert "- a note" in markdown
    with pytest.raises(ValueError, match="Unknown stage"):
        gpu.run(stages=("nope",), allow_cpu=True)


def test_scale_quick_writes_rows_exponents_and_skips(monkeypatch, tmp_path):
    monkeypatch.setitem(scale.SETTINGS, "quick", {"rows": [300, 600, 1200],
                                                  "memmap_from": 1200})
    # A limit the quadratic KNN must hit (its time counted as at least 1 s):
    # its second size is skipped with the reason, and so is every larger one.
    monkeypatch.setattr(scale, "CELL_LIMIT_S", 1.0)
    monkeypatch.setattr(scale, "_skip_reason", _knn_only_skip(scale._skip_reason))
    threads = torch.get_num_threads()
    assert runner.main(["scale", "--quick", "--out", str(tmp_path)]) == 0
    assert torch.get_num_threads() == threads
    payload = json.loads((tmp_path / "scale.json").read_text())
    markdown = (tmp_path / "scale.md").read_text()
    assert payload["mode"] == "quick" and payload["threads"] == 1
    assert not (tmp_path / "scale_partial.json").exists()
    rows = payload["rows"]
    assert len(rows) == 3 * len(scale.methods())
    assert [r["memmap"] for r in rows if r["method"] == "GAINImputer"] == [False, False, True]
    knn = [r for r in rows if r["method"] == "KNNImputer (sklearn)"]
    assert "skipped" not in knn[0] and "limit" in knn[1]["skipped"]
    assert knn[2]["skipped"] == knn[1]["skipped"]
    for row in rows:
        if "skipped" not in row:
            assert row["total_s"] > 0 and row["peak_mib"] >= 0
    gain = payload["exponents"]["GAINImputer"]
    assert gain["sizes"] == [300, 600, 1200] and np.isfinite(gain["time"])
    assert payload["exponents"]["KNNImputer (sklearn)"] == {"time": None, "memory": None,
                                                            "sizes": [300]}
    assert "Mode: **quick**" in markdown and "skipped: predicted" in markdown


def _knn_only_skip(original):
    def skip(last, n_rows, exponent, input_mib):
        if exponent == 2 and last is not None:
            last = {**last, "total_s": max(last["total_s"], 1.0)}
            return original(last, n_rows, exponent, input_mib)
        return None
    return skip


def test_growth_exponent_recovers_a_power_law():
    rows = [10, 100, 1000]
    assert scale.growth_exponent(rows, [2 * r**1.5 for r in rows]) == pytest.approx(1.5)
    assert scale.growth_exponent([10], [1.0]) is None


def test_blend_ablation_rows_are_public_fits():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from benchmarks import blend_ablation
    from benchmarks._table_data import hide, load_table
    from benchmarks.tabular import split_rows
    from skgain import GAINImputer

    X = load_table("iris")
    scale = (X.min(axis=0), np.ptp(X, axis=0))
    variants = (blend_ablation.DEFAULT, blend_ablation.PREVIOUS,
                "BayesianRidge + ExtraTrees (no network)")
    record = blend_ablation.measure_one(X, 0, scale, variants)
    assert all(0 < record[v] < 1 and 0 < record[v + blend_ablation.FIT] < 1 for v in variants)
    assert sum(record[f"weights: {blend_ablation.DEFAULT}"]) == pytest.approx(1.0)
    assert len(record["weights: BayesianRidge + ExtraTrees (no network)"]) == 2
    # The default row is GAINImputer's default.
    X_missing, hidden = hide(X, "mcar", blend_ablation.MISSING_RATE, 0)
    train, test = split_rows(len(X), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = GAINImputer(random_state=0).fit(X_missing[train]).transform(X_missing[test])
    error = blend_ablation.scaled_rmse(X[test], out, hidden[test], *scale)
    assert error == pytest.approx(record[blend_ablation.DEFAULT], rel=1e-12)
    assert record[blend_ablation.PREVIOUS] != record[blend_ablation.DEFAULT]


def test_gpu_profile_renders_a_result_stored_before_the_jobs():
    from benchmarks import gpu

    # The committed gpu.json's profile (one SpatialGAIN job, no arithmetic).
    old = {"n_images": 64, "n_steps": 100, "epoch_s": 2.6, "step_ms": 25.8, "fill_ms": 14.1,
           "kernel_launches_per_step": 1358.54, "host_waits_per_step": 17.4,
           "aten_ops_per_step": 5204.6, "seconds": 88.3}
    markdown = gpu._render_stage("profile", old)
    assert "**25.8 ms per step**" in markdown and "1359 kernel launches" in markdown


def test_sample_tables_are_complete_numeric_rows():
    pytest.importorskip("matplotlib")
    pytest.importorskip("statsmodels")
    from benchmarks._table_data import load_table

    shapes = {"goog": (1047, 6), "stocks": (71, 10), "fertility": (192, 52)}
    for name, shape in shapes.items():
        X = load_table(name)
        assert X.shape == shape and np.isfinite(X).all(), name


def test_gain_ablation_ideas_build_the_measured_imputers():
    from benchmarks.gain_ablation import build
    from benchmarks.tabular import AverageImputer

    # The ensembles' epochs: max_epochs="auto" of these rows, read from a fit.
    X_train = np.random.RandomState(0).rand(4601, 2)
    ensemble = build("ensemble of 2 generators, half the epochs each", 3, 4601, X_train)
    assert isinstance(ensemble, AverageImputer)
    assert [m.random_state for m in ensemble.imputers] == [3, 103]
    assert [m.max_epochs for m in ensemble.imputers] == [109, 109]  # half of 218
    full = build("ensemble of 2 generators", 3, 4601, X_train)
    assert [m.max_epochs for m in full.imputers] == ["auto", "auto"]
    X = np.arange(40.0).reshape(20, 2) / 4
    X[:, 1] = np.round(X[:, 1])  # column 0 keeps halves: 0, 0.5, 1, ...
    categorical = build("categorical_features: the integer-valued columns", 0, 20, X)
    assert list(categorical.categorical_features) == [1]


def test_gain_ablation_epoch_and_width_rows_are_public_settings():
    from benchmarks.gain_ablation import build

    rng = np.random.RandomState(0)
    # "max_epochs xF": F times the epochs that show 1 million rows, within
    # 100-300 (a unit of the benchmark's, pinned: 100 on letter's 16,000 rows).
    assert build("max_epochs x3", 0, 3680).max_epochs == 3 * 272
    assert build("n_blocks=2, batch_size=1024, learning_rate=6e-3, max_epochs x1.75",
                 0, 16000).max_epochs == 175
    # The width cap applies to the width GAINImputer resolves for these rows
    # (hidden_dim_ of a fit): 256 from about 1,500 rows on, 64 below 700.
    variant = "n_blocks=2, width at most 192, max_epochs x2"
    capped = build(variant, 0, 2000, rng.rand(2000, 3))
    assert (capped.hidden_dim, capped.n_blocks, capped.max_epochs) == (192, 2, 600)
    assert build(variant, 0, 300, rng.rand(300, 3)).hidden_dim == 64


def test_ablations_use_only_public_skgain_names():
    # Issue 29, item 4: an ablation varies a parameter or a network passed in,
    # not a private method of a subclass or a private name of the package.
    import ast
    from pathlib import Path

    estimators = {name for name in skgain.__all__ if name[0].isupper()}
    found = []
    for path in sorted((Path(__file__).parents[1] / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("skgain"):
                found += [f"{path.name}: from {node.module} import {a.name}"
                          for a in node.names
                          if node.module.split(".")[-1].startswith("_")
                          or a.name.startswith("_")]
            elif isinstance(node, ast.Import):
                found += [f"{path.name}: import {a.name}" for a in node.names
                          if a.name.startswith("skgain._")]
            elif isinstance(node, ast.ClassDef):
                found += [f"{path.name}: class {node.name}({b.id})" for b in node.bases
                          if isinstance(b, ast.Name) and b.id in estimators]
    assert not found, found


def test_image_ablation_rows_are_public_fits(data_home):
    from benchmarks import image_ablation
    from skgain import SpatialGAINImputer

    variants = ["before: constant learning rate", "one-cycle, drop_rate=0.3"]
    # Every variant is the public estimator with its parameters.
    built = image_ablation.build(variants[1], 0, 1)
    assert type(built) is SpatialGAINImputer
    assert (built.lr_schedule, built.drop_rate) == ("one-cycle", 0.3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        records = image_ablation.run_variants(variants, data_home,
                                              image_ablation.QUICK_SETTINGS)
    finally:
        torch.set_num_threads(threads)
    assert [r["variant"] for r in records] == ["inpaint_biharmonic"] + variants
    assert all(0 < r["rmse_1"] < 0.5 and 0 < r["rmse_8"] < 0.5 for r in records[1:])
    markdown = image_ablation.render(records, image_ablation.QUICK_SETTINGS)
    assert "| one-cycle, drop_rate=0.3 |" in markdown


def test_gain_ablation_blend_variants_bound_the_blend_as_named():
    from benchmarks.gain_ablation import build
    from skgain import BlendImputer

    margins = {}
    for variant in ("blend, clipped to the observed range (the default before)",
                    "blend, clipped a quarter range beyond the observed range (the default)",
                    "blend, not clipped"):
        blend = build(variant, 0, 20).blend_estimator
        assert isinstance(blend, BlendImputer) and len(blend.estimators) == 2
        margins[variant.split(",")[1].strip()[:12]] = blend.margin
    assert margins == {"clipped to t": 0.0, "clipped a qu": 0.25, "not clipped": None}
    # The network ablations keep the network alone.
    assert build("default", 0, 20).blend_estimator is None


def test_tabular_previous_epochs_row_is_the_uncapped_budget():
    from benchmarks import tabular
    from skgain import GAINImputer

    def planned_epochs(n_rows):
        """The epochs the default network alone plans for ``n_rows`` rows: its
        fitted ``max_epochs_`` after a two-epoch run (early stopping does not
        change it; no blend, whose cap is another matter)."""
        rng = np.random.RandomState(0)
        X = np.where(rng.rand(n_rows, 3) < 0.2, np.nan, rng.rand(n_rows, 3))
        probe = GAINImputer(blend_estimator=None, n_iter_no_change=1, tol=1.0, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # two epochs may be worse than the means
            return probe.fit(X).max_epochs_

    # 178 training rows: up to 1000 epochs before the cap, 300 now; from
    # 3,334 rows on the two agree.
    assert tabular.methods(0, 178)[tabular.PREVIOUS_EPOCHS].max_epochs == 1000
    assert planned_epochs(178) == 300
    assert tabular.methods(0, 4601)[tabular.PREVIOUS_EPOCHS].max_epochs == 218
    assert planned_epochs(4601) == 218


def test_tabular_verdicts_pair_seeds_and_count_clear_losses():
    from benchmarks import tabular

    def record(method, seed, fit, unseen):
        return {"dataset": "t", "pattern": "mcar", "seed": seed, "method": method,
                "shape": [10, 2], "rmse_fit": fit, "rmse_unseen": unseen, "seconds": 1.0,
                "cpu_seconds": 1.0}

    # GAIN is behind ExtraTrees by exactly 0.01 on every seed's fitted rows
    # (a clear loss however small), and ahead by 0.05 +- 0.1 on unseen rows.
    records = [record(tabular.ET, s, 0.20 + 0.01 * s, 0.30) for s in range(4)]
    records += [record(tabular.GAIN, s, 0.21 + 0.01 * s, 0.30 - u)
                for s, u in enumerate((0.15, -0.05, 0.15, -0.05))]
    diff, error = tabular.paired_difference(records, "t/mcar", tabular.GAIN, tabular.ET,
                                            "rmse_unseen")
    assert diff == pytest.approx(-0.05) and error == pytest.approx(np.sqrt(0.04 / 3) / 2)
    lines = tabular.verdicts(tabular.summarise(records), tuned_on=(), records=records)
    assert "fit_transform +0.0100 ± 0.0000 (behind)" in lines[0]
    assert "unseen -0.0500 ± 0.0577 (within 2 SE)" in lines[0]
    assert "on at least one column: 1 of 1 (with 4 seeds" in lines[-1]


def test_image_test_time_benchmark_scores_each_setting_on_both_sets(
        data_home, monkeypatch, tmp_path):
    from benchmarks import image_test_time as bench

    monkeypatch.setattr(bench, "CONFIGS", [(0, False, 3e-3), (3, True, 3e-3)])
    settings = {**bench.SETTINGS, "n_train": 4, "n_val": 2, "max_epochs": 1, "photo_seeds": 1}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = tmp_path / "model.pkl"
        records = bench.run_parts(["val"], data_home, settings, model)
        # The second part reuses the saved fit instead of fitting again.
        records += bench.run_parts(["photos"], data_home, settings, model)
    finally:
        torch.set_num_threads(threads)
    assert [r["data"] for r in records] == ["fit"] + ["tench val"] * 3 + ["photos"] * 3
    assert records[0]["epochs"] == 1
    sizes = {r["data"]: len(r["rmse_per_image"]) for r in records[1:]}
    assert sizes == {"tench val": 2, "photos": len(bench.HELD_OUT_PHOTOS)}
    adapted = [r for r in records if r.get("test_time_steps") == 3]
    assert [r["symmetries"] for r in adapted] == [True, True]
    for r in records[1:]:
        assert 0 < r["pooled_rmse"] < 0.5
        assert min(r["rmse_per_image"]) <= r["pooled_rmse"] <= max(r["rmse_per_image"])
    markdown = bench.render(records, settings)
    assert "3 steps, 8 symmetries, rate 0.003" in markdown and "never tuned on" in markdown


def test_image_views_benchmark_scores_each_view_and_precision_per_seed(data_home, tmp_path):
    from benchmarks import image_views as bench

    settings = {**bench.SETTINGS, "n_train": 4, "n_val": 2, "max_epochs": 1, "photo_seeds": 1}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        records = []
        for seed in (0, 1):
            records += bench.run_seed(seed, ["val"], data_home, settings,
                                    tmp_path / f"m{seed}.pkl")
    finally:
        torch.set_num_threads(threads)
    fits = [r for r in records if r["data"] == "fit"]
    assert [f["seed"] for f in fits] == [0, 1] and all(f["epochs"] == 1 for f in fits)
    assert all(f["test_time_augmentation_"] in (False, "flip", True) for f in fits)
    ours = [r for r in records if r.get("method") == "SpatialGAINImputer"]
    assert [(r["test_time_augmentation"], r["inference_precision"]) for r in ours] == (
        bench.CONFIGS * 2)
    # Different masks per seed: the seeds' biharmonic errors differ.
    bih = [r["pooled_rmse"] for r in records if r.get("method") == "inpaint_biharmonic"]
    assert len(bih) == 2 and bih[0] != bih[1]
    for r in ours:
        assert 0 < r["pooled_rmse"] < 0.5 and len(r["rmse_per_image"]) == 2
    # bfloat16 passes move the imputations, by little.
    by_config = {(r["seed"], r["test_time_augmentation"], r["inference_precision"]):
                 r["pooled_rmse"] for r in ours}
    assert by_config[(0, False, "float32")] != by_config[(0, False, "bfloat16")]
    assert abs(by_config[(0, False, "float32")] - by_config[(0, False, "bfloat16")]) < 2e-3
    markdown = bench.render(records, settings)
    assert "mirror (2 passes), bfloat16" in markdown and "seed 1: 1 epochs run" in markdown
    # The defaults' row is each seed's own choice: the mean of those rows.
    defaults = next(line for line in markdown.splitlines() if "the defaults" in line)
    chosen = [(f["seed"], f["test_time_augmentation_"], f["inference_precision_"]) for f in fits]
    expected = np.mean([by_config[c] for c in chosen])
    assert defaults.split(" | ")[1] == f"{expected:.4f}"
    assert "photos" not in markdown.split("## ")[-1]


def test_merged_image_records_report_where_they_were_measured():
    from benchmarks.images import measured_when, merged_environment, run_context

    env = {"cpu": "merging CPU", "cpu_count": 2, "torch_threads": 2, "torch": "x",
           "cuda": None, "date": "2030-01-01 00:00 UTC"}
    here = run_context()
    records = [{**here, "date": "2026-11-27 10:00 UTC", "load_average_1min": 1.0},
               {**here, "date": "2026-11-27 12:00 UTC", "load_average_1min": 2.5}]
    merged = merged_environment(env, records)
    assert merged["torch_threads"] == str(here["torch_threads"]) and merged["cpu"] == here["cpu"]
    assert merged["date"] == "2026-11-27 10:00 UTC to 2026-11-27 12:00 UTC"
    assert merged["load"] == "1.0-2.5"
    # Records written before they carried their context keep the merger's.
    assert merged_environment(env, [{"seed": 0}]) == env
    line = measured_when(merged)
    assert "1-minute load average 1.0-2.5" in line and "2030" not in line


def test_results_go_to_the_experiments_folder_with_a_record(tmp_path, monkeypatch):
    from benchmarks import _common

    monkeypatch.setattr(_common, "RESULTS_DIR", tmp_path)
    assert _common.results_dir("demo") == tmp_path / "demo"
    assert _common.results_dir("demo", tmp_path / "elsewhere") == tmp_path / "elsewhere"
    _common.write_results("demo", {"rows": []}, "# Demo")
    (tmp_path / "demo" / "demo_loss.png").write_bytes(b"png")
    _common.write_results("demo_variant", {}, "# Variant", experiment="demo", seeds=3)
    # A figure of the run with the longer name is not the shorter one's.
    (tmp_path / "demo" / "demo_variant_loss.png").write_bytes(b"png")
    _common.write_results("demo", {"rows": []}, "# Demo again")
    record = json.loads((tmp_path / "demo" / "record.json").read_text())
    # The latest run's record, naming what it wrote ...
    assert record["files"] == ["demo.json", "demo.md", "demo_loss.png"]
    for key in ("commit", "dirty", "skgain", "torch", "sklearn", "numpy", "cpu", "gpu",
                "torch_threads", "load_average", "date", "command"):
        assert key in record, key
    assert record["skgain"] == skgain.__version__
    assert len(record["commit"]) == 40 or record["commit"].startswith("unknown")
    # ... and the earlier run's record for the files it alone wrote.
    [earlier] = record["earlier"]
    assert earlier["files"] == ["demo_variant.json", "demo_variant.md"]
    assert earlier["seeds"] == 3


def test_table_speed_times_gain_beside_the_reference_and_the_peer(tmp_path):
    from benchmarks import table_speed

    pytest.importorskip("statsmodels")
    path = table_speed.run(tables=("danish_data",), quick=True, out_dir=tmp_path,
                           methods=(table_speed.GAIN, table_speed.ET))
    payload = json.loads((tmp_path / "table_speed.json").read_text())
    methods = [r["method"] for r in payload["records"]]
    assert methods.count(table_speed.GAIN) == 1 and table_speed.REFERENCE in methods
    for record in payload["records"]:
        assert record["seconds"] > record["fit_seconds"] > 0
        assert 0 < record["rmse_fit"] < 1 and 0 < record["rmse_unseen"] < 1
        assert record["first_use_seconds"] > 0 and record["pickle_mb"] > 0
    # Each code ran from its own package: this checkout's copy and the reference's.
    paths = {r["method"]: r["skgain_path"] for r in payload["records"]}
    assert paths[table_speed.GAIN] != paths[table_speed.REFERENCE]
    markdown = path.read_text()
    assert "| danish_data |" in markdown and "Where a fit's time goes" in markdown
    assert (tmp_path / "record.json").exists()


def test_table_speed_verdicts_compare_with_the_reference_within_a_standard_error():
    from benchmarks import table_speed

    def record(method, seed, fit, unseen, seconds):
        return {"table": "t", "seed": seed, "method": method, "shape": [10, 2],
                "rmse_fit": fit, "rmse_unseen": unseen, "seconds": seconds,
                "first_use_seconds": 1.0, "pickle_mb": 1.0}

    records = [record(table_speed.ET, s, 0.2, 0.2, 2.0) for s in (0, 1)]
    records += [record(table_speed.REFERENCE, 0, 0.10, 0.10, 6.0),
                record(table_speed.REFERENCE, 1, 0.12, 0.12, 6.0),
                record(table_speed.GAIN, 0, 0.11, 0.13, 1.0),
                record(table_speed.GAIN, 1, 0.12, 0.13, 1.0)]
    verdict = table_speed.verdicts(table_speed.summarise(records))
    # 0.5x ET; unseen 0.13 against 0.11 +- 0.01: lost.
    assert verdict == [["t", "0.50x", "3.00x", "met", "LOST"]]


def test_table_speed_scaling_writes_seconds_and_the_plot(tmp_path):
    from benchmarks import table_speed

    path = table_speed.run_scaling(out_dir=tmp_path, quick=True)
    payload = json.loads((tmp_path / "table_speed_scaling.json").read_text())
    assert {r["method"] for r in payload["records"]} == set(table_speed.SCALING_METHODS)
    assert all(r["shape"] == [200, 10] and r["seconds"] > 0 for r in payload["records"])
    assert "| 200x10 |" in path.read_text()
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "table_speed_scaling.png").stat().st_size > 1000


def test_demo_time_writes_the_seconds_and_the_demos_table(tmp_path):
    from benchmarks import demo_time

    fake_demo = ("print('digits: ...'); print('imputer  fit_transform  unseen rows  seconds'); "
                 "print('GAINImputer 0.1283 0.1360 48.8')")
    path = demo_time.run(out_dir=tmp_path, command=(sys.executable, "-c", fake_demo))
    payload = json.loads((tmp_path / "demo_time.json").read_text())
    assert payload["rows"] == [["GAINImputer", 0.1283, 0.136, 48.8]]
    assert 0 < payload["seconds"] < demo_time.TARGET_SECONDS
    assert "(met)" in path.read_text() and (tmp_path / "record.json").exists()


def test_rewritten_results_do_not_make_a_checkout_dirty(tmp_path, monkeypatch):
    import subprocess

    from benchmarks import _common

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "benchmarks" / "results" / "run.md").write_text("old\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "start")
    monkeypatch.setattr(_common, "REPO", tmp_path)
    (tmp_path / "benchmarks" / "results" / "run.md").write_text("new\n")
    assert _common.git_commit()[1] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert _common.git_commit()[1] is True


def test_image_speed_times_the_same_fit_under_the_base_and_the_head(data_home, tmp_path):
    from benchmarks import image_speed

    # Base and head the same commit: the same seeded fit, so the same RMSE.
    payload = image_speed.run(quick=True, data_home=data_home, out_dir=tmp_path, base="HEAD",
                              jobs=2)
    base, head = payload["records"]
    assert (base["variant"], head["variant"]) == ("base", "head")
    assert base["rmse"] == head["rmse"] and base["epochs"] == head["epochs"] == 1
    assert 0 < base["rmse"] < 1.5 * base["inpaint_biharmonic"]
    markdown = (tmp_path / "image_speed.md").read_text()
    assert "| base: the base commit's defaults |" in markdown and "| 1.00 |" in markdown
    assert json.loads((tmp_path / "record.json").read_text())["files"] == [
        "image_speed.json", "image_speed.md"]
