"""Tests of skgain.masks: MCAR, the paper's MNAR rows, block regions."""

import numpy as np
import pytest

from skgain.masks import (
    apply_mask,
    block_region,
    check_region,
    mcar_mask,
    mnar_mask,
    region_mask,
)


@pytest.mark.parametrize(
    "corner, expected",
    [
        ("bottom-right", (256, 256, 64, 64)),
        ("top-left", (0, 0, 64, 64)),
        ("top-right", (0, 256, 64, 64)),
        ("bottom-left", (256, 0, 64, 64)),
        ("center", (128, 128, 64, 64)),
    ],
)
def test_block_region_corners(corner, expected):
    assert block_region((320, 320), 64, corner=corner) == expected


def test_block_region_rectangular_and_rgb_shape():
    assert block_region((10, 20, 3), (4, 6)) == (6, 14, 4, 6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (10, 10), "size": 11}, "does not fit"),
        ({"image_shape": (10, 10), "size": 0}, "positive"),
        ({"image_shape": (10,), "size": 2}, "image_shape"),
        ({"image_shape": (10, 10), "size": 2, "corner": "middle"}, "corner"),
    ],
)
def test_block_region_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        block_region(**kwargs)


@pytest.mark.parametrize(
    "region, match",
    [((0, 0, 5), "4 integers"), ((0, 0, 5.0, 5), "4 integers"), ((-1, 0, 2, 2), "fit"),
     ((8, 8, 3, 3), "fit"), ((0, 0, 0, 3), "positive"), (None, "4 integers")],
)
def test_check_region_errors(region, match):
    with pytest.raises(ValueError, match=match):
        check_region(region, (10, 10))


def test_region_mask():
    mask = region_mask((5, 6), (1, 2, 3, 2))
    assert mask.sum() == 6
    assert mask[1:4, 2:4].all()


def test_mcar_mask_exact_rate_inside_region():
    region = (256, 256, 64, 64)
    mask = mcar_mask((320, 320), 0.2, region=region, random_state=0)
    assert mask.shape == (320, 320)
    assert mask.sum() == round(0.2 * 64 * 64)
    assert not mask[~region_mask((320, 320), region)].any()


def test_mcar_mask_whole_image_and_determinism():
    a = mcar_mask((20, 30, 3), 0.5, random_state=1)
    b = mcar_mask((20, 30, 3), 0.5, random_state=1)
    c = mcar_mask((20, 30, 3), 0.5, random_state=2)
    assert a.shape == (20, 30) and a.sum() == 300
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "a"])
def test_mcar_mask_bad_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        mcar_mask((5, 5), rate)


def test_mnar_mask_paper_pattern():
    # The paper's MNAR: 20% of A's rows lose their last 10 pixels.
    region = (256, 256, 64, 64)
    mask = mnar_mask((320, 320), region=region, random_state=0)
    rows = np.flatnonzero(mask.any(axis=1))
    assert len(rows) == round(0.2 * 64) == 13
    assert np.all((rows >= 256) & (rows < 320))
    # Each affected row loses exactly its last 10 pixels of the region.
    for row in rows:
        assert np.array_equal(np.flatnonzero(mask[row]), np.arange(310, 320))
    assert mask.sum() == 13 * 10


def test_mnar_mask_region_in_the_middle_and_parameters():
    mask = mnar_mask((20, 20), region=(5, 2, 10, 8), row_fraction=0.5, n_pixels=3,
                     random_state=3)
    rows = np.flatnonzero(mask.any(axis=1))
    assert len(rows) == 5
    assert np.array_equal(np.flatnonzero(mask.any(axis=0)), np.arange(7, 10))
    # At least one row as soon as the fraction is positive.
    assert mnar_mask((4, 4), row_fraction=0.01, n_pixels=1, random_state=0).sum() == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [({"row_fraction": 2.0}, "row_fraction"), ({"n_pixels": 11}, "n_pixels"),
     ({"n_pixels": -1}, "n_pixels"), ({"n_pixels": 2.5}, "n_pixels")],
)
def test_mnar_mask_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mnar_mask((10, 10), **kwargs)


def test_apply_mask_gray_and_rgb():
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 2] = True
    gray = apply_mask(np.ones((3, 4), dtype=np.uint8), mask)
    assert gray.dtype == np.float64 and np.isnan(gray).sum() == 1 and np.isnan(gray[1, 2])
    rgb = apply_mask(np.ones((3, 4, 3)), mask)
    assert np.isnan(rgb).sum() == 3 and np.isnan(rgb[1, 2]).all()
    with pytest.raises(ValueError, match="spatial shape"):
        apply_mask(np.ones((4, 3)), mask)


# ----------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: mcar_mask(8, 0.2), ValueError, "image_shape must be a tuple"),
        (lambda: mcar_mask(None, 0.2), ValueError, "image_shape"),
        (lambda: mcar_mask((8, True), 0.2), ValueError, "image_shape"),
        (lambda: mcar_mask((8, 8), True), ValueError, "rate .*not a bool"),
        (lambda: mcar_mask((8, 8), np.nan), ValueError, "rate"),
        (lambda: mcar_mask((8, 8), 0.2, random_state="seed"), ValueError, "random_state"),
        (lambda: mcar_mask((8, 8), 0.2, region=(0, 0, 9, 9)), ValueError, "fit"),
        (lambda: block_region((8, 8), 2.5), ValueError, "size must be an integer"),
        (lambda: block_region((8, 8), (2, 2.5)), ValueError, "size"),
        (lambda: block_region((8, 8), True), ValueError, "size"),
        (lambda: block_region((8, 8), 2, corner=3), ValueError, "corner"),
        (lambda: region_mask((8, 8), (0, 0, 2, True)), ValueError, "4 integers"),
        (lambda: mnar_mask((8, 8), row_fraction=True), ValueError, "row_fraction"),
        (lambda: mnar_mask((8, 8), n_pixels=True), ValueError, "n_pixels"),
        (lambda: mnar_mask((8, 8), n_pixels=2, random_state=-1), ValueError, "random_state"),
        (lambda: apply_mask(None, np.zeros((2, 2), bool)), TypeError, "image must be"),
        (lambda: apply_mask(np.ones((2, 2)), None), TypeError, "mask must be"),
        (lambda: apply_mask([["a", "b"]], np.zeros((1, 2), bool)), TypeError, "image"),
        (lambda: apply_mask(np.ones((2, 2)), np.full((2, 2), 0.5)), ValueError, "mask must hold"),
        (lambda: apply_mask(np.ones(4), np.zeros(4, bool)), ValueError, "spatial shape"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_apply_mask_accepts_integer_masks_and_lists():
    out = apply_mask([[1, 2], [3, 4]], np.array([[0, 1], [0, 0]]))
    assert np.isnan(out[0, 1]) and np.isnan(out).sum() == 1
    np.testing.assert_array_equal(out[1], [3.0, 4.0])
