"""Golden outputs: fixed-seed imputations on tiny data, compared with stored arrays.

A refactoring that keeps behaviour keeps these arrays; a change that moves
numbers must regenerate them on purpose (``SKGAIN_UPDATE_GOLDEN=1 pytest``)
and say in its commit which numbers moved and why.
"""

import os
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_table(seed=0, n=40, d=5):
    """A small correlated table with 20% of its entries missing."""
    rng = np.random.RandomState(seed)
    X = np.tanh(rng.rand(n, 2) @ rng.randn(2, d))
    X[rng.rand(n, d) < 0.2] = np.nan
    return X


def assert_matches_golden(name, array, rtol=1e-4, atol=1e-6):
    path = GOLDEN / f"{name}.npy"
    if os.environ.get("SKGAIN_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        np.save(path, np.asarray(array))
    expected = np.load(path)
    np.testing.assert_allclose(array, expected, rtol=rtol, atol=atol,
                               err_msg=f"{name} moved; see tests/_golden.py")
