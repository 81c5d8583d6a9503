"""Zero-shot imputation of one image region (the SpatialGAIN paper's Experiment 2).

Each image is 320x320 grayscale in [0, 1]: the tench and the 7 photos of
other classes in ``imagenette_tench_320.npz``, and scikit-image's ``camera``
resized to 320x320. The target region A is the bottom-right 64x64 block.
MCAR hides 20% of A's pixels; MNAR makes 20% of A's rows lose their last 10
pixels (``skgain.masks``). The masks are drawn once per image (seed 0). The
score is the RMSE on A's hidden pixels, for:

* ZeroShotSpatialImputer with its defaults (one fit per seed),
* SoftImputeFISTA on the whole image (rows are the samples),
* nearest_patch_fill (the paper's "NN": the closest fully observed crop),
* scikit-image's inpaint_biharmonic,
* the biharmonic interpolation of A's window alone (``skgain.fills``: the
  network's initial fill, and its fallback when the self-check rejects the
  network), to show what the training adds.

Run with ``python -m benchmarks zero_shot [--quick]``. Quick mode takes one
seed and fewer epochs on the same images; the markdown says which mode produced the
numbers.
"""

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from skgain import SoftImputeFISTA, SpatialGAINImputer, ZeroShotSpatialImputer, nearest_patch_fill
from skgain.fills import biharmonic_fill
from skgain.masks import apply_mask, block_region, mcar_mask, mnar_mask

from ._common import (
    ZERO_SHOT_NETWORK,
    Timer,
    default_data_home,
    environment,
    markdown_table,
    results_dir,
    write_results,
)

NAME = "zero_shot"
SIDE, BLOCK = 320, 64

# "network": settings of the estimator's default network changed here (none:
# estimator=None, the defaults).
SETTINGS = {
    # Quick: a smoke run of every column (under a minute on 2 idle cores).
    "quick": {"images": ["tench", "camera"], "seeds": [0], "network": {"max_epochs": 1}},
    "full": {"images": None, "seeds": [0, 1, 2, 3, 4], "network": {}},
}

MODE_TEXT = {"quick": "2 images (tench, camera), 1 seed, 1 epoch",
             "full": "all 9 images, 5 seeds, the estimator's defaults"}

# The paper's Table 2 (RMSE on A's hidden pixels, its own images).
PAPER = {"mcar": {"ZeroShot (SpatialGAIN)": 0.090, "SoftImputeFISTA": 0.054, "NN": 0.143},
         "mnar": {"ZeroShot (SpatialGAIN)": 0.125, "SoftImputeFISTA": 0.021, "NN": 0.151}}
# The paper's own zero-shot configuration, fitted once (seed 0) per image: it
# shows whether the defaults earn their place.
# Its crops avoid A and are pruned, as in the paper, and it is trained as long as
# before the defaults moved to all crops in 8 symmetries (5 epochs).
PAPER_NETWORK = {"architecture": "updown", "initial_fill": "noise", "adversarial": True,
                 "lr_schedule": "constant", "max_epochs": 5}
PAPER_CONFIG = {"train_crops": "outside", "beta": 0.0, "augment": False}
PAPER_METHOD = "paper config (updown, noise, GAN; seed 0)"
METHODS = ["ZeroShot (SpatialGAIN)", "SoftImputeFISTA", "NN", "inpaint_biharmonic",
           "biharmonic (initial fill)", PAPER_METHOD]
# Targets of issue 4: ahead of SoftImputeFISTA and NN, within 1.25x of biharmonic.
BIHARMONIC_FACTOR = 1.25

_EXTRA_NAMES = {
    "n02102040": "springer", "n02979186": "cassette", "n03028079": "church",
    "n03394916": "horn", "n03417042": "truck", "n03425413": "gas pump",
    "n03888257": "parachute",
}


def load_images(data_home=None):
    """The 9 images, name -> (320, 320) float array in [0, 1]."""
    from skimage import data
    from skimage.transform import resize

    path = Path(data_home or default_data_home()) / "imagenette_tench_320.npz"
    with np.load(path) as archive:
        images = {"tench": archive["images"][0] / 255.0}
        for synset, image in zip(archive["extra_synsets"], archive["extra_images"]):
            images[_EXTRA_NAMES.get(str(synset), str(synset))] = image / 255.0
    camera = resize(data.camera() / 255.0, (SIDE, SIDE), anti_aliasing=True)
    images["camera"] = np.clip(camera, 0.0, 1.0)
    return images


def make_mask(pattern, shape):
    region = block_region(shape, BLOCK)
    if pattern == "mcar":
        return mcar_mask(shape, 0.2, region=region, random_state=0)
    return mnar_mask(shape, region=region, row_fraction=0.2, n_pixels=10, random_state=0)


def network(settings):
    """The estimator's default network with ``settings`` changed; None when there are none."""
    return SpatialGAINImputer(**{**ZERO_SHOT_NETWORK, **settings}) if settings else None


def rmse(truth, filled, hidden):
    return float(np.sqrt(np.mean((filled[hidden] - truth[hidden]) ** 2)))


def baselines(image, hidden):
    """Fills of the deterministic baselines, name -> completed image."""
    from skimage.restoration import inpaint_biharmonic

    X = apply_mask(image, hidden)
    region = block_region(image.shape, BLOCK)
    # The interpolation the network starts from: on A's window only.
    top, left, height, width = region
    window = (slice(top, top + height), slice(left, left + width))
    values = torch.as_tensor(np.nan_to_num(X[window]), dtype=torch.float32)[None, None]
    observed = torch.as_tensor(~hidden[window], dtype=torch.float32)[None, None]
    fill = image.copy()
    fill[window] = biharmonic_fill(values, observed)[0, 0].numpy()
    return {
        "SoftImputeFISTA": SoftImputeFISTA(random_state=0).fit_transform(X),
        "NN": nearest_patch_fill(X, region, patch_size=BLOCK),
        "inpaint_biharmonic": inpaint_biharmonic(np.nan_to_num(X), hidden),
        "biharmonic (initial fill)": np.where(hidden, fill, image),
    }


def _fmt(mean, std=None):
    return f"{mean:.4f}" if std is None else f"{mean:.4f} ± {std:.4f}"


def to_markdown(results, mode, env, settings):
    lines = [
        "# Zero-shot imputation of a 64x64 region (SpatialGAIN paper, Experiment 2)",
        "",
        f"Mode: **{mode}** ({MODE_TEXT[mode]}). "
        f"Hardware: {env['cpu']} ({env['cpu_count']} cores, torch threads "
        f"{env['torch_threads']}), CUDA: {env['cuda'] or 'none'}; load average during the run "
        f"{env.get('load_average', '?')} (the CPU was shared with other jobs, so the "
        "seconds are pessimistic).",
        "",
        "RMSE on A's hidden pixels (images in [0, 1]); A = bottom-right 64x64 block. "
        "ZeroShot: mean ± std over seeds of ZeroShotSpatialImputer with its defaults"
        + (f" and its network's {settings['network']}" if settings["network"] else "")
        + "; the others are deterministic. **Bold**: best of the row. \"network kept\": "
        "seeds where the self-check on A's observed pixels kept the trained network rather "
        "than falling back to its biharmonic initial fill.",
    ]
    paper_settings = ", ".join(f"{k}={v}" for k, v in {**PAPER_NETWORK, **PAPER_CONFIG}.items())
    for pattern, title in (("mcar", "MCAR: 20% of A's pixels hidden"),
                           ("mnar", "MNAR: 20% of A's rows lose their last 10 pixels")):
        rows = []
        wins = {"SoftImputeFISTA": 0, "NN": 0, "biharmonic": 0, "fill": 0, "paper": 0}
        per_image = results[pattern]
        for name, entry in per_image.items():
            scores = {m: entry[m] for m in METHODS[1:]}
            zs = np.mean(entry["ZeroShot (SpatialGAIN)"])
            best = min([zs, *scores.values()])
            cells = [_fmt(zs, np.std(entry["ZeroShot (SpatialGAIN)"]))]
            cells += [_fmt(scores[m]) for m in METHODS[1:]]
            values = [zs] + [scores[m] for m in METHODS[1:]]
            cells = [f"**{c}**" if v == best else c for c, v in zip(cells, values)]
            wins["SoftImputeFISTA"] += zs < scores["SoftImputeFISTA"]
            wins["NN"] += zs < scores["NN"]
            wins["biharmonic"] += zs <= BIHARMONIC_FACTOR * scores["inpaint_biharmonic"]
            wins["fill"] += zs < scores["biharmonic (initial fill)"]
            wins["paper"] += zs < scores[PAPER_METHOD]
            kept = f"{sum(entry['used_network'])}/{len(entry['used_network'])}"
            rows.append([name, *cells, kept, f"{np.mean(entry['fit_seconds']):.0f}", mode])
        means = [np.mean([np.mean(e["ZeroShot (SpatialGAIN)"]) for e in per_image.values()])]
        means += [np.mean([e[m] for e in per_image.values()]) for m in METHODS[1:]]
        rows.append(["**mean over images**", *[_fmt(v) for v in means], "", "", mode])
        paper = PAPER[pattern]
        rows.append(["paper's Table 2 (its images)", _fmt(paper["ZeroShot (SpatialGAIN)"]),
                     _fmt(paper["SoftImputeFISTA"]), _fmt(paper["NN"]), "-", "-", "-", "", "",
                     "paper"])
        n = len(per_image)
        lines += [
            "", f"## {title}", "",
            markdown_table(["image", *METHODS, "network kept", "ZeroShot fit (s)", "mode"],
                           rows), "",
            f"ZeroShot beats SoftImputeFISTA on {wins['SoftImputeFISTA']}/{n} images and NN "
            f"on {wins['NN']}/{n}; it is within {BIHARMONIC_FACTOR}x of inpaint_biharmonic on "
            f"{wins['biharmonic']}/{n} images"
            + (" (target met on most images)." if 2 * wins["biharmonic"] > n
               else " (target **not** met: biharmonic inpainting wins).")
            + f" The training improves on the network's own biharmonic initial fill on "
            f"{wins['fill']}/{n} images. The defaults beat the paper's configuration "
            f"({paper_settings}, seed 0) on "
            f"{wins['paper']}/{n} images.",
        ]
    lines += ["", "Figures (A only: original, masked, then each method's fill):", "",
              f"![MCAR]({NAME}_mcar.png)", "", f"![MNAR]({NAME}_mnar.png)"]
    return "\n".join(lines)


def plot(images, fills, pattern, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top, left, height, width = block_region((SIDE, SIDE), BLOCK)
    window = (slice(top, top + height), slice(left, left + width))
    columns = ["original", "masked", *METHODS]
    fig, axes = plt.subplots(len(images), len(columns),
                             figsize=(1.6 * len(columns), 1.7 * len(images)), squeeze=False)
    for row, (name, image) in enumerate(images.items()):
        hidden = make_mask(pattern, image.shape)
        panels = [image, apply_mask(image, hidden)] + [fills[name][m] for m in METHODS]
        for col, (title, panel) in enumerate(zip(columns, panels)):
            ax = axes[row, col]
            ax.imshow(panel[window], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title.replace(" (", "\n("), fontsize=7)
            if col == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle(f"Zero-shot fill of the bottom-right 64x64 block, {pattern.upper()}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(quick=False, data_home=None, out_dir=None):
    """Run the zero-shot experiment and write ``zero_shot.json``, ``.md`` and figures.

    Parameters
    ----------
    quick : bool, default=False
        Two images (tench, camera), one seed and 1 epoch instead of all 9
        images, 5 seeds and the estimator's defaults (4 epochs).
    data_home : path or None
        Folder holding ``imagenette_tench_320.npz``; default
        ``$SKGAIN_DATA`` or ``../shared/data``.
    out_dir : path or None
        Results folder; default ``benchmarks/results``.

    Returns
    -------
    results : dict
        The JSON payload: ``mode``, ``settings`` and, per pattern and image,
        the RMSE of every method and the fit seconds.
    """
    mode = "quick" if quick else "full"
    settings = SETTINGS[mode]
    images = load_images(data_home)
    if settings["images"] is not None:
        images = {name: images[name] for name in settings["images"]}
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    results, all_fills = {}, {}
    for pattern in ("mcar", "mnar"):
        results[pattern], all_fills[pattern] = {}, {}
        for name, image in images.items():
            hidden = make_mask(pattern, image.shape)
            fills = baselines(image, hidden)
            entry = {m: rmse(image, fill, hidden) for m, fill in fills.items()}
            entry["ZeroShot (SpatialGAIN)"], entry["fit_seconds"] = [], []
            entry["used_network"] = []
            for seed in settings["seeds"]:
                imputer = ZeroShotSpatialImputer(estimator=network(settings["network"]),
                                                 random_state=seed)
                with Timer() as timer, warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    completed = imputer.fit_transform(apply_mask(image, hidden))
                entry["ZeroShot (SpatialGAIN)"].append(rmse(image, completed, hidden))
                entry["fit_seconds"].append(timer.seconds)
                entry["used_network"].append(bool(imputer.used_network_))
                if seed == settings["seeds"][0]:
                    fills["ZeroShot (SpatialGAIN)"] = completed
                    entry["n_crops_kept"] = int(imputer.kept_crops_.sum())
                    entry["n_epochs"] = int(imputer.estimator_.n_iter_)
            paper_network = network({**PAPER_NETWORK, **settings["network"]})
            paper_imputer = ZeroShotSpatialImputer(estimator=paper_network, random_state=0,
                                                   **PAPER_CONFIG)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                fills[PAPER_METHOD] = paper_imputer.fit_transform(apply_mask(image, hidden))
            entry[PAPER_METHOD] = rmse(image, fills[PAPER_METHOD], hidden)
            print(f"{NAME}: {pattern} {name}: " + ", ".join(
                f"{m} {np.mean(entry[m]):.4f}" for m in METHODS), file=sys.stderr, flush=True)
            results[pattern][name] = entry
            all_fills[pattern][name] = fills
    env = environment()
    if load_before is not None:
        env["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    payload = {"environment": env, "mode": mode, "settings": settings,
               "paper_table_2": PAPER, "results": results}
    markdown = to_markdown(results, mode, env, settings)
    figure_dir = results_dir(NAME, out_dir)
    try:
        for pattern in ("mcar", "mnar"):
            plot(images, all_fills[pattern], pattern, figure_dir / f"{NAME}_{pattern}.png")
    except ImportError:  # matplotlib is in the benchmarks extra only
        markdown += "\n\n(Figures skipped: matplotlib is not installed.)"
    write_results(NAME, payload, markdown, out_dir)
    return {"experiment": NAME, **payload}


# ------------------------------------------------------------ speed ablation
# Issue 31: ZeroShotSpatialImputer() fits one 320x320 image in at most 20 s on
# two CPU cores. Each variant is the code of a commit ("base": the code before
# the speed-up; "head": this checkout's HEAD; both extracted with ``git
# archive``) with its
# default network's settings changed; every fit runs alone in a fresh process
# on one thread, the variants interleaved image by image, so that a shared
# machine's load falls on all of them alike. The seconds are reported as
# ratios to the base's in the same run.
SPEED_NAME = "zero_shot_speed"
SPEED_VARIANTS = {
    # name: (code, settings of the default network changed, what it is)
    "base": ("base", {}, "today: the base commit's defaults"),
    "head": ("head", {}, "HEAD's defaults"),
    "narrow": ("head", {"channels": [8, 16, 32]},
               "HEAD, U-Net channels (8, 16, 32) instead of (16, 32, 64)"),
    "narrow5": ("head", {"channels": [8, 16, 32], "max_epochs": 5},
                "HEAD, U-Net channels (8, 16, 32) trained 5 epochs instead of 4"),
    "b4e2": ("head", {"batch_size": 4, "max_epochs": 2},
             "HEAD, batches of 4 crops for 2 epochs (the same steps, half the crops)"),
}
SPEED_CASES = [("mcar", "church"), ("mcar", "springer")]

_SPEED_WORKER = r"""
import json, sys, time, warnings
args = json.loads(sys.argv[1])
sys.path[:0] = [args["root"], args["repo"]]
import numpy as np, torch
torch.set_num_threads(1)
import skgain
from skgain import SpatialGAINImputer, ZeroShotSpatialImputer
from skgain.masks import apply_mask
from benchmarks.zero_shot import load_images, make_mask
image = load_images(args["data_home"])[args["image"]]
hidden = make_mask(args["pattern"], image.shape)
X = apply_mask(image, hidden)
network = args["network"]
imputer = ZeroShotSpatialImputer(estimator=SpatialGAINImputer(**network) if network else None,
                                 random_state=args["seed"])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    completed = imputer.fit_transform(X)
    seconds = time.perf_counter() - start
print(json.dumps({"fit_s": seconds,
                  "rmse": float(np.sqrt(np.mean((completed[hidden] - image[hidden]) ** 2))),
                  "used_network": bool(imputer.used_network_),
                  "skgain_path": skgain.__file__}))
"""


def _speed_fit(root, pattern, image, network, seed, data_home):
    """One fit in a fresh one-thread process on the code under ``root``."""
    from ._common import REPO, run_one_thread_worker

    return run_one_thread_worker(_SPEED_WORKER, {
        "root": str(root), "repo": str(REPO), "pattern": pattern, "image": image,
        "network": network, "seed": seed, "data_home": str(data_home or default_data_home())})


def speed_ablation(base, variants=None, cases=None, seed=0, jobs=1, data_home=None,
                   out_dir=None):
    """Time ZeroShotSpatialImputer's fit under ``variants`` against the code of ``base``.

    Writes ``zero_shot_speed.json`` / ``.md`` into the zero_shot folder:
    per case and variant the fit seconds, their ratio to the base's fit of
    the same case in the same run, the RMSE on the hidden pixels and its
    ratio to ``inpaint_biharmonic``'s.
    """
    import subprocess
    import tempfile
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from skimage.restoration import inpaint_biharmonic

    from ._common import REPO, ZERO_SHOT_NETWORK, committed_code, save_records

    variants = variants or list(SPEED_VARIANTS)
    cases = cases or SPEED_CASES
    images = load_images(data_home)
    records = []
    scratch = REPO / "benchmarks" / "results" / "_scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        # Both codes as committed (other work in progress in the checkout
        # stays out of the timings).
        roots = {code: committed_code(commit, Path(folder) / code)
                 for code, commit in (("base", base), ("head", "HEAD"))}
        lock = threading.Lock()

        def run_case(index):
            pattern, name = cases[index]
            image = images[name]
            hidden = make_mask(pattern, image.shape)
            reference = rmse(image, inpaint_biharmonic(np.nan_to_num(apply_mask(image, hidden)),
                                                       hidden), hidden)
            # Every other case runs the variants in reverse: a load that drifts
            # during a case does not always favour the same variant.
            for variant in (variants if index % 2 == 0 else variants[::-1]):
                code, settings, _ = SPEED_VARIANTS[variant]
                network = {**ZERO_SHOT_NETWORK, **settings} if settings else {}
                fit = _speed_fit(roots[code], pattern, name, network, seed, data_home)
                with lock:
                    records.append({"variant": variant, "code": code, "settings": settings,
                                    "pattern": pattern, "image": name, "seed": seed,
                                    "inpaint_biharmonic": reference, **fit})
                    save_records(scratch / f"{SPEED_NAME}.json", records)
                print(f"{SPEED_NAME}: {pattern} {name} {variant}: {fit['fit_s']:.1f} s, "
                      f"RMSE {fit['rmse']:.4f} ({fit['rmse'] / reference:.3f}x biharmonic)",
                      file=sys.stderr, flush=True)

        # ``jobs`` cases at a time, each a stream of one-thread processes.
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(run_case, range(len(cases))))
    env = environment()
    env["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    base_commit = subprocess.run(["git", "rev-parse", base], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.strip()
    payload = {"base": base_commit, "variants": {v: SPEED_VARIANTS[v] for v in variants},
               "cases": cases, "jobs": jobs, "records": records}
    markdown = speed_markdown(records, variants, base_commit, env, jobs)
    write_results(SPEED_NAME, payload, markdown, out_dir, experiment=NAME)
    return payload


# Where the base's fit spends its time: measured once, by hand, before the
# ablation (cProfile of one fit, torch.profiler of steps), not by this runner.
SPEED_PROFILE = """\
## Where a fit's time goes (the base's code, profiled before the ablation)

cProfile of one fit of `ZeroShotSpatialImputer(random_state=0)` at commit 48e531f (church, MCAR,
one torch thread, 2 shared cores at load 3.5): **367.6 s**, of which

| part | s | share |
|---|---|---|
| 1156 training steps of 8 crops of 64x64 (4 epochs of 289 crops x 8 views) | 315.2 | 86% |
| - the U-Net's backward passes | 171.7 | 47% |
| - its forward passes | about 102 | 28% |
| - the biharmonic fill of each batch (28.6 ms each, about 13 CG iterations) | 33 | 9% |
| after training: the check against divergence, 512 crops x 8 views (2**21 pixels) | 43.8 | 12% |
| the rest (held-out split, validation each epoch, self-check, imputation) | about 8 | 2% |

torch.profiler of a step: convolution backward 59% of its time, convolution forward 22%, group
norm 4%, max pooling 3%. The fill, 14.1 of 25.8 ms of a SpatialGAIN step on the H100 (gpu.md), is a
tenth of a step here: on a CPU the convolutions' arithmetic is the cost, so it scales with the crops
passed through the network. Measured beside it (one thread, same load, scratch scripts): a step
costs the same per crop at 4, 8 and 32 crops a batch (39, 34, 37 ms), so larger batches with the
learning rate scaled buy nothing on a CPU; channels-last training runs the forward 0.6x but group
norm's backward 9x slower (a step 0.94x); the fill converges in under 15 conjugate-gradient
iterations at its tolerance on these crops (a cap of 10-20 changes nothing) and is bound by the
cost of its ~40 small tensor operations per iteration: the Laplacian applied twice (it is
symmetric) instead of with its adjoint, and a separable dilation, gave 0.96-1.01x of its time, so
neither was kept, nor a warm start (at most a few of its 13 iterations, 1-3% of a fit). A U-Net of
channels (8, 16, 32) costs 0.40x a step of (16, 32, 64); (16, 16, 32) 0.68x, (8, 32, 64) 0.69x.
"""


def speed_markdown(records, variants, base_commit, env, jobs=1):
    """The ablation table: per variant, seconds and RMSE ratios over the cases."""
    base_variant = variants[0]
    base_seconds = {(r["pattern"], r["image"]): r["fit_s"] for r in records
                    if r["variant"] == base_variant}
    rows = []
    for variant in variants:
        mine = [r for r in records if r["variant"] == variant]
        if not mine:
            continue
        ratios = [r["fit_s"] / base_seconds[(r["pattern"], r["image"])] for r in mine]
        rmse_ratio = [r["rmse"] / r["inpaint_biharmonic"] for r in mine]
        per_case = "; ".join(f"{r['pattern']} {r['image']} {r['fit_s']:.0f} s, "
                             f"{r['rmse']:.4f}" for r in mine)
        rows.append([f"{variant}: {SPEED_VARIANTS[variant][2]}", f"{np.mean(ratios):.2f}",
                     f"{np.mean([r['rmse'] for r in mine]):.4f}", f"{np.mean(rmse_ratio):.3f}",
                     f"{sum(r['used_network'] for r in mine)}/{len(mine)}", per_case])
    return "\n".join([
        "# Zero-shot fit seconds: the speed ablation of issue 31",
        "",
        f"`python -m benchmarks.zero_shot --speed-ablation --base {base_commit[:7]} "
        f"--jobs {jobs}`: every fit of `ZeroShotSpatialImputer` (seed 0, `fit_transform`, the "
        "zero_shot benchmark's images and masks) in a fresh process on one torch thread, the "
        f"variants of a case one after another (every other case in reverse order), {jobs} "
        "case(s) at a time. Seconds are pessimistic and noisy (the 2 cores were shared with other "
        f"jobs; load average {env['load_average'][0]} at the start, {env['load_average'][1]} "
        "at the end); read the ratio to the base's fit of the same case in the same run. "
        f"Hardware: {env['cpu']} ({env['cpu_count']} cores); torch {env['torch']}.",
        "",
        markdown_table(["variant", "seconds / base's", "mean RMSE", "RMSE / biharmonic",
                        "network kept", "per case (fit s, RMSE)"], rows),
        "",
        SPEED_PROFILE,
    ])


def _main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.zero_shot")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--speed-ablation", action="store_true",
                        help="time the fit against --base instead of the benchmark")
    parser.add_argument("--base", default="HEAD", help="commit of today's code")
    parser.add_argument("--variants", default=None,
                        help="comma-separated names of SPEED_VARIANTS (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at a time")
    parser.add_argument("--cases", default=None,
                        help="comma-separated pattern:image (default: SPEED_CASES)")
    args = parser.parse_args(argv)
    if not args.speed_ablation:
        return run(quick=args.quick)
    variants = None if args.variants is None else args.variants.split(",")
    cases = None if args.cases is None else [tuple(c.split(":")) for c in args.cases.split(",")]
    return speed_ablation(args.base, variants=variants, cases=cases, jobs=args.jobs)


if __name__ == "__main__":
    _main(sys.argv[1:])
