"""Helpers shared by the benchmark experiments: data home, metrics, timing, results."""

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "benchmarks" / "results"


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


def write_results(name, payload, markdown, out_dir=None):
    """Write ``<name>.json`` and ``<name>.md`` into ``out_dir`` (default: results/)."""
    out_dir = Path(out_dir) if out_dir is not None else RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"experiment": name, "environment": environment(), **payload}
    (out_dir / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out_dir / f"{name}.md").write_text(markdown.rstrip() + "\n")
    return out_dir / f"{name}.md"


def save_records(path, records):
    """Write ``records`` to ``path`` (JSON), so that a long run stopped early keeps them."""
    Path(path).write_text(json.dumps(records, indent=1))


def markdown_table(header, rows):
    """A GitHub markdown table from a header list and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
