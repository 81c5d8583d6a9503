"""Peak memory of a block of code, for the speed table.

On Linux the kernel keeps the peak resident set size (VmHWM) of the process
and lets the process reset it (``/proc/self/clear_refs``, value 5), so the
peak of one block is measured exactly, torch's allocations included. Where
that is not possible the fallback is :mod:`tracemalloc`, which sees Python
and numpy allocations but not torch's; the result says which method was used.
On CUDA the peak of torch's allocator is reported as well.
"""

import ctypes
import ctypes.util
import gc
import tracemalloc
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_MIB = 1024 * 1024


def _status_kib(field):
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _release_free_memory():
    """Hand memory freed by earlier work back to the OS (glibc only).

    Otherwise a block could reuse pages an earlier one freed without its
    resident size growing, and its peak would read too low.
    """
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _can_reset_peak():
    try:
        _CLEAR_REFS.write_text("5")
        _status_kib("VmHWM")
    except (OSError, KeyError):
        return False
    return True


class PeakMemory:
    """Context manager: ``.peak_mib`` is the peak memory above the level at entry.

    ``.method`` is ``"rss"`` (peak resident set size, everything the process
    touched) or ``"tracemalloc"`` (Python and numpy allocations only).
    ``.cuda_peak_mib`` is torch's peak CUDA allocation when ``device`` is a
    CUDA device, else None.
    """

    def __init__(self, device="cpu"):
        self.cuda = str(device).startswith("cuda")

    def __enter__(self):
        gc.collect()
        _release_free_memory()
        self.method = "rss" if _can_reset_peak() else "tracemalloc"
        if self.method == "rss":
            self._start_kib = _status_kib("VmRSS")
        else:
            tracemalloc.start()
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._cuda_start = torch.cuda.memory_allocated()
        return self

    def __exit__(self, *exc):
        if self.method == "rss":
            self.peak_mib = max(_status_kib("VmHWM") - self._start_kib, 0) / 1024
        else:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.peak_mib = peak / _MIB
        self.cuda_peak_mib = None
        if self.cuda:
            torch.cuda.synchronize()
            self.cuda_peak_mib = (torch.cuda.max_memory_allocated() - self._cuda_start) / _MIB
