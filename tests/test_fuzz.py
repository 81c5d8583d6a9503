"""A deterministic fuzz of every public entry point with bad and edge-case input.

Issue 32 tried 505 bad or edge-case inputs as a new user would: every public
constructor parameter of the four estimators and every argument of the
public helpers (``skgain.fills``, ``skgain.masks``). Each case here must give
either a clear error, a ValueError or TypeError whose message names the
parameter, or a finite result within the data's range. The data are tiny and
the training a few epochs at most: the whole file runs in seconds.

``nearest_patch_fill``, the zero-shot baseline, is fuzzed with the helpers.
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from skgain import (
    GAINImputer,
    SoftImputeFISTA,
    SpatialGAINImputer,
    ZeroShotSpatialImputer,
    fills,
    masks,
    nearest_patch_fill,
)

from ._estimators import zero_shot_network
from ._images import texture


# ------------------------------------------------------------------ data
def _table(n=24, d=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 2) @ rng.rand(2, d)
    X[rng.rand(n, d) < 0.2] = np.nan
    return X


def _images(n=12, seed=0):
    """Smooth 8x8 images in [0, 2], 20% of their pixels missing."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:8, :8]
    images = np.sin(xx / 3 + yy / 4)[None] + 1 + 0.1 * rng.rand(n, 8, 8)
    return np.where(rng.rand(*images.shape) < 0.2, np.nan, images)


def _image(size=16):
    image = texture(size)
    image[10:13, 10:13] = np.nan
    return image


# Each estimator in a test-sized setting, with the data it takes.
FAST = {
    GAINImputer: (dict(max_epochs=2, batch_size=8, blend_estimator=None, random_state=0),
                  _table),
    SpatialGAINImputer: (dict(max_epochs=1, batch_size=4, channels=(4, 8), random_state=0),
                         _images),
    # The network's settings are the estimator's (estimator__<name>).
    ZeroShotSpatialImputer: (dict(patch_size=8, stride=4, min_crops=1, random_state=0,
                                  estimator=zero_shot_network(max_epochs=1, channels=(4, 8))),
                             _image),
    SoftImputeFISTA: (dict(max_iter=20, n_shrinkages=3, random_state=0), _table),
}


def _estimator(cls, **params):
    settings, data = FAST[cls]
    return cls(**{**settings, **params}), data()


# ------------------------------------------------ every parameter, bad
# One bad value (at least) per public constructor parameter; the error must
# name the parameter.
_SHARED = {
    "add_indicator": "yes", "keep_empty_features": "yes", "missing_values": "NA",
    "device": "meta", "random_state": "seed", "n_jobs": "many",
}
_NETWORK = {
    "adversarial": "yes", "alpha": -1, "architecture": "resnet", "batch_size": 1,
    "channels": (0, 4), "hint_rate": 1.5, "initial_fill": "zeros", "learning_rate": 0,
    "lr_schedule": "cosine", "max_epochs": 0, "n_iter_no_change": 0,
    "validation_fraction": 1.0, "verbose": "loud",
}
BAD = {
    GAINImputer: {
        **_SHARED, **{k: v for k, v in _NETWORK.items() if k not in ("channels", "initial_fill")},
        "batch_size": 0, "blend_estimator": SimpleImputer,  # the class, not an instance
        "categorical_features": [99], "drop_rate": 1.0, "hidden_dim": 10**6,
        "hint_mechanism": "other", "n_blocks": 10**4, "n_frequencies": 10**6,
        "noise_scale": -1, "training_precision": "float16", "tol": -1,
    },
    SpatialGAINImputer: {
        **_SHARED, **_NETWORK, "drop_rate": 1.0, "hint_decay": 0, "hint_mechanism": "other",
        "image_shape": (4, 4, 4),  # 64 values, but the images are 8x8
        "inference_precision": "float16", "mean_blend": "yes", "noise_scale": -1,
        "patch_size": 1, "scaling": "pixel", "test_time_augmentation": "rotate",
        "test_time_learning_rate": 0, "test_time_steps": -1, "tol": -1,
    },
    ZeroShotSpatialImputer: {
        **{k: v for k, v in _SHARED.items() if k != "add_indicator"}, "verbose": "loud",
        "augment": "yes", "beta": np.nan, "drop_rate": 1.0, "estimator": "network",
        "min_crops": 0, "n_channels": 0, "n_crops": 0, "patch_size": 2,
        "region": (0, 0, 40, 40), "stride": 0, "train_crops": "inside",
        "train_mask": "random",
    },
    SoftImputeFISTA: {
        **_SHARED, "accelerated": "yes", "batch_size": 0, "max_iter": 0, "max_rank": 0,
        "n_shrinkages": 0, "shrinkage": -1.0, "tol": -1,
        "validation_fraction": 1.0, "verbose": "loud",
    },
}
@pytest.mark.parametrize("cls", list(BAD), ids=lambda cls: cls.__name__)
def test_every_parameter_has_a_bad_value(cls):
    assert set(cls().get_params()) <= set(BAD[cls])


BAD_CASES = [pytest.param(cls, name, value, id=f"{cls.__name__}-{name}={value!r}")
             for cls, values in BAD.items() for name, value in values.items()]


@pytest.mark.parametrize("cls, name, value", BAD_CASES)
def test_bad_parameter_is_an_error_naming_it(cls, name, value):
    if name not in cls().get_params():
        pytest.skip(f"{cls.__name__} has no parameter {name}")
    estimator, X = _estimator(cls, **{name: value})
    with pytest.raises((ValueError, TypeError)) as info:
        estimator.fit(X)
    assert name in str(info.value)


# ------------------------------------------- edge cases: a sound answer
def _assert_in_range(X_out, X, margin=0.0):
    observed = X[~np.isnan(X)]
    low, high = observed.min(), observed.max()
    slack = margin * (high - low)
    assert np.isfinite(X_out).all()
    assert low - slack <= X_out.min() and X_out.max() <= high + slack


@pytest.mark.parametrize("cls, params", [
    (SpatialGAINImputer, {"patch_size": 1000}),  # larger than the images: whole images
    (SpatialGAINImputer, {"batch_size": 10**6}),  # capped by the 12 images
    (SpatialGAINImputer, {"validation_fraction": 0.0}),
    (ZeroShotSpatialImputer, {"patch_size": 10**6}),  # capped by the image's side
    (ZeroShotSpatialImputer, {"stride": 10**6, "n_crops": 10**6}),  # capped by positions
    (ZeroShotSpatialImputer, {"min_crops": 10**6, "beta": np.inf}),
    (ZeroShotSpatialImputer, {"region": (8, 8, 2, 2)}),  # grown to a window
    (SoftImputeFISTA, {"max_rank": 10**6, "batch_size": 10**9}),
    (GAINImputer, {"keep_empty_features": True, "add_indicator": True}),
    (GAINImputer, {"batch_size": 10**9}),  # the 24 rows in one step, at the base rate
    (GAINImputer, {"blend_estimator": [SimpleImputer(strategy="constant",
                                                     fill_value=1e9)]}),  # weight 0
], ids=lambda value: getattr(value, "__name__", repr(value)))
def test_edge_values_give_a_finite_result_in_range(cls, params):
    estimator, X = _estimator(cls, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, UserWarning))
        X_out = estimator.fit_transform(X)
    assert X_out.shape[0] == X.shape[0]
    # An interpolation may overshoot the observed range a little.
    _assert_in_range(X_out[..., :X.shape[-1]] if X.ndim == 2 else X_out, X, margin=0.1)


# ----------------------------------------------------- issue 32's cases
@pytest.mark.parametrize("cls", list(FAST), ids=lambda cls: cls.__name__)
def test_meta_device_is_an_error_naming_device(cls):
    # torch's internal error, for all four, before.
    estimator, X = _estimator(cls, device="meta")
    with pytest.raises(ValueError, match="device='meta' cannot train"):
        estimator.fit(X)


def test_spatial_learning_rate_far_too_large_is_an_error_naming_it():
    # learning_rate=1e6: RMSE 5.4e6 against the mean's 0.40, silently;
    # learning_rate=10: RMSE 54 on data in [0, 2].
    X = _images()
    for rate in (1e6, 10):
        imputer = SpatialGAINImputer(learning_rate=rate, max_epochs=3, random_state=0)
        with pytest.raises((ValueError, FloatingPointError), match="learning_rate"):
            imputer.fit(X)


def test_spatial_noise_fill_worse_than_the_means_is_blended_with_them():
    # RMSE 1.52 against the mean's 0.40, silently: "auto" now blends images
    # whose network loses to the means on held-out entries.
    rng = np.random.RandomState(1)
    X = _images(n=24)
    hidden = ~np.isnan(X) & (rng.rand(*X.shape) < 0.2)
    X_in = np.where(hidden, np.nan, X)
    imputer = SpatialGAINImputer(initial_fill="noise", max_epochs=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # blended: nothing to act on
        X_out = imputer.fit_transform(X_in)
    assert imputer.network_weight_ < 1
    means = np.nanmean(X_in, axis=0)
    mean_rmse = np.sqrt(np.mean((np.broadcast_to(means, X.shape)[hidden] - X[hidden]) ** 2))
    out_rmse = np.sqrt(np.mean((X_out[hidden] - X[hidden]) ** 2))
    assert out_rmse <= 1.1 * mean_rmse


def test_spatial_noise_fill_worse_than_the_means_warns_when_not_blended():
    with pytest.warns(ConvergenceWarning, match="worse than imputing each cell's mean"):
        SpatialGAINImputer(initial_fill="noise", max_epochs=3, mean_blend=False,
                           random_state=0).fit(_images())


def test_spatial_image_shape_with_channels_is_read_channels_last():
    # (4, 4, 4) on a 64-column table: 4x4 pixels of 4 channels (documented).
    X = _table(n=12, d=64)
    imputer = SpatialGAINImputer(image_shape=(4, 4, 4), **FAST[SpatialGAINImputer][0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch, not its subject
        X_out = imputer.fit_transform(X)
    assert imputer.image_shape_ == (4, 4, 4) and imputer.n_padded_ == 0
    _assert_in_range(X_out, X, margin=0.5)


def test_spatial_pandas_output_of_a_stack_is_a_clear_error():
    imputer = SpatialGAINImputer(**FAST[SpatialGAINImputer][0]).set_output(transform="pandas")
    with pytest.raises(ValueError, match="set_output"):
        imputer.fit_transform(_images())


def test_zero_shot_table_drops_empty_and_keeps_constant_columns():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 5) * 3 + 1
    X[:, 2] = 7.0
    X[rng.rand(40, 5) < 0.2] = np.nan
    X[:, 4] = np.nan
    one_epoch = zero_shot_network(max_epochs=1)
    imputer = ZeroShotSpatialImputer(estimator=one_epoch, patch_size=4, min_crops=1,
                                     random_state=0)
    X_out = imputer.fit_transform(X)
    assert X_out.shape == (40, 4) and np.all(X_out[:, 2] == 7.0)
    _assert_in_range(X_out, X, margin=0.1)
    one_row = ZeroShotSpatialImputer(estimator=one_epoch, random_state=0).fit_transform(X[:1])
    assert one_row.shape == (1, int((~np.isnan(X[:1])).sum()))


def test_zero_shot_defaults_on_a_small_image_do_not_warn():
    image = texture(48)
    image[30:36, 30:36] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ZeroShotSpatialImputer(estimator=zero_shot_network(max_epochs=1),
                               random_state=0).fit(image)
    ours = [str(w.message) for w in caught if not w.filename.startswith(torch.__path__[0])]
    assert ours == []


# ----------------------------------------- score is what transform returns
def _hidden_by_score(estimator, X):
    """The entries ``score`` hides: the draw of ``BaseImputer.score``."""
    rows = estimator._check_transform_input(X.reshape(X.shape[0], -1))
    missing = np.isnan(rows)
    candidates = ~missing & ~estimator._empty_features
    r, c = np.nonzero(candidates)
    seed = check_random_state(estimator.random_state).randint(2**31 - 1)
    n_hide = max(1, int(round(estimator._score_fraction * r.size)))
    chosen = np.random.RandomState(seed).choice(r.size, size=n_hide, replace=False)
    hidden = np.zeros_like(missing)
    hidden[r[chosen], c[chosen]] = True
    return rows, hidden


@pytest.mark.parametrize("cls, params", [
    (GAINImputer, {"blend_estimator": "auto"}),  # the blend is what transform returns
    (SpatialGAINImputer, {}),
    (SpatialGAINImputer, {"test_time_steps": 2, "test_time_augmentation": "flip"}),
    (SpatialGAINImputer, {"mean_blend": True}),
    (ZeroShotSpatialImputer, {}),
    (SoftImputeFISTA, {}),
], ids=lambda value: getattr(value, "__name__", repr(value)))
def test_score_evaluates_what_transform_returns(cls, params):
    estimator, X = _estimator(cls, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X)
    rows, hidden = _hidden_by_score(estimator, X)
    X_hidden = np.where(hidden, np.nan, rows).reshape(X.shape)
    completed = estimator.transform(X_hidden).reshape(rows.shape)
    error = ((completed - rows) / estimator.data_range_)[hidden]
    assert estimator.score(X) == pytest.approx(-np.sqrt(np.mean(error**2)), rel=1e-9)


# ------------------------------------------------------ public helpers
_IMAGE = np.linspace(0, 1, 64).reshape(8, 8)
_MASK = (np.arange(64).reshape(8, 8) % 3 > 0).astype(float)
_NAN_AT_MISSING = np.where(_MASK > 0, _IMAGE, np.nan)

# (function, keyword arguments, error, message): every argument of every
# public helper gets a bad value at least once.
HELPER_CASES = [
    (fills.normalized_convolution, dict(values=None, mask=_MASK), TypeError, "values"),
    (fills.normalized_convolution, dict(values=_IMAGE, mask=_MASK[:4]), ValueError, "mask"),
    (fills.normalized_convolution, dict(values=_IMAGE, mask=_MASK, sigma=-1), ValueError,
     "sigma"),
    (fills.normalized_convolution, dict(values=_IMAGE, mask=_MASK, sigma=0), ValueError,
     "sigma"),  # doubled a sigma of 0 forever
    (fills.normalized_convolution, dict(values=_IMAGE, mask=0 * _MASK, sigma=-1), ValueError,
     "sigma"),
    (fills.harmonic_fill, dict(values=_IMAGE[None], mask=_MASK[None]), ValueError, "values"),
    (fills.harmonic_fill, dict(values=_IMAGE, mask=_MASK * 2), ValueError, "mask"),
    (fills.harmonic_fill, dict(values=_IMAGE, mask=_MASK, n_iter=-1), ValueError, "n_iter"),
    (fills.biharmonic_fill, dict(values=_IMAGE + 1j, mask=_MASK), TypeError, "values"),
    (fills.biharmonic_fill, dict(values=_IMAGE, mask="mask"), TypeError, "mask"),
    (fills.biharmonic_fill, dict(values=_IMAGE, mask=_MASK, max_iter=1.5), TypeError,
     "max_iter"),
    (fills.biharmonic_fill, dict(values=_IMAGE, mask=_MASK, tol=np.nan), ValueError, "tol"),
    (fills.biharmonic_fill, dict(values=_IMAGE, mask=_MASK, reach=-2), ValueError, "reach"),
    (masks.mcar_mask, dict(image_shape=8, rate=0.2), ValueError, "image_shape"),
    (masks.mcar_mask, dict(image_shape=(8, 8), rate=True), ValueError, "rate"),
    (masks.mcar_mask, dict(image_shape=(8, 8), rate=0.2, region=(6, 6, 4, 4)), ValueError,
     "region"),
    (masks.mcar_mask, dict(image_shape=(8, 8), rate=0.2, random_state="x"), ValueError,
     "random_state"),
    (masks.mnar_mask, dict(image_shape=(8, 8, 0)), ValueError, "image_shape"),
    (masks.mnar_mask, dict(image_shape=(8, 8), region=(0, 0, 8)), ValueError, "region"),
    (masks.mnar_mask, dict(image_shape=(8, 8), row_fraction=-0.5), ValueError,
     "row_fraction"),
    (masks.mnar_mask, dict(image_shape=(8, 8), n_pixels=9), ValueError, "n_pixels"),
    (masks.mnar_mask, dict(image_shape=(8, 8), n_pixels=2, random_state=1.5), ValueError,
     "random_state"),
    (masks.block_region, dict(image_shape=None), ValueError, "image_shape"),
    (masks.block_region, dict(image_shape=(8, 8), size=2.5), ValueError, "size"),
    (masks.block_region, dict(image_shape=(8, 8), size=2, corner="middle"), ValueError,
     "corner"),
    (masks.check_region, dict(region=(0, 0, 2, 2), image_shape=(8,)), ValueError,
     "image_shape"),
    (masks.check_region, dict(region=(0, 0, -2, 2), image_shape=(8, 8)), ValueError,
     "region"),
    (masks.region_mask, dict(image_shape=(8, 8.0), region=(0, 0, 2, 2)), ValueError,
     "image_shape"),
    (masks.region_mask, dict(image_shape=(8, 8), region=None), ValueError, "region"),
    (masks.apply_mask, dict(image=None, mask=np.zeros((2, 2), bool)), TypeError, "image"),
    (masks.apply_mask, dict(image=np.ones((2, 2)), mask=np.zeros((3, 2), bool)), ValueError,
     "mask"),
    (nearest_patch_fill, dict(image=np.ones((4, 4, 4, 1))), ValueError, "image"),
    (nearest_patch_fill, dict(image=_NAN_AT_MISSING, region=(0, 0, 9, 9)), ValueError,
     "region"),
    (nearest_patch_fill, dict(image=_NAN_AT_MISSING, patch_size=True), ValueError,
     "patch_size"),
    (nearest_patch_fill, dict(image=_NAN_AT_MISSING, stride=0), ValueError, "stride"),
    (nearest_patch_fill, dict(image=_NAN_AT_MISSING, missing_values="NA"), TypeError,
     "missing_values"),
    (nearest_patch_fill, dict(image=_NAN_AT_MISSING, n_channels=0), ValueError, "n_channels"),
]
PUBLIC_HELPERS = [getattr(fills, name) for name in fills.__all__] + [
    getattr(masks, name) for name in masks.__all__] + [nearest_patch_fill]


def test_every_helper_argument_has_a_bad_value():
    covered = {(func, name) for func, kwargs, _, match in HELPER_CASES for name in kwargs
               if name == match}
    wanted = {(func, name) for func in PUBLIC_HELPERS
              for name in inspect.signature(func).parameters}
    assert wanted <= covered, sorted((f.__name__, n) for f, n in wanted - covered)


@pytest.mark.parametrize("func, kwargs, error, match", HELPER_CASES,
                         ids=lambda value: getattr(value, "__name__", None))
def test_bad_helper_argument_is_an_error_naming_it(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(**kwargs)


@pytest.mark.parametrize("fill", [fills.normalized_convolution, fills.harmonic_fill,
                                  fills.biharmonic_fill], ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", ["numpy", "tensor 2-D", "tensor 4-D", "boolean mask"])
def test_fills_take_arrays_tensors_and_nan_where_missing(fill, kind):
    # NaN at missing entries made every output pixel non-finite (64 of 64);
    # NumPy arrays, 2-D tensors and boolean masks failed inside torch.
    values, mask = _NAN_AT_MISSING, _MASK
    if kind == "tensor 2-D":
        values, mask = torch.as_tensor(values), torch.as_tensor(mask)
    elif kind == "tensor 4-D":
        values, mask = torch.as_tensor(values)[None, None], torch.as_tensor(mask)[None, None]
    elif kind == "boolean mask":
        mask = mask > 0
    out = np.asarray(fill(values, mask)).reshape(8, 8)
    _assert_in_range(out, _NAN_AT_MISSING)
    if fill is not fills.normalized_convolution:  # it smooths observed cells too
        np.testing.assert_array_equal(out[_MASK > 0], _IMAGE[_MASK > 0])


def test_masks_edge_values_give_valid_masks():
    assert masks.mcar_mask((8, 8), 0.0).sum() == 0
    assert masks.mcar_mask((8, 8), 1).sum() == 64
    assert masks.mnar_mask((8, 8), row_fraction=1.0, n_pixels=8).all()
    assert masks.block_region((8, 8), (8, 8)) == (0, 0, 8, 8)
    image = masks.apply_mask(torch.ones(2, 2), np.eye(2, dtype=int))
    assert np.isnan(image).sum() == 2
