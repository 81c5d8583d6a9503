"""Behaviour every skgain table imputer shares through the base class."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.utils._param_validation import InvalidParameterError

from skgain import GAINImputer, SoftImputeFISTA, SpatialGAINImputer
from skgain._base import resolve_device

from ._estimators import table_imputers, zero_shot_network

IMPUTERS = pytest.mark.parametrize("imputer", table_imputers(), ids=lambda e: type(e).__name__)
NEEDS_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _table(n=40, d=5, rate=0.2, seed=0):
    rng = np.random.RandomState(seed)
    latent = rng.rand(n, 2)
    scales = np.array([1.0, 10.0, 100.0, 0.01, 5.0])[:d]
    X = latent @ rng.rand(2, d) * scales + rng.rand(n, d) * 0.01
    X_missing = X.copy()
    X_missing[rng.rand(n, d) < rate] = np.nan
    return X, X_missing


@IMPUTERS
def test_observed_entries_returned_bit_for_bit(imputer):
    X, X_missing = _table()
    # Values that min-max scaling and back would round: they must survive exactly.
    X_missing[0, 0] = 0.1 + 0.2
    X_missing[1, 2] = 1e-300
    out = clone(imputer).fit_transform(X_missing)
    observed = ~np.isnan(X_missing)
    assert np.array_equal(out[observed], X_missing[observed])
    assert np.all(np.isfinite(out))


@IMPUTERS
def test_imputations_lie_in_original_units(imputer):
    X, X_missing = _table()
    out = clone(imputer).fit_transform(X_missing)
    lo, hi = np.nanmin(X_missing, axis=0), np.nanmax(X_missing, axis=0)
    span = hi - lo
    # Outputs are min-max scaled back: they stay near each column's observed range.
    assert np.all(out >= lo - span) and np.all(out <= hi + span)


@IMPUTERS
@pytest.mark.parametrize("marker", [-1, 0])
def test_other_missing_markers_match_nan(imputer, marker):
    _, X_missing = _table()
    X_missing = np.abs(X_missing) + 1.0  # no accidental markers among observed values
    X_marked = np.where(np.isnan(X_missing), marker, X_missing)
    out_nan = clone(imputer).fit_transform(X_missing)
    out_marker = clone(imputer).set_params(missing_values=marker).fit_transform(X_marked)
    np.testing.assert_allclose(out_marker, out_nan, rtol=1e-6, atol=1e-8)


@IMPUTERS
def test_add_indicator_appends_missing_indicator(imputer):
    _, X_missing = _table()
    out = clone(imputer).set_params(add_indicator=True).fit_transform(X_missing)
    expected = MissingIndicator().fit_transform(X_missing)
    assert out.shape == (X_missing.shape[0], X_missing.shape[1] + expected.shape[1])
    np.testing.assert_array_equal(out[:, X_missing.shape[1]:], expected)


@IMPUTERS
@pytest.mark.parametrize("keep", [False, True])
def test_empty_features_follow_scikit_learn(imputer, keep):
    _, X_missing = _table()
    X_missing[:, 1] = np.nan
    est = clone(imputer).set_params(keep_empty_features=keep)
    out = est.fit_transform(X_missing)
    reference = SimpleImputer(keep_empty_features=keep).fit_transform(X_missing)
    assert out.shape == reference.shape
    if keep:
        np.testing.assert_array_equal(out[:, 1], 0.0)
    names = est.get_feature_names_out()
    assert list(names) == (["x0", "x1", "x2", "x3", "x4"] if keep else ["x0", "x2", "x3", "x4"])


@IMPUTERS
def test_constant_feature_imputed_with_its_value(imputer):
    _, X_missing = _table()
    X_missing[:, 3] = np.where(np.isnan(X_missing[:, 3]), np.nan, 7.5)
    assert np.isnan(X_missing[:, 3]).any()
    out = clone(imputer).fit_transform(X_missing)
    np.testing.assert_array_equal(out[:, 3], 7.5)


@IMPUTERS
def test_pandas_input_nullable_integers_and_pandas_output(imputer):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "age": pd.array(rng.randint(20, 60, size=30), dtype="Int64"),
            "income": rng.rand(30) * 1000,
            "score": rng.rand(30),
        }
    )
    frame.loc[[1, 5, 9], "age"] = pd.NA
    frame.loc[[2, 6], "income"] = np.nan
    est = clone(imputer).set_params(add_indicator=True).set_output(transform="pandas")
    out = est.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [
        "age", "income", "score", "missingindicator_age", "missingindicator_income"
    ]
    assert not out.isna().any().any()
    observed = frame["age"].notna().to_numpy()
    np.testing.assert_array_equal(out["age"].to_numpy()[observed],
                                  frame["age"][observed].astype(float))
    np.testing.assert_array_equal(est.feature_names_in_, ["age", "income", "score"])


@IMPUTERS
def test_get_feature_names_out_checks_input_features(imputer):
    _, X_missing = _table()
    est = clone(imputer).fit(X_missing)
    assert list(est.get_feature_names_out(["a", "b", "c", "d", "e"])) == ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError, match="input_features"):
        est.get_feature_names_out(["a", "b"])


@IMPUTERS
def test_infinite_values_raise(imputer):
    _, X_missing = _table()
    X_missing[0, 0] = np.inf
    with pytest.raises(ValueError, match="[Ii]nf"):
        clone(imputer).fit(X_missing)


@IMPUTERS
def test_non_numeric_input_raises(imputer):
    X = np.array([["a", "b"], ["c", "d"], ["e", "f"]], dtype=object)
    with pytest.raises(ValueError, match="numeric"):
        clone(imputer).fit(X)


@IMPUTERS
def test_all_missing_raises(imputer):
    X = np.full((5, 3), np.nan)
    with pytest.raises(ValueError, match="observed value"):
        clone(imputer).fit(X)


@IMPUTERS
def test_wrong_number_of_features_at_transform_raises(imputer):
    _, X_missing = _table()
    est = clone(imputer).fit(X_missing)
    with pytest.raises(ValueError, match="features"):
        est.transform(X_missing[:, :3])


@IMPUTERS
def test_one_sample_works_or_raises_clearly(imputer):
    X = np.array([[1.0, np.nan, 3.0, 4.0]])
    if type(imputer).__name__ == "SpatialGAINImputer":
        # Batch normalisation cannot train on one sample: a clear error instead.
        with pytest.raises(ValueError, match="at least 2 samples"):
            clone(imputer).fit(X)
        return
    out = clone(imputer).fit_transform(X)
    # The empty second feature is dropped, the observed ones kept.
    np.testing.assert_array_equal(out, [[1.0, 3.0, 4.0]])


@IMPUTERS
@pytest.mark.parametrize(
    "param, value",
    [("device", 3), ("random_state", "seed"), ("add_indicator", "yes"), ("n_jobs", 0),
     ("n_jobs", 1.5)],
)
def test_invalid_shared_parameters_name_themselves(imputer, param, value):
    _, X_missing = _table()
    with pytest.raises(InvalidParameterError, match=param):
        clone(imputer).set_params(**{param: value}).fit(X_missing)


@IMPUTERS
def test_unknown_fit_keywords_raise(imputer):
    _, X_missing = _table()
    # Only SpatialGAIN has options of fit (drop_masks, validation_set).
    takes = ("its options are drop_masks, validation_set"
             if isinstance(imputer, SpatialGAINImputer) else "it takes none")
    with pytest.raises(TypeError, match=rf"fit got unexpected keyword arguments "
                                        rf"\['sample_weight'\]; {takes}"):
        clone(imputer).fit(X_missing, sample_weight=np.ones(len(X_missing)))


@IMPUTERS
def test_same_seed_same_output_and_pickle_round_trip(imputer):
    _, X_missing = _table()
    first = clone(imputer).fit(X_missing)
    second = clone(imputer).fit(X_missing)
    np.testing.assert_array_equal(first.transform(X_missing), second.transform(X_missing))
    # transform is deterministic, also after pickling.
    np.testing.assert_array_equal(first.transform(X_missing), first.transform(X_missing))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.transform(X_missing), first.transform(X_missing))


@IMPUTERS
def test_score_is_minus_a_scaled_rmse(imputer):
    X, X_missing = _table()
    est = clone(imputer).fit(X_missing)
    score = est.score(X_missing)
    assert -1.0 < score < 0.0
    assert est.score(X_missing) == score  # seeded: the same entries are hidden


def test_score_prefers_structure_over_noise():
    from skgain import SoftImputeFISTA

    rng = np.random.RandomState(0)
    low_rank = rng.rand(80, 2) @ rng.rand(2, 10)
    noise = rng.rand(80, 10)
    est = SoftImputeFISTA(shrinkage=0.01, random_state=0)
    assert est.fit(low_rank).score(low_rank) > -0.02
    assert est.fit(noise).score(noise) < -0.15


@IMPUTERS
def test_device_cpu_is_resolved(imputer):
    _, X_missing = _table()
    est = clone(imputer).set_params(device="cpu").fit(X_missing)
    assert est.device_ == "cpu"


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device='banana'"):
        resolve_device("banana")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


@IMPUTERS
def test_model_fitted_on_gpu_unpickles_without_cuda(imputer, monkeypatch):
    _, X_missing = _table()
    est = clone(imputer).set_params(device="cpu").fit(X_missing)
    expected = est.transform(X_missing)
    est.device_ = "cuda"  # as if it had been fitted on a GPU
    payload = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(payload)
    assert restored.device_ == "cpu"
    np.testing.assert_array_equal(restored.transform(X_missing), expected)


@NEEDS_CUDA
@IMPUTERS
def test_cuda_fit_matches_shapes_and_keeps_observed(imputer):
    X, X_missing = _table()
    est = clone(imputer).set_params(device="cuda").fit(X_missing)
    assert est.device_.startswith("cuda")
    out = est.transform(X_missing)
    observed = ~np.isnan(X_missing)
    assert np.array_equal(out[observed], X_missing[observed])
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(restored.transform(X_missing), out)


@NEEDS_CUDA
@IMPUTERS
def test_cuda_same_seed_same_output(imputer):
    _, X_missing = _table()
    first = clone(imputer).set_params(device="cuda").fit_transform(X_missing)
    second = clone(imputer).set_params(device="cuda").fit_transform(X_missing)
    # cuDNN may reorder sums: equal to float32 rounding, not bit for bit.
    np.testing.assert_allclose(first, second, rtol=1e-4, atol=1e-5)


@NEEDS_CUDA
@IMPUTERS
def test_cuda_model_reloads_and_imputes_on_a_cpu_only_machine(imputer, monkeypatch):
    X, X_missing = _table()
    est = clone(imputer).set_params(device="cuda").fit(X_missing)
    on_gpu = est.transform(X_missing)
    payload = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(payload)
    assert restored.device_ == "cpu"
    on_cpu = restored.transform(X_missing)
    observed = ~np.isnan(X_missing)
    np.testing.assert_array_equal(on_cpu[observed], X_missing[observed])
    # The same weights on another device: equal up to the training precision
    # (bfloat16 autocast on both where supported), far below the data's spread.
    spread = np.ptp(X, axis=0)
    assert np.max(np.abs(on_cpu - on_gpu) / spread) < 0.02


@NEEDS_CUDA
def test_gain_trains_in_bfloat16_on_a_gpu_that_supports_it():
    _, X_missing = _table()
    est = GAINImputer(max_epochs=2, device="cuda", random_state=0).fit(X_missing)
    expected = "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    assert est.training_precision_ == expected


@NEEDS_CUDA
@pytest.mark.parametrize("kind", ["image stack", "one image"])
def test_cuda_image_imputers_keep_observed_pixels(kind):
    from skgain import SpatialGAINImputer, ZeroShotSpatialImputer

    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:24, 0:24] / 24.0
    images = np.stack([np.sin(3 * yy + k) * np.cos(2 * xx) for k in range(6)])
    missing = images.copy()
    missing[rng.rand(*images.shape) < 0.2] = np.nan
    if kind == "image stack":
        est = SpatialGAINImputer(max_epochs=2, batch_size=4, device="cuda", random_state=0)
    else:
        missing = missing[0]
        est = ZeroShotSpatialImputer(estimator=zero_shot_network(max_epochs=1, channels=(4, 8)),
                                     patch_size=8, min_crops=1, device="cuda", random_state=0)
    out = est.fit_transform(missing)
    assert est.device_.startswith("cuda")
    observed = ~np.isnan(missing)
    np.testing.assert_array_equal(out[observed], missing[observed])
    assert np.isfinite(out).all()


@pytest.mark.parametrize("dtype, extreme", [(np.float64, 1.7e308), (np.float32, 3.0e38)])
@pytest.mark.parametrize(
    "imputer", [GAINImputer(max_epochs=1, random_state=0), SoftImputeFISTA(max_iter=2)],
    ids=lambda e: type(e).__name__,
)
def test_range_overflow_is_blamed_on_the_data(imputer, dtype, extreme):
    _, X_missing = _table()
    X_missing = X_missing.astype(dtype)
    # Finite values whose max - min is inf: formerly a "lower learning_rate"
    # divergence (GAIN) or a failure inside numpy's SVD (SoftImputeFISTA).
    X_missing[:, 2] = np.where(np.arange(len(X_missing)) % 2, extreme, -extreme)
    with pytest.raises(ValueError, match=rf"feature 2 overflows {np.dtype(dtype).name}.*Rescale"):
        clone(imputer).fit(X_missing)


@IMPUTERS
def test_n_jobs_sets_torch_threads_during_the_call_and_restores_the_callers(imputer):
    _, X_missing = _table()
    before = torch.get_num_threads()
    seen = []
    # The networks' forward passes, or SoftImputeFISTA's SVDs, report the threads.
    owner, name = ((torch.linalg, "svd") if isinstance(imputer, SoftImputeFISTA)
                   else (torch.nn.Module, "__call__"))
    original = getattr(owner, name)

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    torch.set_num_threads(3)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(owner, name, spy)
            fitted = clone(imputer).set_params(n_jobs=2).fit(X_missing)
            fitted.transform(X_missing)
        assert torch.get_num_threads() == 3  # the caller's count is back
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {2}


@IMPUTERS
def test_non_numeric_columns_are_named_in_the_error(imputer):
    frame = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "rank": ["Prof", "Asst", None, "Prof"],
                          "b": [1.0, np.nan, 3.0, 4.0], "c": list("xyzx")})
    # GAINImputer imputes a DataFrame's categorical columns (tests/test_table_codec.py).
    if not isinstance(imputer, GAINImputer):
        with pytest.raises(ValueError, match=r"non-numeric values in columns \['rank', 'c'\].*"
                                             r"ColumnTransformer.*GAINImputer"):
            clone(imputer).fit(frame)
    with pytest.raises(ValueError, match=r"column indices \[1, 3\].*categorical_features"):
        clone(imputer).fit(frame.to_numpy())
