"""The GPU check in one command: ``python -m benchmarks gpu [--quick]``.

What a machine with a CUDA GPU must show, in one run of a few minutes:

1. ``tests``: the test suite's CUDA tests (``pytest -k cuda``), which CI (no
   GPU) always skips;
2. ``speed``: the speed table's cases on the GPU (``benchmarks.speed``'s
   tables and images, fixed epochs, early stopping off);
3. ``tables``: GAINImputer's defaults on the GPU against KNNImputer and
   IterativeImputer(ExtraTrees) on the same machine's CPU, on spam and letter
   (one seed, fit on 80% of rows, transform the unseen 20%, as in
   ``benchmarks.tabular``);
4. ``images``: SpatialGAINImputer's defaults trained on the GPU on the tench
   train split, transform of the val split against scikit-image's
   ``inpaint_biharmonic`` on the CPU (RMSE and images per second);
5. ``paper``: the SpatialGAIN paper's standard configuration and GAIN on
   flattened images, each for the paper's 15 epochs on the same split (the
   rows of ``benchmarks.images`` that a CPU cannot afford), against the
   paper's Table 1;
6. ``profile``: for each job of issue 31's GPU targets (an epoch of the tench
   fit, of the zero-shot fit of one image, two of GAINImputer on letter), the
   seconds, kernel launches, host waits and arithmetic per optimiser step,
   and the achieved arithmetic rate as a fraction of the device's float32
   matrix-product rate.

By default the command runs the check, ``CHECK_STAGES`` (tests, speed,
images and paper), sized to finish in under 5 minutes on one H100: the speed
cases are timed once each (the GPU is not shared, so repeats buy little) and
the images stage trains 2 epochs (the defaults' own up to 15 epochs take
about 10 minutes there). ``tables`` (whose CPU peers alone take minutes) and
``profile`` run when named in ``--stages``. The total time of the run is
written with the results.

Each stage's results are written to ``gpu.json`` as soon as it ends, so a run
stopped by a time limit keeps what it finished; a stage that fails records its
error and the next one runs. ``--quick`` shrinks every stage to a smoke test
(seconds on a CPU: with ``--allow-cpu`` it runs without CUDA, which is how CI
checks that this script works at all).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from ._common import REPO, Timer, default_data_home, environment, markdown_table, write_results

NAME = "gpu"
STAGES = ("tests", "tables", "images", "speed", "paper", "profile")
# What ``python -m benchmarks gpu`` runs: the check that fits in 5 minutes.
CHECK_STAGES = ("tests", "speed", "images", "paper")
# One timing per speed case on the GPU (speed.md's CPU rows take the median of 3).
GPU_SPEED_REPEATS = 1
SETTINGS = {
    "quick": {"tables": ("spam",), "n_train": 8, "n_val": 4, "image_epochs": 1,
              "paper_epochs": 1,
              "speed": {"tables": [(500, 8)], "images": [(4, 16)], "zero_shot": [(32, 8)],
                        "epochs": 1, "repeats": 1}},
    # speed None: speed.py's full settings.
    # image_epochs 2: the images stage's training, capped so that the check
    # fits in 5 minutes (about 40 s an epoch on an H100, gpu.md).
    "full": {"tables": ("spam", "letter"), "n_train": 963, "n_val": 387,
             "image_epochs": 2, "paper_epochs": 15, "speed": None},
}
TABLE_METHODS = ("GAINImputer (defaults)", "KNNImputer", "IterativeImputer(ExtraTrees)")


def _device(allow_cpu):
    if torch.cuda.is_available():
        return "cuda"
    if allow_cpu:
        return "cpu"
    raise ValueError("No CUDA device: the GPU check needs one (pass allow_cpu=True, or "
                     "--allow-cpu, for a smoke run on the CPU).")


# -------------------------------------------------------------------- stages
def stage_tests(device, quick, data_home):
    """Run the CUDA tests in a subprocess; return pytest's summary and exit code."""
    if quick:  # the smoke run only checks that the stage runs, not the suite
        return {"skipped": "quick mode"}
    env = dict(os.environ, SKGAIN_DATA=str(data_home))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfEs", "-k", "cuda",
                           "-p", "no:cacheprovider", "tests"],
                          cwd=REPO, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    summary = lines[-1] if lines else done.stderr.strip()[-500:]
    # -rfE lists each failure and error on its own line: keep them, not only the count.
    failures = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    return {"returncode": done.returncode, "summary": summary, "failures": failures,
            "passed": _count(summary, "passed"), "skipped": _count(summary, "skipped"),
            "failed": _count(summary, "failed")}


def _count(summary, word):
    found = re.search(rf"(\d+) {word}", summary)
    return int(found.group(1)) if found else 0


def stage_speed(device, quick, data_home):
    """The speed table's cases on ``device`` only (the CPU rows are speed.md's)."""
    from . import speed

    settings = (SETTINGS["quick"]["speed"] if quick
                else dict(speed.SETTINGS["full"], repeats=GPU_SPEED_REPEATS))
    speed.warm_up(speed.skgain_imputers(), [device])
    rows = []
    for case in speed.cases(settings, [device]):
        if case["device"] != device:  # scikit-learn's CPU baselines are speed.md's rows
            continue
        row = {key: case[key] for key in ("estimator", "data", "device", "unit", "n_units")}
        try:
            row.update(speed.measure(case["make"], case["X"], case["n_units"], device,
                                     settings["repeats"]))
        except Exception as exc:  # one failing case must not hide the others
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
        print(f"gpu speed: {row['estimator']} on {row['data']}: "
              f"{row.get('fit_s', row.get('error'))}", flush=True)
    return {"settings": settings, "rows": rows}


def stage_tables(device, quick, data_home):
    """GAINImputer on ``device`` against the CPU peers, one seed, spam and letter."""
    from . import tabular

    settings = SETTINGS["quick" if quick else "full"]
    # The original GAIN settings' rows are tabular.md's (they took 94 s here).
    only = (tabular.GAIN, "KNNImputer", tabular.ET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        records = tabular.measure(settings["tables"], ("mcar",), (0,), quick, data_home,
                                  only=only, device=device)
    return {"records": records}


def stage_images(device, quick, data_home, changed=None):
    """SpatialGAIN's defaults on ``device`` against inpaint_biharmonic on the CPU.

    ``changed`` maps parameters to values that replace the defaults' (for
    example ``{"max_epochs": 2}`` to cap the training, whose epochs and
    seconds the table gives); the row's name lists them.
    """
    from skgain import SpatialGAINImputer

    from . import images
    from ._common import mcar_hide

    settings = SETTINGS["quick" if quick else "full"]
    train, val = images.load_images(data_home, settings["n_train"], settings["n_val"])
    train_missing, _ = mcar_hide(train, images.MISSING_RATE, 0)
    val_missing, hidden = mcar_hide(val, images.MISSING_RATE, 1)
    changed = dict(changed or {})
    if settings["image_epochs"] is not None:
        changed.setdefault("max_epochs", settings["image_epochs"])
    params = dict(device=device, random_state=0, **changed)
    imputer = SpatialGAINImputer(**params)
    with Timer() as fit:
        imputer.fit(train_missing)
    with Timer() as transform:
        out = imputer.transform(val_missing)
    with Timer() as classic:
        reference = images.biharmonic(val_missing)
    rows = [
        {"method": "SpatialGAINImputer (defaults" + "".join(
            f", {key}={value}" for key, value in changed.items()) + ")",
         "device": imputer.device_,
         "rmse": images.rmse(val, out, hidden), "fit_s": fit.seconds,
         "epochs": imputer.n_iter_, "transform_img_per_s": len(val) / transform.seconds,
         "test_time_augmentation": imputer.test_time_augmentation_,
         "inference_precision": imputer.inference_precision_},
        {"method": "skimage inpaint_biharmonic", "device": "cpu",
         "rmse": images.rmse(val, reference, hidden), "fit_s": 0.0, "epochs": None,
         "transform_img_per_s": len(val) / classic.seconds},
    ]
    rows += _view_rows(imputer, val, val_missing, hidden)
    return {"n_train": len(train), "n_val": len(val), "rows": rows}


def _view_rows(imputer, val, val_missing, hidden):
    """The same fit's transform with each setting of ``image_views.CONFIGS``
    (views averaged, precision of the network's passes)."""
    from . import images
    from .image_views import CONFIGS, VIEWS

    chosen = imputer.test_time_augmentation_, imputer.inference_precision_
    rows = []
    for augment, precision in CONFIGS:
        imputer.test_time_augmentation_, imputer.inference_precision_ = augment, precision
        with Timer() as transform:
            out = imputer.transform(val_missing)
        rows.append({"method": f"same fit: {VIEWS[augment]}, {precision}",
                     "device": imputer.device_, "rmse": images.rmse(val, out, hidden),
                     "fit_s": None, "epochs": None,
                     "transform_img_per_s": len(val) / transform.seconds})
    imputer.test_time_augmentation_, imputer.inference_precision_ = chosen
    return rows


def stage_paper(device, quick, data_home):
    """The paper's standard SpatialGAIN and flattened GAIN for its 15 epochs on ``device``."""
    from skgain import GAINImputer, SpatialGAINImputer

    from . import images
    from ._common import mcar_hide

    settings = SETTINGS["quick" if quick else "full"]
    epochs = settings["paper_epochs"]
    train, val = images.load_images(data_home, settings["n_train"], settings["n_val"])
    train_missing, _ = mcar_hide(train, images.MISSING_RATE, 0)
    val_missing, hidden = mcar_hide(val, images.MISSING_RATE, 1)
    methods = {
        images.PAPER_STANDARD: SpatialGAINImputer(
            architecture="standard", **images.PAPER_PARAMS, max_epochs=epochs,
            device=device, random_state=0),
        "GAINImputer (flattened, hidden_dim=256)": GAINImputer(
            hidden_dim=256, batch_size=64, max_epochs=epochs, keep_empty_features=True,
            device=device, random_state=0),
    }
    rows = []
    for method, imputer in methods.items():
        flat = method.startswith("GAIN")
        with Timer() as fit:
            imputer.fit(train_missing.reshape(len(train), -1) if flat else train_missing)
        with Timer() as transform:
            out = imputer.transform(val_missing.reshape(len(val), -1) if flat else val_missing)
        rows.append({"method": method, "device": imputer.device_,
                     "rmse": images.rmse(val, out.reshape(val.shape), hidden),
                     "fit_s": fit.seconds, "epochs": imputer.n_iter_,
                     "transform_img_per_s": len(val) / transform.seconds,
                     "paper": images.PAPER["imagenette"].get(method)})
        print(f"gpu paper: {method} rmse {rows[-1]['rmse']:.4f}", flush=True)
    return {"n_train": len(train), "n_val": len(val), "rows": rows}


def stage_profile(device, quick, data_home):
    """Where the training steps of each job spend their time on ``device``.

    Each job of :func:`_profile_jobs` is fitted four times: a warm-up (kernels
    loaded, allocator primed), a timed fit, one under torch.profiler that
    counts the optimiser steps, kernel launches, host waits (synchronisations
    and copies) and aten operators, and one under torch's FlopCounterMode that
    counts the arithmetic (convolutions and matrix products, forward and
    backward). The achieved rate is that arithmetic over the timed fit's
    seconds (its validation passes and the choices after training included),
    given as a fraction of the rate of one large float32 matrix product on
    the same device (:func:`_matmul_tflops`), the practical peak of that
    arithmetic. The biharmonic initial fill of one batch of crops is timed
    alone as well.
    """
    from skgain.fills import biharmonic_fill

    from . import images

    jobs = {name: _profile_fit(make, X, device)
            for name, (make, X) in _profile_jobs(device, quick, data_home).items()}
    batch, patch = 16, 32  # SpatialGAINImputer's defaults
    train, _ = images.load_images(data_home, batch, 1)
    crops = torch.as_tensor(train[:, None, :patch, :patch], dtype=torch.float32, device=device)
    seen = (torch.rand(crops.shape, generator=torch.Generator().manual_seed(0)) > 0.36)
    seen = seen.to(device=device, dtype=torch.float32)
    biharmonic_fill(crops * seen, seen)
    _sync(device)
    with Timer() as fill:
        for _ in range(50):
            biharmonic_fill(crops * seen, seen)
        _sync(device)
    return {"jobs": jobs, "matmul_tflops": _matmul_tflops(device, quick),
            "fill_ms": 1e3 * fill.seconds / 50, "batch_size": batch, "patch_size": patch}


def _profile_jobs(device, quick, data_home):
    """name -> (estimator factory, data): the three fits of issue 31's GPU targets,
    shortened to a fixed number of epochs (the per-step figures do not depend on it)."""
    from skgain import GAINImputer, SpatialGAINImputer, ZeroShotSpatialImputer

    from . import images, zero_shot
    from ._common import mcar_hide
    from ._table_data import load_table

    tench, _ = images.load_images(data_home, 4 if quick else 64, 1)
    tench_missing, _ = mcar_hide(tench, images.MISSING_RATE, 0)
    image = zero_shot.load_images(data_home)["church" if not quick else "camera"]
    if quick:
        image = image[:96, :96]
    one_image = np.where(zero_shot.make_mask("mcar", image.shape), np.nan, image)
    letter = load_table("letter", data_home)[:2000 if quick else None]
    letter_missing, _ = mcar_hide(letter, 0.2, 0)
    # ZeroShotSpatialImputer's own network (its docstring), one epoch.
    zero_shot_network = dict(initial_fill="biharmonic", batch_size=8, max_epochs=1,
                             inference_precision="float32", device=device, random_state=0)
    return {
        "SpatialGAINImputer, 1 epoch of the defaults on tench images": (
            lambda: SpatialGAINImputer(max_epochs=1, device=device, random_state=0),
            tench_missing),
        "ZeroShotSpatialImputer, 1 epoch of its network on one image": (
            lambda: ZeroShotSpatialImputer(estimator=SpatialGAINImputer(**zero_shot_network),
                                           device=device, random_state=0),
            one_image),
        "GAINImputer, 2 epochs of the defaults on letter": (
            lambda: GAINImputer(max_epochs=2, device=device, random_state=0), letter_missing),
    }


def _profile_fit(make, X, device):
    """Seconds, steps, launches, waits, operators and FLOPs of ``make().fit(X)``."""
    from torch.profiler import ProfilerActivity, profile
    from torch.utils.flop_counter import FlopCounterMode

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        make().fit(X)  # warm-up
        with Timer() as fit:
            make().fit(X)
            _sync(device)
        activities = [ProfilerActivity.CPU] + (
            [ProfilerActivity.CUDA] if device == "cuda" else [])
        with profile(activities=activities) as prof:
            make().fit(X)
        with FlopCounterMode(display=False) as flops:
            make().fit(X)
    counts = {e.key: e.count for e in prof.key_averages()}
    steps = max(counts.get("Optimizer.step#Adam.step", 0), 1)
    rate = flops.get_total_flops() / fit.seconds / 1e12
    return {"shape": list(np.shape(X)), "fit_s": fit.seconds, "optimizer_steps": steps,
            "step_ms": 1e3 * fit.seconds / steps,
            "kernel_launches_per_step": sum(
                n for key, n in counts.items() if key.startswith("cudaLaunchKernel")) / steps,
            "host_waits_per_step": sum(
                n for key, n in counts.items()
                if key in ("cudaStreamSynchronize", "cudaDeviceSynchronize",
                           "cudaMemcpyAsync")) / steps,
            "aten_ops_per_step": sum(
                n for key, n in counts.items() if key.startswith("aten::")) / steps,
            "gflop_per_step": flops.get_total_flops() / steps / 1e9, "achieved_tflops": rate}


def _matmul_tflops(device, quick):
    """TFLOP/s of the best of a few float32 products of two n x n matrices."""
    n = 1024 if quick or device != "cuda" else 8192
    generator = torch.Generator(device=device).manual_seed(0)
    a, b = (torch.rand((n, n), generator=generator, device=device) for _ in range(2))
    a @ b  # warm-up
    best = np.inf
    for _ in range(5):
        _sync(device)
        with Timer() as product:
            a @ b
            _sync(device)
        best = min(best, product.seconds)
    return 2 * n ** 3 / best / 1e12


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


STAGE_FUNCTIONS = {"profile": stage_profile, "tests": stage_tests, "speed": stage_speed,
                   "tables": stage_tables,
                   "images": stage_images, "paper": stage_paper}


# -------------------------------------------------------------------- report
def render(payload):
    """gpu.md: one section per stage, with the mode and the machine."""
    env, results = payload["environment"], payload["stages"]
    lines = ["# GPU check", "",
             f"Mode: **{payload['mode']}**; GPU: {env.get('cuda') or 'none (CPU smoke run)'}; "
             f"CPU: {env.get('cpu')} ({env.get('cpu_count')} cores, "
             f"{env.get('torch_threads')} torch threads); torch {env.get('torch')}, "
             f"scikit-learn {env.get('sklearn', '?')}; measured {env.get('date')}. "
             "One seed; the GPU was not shared, the CPU peers ran on the same machine.", ""]
    kept = payload.get("kept_stages", [])
    if "total_seconds" in payload:
        asked = ", ".join(stage for stage in payload["stages"] if stage not in kept)
        lines += [f"Total: **{payload['total_seconds']:.0f} s** for the stages run ({asked}). "
                  "The check (`python -m benchmarks gpu`: tests, speed, images and paper) is "
                  "meant to take under 5 minutes on one GPU.", ""]
    lines += [f"- {note}" for note in payload.get("notes", [])]
    lines += [""] if payload.get("notes") else []
    for stage in STAGES:
        result = results.get(stage)
        lines += [f"## {stage}", ""]
        if result is None:
            lines += ["Not run (time limit or not asked for).", ""]
        elif "error" in result:
            lines += [f"Failed: `{result['error']}`", ""]
        else:
            lines += [_render_stage(stage, result), ""]
        if stage in kept:
            lines += ["(From an earlier run, kept when this file was rendered: see the notes.)",
                      ""]
    return "\n".join(lines)


def _render_stage(stage, result):
    seconds = f"\n\nStage time: {result['seconds']:.0f} s."
    if stage == "tests":
        if "skipped" in result and isinstance(result["skipped"], str):
            return f"Skipped: {result['skipped']}."
        failures = "".join(f"\n- `{line}`" for line in result.get("failures", []))
        return f"`pytest -k cuda`: {result['summary']}.{failures}{seconds}"
    if stage == "speed":
        from .speed import _fmt

        rows = [[r["estimator"], r["data"], r["device"],
                 _fmt(r["fit_s"]) if "error" not in r else f"failed: {r['error']}",
                 _fmt(r["fit_s"] / r["epochs"]) if r.get("epochs") else "-",
                 f"{_fmt(r['transform_per_s'])} {r['unit']}" if "error" not in r else "-",
                 _fmt(r["cuda_peak_mib"]) if r.get("cuda_peak_mib") is not None else "-"]
                for r in result["rows"]]
        return markdown_table(["estimator", "data", "device", "fit (s)", "s / epoch",
                               "transform (per s)", "GPU peak (MiB)"], rows) + seconds
    if stage == "profile" and "jobs" in result:
        return _render_profile(result) + seconds
    if stage == "profile":
        # Runs before these keys were stored used the defaults' 16 crops of 32x32.
        batch, patch = result.get("batch_size", 16), result.get("patch_size", 32)
        return (f"One epoch of SpatialGAINImputer's defaults on {result['n_images']} tench images "
                f"({result['n_steps']} steps of {batch} crops of {patch}x{patch}): "
                f"{result['epoch_s']:.1f} s, "
                f"**{result['step_ms']:.1f} ms per step** (the epoch's validation pass and the "
                "choices after training included). Per step under torch.profiler: "
                f"{result['kernel_launches_per_step']:.0f} kernel launches, "
                f"{result['host_waits_per_step']:.1f} host waits (synchronisations and copies), "
                f"{result['aten_ops_per_step']:.0f} aten operators. The biharmonic initial fill "
                f"of one batch ({batch} crops of {patch}x{patch}, 36% of pixels missing) alone: "
                f"{result['fill_ms']:.2f} ms." + seconds)
    if stage == "tables":
        rows = [[r["dataset"], r["method"], r.get("device", "cpu"), f"{r['rmse_fit']:.4f}",
                 f"{r['rmse_unseen']:.4f}", f"{r['seconds']:.1f}",
                 f"{r['seconds'] / _et_seconds(result['records'], r['dataset']):.2f}"]
                for r in result["records"]]
        return markdown_table(["table", "method", "device", "RMSE fit_transform",
                               "RMSE unseen rows", "seconds", "x ExtraTrees' seconds"],
                              rows) + seconds
    rows = [[_with_choice(r), r["device"], f"{r['rmse']:.4f}",
             "-" if r["fit_s"] is None else f"{r['fit_s']:.1f}",
             str(r["epochs"] or "-"), f"{r['transform_img_per_s']:.1f}",
             f"{r['paper']:.3f}" if r.get("paper") else "-"]
            for r in result["rows"]]
    return (f"Train {result['n_train']} images, transform {result['n_val']} (160 x 160, 20% "
            "MCAR, seed 0).\n\n"
            + markdown_table(["method", "device", "RMSE", "fit (s)", "epochs",
                              "transform images / s", "paper Table 1"], rows) + seconds)


def _render_profile(result):
    peak = result["matmul_tflops"]
    rows = [[name, " x ".join(map(str, job["shape"])), f"{job['fit_s']:.1f}",
             str(job["optimizer_steps"]), f"{job['step_ms']:.1f}",
             f"{job['kernel_launches_per_step']:.0f}", f"{job['host_waits_per_step']:.1f}",
             f"{job['aten_ops_per_step']:.0f}", f"{job['gflop_per_step']:.2f}",
             f"{job['achieved_tflops']:.3f}", f"{job['achieved_tflops'] / peak:.1%}"]
            for name, job in result["jobs"].items()]
    return (markdown_table(["job", "data", "fit (s)", "optimiser steps", "ms / step",
                            "kernel launches / step", "host waits / step",
                            "aten operators / step", "GFLOP / step", "achieved TFLOP/s",
                            "of the matmul rate"], rows)
            + f"\n\nPer step: per Adam step of the generator (the defaults train no "
              "discriminator). The seconds, and the arithmetic (convolutions and matrix "
              "products, forward and backward, counted by torch's FlopCounterMode), include "
              "each fit's validation passes and the choices after training. The matmul "
              f"rate: {peak:.1f} TFLOP/s, the best of 5 float32 products of two square "
              "matrices on the same device. The biharmonic initial fill of one batch "
              f"({result['batch_size']} crops of {result['patch_size']}x"
              f"{result['patch_size']}, 36% of pixels missing) alone: "
              f"{result['fill_ms']:.2f} ms.")


def _with_choice(row):
    """The row's method, with what "auto" chose where the row records it."""
    if "inference_precision" not in row:
        return row["method"]
    return (f"{row['method']}; auto chose test_time_augmentation="
            f"{row['test_time_augmentation']!r}, inference_precision="
            f"{row['inference_precision']!r}")


def _et_seconds(records, dataset):
    from .tabular import ET

    return next(r["seconds"] for r in records if r["dataset"] == dataset and r["method"] == ET)


def run(quick=False, data_home=None, out_dir=None, stages=CHECK_STAGES, allow_cpu=False,
        image_params=None):
    """Run the GPU check's stages in order; write ``gpu.json`` and ``gpu.md`` after each.

    Parameters
    ----------
    quick : bool, default=False
        Smoke-sized stages (the CUDA tests are skipped).
    data_home : path or None
        Where spam, letter and the tench photos are; default ``$SKGAIN_DATA``.
    out_dir : path or None
        Results folder; default ``benchmarks/results``.
    stages : sequence of str, default=CHECK_STAGES
        A subset of ``STAGES``, run in that order.
    allow_cpu : bool, default=False
        Run on the CPU when there is no CUDA device (a smoke test of this
        script); without it, no CUDA is a ValueError.
    image_params : dict or None, default=None
        SpatialGAINImputer parameters that the ``images`` stage changes from
        the defaults, e.g. ``{"max_epochs": 2}`` on a machine lent for minutes.
    """
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"Unknown stage(s) {sorted(unknown)}; choose from {STAGES}.")
    device = _device(allow_cpu)
    data_home = default_data_home() if data_home is None else data_home
    env = environment()
    payload = {"environment": env, "mode": "quick" if quick else "full", "stages": {},
               "image_params": image_params}
    run_start = time.perf_counter()
    for stage in stages:
        start = time.perf_counter()
        try:
            extra = {"changed": image_params} if stage == "images" else {}
            result = STAGE_FUNCTIONS[stage](device, quick, data_home, **extra)
        except Exception as exc:  # record it, go on with the next stage
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result["seconds"] = time.perf_counter() - start
        payload["stages"][stage] = result
        payload["total_seconds"] = time.perf_counter() - run_start
        write_results(NAME, payload, render(payload), out_dir)
        print(f"gpu: stage {stage} done in {result['seconds']:.0f} s", flush=True)
    return {"experiment": NAME, **payload}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--stages", default=",".join(CHECK_STAGES),
                        help=f"comma-separated, from {','.join(STAGES)}")
    parser.add_argument("--allow-cpu", action="store_true")
    parser.add_argument("--image-epochs", type=int, default=None,
                        help="the images stage's epochs (default: 2, or 1 with --quick)")
    parser.add_argument("--image-params", default="{}", metavar="JSON",
                        help="other SpatialGAINImputer parameters the images stage changes")
    parser.add_argument("--keep-stages-from", default=None, metavar="JSON",
                        help="with --render: take the stages that the rendered run did not "
                             "run from this earlier gpu.json (say so with a --note)")
    parser.add_argument("--render", default=None, metavar="JSON",
                        help="only re-render gpu.md from a gpu.json (e.g. one fetched from a "
                             "GPU machine) into --out, adding each --note")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args(argv)
    if args.render:
        payload = json.loads(Path(args.render).read_text())
        if args.keep_stages_from:
            earlier = json.loads(Path(args.keep_stages_from).read_text())["stages"]
            payload["kept_stages"] = payload.get("kept_stages", []) + [
                stage for stage in STAGES if stage not in payload["stages"] and stage in earlier]
            payload["stages"] = {stage: payload["stages"].get(stage, earlier.get(stage))
                                 for stage in STAGES
                                 if stage in payload["stages"] or stage in earlier}
        payload["notes"] = payload.get("notes", []) + args.note
        write_results(NAME, payload, render(payload), args.out)
        return
    image_params = json.loads(args.image_params)
    if args.image_epochs is not None:
        image_params["max_epochs"] = args.image_epochs
    run(args.quick, args.data_home, args.out, tuple(args.stages.split(",")), args.allow_cpu,
        image_params or None)


if __name__ == "__main__":
    main()
