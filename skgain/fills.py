"""Interpolations of missing pixels, batched on any torch device.

SpatialGAINImputer starts its networks from one of these fills
(``initial_fill``); they are also classical baselines in their own right.
Each takes ``values`` and ``mask`` tensors of shape (n, C, H, W), with 1 in
``mask`` for observed pixels, and returns the filled images (observed pixels
are kept up to the arithmetic of the solver).
"""

from ._fills import _FILL_SIGMA, biharmonic_fill, harmonic_fill, normalized_convolution

#: Width (in pixels) of the Gaussian that SpatialGAINImputer's ``"normconv"``
#: fill uses.
FILL_SIGMA = _FILL_SIGMA

__all__ = ["biharmonic_fill", "harmonic_fill", "normalized_convolution"]
