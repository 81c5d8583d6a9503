"""Tests of the nearest-patch baseline (skgain/_nearest_patch.py)."""

import numpy as np
import pytest

from skgain import nearest_patch_fill
from skgain.masks import apply_mask, mcar_mask

from ._images import texture


def test_nearest_patch_fill_copies_the_matching_crop():
    image = texture(32)
    mask = mcar_mask(image.shape, 0.3, region=(24, 24, 8, 8), random_state=0)
    filled = nearest_patch_fill(apply_mask(image, mask), patch_size=8)
    # The texture has period 8: an exact copy exists elsewhere.
    np.testing.assert_allclose(filled, image, atol=1e-12)
    assert np.array_equal(filled[~mask], image[~mask])


def test_nearest_patch_fill_errors():
    image = np.ones((8, 8))
    image[::3, ::3] = np.nan
    with pytest.raises(ValueError, match="fully observed"):
        nearest_patch_fill(image, patch_size=4)
    with pytest.raises(ValueError, match="every pixel"):
        nearest_patch_fill(np.full((4, 4), np.nan))
    with pytest.raises(ValueError, match="patch_size"):
        nearest_patch_fill(np.ones((4, 4)), patch_size=0)
