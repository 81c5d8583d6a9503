"""Pieces of the training loop of BaseAdversarialImputer: the validation split,
early stopping and the progress bar."""

import copy

import numpy as np
from tqdm.auto import tqdm

from ._base import batch_slices, block_rows


def _hold_out(mask, fraction, rng, max_entries=None):
    """Split observed entries into training and validation masks.

    ``fraction`` of the observed entries, at most ``max_entries`` of them.
    The training mask is ``mask`` itself, changed in place; the validation
    mask is boolean. The draws equal ``rng.choice(n_observed, n_val,
    replace=False)`` over the observed entries in row-major order, without
    listing them all at once.
    """
    if fraction == 0:
        return mask, None
    per_row = np.count_nonzero(mask, axis=1)
    n_observed = int(per_row.sum())
    n_val = int(round(fraction * n_observed))
    if max_entries is not None:
        n_val = min(n_val, max_entries)
    if n_val == 0 or n_val == n_observed:
        return mask, None
    # RandomState.choice without replacement shuffles arange(n) and keeps
    # its head: the same draws on int32 take half the memory.
    order = np.arange(n_observed, dtype=np.int32 if n_observed < 2**31 else np.int64)
    rng.shuffle(order)
    chosen = np.sort(order[:n_val])
    del order
    validation = np.zeros(mask.shape, dtype=bool)
    ends = np.cumsum(per_row)
    for block in batch_slices(mask.shape[0], block_rows(mask.shape)):
        first = ends[block.start] - per_row[block.start]
        lo, hi = np.searchsorted(chosen, [first, ends[block.stop - 1]])
        if lo == hi:
            continue
        rows, cols = np.nonzero(mask[block])
        picked = chosen[lo:hi] - first
        validation[rows[picked] + block.start, cols[picked]] = True
    mask[validation] = 0
    return mask, validation


def _progress(total, verbose, name):
    """A tqdm progress bar over epochs, disabled unless ``verbose``."""
    return tqdm(total=total, desc=name, unit="epoch", disable=not verbose, leave=False)


class _EarlyStopping:
    """Patience on the validation RMSE, keeping the best generator weights."""

    def __init__(self, patience, tol):
        self.patience, self.tol = patience, tol
        self.best, self.best_epoch, self.best_state, self.stale = np.inf, 0, None, 0

    @property
    def found(self):
        return self.best_state is not None

    def stop(self, score, epoch, net):
        """Record ``score`` of ``epoch``; True when patience has run out."""
        if score < self.best - self.tol:
            self.best, self.best_epoch, self.stale = score, epoch, 0
            self.best_state = copy.deepcopy(net.state_dict())
            return False
        self.stale += 1
        return self.stale >= self.patience

    def restore_best(self, net):
        if self.best_state is not None:
            net.load_state_dict(self.best_state)
