"""Small synthetic images shared by the zero-shot test files."""

import numpy as np


def texture(size=32, seed=0):
    """A smooth periodic texture in [0, 1]: crops elsewhere predict any region."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:size, :size]
    phase = rng.rand()
    image = np.sin(2 * np.pi * xx / 8 + phase) + 0.5 * np.cos(2 * np.pi * yy / 8)
    return (image - image.min()) / (image.max() - image.min())
