"""From user input to scaled images and back, for the convolutional imputers.

One path, in four steps, each a small function:

* sample shape: N-D input (n, H, W) or (n, H, W, C) is flattened to rows
  and its shape remembered (:func:`as_rows`, :func:`check_sample_shape`);
* layout: the (H, W, C) of the rows, a 2-D table laid out as the smallest
  square that holds it (:func:`resolve_image_shape`);
* grouped min-max scaling: one minimum and range per group of features,
  a group being a feature, an image channel or the whole image
  (:func:`scaling_groups`; the scaler itself is the base's grouped one);
* padding: rows to (n, C, H, W) tensors, zero-padded to the square, and
  back (:func:`rows_to_images`, :func:`images_to_rows`).
"""

import math
import numbers

import numpy as np
import torch
from torch.nn import functional as F


def as_rows(X):
    """``(rows, sample_shape)``: N-D arrays flattened, 2-D input untouched.

    Only arrays and nested lists can be N-D; everything else (data frames,
    sparse matrices, array-likes) is returned untouched for validation.
    """
    if isinstance(X, (list, tuple)):
        X_array = np.asarray(X)
        if X_array.ndim < 3 or X_array.dtype == object:
            return X, None
        X = X_array
    elif not isinstance(X, np.ndarray) or X.ndim < 3:
        return X, None
    if X.ndim > 4:
        raise ValueError(
            f"X must be 2-D (n_samples, H*W*C), 3-D (n, H, W) or 4-D (n, H, W, C); got "
            f"shape {X.shape}."
        )
    return X.reshape(X.shape[0], -1), X.shape[1:]


def check_sample_shape(shape, image_shape, name):
    """Raise a ValueError unless N-D input holds images of the fitted ``image_shape``."""
    height, width, n_channels = image_shape
    allowed = {(height, width, n_channels)} | ({(height, width)} if n_channels == 1 else set())
    if tuple(shape) not in allowed:
        raise ValueError(
            f"X has images of shape {tuple(shape)}, but {name} was fitted on images of shape "
            f"{tuple(image_shape)} (H, W, C)."
        )


def _checked_image_shape(image_shape, n_features, sample_shape):
    """``image_shape`` as (H, W, C), checked against the data."""
    shape = tuple(np.asarray(image_shape).ravel().tolist())
    if len(shape) not in (2, 3) or not all(
        isinstance(s, numbers.Integral) and s >= 1 for s in shape
    ):
        raise ValueError(
            f"image_shape must be (H, W) or (H, W, C) of positive integers; got "
            f"{image_shape!r}."
        )
    shape = shape if len(shape) == 3 else shape + (1,)
    if int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {int(np.prod(shape))} values per image, but X "
            f"has {n_features} features per sample."
        )
    if sample_shape is not None and tuple(sample_shape) not in {shape, shape[:2]}:
        raise ValueError(
            f"image_shape={image_shape!r} does not match the shape of the images in X, "
            f"{tuple(sample_shape)}."
        )
    return shape


def resolve_image_shape(image_shape, n_features, sample_shape):
    """The (H, W, C) the networks see, padding included.

    ``image_shape`` (the parameter) when given, else the shape of N-D input
    (``sample_shape``), else the smallest square holding ``n_features``.
    """
    if image_shape is not None:
        shape = _checked_image_shape(image_shape, n_features, sample_shape)
    elif sample_shape is not None:
        shape = tuple(sample_shape)
        shape = shape if len(shape) == 3 else shape + (1,)
    else:
        side = math.isqrt(n_features)
        side += side * side < n_features
        shape = (side, side, 1)
    return tuple(int(s) for s in shape)


def scaling_groups(scaling, n_features, n_channels=1):
    """Group index of every feature, and one label per group (for error messages).

    ``"feature"``: each feature its own group; ``"channel"``: the features of
    an image channel (channels last); ``"global"``: all features together.
    """
    if scaling == "feature":
        return np.arange(n_features), [f"feature {i}" for i in range(n_features)]
    if scaling == "channel":
        return np.arange(n_features) % n_channels, [f"channel {c}" for c in range(n_channels)]
    return np.zeros(n_features, dtype=int), ["the image"]


def rows_to_images(array, image_shape, n_padded):
    """Rows (n, F) to images (n, C, H, W), zero-padded to ``image_shape``.

    Padded cells are 0 in values and in masks, i.e. "missing".
    """
    height, width, n_channels = image_shape
    tensor = torch.as_tensor(np.asarray(array), dtype=torch.float32)
    if n_padded:
        tensor = F.pad(tensor, (0, n_padded))
    tensor = tensor.reshape(-1, height, width, n_channels)
    return tensor.permute(0, 3, 1, 2).contiguous()


def images_to_rows(tensor, n_features):
    """Images (n, C, H, W) to float64 rows (n, n_features), padding dropped."""
    rows = tensor.detach().permute(0, 2, 3, 1).reshape(tensor.shape[0], -1)
    return rows[:, :n_features].cpu().numpy().astype(np.float64)
