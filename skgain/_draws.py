"""Multiple imputation for GAINImputer: draws from a predictive distribution.

A number's draw is its imputation plus an error drawn from the errors the
fitted imputer made on that column's held-out entries (scaled units), so a
column the other columns predict well gets narrow draws and a column they
hardly predict gets the spread of its own errors. A category's draw comes
from its softmax probabilities. Under missingness completely at random the
held-out entries are a sample of the hidden ones, so the draws' central
intervals cover the hidden values at their nominal rate on average over a
column (the user guide's :ref:`table_sample` shows the measured coverage).
"""

import numpy as np

# A column with fewer held-out errors than this draws from every numeric
# column's errors instead.
MIN_COLUMN_ERRORS = 20
# Most errors kept per column (a fitted model stays small).
MAX_COLUMN_ERRORS = 2000


def error_pools(truth, imputed, columns, n_columns, numeric, rng):
    """Held-out errors ``truth - imputed`` by column: a list of float32 arrays.

    ``columns`` gives each entry's column; columns that are not ``numeric``
    (categorical blocks) get None. A numeric column with fewer than
    :data:`MIN_COLUMN_ERRORS` errors shares the pool of all numeric columns.
    """
    errors = np.asarray(truth, dtype=np.float64) - np.asarray(imputed, dtype=np.float64)
    shared = errors[numeric[columns]]
    pools = []
    for j in range(n_columns):
        if not numeric[j]:
            pools.append(None)
            continue
        own = errors[columns == j]
        pool = own if own.size >= MIN_COLUMN_ERRORS else shared
        if pool.size > MAX_COLUMN_ERRORS:
            pool = rng.choice(pool, MAX_COLUMN_ERRORS, replace=False)
        pools.append(pool.astype(np.float32))
    return pools


def draw(point, missing, pools, blocks, rng):
    """One draw of the scaled rows ``point`` at their ``missing`` entries.

    Numbers: ``point`` plus an error from the column's pool, kept within the
    fitted range [0, 1] (or the point's own side of it, where a blend
    extrapolated); with no pools (nothing was held out) numbers stay at the
    point. Categories: each block's entries become the one-hot of a
    category drawn with the block's probabilities.
    """
    out = np.array(point, dtype=np.float64, copy=True)
    for j, pool in enumerate(pools or []):
        rows = np.flatnonzero(missing[:, j])
        if pool is None or rows.size == 0 or pool.size == 0:
            continue
        values = out[rows, j] + pool[rng.randint(pool.size, size=rows.size)]
        out[rows, j] = np.clip(values, np.minimum(out[rows, j], 0.0),
                               np.maximum(out[rows, j], 1.0))
    for start, stop in blocks:
        rows = np.flatnonzero(missing[:, start])
        if rows.size:
            out[rows, start:stop] = _one_hot_draws(out[rows, start:stop], rng)
    return out


def _one_hot_draws(probabilities, rng):
    """One-hot rows of categories drawn with the (clipped, renormalised) ``probabilities``."""
    weights = np.clip(probabilities, 0.0, None)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.where(total > 0, weights / np.where(total > 0, total, 1.0),
                       1.0 / weights.shape[1])
    cumulative = np.cumsum(weights, axis=1)
    picks = (rng.random_sample((len(weights), 1)) > cumulative).sum(axis=1)
    picks = np.minimum(picks, weights.shape[1] - 1)
    return np.eye(weights.shape[1])[picks]
