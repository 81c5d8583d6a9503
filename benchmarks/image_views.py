"""SpatialGAINImputer's test-time augmentation and inference precision (issue 12).

Fits the default on the 963 tench train images (20% MCAR, ``benchmarks/images.py``'s
masks of the seed), records what ``fit`` chose (``test_time_augmentation_``,
``inference_precision_`` and the held-out RMSEs it chose on), then completes,
with the same fitted network, all 387 tench val images (the seed's masks of
``images.py``; tuning data) and the 8 held-out scikit-image photos of
``images.py`` (never tuned on; 20% MCAR, mask seeds 1000-1004) under each
setting of :data:`CONFIGS`: one pass, the mirror image ("flip", 2 passes) and
the 8 symmetries, each with the network in float32 and in bfloat16.
inpaint_biharmonic completes the same images with the same masks.

A fit takes about 35 minutes on one core of an Intel Xeon; two seeds can run
side by side (one thread each) and be tabled together:

    python -m benchmarks image_views                   # seeds 0-4 in turn
    python -m benchmarks.image_views --seed 0 --records A.json
    python -m benchmarks.image_views --seed 1 --records B.json
    python -m benchmarks.image_views --merge A.json,B.json
"""

import os

import numpy as np
import torch

from ._common import cpu_model, default_data_home, environment, markdown_table
from ._common import write_results
from .image_test_time import (
    _scored,
    biharmonic_record,
    fitted_model,
    keep,
    merged_or_run,
    pooled,
    script_parser,
    test_sets,
)
from .images import HELD_OUT_PHOTOS

NAME = "image_views"
SETTINGS = {"n_train": 963, "n_val": 387, "max_epochs": 15, "photo_seeds": 5}
SEEDS = (0, 1, 2, 3, 4)
# A smoke run of the runner's --quick: seed 0, tiny data, one epoch, one mask seed.
QUICK_SETTINGS = {**SETTINGS, "n_train": 8, "n_val": 2, "max_epochs": 1, "photo_seeds": 1}
QUICK_SEEDS = (0,)
# (test_time_augmentation, inference_precision)
CONFIGS = [(False, "float32"), ("flip", "float32"), (True, "float32"),
           (False, "bfloat16"), ("flip", "bfloat16"), (True, "bfloat16")]
VIEWS = {False: "1 pass", "flip": "mirror (2 passes)", True: "8 symmetries"}


def measure(name, imputer, batches, augment, precision, seed):
    """RMSE of every image, and images per second, of one setting."""
    imputer.test_time_augmentation_ = augment  # fitted decisions, overridden
    imputer.inference_precision_ = precision
    errors, img_s = _scored(batches, imputer.transform)
    return {"data": name, "seed": seed, "method": "SpatialGAINImputer",
            "test_time_augmentation": augment, "inference_precision": precision,
            "rmse_per_image": errors, "pooled_rmse": pooled(batches, errors), "img_s": img_s,
            "torch_threads": torch.get_num_threads(),
            "load_average_1min": os.getloadavg()[0], "cpu": cpu_model()}


def run_seed(seed, parts, data_home, settings, model_path=None, records_path=None):
    """The default fitted with ``seed`` (or loaded from ``model_path``),
    scored in every view and precision on ``parts``."""
    settings = {**settings, "seed": seed}
    imputer, fit = fitted_model(model_path, data_home, settings)
    chosen = (imputer.test_time_augmentation_, imputer.inference_precision_)
    records = [{"data": "fit", "seed": seed, **(fit or {}),
                "test_time_augmentation_": chosen[0], "inference_precision_": chosen[1]}]
    for name, batches in test_sets(parts, data_home, settings).items():
        records.append({**biharmonic_record(name, batches), "seed": seed})
        for augment, precision in CONFIGS:
            keep(records, measure(name, imputer, batches, augment, precision, seed),
                 records_path)
    return records


def _ratios(part, config, chosen):
    """Per seed: (pooled RMSE, mean per-image RMSE, images/s), each with its
    ratio to inpaint_biharmonic's of the same seed, for one setting (None:
    inpaint_biharmonic; "auto": what each seed's ``fit`` chose, ``chosen``)."""
    out = []
    for seed in sorted({r["seed"] for r in part}):
        bih = next(r for r in part if r["seed"] == seed and r["method"] == "inpaint_biharmonic")
        setting = chosen[seed] if config == "auto" else config
        ours = bih if config is None else next(
            r for r in part if r["seed"] == seed and r["method"] == "SpatialGAINImputer"
            and (r["test_time_augmentation"], r["inference_precision"]) == setting)
        mean, bih_mean = np.mean(ours["rmse_per_image"]), np.mean(bih["rmse_per_image"])
        out.append([ours["pooled_rmse"], ours["pooled_rmse"] / bih["pooled_rmse"], mean,
                    mean / bih_mean, ours["img_s"], ours["img_s"] / bih["img_s"]])
    return np.mean(out, axis=0)


def _part_table(part, chosen):
    rows = []
    for config in [None, "auto"] + CONFIGS:
        label = ("inpaint_biharmonic" if config is None
                 else "**the defaults** (each seed's choice in `fit`)" if config == "auto"
                 else f"{VIEWS[config[0]]}, {config[1]}")
        pooled_rmse, pooled_x, mean, mean_x, img_s, img_s_x = _ratios(part, config, chosen)
        rows.append([label, f"{pooled_rmse:.4f}", f"{pooled_x:.3f}", f"{mean:.4f}",
                     f"{mean_x:.3f}", f"{img_s:.1f}", f"{img_s_x:.2f}"])
    header = ["setting", "pooled RMSE", "x biharmonic", "mean per-image RMSE", "x biharmonic",
              "images/s", "x biharmonic's"]
    return markdown_table(header, rows)


def _fit_lines(fits):
    lines = []
    for fit in sorted(fits, key=lambda r: r["seed"]):
        held = fit.get("held_out_rmse_", {})
        shown = ", ".join(f"{k} {v:.5f}" for k, v in held.items())
        run = (f"{fit['epochs']} epochs run, best {fit['best_epoch']}, {fit['fit_s']:.0f} s; "
               if "fit_s" in fit else "")
        lines.append(f"- seed {fit['seed']}: {run}`fit` chose test_time_augmentation_="
                     f"{fit['test_time_augmentation_']!r}, inference_precision_="
                     f"{fit['inference_precision_']!r} (held-out RMSE: {shown})")
    return lines


def render(records, settings):
    runs = [r for r in records if r.get("method") == "SpatialGAINImputer"]
    fits = [r for r in records if r["data"] == "fit"]
    chosen = {r["seed"]: (r["test_time_augmentation_"], r["inference_precision_"]) for r in fits}
    loads = [r["load_average_1min"] for r in runs]
    seeds = sorted({r["seed"] for r in runs})
    lines = [
        "# SpatialGAINImputer: test-time augmentation and inference precision", "",
        f"Mode: the default fitted once per seed ({settings['n_train']} tench train images, "
        f"at most {settings['max_epochs']} epochs, seeds {seeds}), then `transform` with "
        "the views and the network's precision set on the fitted model; torch threads "
        f"{sorted({r['torch_threads'] for r in runs})}; CPU "
        f"{sorted({r['cpu'] for r in runs})}; 1-minute load average {min(loads):.1f}-"
        f"{max(loads):.1f} on {os.cpu_count()} cores (seeds may run side by side: compare "
        "images/s within a table). 20% MCAR. Each cell is the mean over seeds of the pooled "
        "RMSE over all hidden pixels and of the mean per-image RMSE (intensity / 255; "
        "`images.md` reports the first for tench, the second for the photos), each with its "
        "ratio to inpaint_biharmonic's on the same images and masks, and of images per second "
        "with its ratio to inpaint_biharmonic's (the transform target is at least 0.5). "
        "Produced by `benchmarks/image_views.py`.", "", "What `fit` chose (\"auto\"):", "",
        *_fit_lines(fits),
    ]
    for name, title in (("tench val", f"Tench val, all {settings['n_val']} images, each seed's "
                         "masks (tuning data)"),
                        ("photos", f"{len(HELD_OUT_PHOTOS)} held-out scikit-image photos, "
                         f"{settings['photo_seeds']} mask seeds (never tuned on)")):
        part = [r for r in records if r["data"] == name]
        if part:
            lines += ["", f"## {title}", "", _part_table(part, chosen)]
    return "\n".join(lines)


def run(quick=False, data_home=None, out_dir=None):
    """The runner's entry: seeds 0-4 one after the other (``quick``: seed 0 on
    a few images, one epoch), each scored on the tench val images and the
    photos, written to ``image_views.json`` / ``.md`` in its results folder."""
    settings = QUICK_SETTINGS if quick else SETTINGS
    data_home = data_home or default_data_home()
    records = []
    for seed in QUICK_SEEDS if quick else SEEDS:
        records += run_seed(seed, ["val", "photos"], data_home, settings)
    write_results(NAME, {"settings": settings, "records": records,
                         "run_environment": environment()}, render(records, settings), out_dir)
    return {"settings": settings, "records": records}


def main(argv=None):
    parser = script_parser(__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    records = merged_or_run(args, lambda data_home: run_seed(
        args.seed, args.parts.split(","), data_home, SETTINGS, args.model, args.records))
    markdown = render(records, SETTINGS) + ("" if args.note is None else "\n\n" + args.note)
    write_results(NAME, {"settings": SETTINGS, "records": records,
                         "run_environment": environment()}, markdown, args.out)
    print(markdown)


if __name__ == "__main__":
    main()
