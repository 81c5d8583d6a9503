"""Helpers shared by the benchmark experiments: data home, metrics, timing, results.

Results with provenance: every experiment writes into its own folder,
``results_dir(experiment)`` (``benchmarks/results/<experiment>/``), and every
run writes ``record.json`` there with :func:`write_record`: the commit (and
whether the tree had uncommitted changes), the package and library versions,
the CPU or GPU, torch threads, load average, date and command line.
:func:`write_results` does both for the usual ``<name>.json`` + ``<name>.md``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "benchmarks" / "results"

# The network ZeroShotSpatialImputer trains with estimator=None, as its
# docstring spells it out (tests/test_zero_shot.py checks that they agree).
# The zero-shot runs that change its settings pass it, changed, as estimator.
ZERO_SHOT_NETWORK = {
    "architecture": "unet", "channels": None, "initial_fill": "biharmonic",
    "adversarial": False, "alpha": 10, "hint_rate": 0.9, "learning_rate": 1e-3,
    "lr_schedule": "constant", "batch_size": 8, "max_epochs": 4, "validation_fraction": 0.1,
    "n_iter_no_change": 5, "inference_precision": "float32",
}


def default_data_home():
    """``$SKGAIN_DATA`` if set, else ``../shared/data`` beside the checkout."""
    return Path(os.environ.get("SKGAIN_DATA", REPO.parent / "shared" / "data"))


def scaled_rmse(truth, imputed, hidden, data_min, data_range):
    """RMSE over ``hidden`` entries after min-max scaling with the complete data's ranges.

    This is the GAIN paper's protocol: ``data_min``/``data_range`` come from the
    complete matrix, not from the observed entries.
    """
    data_range = np.where(data_range > 0, data_range, 1.0)
    diff = (np.asarray(imputed) - truth) / data_range
    return float(np.sqrt(np.mean(diff[hidden] ** 2)))


def mcar_hide(X, rate, seed):
    """Copy of ``X`` with a fraction ``rate`` of entries set to NaN, and the mask."""
    rng = np.random.RandomState(seed)
    hidden = rng.rand(*X.shape) < rate
    X_missing = np.array(X, dtype=float, copy=True)
    X_missing[hidden] = np.nan
    return X_missing, hidden


class Timer:
    """Context manager measuring wall-clock seconds in ``.seconds``."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start


def cpu_model():
    """The CPU's model name (Linux), else what ``platform`` knows: sessions
    land on machines with different CPUs, and timings compare only within one."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment():
    """What the numbers were measured on."""
    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        # Other jobs on a shared machine slow every timing down; say how busy it was.
        "load_average_1min": os.getloadavg()[0],
    }
    try:
        import sklearn

        info["sklearn"] = sklearn.__version__
    except ImportError:  # pragma: no cover
        pass
    return info


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std())


def results_dir(experiment, out_dir=None):
    """The folder an experiment writes into, created if needed.

    ``out_dir`` when given (the runner's ``--out``, a test's temporary
    folder), else ``benchmarks/results/<experiment>/``.
    """
    folder = Path(out_dir) if out_dir is not None else RESULTS_DIR / experiment
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _git(*args):
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git_commit():
    """``(commit, dirty)``: ``git rev-parse HEAD`` and whether tracked files differ from it.

    Results files are left out: a run rewrites them before its record is
    written, and they are what it produced, not the code that produced it.
    ``("unknown: not a git checkout", None)`` outside a git checkout.
    """
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return "unknown: not a git checkout", None
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":(exclude)benchmarks/results")
    return commit, (None if status is None else bool(status))


def provenance():
    """What produced a result: code, libraries, hardware, load, date and command."""
    import skgain

    commit, dirty = git_commit()
    info = {
        "commit": commit,
        "dirty": dirty,
        "skgain": skgain.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    try:
        import sklearn

        info["sklearn"] = sklearn.__version__
    except ImportError:  # pragma: no cover
        info["sklearn"] = None
    info.update({
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    })
    return info


RECORD = "record.json"


def write_record(folder, files=None, **extra):
    """Write ``<folder>/record.json``: :func:`provenance` of this run, ``files`` and ``extra``.

    ``files`` names what this run wrote (default: every file in the folder).
    Records of earlier runs for files this run did not rewrite are kept under
    ``"earlier"``, so that each file in the folder keeps the record of the run
    that wrote it. Returns the record.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if files is None:
        files = [p.name for p in folder.iterdir() if p.is_file() and p.name != RECORD]
    files = sorted({Path(f).name for f in files})
    record = {**provenance(), "files": files, **extra}
    earlier = []
    path = folder / RECORD
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = {}
        for old in [previous, *previous.pop("earlier", [])]:
            kept = [f for f in old.get("files", []) if f not in files and (folder / f).exists()]
            if kept:
                earlier.append({**old, "files": kept})
    if earlier:
        record["earlier"] = earlier
    path.write_text(json.dumps(record, indent=2) + "\n")
    return record


def write_results(name, payload, markdown, out_dir=None, experiment=None, **extra):
    """Write ``<name>.json``, ``<name>.md`` and ``record.json`` into the experiment's folder.

    The folder is ``out_dir`` if given, else ``results_dir(experiment or name)``.
    The record lists the two files and the figures ``<name>.png`` /
    ``<name>_*.png`` beside them; ``extra`` goes into the record.
    """
    out_dir = results_dir(experiment or name, out_dir)
    payload = {"experiment": name, "environment": environment(), **payload}
    (out_dir / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out_dir / f"{name}.md").write_text(markdown.rstrip() + "\n")
    runs = {p.stem for p in (*out_dir.glob("*.json"), *out_dir.glob("*.md"))}
    longer = [run for run in runs if run.startswith(name + "_")]
    # <name>.png and <name>_*.png, not the figures of a run with a longer name
    # (images_partial_gain_loss.png is images_partial_gain's, not images_partial's).
    figures = [p.name for p in out_dir.glob("*.png")
               if (p.stem == name or p.stem.startswith(name + "_"))
               and not any(p.stem == run or p.stem.startswith(run + "_")
                           for run in longer)]
    write_record(out_dir, files=[f"{name}.json", f"{name}.md", *figures], **extra)
    return out_dir / f"{name}.md"


def committed_code(commit, folder):
    """``skgain`` and ``benchmarks`` of ``commit``, as committed, extracted under
    ``folder`` (created): code to time against, without the work in progress
    of the checkout."""
    folder = Path(folder)
    archive = subprocess.run(["git", "archive", commit, "skgain", "benchmarks"], cwd=REPO,
                             capture_output=True, check=True).stdout
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_one_thread_worker(source, args):
    """Run the Python ``source`` in a fresh process on one thread, with
    ``args`` as JSON in ``sys.argv[1]``; returns the JSON of its last line
    of output (a RuntimeError with its error output if it fails)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", source, json.dumps(args)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def save_records(path, records):
    """Write ``records`` to ``path`` (JSON), so that a long run stopped early keeps them."""
    Path(path).write_text(json.dumps(records, indent=1))


def markdown_table(header, rows):
    """A GitHub markdown table from a header list and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def records_parser(doc, choices, name=None, tables=None, data_home=False):
    """The command line of a benchmark that runs (table, seed, method) records.

    Options: ``--quick``, ``--out``, ``--seeds`` (how many), ``--tables``
    (comma-separated; default ``tables``), ``--methods`` (a comma-separated
    subset of ``choices``), ``--records`` (save the records as they come, so
    that a long run can be split over processes) and ``--merge`` (report on
    such record files instead of running); ``--name`` (the results file name)
    when ``name`` is given, ``--data-home`` when ``data_home``.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--tables", default=None if tables is None else ",".join(tables),
                        help="comma-separated tables")
    parser.add_argument("--methods", default=None,
                        help=f"comma-separated subset of: {', '.join(choices)}")
    if name is not None:
        parser.add_argument("--name", default=name, help="results file name")
    if data_home:
        parser.add_argument("--data-home", default=None)
    parser.add_argument("--records", default=None, help="save the records to this JSON file")
    parser.add_argument("--merge", default=None,
                        help="comma-separated record files to merge into one report")
    return parser


def merged_records(paths):
    """The records of the comma-separated JSON files ``paths``, in that order."""
    return [r for path in paths.split(",") for r in json.loads(Path(path).read_text())]
