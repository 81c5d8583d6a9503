"""Tests of ZeroShotSpatialImputer and nearest_patch_fill (skgain/_zero_shot.py)."""

import pickle
import re
import warnings

import numpy as np
import pytest
import torch

from skgain import ZeroShotSpatialImputer, nearest_patch_fill
from skgain._fills import harmonic_fill
from skgain._zero_shot import (
    _overlaps,
    crop_distances,
    crop_positions,
    find_regions,
    prune_crops,
    region_windows,
)
from skgain.masks import apply_mask, block_region, mcar_mask, mnar_mask

# A tiny, fast configuration: 8-pixel crops, two epochs of the light U-Net.
FAST = dict(patch_size=8, stride=2, max_epochs=2, channels=(4, 8), batch_size=16,
            random_state=0)


def texture(size=32, seed=0):
    """A smooth periodic texture in [0, 1]: crops elsewhere predict any region."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:size, :size]
    phase = rng.rand()
    image = np.sin(2 * np.pi * xx / 8 + phase) + 0.5 * np.cos(2 * np.pi * yy / 8)
    return (image - image.min()) / (image.max() - image.min())


# ------------------------------------------------------------- regions, crops
def test_find_regions_grows_bounding_box_to_patch_size():
    missing = np.zeros((40, 40), dtype=bool)
    missing[20:23, 10:12] = True
    assert find_regions(missing, 8) == [(18, 7, 8, 8)]
    # Clipped to the image at an edge.
    edge = np.zeros((40, 40), dtype=bool)
    edge[38, 39] = True
    assert find_regions(edge, 8) == [(32, 32, 8, 8)]
    assert find_regions(np.zeros((5, 5), dtype=bool), 2) == []


def test_find_regions_far_clusters_apart_near_clusters_merged():
    missing = np.zeros((64, 64), dtype=bool)
    missing[2, 2] = missing[60, 60] = True
    assert find_regions(missing, 8) == [(0, 0, 8, 8), (56, 56, 8, 8)]
    missing[5, 6] = True  # closer than a patch to (2, 2): same cluster
    assert find_regions(missing, 8) == [(0, 1, 8, 8), (56, 56, 8, 8)]
    missing[9, 12] = True
    assert find_regions(missing, 8) == [(2, 2, 8, 11), (56, 56, 8, 8)]


def test_region_windows_tile_a_large_region():
    assert region_windows((0, 0, 8, 8), 8) == [(0, 0)]
    assert region_windows((2, 3, 8, 12), 8) == [(2, 3), (2, 7)]


def test_crops_never_overlap_the_region():
    size, p = (40, 50), 8
    region = (10, 20, 8, 12)
    positions, n_candidates = crop_positions(size, p, [region], stride=3)
    assert len(positions) > 0
    for top, left in positions:
        rows = set(range(top, top + p))
        cols = set(range(left, left + p))
        assert not (rows & set(range(10, 18)) and cols & set(range(20, 32)))
        assert 0 <= top <= size[0] - p and 0 <= left <= size[1] - p
    # The bound for an interior region: all positions minus the overlapping ones.
    assert n_candidates == (40 - p + 1) * (50 - p + 1) - (8 + p - 1) * (12 + p - 1)
    # The grid reaches the last row and column of positions.
    assert positions[:, 0].max() == size[0] - p and positions[:, 1].max() == size[1] - p


def test_random_crops_are_distinct_valid_and_seeded():
    region = (10, 10, 8, 8)
    a, n = crop_positions((30, 30), 8, [region], n_crops=50, random_state=0)
    b, _ = crop_positions((30, 30), 8, [region], n_crops=50, random_state=0)
    assert np.array_equal(a, b) and len(a) == 50
    assert len({tuple(x) for x in a}) == 50
    assert not _overlaps(a[:, 0], a[:, 1], 8, region).any()
    everything, _ = crop_positions((30, 30), 8, [region], n_crops=10_000, random_state=0)
    assert len(everything) == n


def test_crop_distance_and_pruning():
    image = np.zeros((6, 6, 1))
    image[:, 3:] = 1.0
    observed = np.ones((6, 6), dtype=bool)
    target = np.full((2, 2, 1), 1.0)
    target_observed = np.array([[True, False], [True, True]])
    positions = np.array([[0, 0], [0, 4], [0, 2]])
    d = crop_distances(image, observed, target, target_observed, positions, 2)
    # crop (0, 2) holds 0 in its left column, 1 in its right one: 2 of 3 pixels differ.
    np.testing.assert_allclose(d, [1.0, 0.0, 2 / 3])
    d = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.inf])
    assert prune_crops(d, 0.0).tolist() == [True, True, True, False, False, False]
    assert prune_crops(d, 1.0).tolist() == [True, False, False, False, False, False]


# ----------------------------------------------------------------- baseline
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


# ---------------------------------------------------------------- estimator
def test_region_detection_and_pruning_attributes():
    image = texture(32)
    mask = mnar_mask(image.shape, region=(24, 24, 8, 8), row_fraction=0.5, n_pixels=3,
                     random_state=0)
    imputer = ZeroShotSpatialImputer(**FAST, beta=0.5, min_crops=2)
    imputer.fit(apply_mask(image, mask))
    assert imputer.regions_ == [(24, 24, 8, 8)]
    assert imputer.patch_size_ == 8
    d = imputer.crop_distances_
    assert np.isfinite(d).all() and len(d) == len(imputer.crop_positions_)
    np.testing.assert_array_equal(imputer.kept_crops_, d <= d.mean() - 0.5 * d.std())
    assert 2 <= imputer.kept_crops_.sum() < len(d)
    assert not _overlaps(imputer.crop_positions_[:, 0], imputer.crop_positions_[:, 1], 8,
                         (24, 24, 8, 8)).any()


def test_observed_pixels_unchanged_and_shapes():
    image = texture(24) * 200 + 10
    mask = mcar_mask(image.shape, 0.2, region=(16, 16, 8, 8), random_state=1)
    X = apply_mask(image, mask)
    out = ZeroShotSpatialImputer(**FAST).fit_transform(X)
    assert out.shape == X.shape and not np.isnan(out).any()
    assert np.array_equal(out[~mask], image[~mask])
    # Global scaling: the imputations are in the image's units.
    assert out[mask].min() > 0 and out[mask].max() < 260
    rgb = np.stack([image, image / 2, 255 - image], axis=-1)
    rgb_missing = apply_mask(rgb, mask)
    imputer = ZeroShotSpatialImputer(**FAST)
    rgb_out = imputer.fit_transform(rgb_missing)
    assert rgb_out.shape == rgb.shape and not np.isnan(rgb_out).any()
    assert np.array_equal(rgb_out[~mask], rgb[~mask])
    assert imputer.n_channels_ == 3 and imputer.n_features_in_ == 24 * 3
    with pytest.raises(ValueError, match="fitted on an image"):
        imputer.transform(X)


def test_explicit_region_and_missing_pixels_outside_it():
    image = texture(32)
    mask = mcar_mask(image.shape, 0.2, region=(24, 24, 8, 8), random_state=0)
    mask[2, 3] = True  # far from the region: gets a region of its own
    imputer = ZeroShotSpatialImputer(**FAST, region=(24, 24, 8, 8), min_crops=1)
    out = imputer.fit_transform(apply_mask(image, mask))
    assert not np.isnan(out).any()
    assert imputer.regions_ == [(0, 0, 8, 8), (24, 24, 8, 8)]
    with pytest.raises(ValueError, match="does not fit"):
        ZeroShotSpatialImputer(**FAST, region=(30, 30, 8, 8)).fit(apply_mask(image, mask))


def test_errors_too_small_and_all_missing():
    with pytest.raises(ValueError, match="no 8x8 crop"):
        # The grown region covers the whole 10x10 image: no crop is left.
        image = texture(10)
        image[4, 4] = np.nan
        ZeroShotSpatialImputer(**FAST).fit(image)
    with pytest.raises(ValueError, match="every entry of X is missing"):
        ZeroShotSpatialImputer(**FAST).fit(np.full((16, 16), np.nan))
    imputer = ZeroShotSpatialImputer(**FAST).fit(texture(16))
    with pytest.raises(ValueError, match="smaller than the fitted patch size"):
        small = texture(16)[:6]
        small[0, 0] = np.nan
        imputer.transform(small)


def test_too_few_crops_after_pruning_warns_and_keeps_min_crops():
    image = texture(24)
    image[20, 20] = np.nan
    imputer = ZeroShotSpatialImputer(**FAST, beta=10.0, min_crops=5)
    with pytest.warns(UserWarning, match="fewer than min_crops=5"):
        imputer.fit(image)
    assert imputer.kept_crops_.sum() == 5
    kept = imputer.crop_distances_[imputer.kept_crops_]
    assert kept.max() <= np.sort(imputer.crop_distances_)[4]


def test_determinism_and_pickling():
    image = texture(24)
    mask = mcar_mask(image.shape, 0.25, region=(16, 0, 8, 8), random_state=2)
    X = apply_mask(image, mask)
    # The paper's adversarial training, with the normconv fill, on this path.
    params = dict(FAST, adversarial=True, initial_fill="normconv")
    first = ZeroShotSpatialImputer(**params).fit(X)
    second = ZeroShotSpatialImputer(**params).fit(X)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(first.transform(X), restored.transform(X))
    assert first.spatial_imputer_.history_["d_loss"][0] > 0
    other = ZeroShotSpatialImputer(**{**params, "random_state": 1}).fit(X)
    assert not np.array_equal(first.transform(X), other.transform(X))


def test_transform_other_image_of_another_height():
    imputer = ZeroShotSpatialImputer(**FAST).fit(texture(24))
    other = texture(40, seed=3)[:, :24]
    mask = mcar_mask(other.shape, 0.2, region=(10, 10, 8, 8), random_state=0)
    out = imputer.transform(apply_mask(other, mask))
    assert out.shape == other.shape and not np.isnan(out).any()
    with pytest.raises(ValueError, match="features"):
        imputer.transform(texture(30))


def test_small_matrices_adapt_the_patch_size():
    rng = np.random.RandomState(0)
    X = rng.rand(20, 3)
    X[[2, 15], [0, 2]] = np.nan
    imputer = ZeroShotSpatialImputer(max_epochs=1, min_crops=1, random_state=0)
    out = imputer.fit_transform(X)
    assert imputer.patch_size_ == 3 and not np.isnan(out).any()


def stripes(size=32):
    """Fine stripes (period 4 across, 6 down): interpolation fails, crops do not."""
    yy, xx = np.mgrid[:size, :size]
    image = np.sin(2 * np.pi * xx / 4 + 0.3) + 0.5 * np.cos(2 * np.pi * yy / 6)
    return (image - image.min()) / (image.max() - image.min())


@pytest.mark.parametrize("train_mask", ["target", "mcar"])
def test_zero_shot_fill_learns_the_texture(train_mask):
    image = stripes(32)
    mask = mcar_mask(image.shape, 0.4, region=block_region(image.shape, 8), random_state=0)
    X = apply_mask(image, mask)
    imputer = ZeroShotSpatialImputer(patch_size=8, stride=2, max_epochs=4,
                                     train_mask=train_mask, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pruning fallback, no stray warning
        out = imputer.fit_transform(X)
    rmse = np.sqrt(np.mean((out - image)[mask] ** 2))
    mean_rmse = np.sqrt(np.mean((np.nanmean(X) - image)[mask] ** 2))
    values = torch.as_tensor(np.nan_to_num(X), dtype=torch.float32)[None, None]
    observed = torch.as_tensor(~mask, dtype=torch.float32)[None, None]
    interpolation = harmonic_fill(values, observed)[0, 0].numpy()
    interpolation_rmse = np.sqrt(np.mean((interpolation - image)[mask] ** 2))
    # The untrained network would return its harmonic input: training must
    # beat it (and the mean) by far, and the self-check must keep it.
    assert imputer.used_network_
    assert imputer.check_rmse_["network"] < imputer.check_rmse_["interpolation"]
    assert rmse < 0.5 * interpolation_rmse
    assert rmse < 0.5 * mean_rmse


def test_self_check_falls_back_to_the_interpolation():
    image = stripes(32)
    mask = mcar_mask(image.shape, 0.4, region=block_region(image.shape, 8), random_state=0)
    X = apply_mask(image, mask)
    imputer = ZeroShotSpatialImputer(patch_size=8, stride=2, max_epochs=1, random_state=0)
    imputer.fit(X)
    # Force the fallback: the output at the holes is then the harmonic fill.
    imputer.spatial_imputer_._bypass = True
    out = imputer.transform(X)
    # The interpolation runs on A's window (the bottom-right 8x8 block).
    values = torch.as_tensor(np.nan_to_num(X[24:, 24:]), dtype=torch.float32)[None, None]
    observed = torch.as_tensor(~mask[24:, 24:], dtype=torch.float32)[None, None]
    interpolation = harmonic_fill(values, observed)[0, 0].numpy()
    hole = mask[24:, 24:]
    np.testing.assert_allclose(out[24:, 24:][hole], interpolation[hole], atol=1e-5)
    assert set(imputer.check_rmse_) == {"network", "interpolation"}
    assert imputer.used_network_ == (
        imputer.check_rmse_["network"] < imputer.check_rmse_["interpolation"])


# ------------------------------------------------------------- clear errors
def test_image_stack_is_refused_with_a_pointer_to_spatial_gain():
    stack = np.stack([texture(16, seed) for seed in range(5)])
    stack[:, 4:6, 4:6] = np.nan
    # (5, 16, 16) used to be read, silently, as one 5x16 image with 16 channels.
    for fit in (ZeroShotSpatialImputer(**FAST).fit, nearest_patch_fill):
        with pytest.raises(ValueError, match=r"one image of shape \(H, W\).*SpatialGAINImputer"):
            fit(stack)
    with pytest.raises(ValueError, match=r"shape \(5, 16, 16, 1\).*SpatialGAINImputer"):
        ZeroShotSpatialImputer(**FAST).fit(stack[..., None])
    with pytest.raises(ValueError, match="n_channels=3, but"):
        ZeroShotSpatialImputer(**FAST, n_channels=3).fit(np.moveaxis(stack, 0, -1))


def test_n_channels_accepts_an_image_with_many_channels():
    image = np.stack([texture(24, seed) for seed in range(6)], axis=-1)
    image[18:22, 18:22] = np.nan
    imputer = ZeroShotSpatialImputer(**FAST, n_channels=6, min_crops=1).fit(image)
    assert imputer.n_channels_ == 6
    out = imputer.transform(image)
    assert out.shape == image.shape and not np.isnan(out).any()


@pytest.mark.parametrize("shape", [(24, 24), (24, 24, 3)])
def test_float32_image_stays_float32(shape):
    image = texture(24)
    image = np.repeat(image[..., None], shape[2], axis=-1) if len(shape) == 3 else image
    image = image.astype(np.float32)
    image[18:22, 18:22] = np.nan
    out = ZeroShotSpatialImputer(**FAST, min_crops=1).fit_transform(image)
    assert out.dtype == np.float32
    observed = ~np.isnan(image)
    assert np.array_equal(out[observed], image[observed])


def test_divergence_error_names_no_private_class():
    image = texture(24)
    image[18:22, 18:22] = np.nan
    imputer = ZeroShotSpatialImputer(**{**FAST, "max_epochs": 3}, learning_rate=1e6, min_crops=1)
    with pytest.raises((FloatingPointError, RuntimeError)) as info:
        imputer.fit(image)
    message = str(info.value)
    assert "ZeroShotSpatialImputer" in message and "learning_rate" in message
    # A private name is one with a leading underscore, e.g. a helper class.
    assert re.search(r"(?<![\w.])_\w+", message) is None, message


def test_image_whose_range_overflows_is_named():
    image = (texture(24) * 2 - 1) * 1.7e308
    image[18:22, 18:22] = np.nan
    with pytest.raises(ValueError, match="the image overflows float64.*Rescale"):
        ZeroShotSpatialImputer(**FAST).fit(image)


def test_golden_output():
    from ._golden import assert_matches_golden

    image = texture(24) * 200 + 10
    mask = mcar_mask(image.shape, 0.2, region=(16, 16, 8, 8), random_state=1)
    out = ZeroShotSpatialImputer(**FAST).fit_transform(apply_mask(image, mask))
    assert_matches_golden("zero_shot", out)
