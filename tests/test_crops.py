"""Tests of the crop geometry of zero-shot imputation (skgain/_crops.py)."""

import numpy as np

from skgain._crops import (
    _overlaps,
    crop_distances,
    crop_positions,
    dihedral_views,
    find_regions,
    hole_patterns,
    prune_crops,
    region_windows,
    shifted_hole_checks,
    shifted_patterns,
)


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


def test_hole_patterns_keep_the_windows_with_holes():
    pixel_observed = np.ones((8, 8), dtype=bool)
    pixel_observed[1, 2] = False
    holes = hole_patterns(pixel_observed, [(0, 0), (4, 4)], 4)
    assert holes.shape == (1, 4, 4) and np.argwhere(holes[0]).tolist() == [[1, 2]]
    assert hole_patterns(pixel_observed, [], 4).shape == (0,)


def test_shifted_hole_checks_hide_observed_pixels_in_the_hole_pattern():
    image = np.arange(64.0).reshape(8, 8, 1)
    observed = np.ones((8, 8, 1), dtype=bool)
    observed[0, 1] = False
    values, hidden = shifted_hole_checks(image, observed, [(0, 0)], 8)
    # The hole rolled down by 2, 4 and 6 rows: one known pixel hidden each time.
    assert values.shape == hidden.shape == (3, 64)
    assert [np.flatnonzero(h).tolist() for h in hidden] == [[17], [33], [49]]
    assert np.isnan(values[:, 1]).all() and values[0, 17] == 17.0
    assert shifted_hole_checks(image, np.ones_like(observed), [(0, 0)], 8) is None


def test_dihedral_views_are_the_8_symmetries_identity_first():
    crops = np.arange(2 * 3 * 3 * 2, dtype=float).reshape(2, 3, 3, 2)
    views = dihedral_views(crops)
    assert views.shape == (16, 3, 3, 2) and views.flags.c_contiguous
    np.testing.assert_array_equal(views[:2], crops)
    # 8 distinct views of an asymmetric crop, each a permutation of its values.
    first = views.reshape(8, 2, -1)[:, 0]
    assert len({tuple(v) for v in first}) == 8
    assert all(sorted(v) == sorted(first[0]) for v in first)
    np.testing.assert_array_equal(views[2:4], crops[:, :, ::-1])
    np.testing.assert_array_equal(views[4:6], np.rot90(crops, 1, axes=(1, 2)))


def test_shifted_patterns_keep_the_kind_of_holes():
    holes = np.zeros((1, 8, 8), dtype=bool)
    holes[0, 2, 5:] = True  # the tail of a row: 3 pixels at the right edge
    patterns = shifted_patterns(holes, n_shifts=4)
    assert patterns.shape == (8 * 4, 8, 8)
    assert (patterns.sum(axis=(1, 2)) == 3).all()
    # Rolled down by 0, 2, 4, 6 rows and still at the right edge ...
    np.testing.assert_array_equal(np.argwhere(patterns[:4].any(axis=2))[:, 1], [2, 4, 6, 0])
    assert patterns[:4, :, 5:].all(axis=2).any(axis=1).all()
    # ... and in the other views at the other edges: every hole touches one.
    edge = np.zeros((8, 8), dtype=bool)
    edge[[0, -1], :] = edge[:, [0, -1]] = True
    assert (patterns & edge).any(axis=(1, 2)).all()
    assert shifted_patterns(holes, n_shifts=100).shape == (8 * 8, 8, 8)
