"""SpatialGAINImputer's test-time training (issue 12): each image completed by a copy of
the fitted generator trained on that image's own observed pixels (``test_time_steps``).

Fits the default (15 epochs, seed 0) on the 963 tench train images, then
completes, with the same fitted network, the first 100 val images (20% MCAR,
seed 0's masks of ``benchmarks/images.py``; tuning data: the steps and the
learning rate were chosen on the first 16 of them) and the 8 held-out
scikit-image photos of ``benchmarks/images.py`` (never tuned on; 20% MCAR,
mask seeds 1000-1004) with 0 to 80 steps, with and without the 8 symmetries.
inpaint_biharmonic completes the same images with the same masks.

The fit takes about 17 minutes on one core, the val part about 25 more; the
two parts can run side by side on one fit:

    python -m benchmarks image_test_time               # both parts in turn
    python -m benchmarks.image_test_time --parts val --model /tmp/m.pkl --records A.json
    python -m benchmarks.image_test_time --parts photos --model /tmp/m.pkl --records B.json
    python -m benchmarks.image_test_time --merge A.json,B.json
"""

import argparse
import json
import os
import pickle
import time
from pathlib import Path

import numpy as np
import torch

from skgain import SpatialGAINImputer

from ._common import default_data_home, environment, markdown_table, mcar_hide, save_records
from ._common import write_results
from .images import (
    HELD_OUT_PHOTOS,
    MISSING_RATE,
    PHOTO_SEED_OFFSET,
    biharmonic,
    load_held_out_photos,
    load_images,
    rmse,
)

NAME = "image_test_time"
SETTINGS = {"n_train": 963, "n_val": 100, "max_epochs": 15, "seed": 0, "photo_seeds": 5}
# A smoke run of the runner's --quick: tiny data, one epoch, one mask seed.
QUICK_SETTINGS = {**SETTINGS, "n_train": 8, "n_val": 2, "max_epochs": 1, "photo_seeds": 1}
# (test_time_steps, 8 symmetries, test_time_learning_rate)
CONFIGS = [(0, False, 3e-3), (0, True, 3e-3), (20, True, 3e-3), (40, False, 3e-3),
           (40, True, 3e-3), (80, True, 3e-3), (40, True, 1e-3)]


def fitted_model(path, data_home, settings):
    """The default fitted on the tench train images: loaded from ``path`` if
    it exists (a fit of this script's), else fitted and saved there."""
    if path is not None and Path(path).exists():
        return pickle.loads(Path(path).read_bytes()), None
    train, _ = load_images(data_home, settings["n_train"], 1)
    train_missing, _ = mcar_hide(train, MISSING_RATE, 2 * settings["seed"])
    imputer = SpatialGAINImputer(max_epochs=settings["max_epochs"],
                                 random_state=settings["seed"])
    start = time.perf_counter()
    imputer.fit(train_missing)
    fit = {"fit_s": time.perf_counter() - start, "epochs": imputer.n_iter_,
           "best_epoch": imputer.best_epoch_,
           "test_time_augmentation_": imputer.test_time_augmentation_,
           "inference_precision_": imputer.inference_precision_,
           "held_out_rmse_": dict(imputer.held_out_rmse_)}
    if path is not None:
        Path(path).write_bytes(pickle.dumps(imputer))
    return imputer, fit


def test_sets(parts, data_home, settings):
    """``{name: [(images, images with holes, hidden)]}``, one entry per mask seed."""
    sets = {}
    if "val" in parts:
        _, val = load_images(data_home, 1, settings["n_val"])
        sets["tench val"] = [(val, *mcar_hide(val, MISSING_RATE, 2 * settings["seed"] + 1))]
    if "photos" in parts:
        photos = load_held_out_photos(160)
        sets["photos"] = [(photos, *mcar_hide(photos, MISSING_RATE, PHOTO_SEED_OFFSET + s))
                          for s in range(settings["photo_seeds"])]
    return sets


def per_image_rmse(truth, imputed, hidden):
    return [rmse(truth[i], imputed[i], hidden[i]) for i in range(len(truth))]


def _scored(batches, complete):
    """Per-image RMSEs of ``complete(images with holes)`` over every batch, and
    its images per second."""
    errors, seconds, n_images = [], 0.0, 0
    for truth, missing, hidden in batches:
        start = time.perf_counter()
        out = complete(missing)
        seconds += time.perf_counter() - start
        errors += per_image_rmse(truth, out, hidden)
        n_images += len(truth)
    return errors, n_images / seconds


def measure(name, imputer, batches, steps, augment, learning_rate):
    """RMSE of every image, and images per second, of one setting."""
    imputer.set_params(test_time_steps=steps, test_time_learning_rate=learning_rate)
    imputer.test_time_augmentation_ = augment  # fitted decisions, overridden
    imputer.inference_precision_ = "float32"  # as when these settings were measured
    errors, img_s = _scored(batches, imputer.transform)
    return {"data": name, "method": "SpatialGAINImputer", "test_time_steps": steps,
            "symmetries": augment, "learning_rate": learning_rate, "rmse_per_image": errors,
            "pooled_rmse": pooled(batches, errors), "img_s": img_s,
            "torch_threads": torch.get_num_threads(), "load_average_1min": os.getloadavg()[0]}


def pooled(batches, errors):
    """RMSE over all hidden pixels of the set, from the per-image RMSEs."""
    counts = np.concatenate([hidden.reshape(len(hidden), -1).sum(axis=1)
                             for _, _, hidden in batches])
    return float(np.sqrt(np.sum(counts * np.square(errors)) / counts.sum()))


def biharmonic_record(name, batches):
    errors, img_s = _scored(batches, biharmonic)
    return {"data": name, "method": "inpaint_biharmonic", "rmse_per_image": errors,
            "pooled_rmse": pooled(batches, errors), "img_s": img_s}


def run_parts(parts, data_home, settings, model_path=None, records_path=None):
    """One fit (loaded from ``model_path`` if there), scored on ``parts``."""
    imputer, fit = fitted_model(model_path, data_home, settings)
    records = [] if fit is None else [{"data": "fit", **fit}]
    for name, batches in test_sets(parts, data_home, settings).items():
        records.append(biharmonic_record(name, batches))
        for steps, augment, learning_rate in CONFIGS:
            keep(records, measure(name, imputer, batches, steps, augment, learning_rate),
                 records_path)
    return records


def keep(records, record, records_path):
    """Append ``record``, print it (without per-image errors) and save all
    records, so that a run stopped early keeps what it measured."""
    records.append(record)
    print(json.dumps({k: v for k, v in record.items() if k != "rmse_per_image"}), flush=True)
    if records_path is not None:
        save_records(records_path, records)


def _row(record, biharmonic_record, one_pass):
    mean = float(np.mean(record["rmse_per_image"]))
    ratio = mean / float(np.mean(biharmonic_record["rmse_per_image"]))
    # Paired over images: the fraction completed better than by one pass.
    better = np.mean(np.less(record["rmse_per_image"], one_pass["rmse_per_image"]))
    if record["method"] == "inpaint_biharmonic":
        setting = "inpaint_biharmonic"
    else:
        setting = (f"{record['test_time_steps']} steps, "
                   + ("8 symmetries" if record["symmetries"] else "1 pass")
                   + f", rate {record['learning_rate']:g}")
    pooled_ratio = record["pooled_rmse"] / biharmonic_record["pooled_rmse"]
    return [setting, f"{mean:.4f}", f"{ratio:.3f}", f"{record['pooled_rmse']:.4f}",
            f"{pooled_ratio:.3f}", f"{better:.2f}", f"{record['img_s']:.2f}"]


def render(records, settings):
    fits = [r for r in records if r["data"] == "fit"]
    runs = [r for r in records if r.get("method") == "SpatialGAINImputer"]
    loads = [r["load_average_1min"] for r in runs]
    lines = [
        "# SpatialGAINImputer: test-time training on each image's own pixels", "",
        f"Mode: the default fitted once (seed {settings['seed']}, {settings['max_epochs']} "
        f"epochs, {settings['n_train']} tench train images"
        + (f"; {fits[0]['epochs']} epochs run, best {fits[0]['best_epoch']}, "
           f"{fits[0]['fit_s']:.0f} s" if fits else "")
        + f"), then `transform` with `test_time_steps` and the symmetries set on it; torch "
        f"threads {sorted({r['torch_threads'] for r in runs})}; 1-minute load average "
        f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores (the two parts ran side "
        "by side: compare seconds within a part). 20% MCAR. Mean of the per-image RMSE "
        "(intensity / 255) and the RMSE pooled over all hidden pixels (`images.md` reports the "
        "first for the photos, the second for tench), each with its ratio to "
        "inpaint_biharmonic's on the same images and masks, and the fraction of images "
        "completed better than by the fitted network in one pass. Produced by "
        "`benchmarks/image_test_time.py`.",
    ]
    for name, title in (("tench val", f"Tench val, first {settings['n_val']} images, seed "
                         f"{settings['seed']}'s masks (tuning data: steps and rate were chosen "
                         "on the first 16)"),
                        ("photos", f"{len(HELD_OUT_PHOTOS)} held-out scikit-image photos, "
                         f"{settings['photo_seeds']} mask seeds (never tuned on)")):
        part = [r for r in records if r["data"] == name]
        if not part:
            continue
        bih = next(r for r in part if r["method"] == "inpaint_biharmonic")
        one_pass = next(r for r in part if r.get("test_time_steps") == 0
                        and not r["symmetries"])
        rows = [_row(r, bih, one_pass) for r in part]
        header = ["setting", "mean RMSE", "x biharmonic", "pooled RMSE", "x biharmonic",
                  "images better than 1 pass", "images/s"]
        lines += ["", f"## {title}", "", markdown_table(header, rows)]
    return "\n".join(lines)


def script_parser(description):
    """The command line shared by this script and ``image_views.py``: one fit
    (``--model``) scored on ``--parts``, or ``--merge`` of record files."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--parts", default="val,photos")
    parser.add_argument("--model", default=None, help="pickled fit to reuse, or to write")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--records", default=None)
    parser.add_argument("--merge", default=None, help="comma-separated record files to table")
    parser.add_argument("--note", default=None, help="a paragraph added below the tables")
    return parser


def merged_or_run(args, measure_all):
    """The records of ``args.merge``'s files, or of ``measure_all(data_home)``
    run on ``args.threads`` threads."""
    if args.merge:
        return [r for p in args.merge.split(",") for r in json.loads(Path(p).read_text())]
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    return measure_all(args.data_home or default_data_home())


def run(quick=False, data_home=None, out_dir=None):
    """The runner's entry: one fit scored on the tench val images and the
    photos (``SETTINGS``; ``quick``: a few images, one epoch, one mask seed),
    written to ``image_test_time.json`` / ``.md`` in its results folder."""
    settings = QUICK_SETTINGS if quick else SETTINGS
    records = run_parts(["val", "photos"], data_home or default_data_home(), settings)
    write_results(NAME, {"settings": settings, "records": records,
                         "run_environment": environment()}, render(records, settings), out_dir)
    return {"settings": settings, "records": records}


def main(argv=None):
    args = script_parser(__doc__.splitlines()[0]).parse_args(argv)
    records = merged_or_run(args, lambda data_home: run_parts(
        args.parts.split(","), data_home, SETTINGS, args.model, args.records))
    markdown = render(records, SETTINGS) + ("" if args.note is None else "\n\n" + args.note)
    write_results(NAME, {"settings": SETTINGS, "records": records,
                         "run_environment": environment()}, markdown, args.out)
    print(markdown)


if __name__ == "__main__":
    main()
