"""One entry point for every benchmark: ``python -m benchmarks NAME [--quick] [--out DIR]``.

Each experiment is a module ``benchmarks/<name>.py`` exposing
``run(quick=False, data_home=None, out_dir=None) -> dict``. The runner only
imports the module and calls ``run``; the module writes its JSON, markdown and
figures into its folder, ``benchmarks/results/<name>/`` (``results_dir`` of
``_common``), with a ``record.json`` of the commit, versions, hardware, load
and command that produced them. ``all`` runs every experiment of
:data:`EXPERIMENTS` in turn, stops at the first failure and writes
``all_<mode>.json`` / ``.md`` with the seconds each experiment took. The experiments of
:data:`ON_REQUEST` run by name only: the GPU check, and the ablations that
chose the defaults (hours each on a CPU).
"""

import argparse
import importlib
import sys
import time
from pathlib import Path

import torch

from ._common import RESULTS_DIR, environment, markdown_table, write_results

# The experiments in the order ``all`` runs them (cheap ones first).
EXPERIMENTS = ("speed", "scale", "tabular", "low_rank", "panel", "images", "zero_shot")
# Run by name only, never by ``all``: the GPU check needs a CUDA device, and the
# ablations behind the defaults take hours each on a CPU.
ON_REQUEST = ("gpu", "table_speed", "demo_time", "gain_ablation", "blend_ablation",
              "image_ablation", "image_test_time", "image_views", "square_tables",
              "mixed_tables", "mixed_ablation", "multiple_imputation", "image_speed")


class MissingExperiment(ValueError):
    """The experiment's module is not in this checkout."""


def load(name):
    """Import ``benchmarks.<name>`` and return it; a clear error when it is missing."""
    if name not in EXPERIMENTS + ON_REQUEST:
        raise ValueError(f"Unknown experiment {name!r}; choose one of "
                         f"{', '.join(EXPERIMENTS + ON_REQUEST)} "
                         "or 'all'.")
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        # Only "the experiment itself is missing" is reported this way; a
        # missing dependency inside it keeps its own traceback.
        if exc.name != f"benchmarks.{name}":
            raise
        raise MissingExperiment(
            f"Experiment {name!r} has no module benchmarks/{name}.py in this checkout."
        ) from exc
    if not callable(getattr(module, "run", None)):
        raise ValueError(f"benchmarks/{name}.py has no run(quick, data_home, out_dir) function.")
    return module


def run_one(name, quick=False, data_home=None, out_dir=None):
    """Run one experiment by name and return what its ``run`` returned."""
    module = load(name)
    threads = torch.get_num_threads()
    try:
        return module.run(quick=quick, data_home=data_home, out_dir=out_dir)
    finally:
        # Some experiments pin torch to one thread for their timings; the
        # next experiment of ``all`` starts with the threads this one had.
        torch.set_num_threads(threads)


def available():
    """The experiments whose module exists in this checkout."""
    here = Path(__file__).resolve().parent
    return [name for name in EXPERIMENTS if (here / f"{name}.py").is_file()]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run a skgain benchmark and write <name>.json, <name>.md, figures and "
                    "record.json into benchmarks/results/<name>/.",
    )
    parser.add_argument("name", choices=(*EXPERIMENTS, *ON_REQUEST, "all"),
                        help="experiment to run")
    parser.add_argument("--quick", action="store_true",
                        help="small settings (a smoke run of every row) instead of the full protocol")
    parser.add_argument("--out", type=Path, default=None,
                        help="results folder (default: benchmarks/results/<name>/, and "
                             "benchmarks/results/quick with --quick so that a smoke run never "
                             "overwrites the full results)")
    parser.add_argument("--data-home", type=Path, default=None,
                        help="folder with the data files "
                             "(default: $SKGAIN_DATA, then ../shared/data)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = available() if args.name == "all" else [args.name]
    if args.name == "all":
        missing = sorted(set(EXPERIMENTS) - set(names))
        if missing:
            print(f"skipping experiments not in this checkout: {', '.join(missing)}",
                  file=sys.stderr)
    mode = "quick" if args.quick else "full"
    if args.out is None and args.quick:
        args.out = RESULTS_DIR / "quick"
    seconds = {}
    for name in names:
        print(f"== {name} ({mode})", file=sys.stderr)
        start = time.perf_counter()
        try:
            run_one(name, quick=args.quick, data_home=args.data_home, out_dir=args.out)
        except MissingExperiment as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        seconds[name] = time.perf_counter() - start
        print(f"== {name} done in {seconds[name]:.1f} s", file=sys.stderr)
    if args.name == "all":
        write_timing(seconds, mode, args.out)
    return 0


def write_timing(seconds, mode, out_dir=None):
    """Write ``all_<mode>.json`` and ``.md``: wall-clock seconds per experiment."""
    env = environment()
    total = sum(seconds.values())
    rows = [[name, f"{s:.1f}"] for name, s in seconds.items()] + [["**total**", f"{total:.1f}"]]
    markdown = "\n".join([
        f"# `python -m benchmarks all{' --quick' if mode == 'quick' else ''}`: wall-clock seconds",
        "",
        f"Hardware: {env['cpu']} ({env['cpu_count']} cores, {env['torch_threads']} torch "
        f"threads), CUDA: {env['cuda'] or 'none'}; 1-minute load average at the end "
        f"{env['load_average_1min']:.1f}. Measured {env['date']}.",
        "",
        markdown_table(["experiment", "seconds"], rows),
    ])
    # Beside the quick runs (results/quick/) or in results/all/ for a full run.
    write_results(f"all_{mode}", {"mode": mode, "seconds": seconds,
                                  "total_seconds": total}, markdown, out_dir, experiment="all")


if __name__ == "__main__":
    sys.exit(main())
