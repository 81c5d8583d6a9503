"""Tests of the convolutional imputers' input pipeline (skgain/_image_input.py)."""

import numpy as np
import pytest

# Private, tested directly: the image pipeline's scaling groups, applied by the scaler.
from skgain._base import fit_grouped_scaler
from skgain._image_input import (
    as_rows,
    check_sample_shape,
    images_to_rows,
    resolve_image_shape,
    rows_to_images,
    scaling_groups,
)


def _scale(X, *group_args):
    groups, labels = scaling_groups(*group_args)
    return fit_grouped_scaler(X, np.isnan(X), groups, lambda low, high, _: high - low, labels)


def test_grouped_scaler_per_feature_channel_and_image():
    X = np.array([[0.0, 10.0, 2.0, 30.0], [4.0, 20.0, np.nan, 50.0], [1.0, 20.0, 3.0, 40.0]])
    by_feature = _scale(X, "feature", 4)
    np.testing.assert_array_equal(by_feature[0], [0, 10, 2, 30])
    np.testing.assert_array_equal(by_feature[1], [4, 10, 1, 20])
    # Two channels (channels last): features 0, 2 and 1, 3.
    by_channel = _scale(X, "channel", 4, 2)
    np.testing.assert_array_equal(by_channel[0], [0, 10, 0, 10])
    np.testing.assert_array_equal(by_channel[1], [4, 40, 4, 40])
    whole = _scale(X, "global", 4)
    np.testing.assert_array_equal(whole[0], np.zeros(4))
    np.testing.assert_array_equal(whole[1], np.full(4, 50.0))


def test_grouped_scaler_empty_and_constant_groups():
    X = np.array([[np.nan, 5.0, 1.0], [np.nan, 5.0, 2.0]], dtype=np.float32)
    data_min, data_range, empty, constant = _scale(X, "feature", 3)
    assert data_min.dtype == data_range.dtype == np.float32  # X's dtype is kept
    np.testing.assert_array_equal(data_min, [0, 5, 1])
    np.testing.assert_array_equal(data_range, [1, 1, 1])  # empty and constant: 1
    assert empty.tolist() == [True, False, False]
    assert constant.tolist() == [False, True, False]


def test_layout_squares_tables_and_reads_images():
    assert resolve_image_shape(None, 57, None) == (8, 8, 1)
    assert resolve_image_shape(None, 48, (4, 4, 3)) == (4, 4, 3)
    assert resolve_image_shape((4, 3), 12, None) == (4, 3, 1)
    with pytest.raises(ValueError, match="holds 12 values per image"):
        resolve_image_shape((4, 3), 13, None)
    with pytest.raises(ValueError, match="positive integers"):
        resolve_image_shape((4, 0), 0, None)
    with pytest.raises(ValueError, match="does not match"):
        resolve_image_shape((4, 3), 12, (3, 4))


def test_rows_to_padded_images_and_back():
    rows = np.arange(10.0).reshape(2, 5)
    images = rows_to_images(rows, (2, 3, 1), n_padded=1)
    assert images.shape == (2, 1, 2, 3) and images[0, 0, 1, 2] == 0  # the padded cell
    np.testing.assert_array_equal(images_to_rows(images, 5), rows)
    channels_last = rows_to_images(np.arange(8.0)[None], (2, 2, 2), 0)
    np.testing.assert_array_equal(channels_last[0, 1], [[1, 3], [5, 7]])


def test_sample_shapes():
    rows, shape = as_rows(np.zeros((3, 4, 5, 2)))
    assert rows.shape == (3, 40) and shape == (4, 5, 2)
    table = np.zeros((3, 4))
    assert as_rows(table)[0] is table and as_rows(table)[1] is None
    with pytest.raises(ValueError, match="2-D"):
        as_rows(np.zeros((1, 2, 3, 4, 5)))
    check_sample_shape((4, 5), (4, 5, 1), "Imputer")
    with pytest.raises(ValueError, match=r"fitted on images of shape \(4, 5, 2\)"):
        check_sample_shape((4, 5), (4, 5, 2), "Imputer")
