"""Small synthetic tables with holes, shared by the test files."""

import numpy as np


def low_rank_with_holes(n, d, rank, rate=0.2, seed=0):
    """An n x d table of rank ``rank`` with a fraction ``rate`` of entries NaN."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n, rank) @ rng.rand(rank, d)
    X[rng.rand(n, d) < rate] = np.nan
    return X
