"""Interpolations of missing pixels, batched on any torch device.

SpatialGAINImputer starts its networks from one of these fills
(``initial_fill``); they are also classical baselines in their own right.
Each takes ``values`` and ``mask`` of shape (n, C, H, W) or (H, W), as torch
tensors or NumPy arrays, with 1 (or True) in ``mask`` for observed pixels and
0 for missing ones, and returns the filled images in the kind and shape of
``values`` (observed pixels are kept up to the arithmetic of the solver).
Missing entries of ``values`` are ignored, NaN included; observed ones must be
finite. Bad input raises a TypeError or a ValueError that names the argument.
"""

from ._fills import _FILL_SIGMA, biharmonic_fill, harmonic_fill, normalized_convolution

#: Width (in pixels) of the Gaussian that SpatialGAINImputer's ``"normconv"``
#: fill uses.
FILL_SIGMA = _FILL_SIGMA

__all__ = ["biharmonic_fill", "harmonic_fill", "normalized_convolution"]
