"""partial_fit: streaming training of GAINImputer and SpatialGAINImputer on chunks."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.validation import check_is_fitted

from skgain import GAINImputer, SpatialGAINImputer

SMALL = {
    "gain": GAINImputer(hidden_dim=64, n_blocks=2, batch_size=64, random_state=0),
    "spatial": SpatialGAINImputer(channels=(8, 16), batch_size=64, random_state=0),
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _hidden_table(seed=0):
    X = load_breast_cancer().data
    hidden = np.random.RandomState(seed).rand(*X.shape) < 0.2
    return X, hidden, np.where(hidden, np.nan, X)


def _scaled_rmse(imputed, X, hidden):
    error = (imputed - X) / (X.max(axis=0) - X.min(axis=0))
    return float(np.sqrt(np.mean(error[hidden] ** 2)))


def _stream(imputer, chunks, n_passes, data_min=None, data_max=None):
    for p in range(n_passes):
        for i, chunk in enumerate(chunks):
            if p == 0 and i == 0:
                imputer.partial_fit(chunk, data_min=data_min, data_max=data_max)
            else:
                imputer.partial_fit(chunk)
    return imputer


@pytest.mark.slow
@pytest.mark.parametrize("name", SMALL)
def test_streamed_fit_imputes_within_ten_percent_of_a_full_fit(name):
    X, hidden, X_missing = _hidden_table()
    full = clone(SMALL[name]).set_params(max_epochs=60)
    if "blend_estimator" in full.get_params():
        # partial_fit trains the network alone: compare like with like.
        full.set_params(blend_estimator=None)
    full.fit(X_missing)
    chunks = np.array_split(X_missing, 10)
    # The ranges from a first pass over the chunks, as the user guide does it.
    scaler = MinMaxScaler()
    for chunk in chunks:
        scaler.partial_fit(chunk)
    streamed = _stream(clone(SMALL[name]), chunks, 40, scaler.data_min_, scaler.data_max_)
    full_rmse = _scaled_rmse(full.transform(X_missing), X, hidden)
    streamed_rmse = _scaled_rmse(streamed.transform(X_missing), X, hidden)
    mean_rmse = _scaled_rmse(np.where(hidden, np.nanmean(X_missing, axis=0), X), X, hidden)
    # Measured: gain 0.0676 vs 0.0665, spatial 0.0824 vs 0.0836; means 0.144.
    assert streamed_rmse <= 1.1 * full_rmse
    assert streamed_rmse < 0.7 * mean_rmse
    assert streamed.n_iter_ == 400 and len(streamed.history_["mse"]) == 400


def test_partial_fit_on_an_unfitted_imputer_returns_it_fitted():
    X = _hidden_table()[2][:100]
    imputer = clone(SMALL["gain"])
    assert imputer.partial_fit(X[:50]) is imputer
    check_is_fitted(imputer)
    assert imputer.n_iter_ == 1 and imputer.n_features_in_ == 30
    np.testing.assert_array_equal(imputer.data_min_, np.nanmin(X[:50], axis=0))
    assert np.isnan(imputer.history_["val_rmse"]).all()
    out = imputer.partial_fit(np.clip(X[50:], imputer.data_min_,
                                      imputer.data_min_ + imputer.data_range_)).transform(X)
    assert imputer.n_iter_ == 2 and not np.isnan(out).any()
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(out[observed], X[observed])


def test_changing_feature_count_between_chunks_raises():
    X = _hidden_table()[2]
    imputer = clone(SMALL["gain"]).partial_fit(X[:60])
    with pytest.raises(ValueError, match="features"):
        imputer.partial_fit(X[60:120, :-1])


def test_a_chunk_outside_the_first_range_raises_and_given_ranges_allow_it():
    X = np.arange(40.0).reshape(20, 2)
    X[::3, 0] = np.nan
    imputer = clone(SMALL["gain"]).partial_fit(X[:10])
    with pytest.raises(ValueError, match="outside the range fixed by the first call"):
        imputer.partial_fit(X[10:])
    given = clone(SMALL["gain"]).partial_fit(X[:10], data_min=[0, 1], data_max=[38, 39])
    given.partial_fit(X[10:])
    np.testing.assert_array_equal(given.data_range_, [38, 38])
    with pytest.raises(ValueError, match="first call of partial_fit only"):
        given.partial_fit(X[10:], data_min=[0, 1], data_max=[38, 39])
    with pytest.raises(ValueError, match="one value per feature"):
        clone(SMALL["gain"]).partial_fit(X, data_min=[0], data_max=[39])
    with pytest.raises(ValueError, match="data_min <= data_max"):
        clone(SMALL["gain"]).partial_fit(X, data_min=[5, 5], data_max=[0, 0])
    with pytest.raises(ValueError, match="outside the range"):
        clone(SMALL["gain"]).partial_fit(X, data_min=[5, 5], data_max=[6, 6])


def test_a_feature_missing_in_the_first_chunk_gets_its_range_when_seen():
    X = np.random.RandomState(0).rand(40, 3)
    X[20:, :2] = X[:20, :2]  # the same range in both chunks
    X[:20, 2] = np.nan
    imputer = clone(SMALL["gain"]).set_params(keep_empty_features=True).partial_fit(X[:20])
    assert imputer._empty_features.tolist() == [False, False, True]
    imputer.partial_fit(X[20:])
    assert not imputer._empty_features.any()
    assert imputer.data_min_[2] == np.nanmin(X[20:, 2])


def test_a_channel_missing_in_the_first_chunk_gets_one_range_for_the_channel():
    rng = np.random.RandomState(0)
    images = rng.rand(16, 6, 6, 2)
    images[:, :, :, 1] *= 10.0
    images[8:, :, :, 0] = images[:8, :, :, 0]  # channel 0: the first chunk's range
    first = images[:8].copy()
    first[:, :, :, 1] = np.nan  # channel 1 unseen in the first chunk
    imputer = SpatialGAINImputer(scaling="channel", keep_empty_features=True, batch_size=4,
                                 random_state=0)
    imputer.partial_fit(first)
    imputer.partial_fit(images[8:])
    channel = imputer.data_min_.reshape(6, 6, 2)[:, :, 1], imputer.data_range_.reshape(6, 6, 2)
    # One min and one range for the whole channel, as fit would scale it.
    assert np.all(channel[0] == images[8:, :, :, 1].min())
    np.testing.assert_allclose(channel[1][:, :, 1], np.ptp(images[8:, :, :, 1]))


def test_same_seed_same_stream_also_through_pickling():
    X = _hidden_table()[2][:120]
    lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    chunks = np.array_split(X, 3)
    a = _stream(clone(SMALL["gain"]), chunks, 2, lo, hi)
    b = clone(SMALL["gain"]).partial_fit(chunks[0], data_min=lo, data_max=hi)
    for chunk in chunks[1:] + chunks:
        b = pickle.loads(pickle.dumps(b)).partial_fit(chunk)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = _stream(clone(SMALL["gain"]).set_params(random_state=1), chunks, 2, lo, hi)
    assert not np.array_equal(a.transform(X), c.transform(X))


def test_fit_starts_over_and_partial_fit_goes_on_after_fit():
    X = _hidden_table()[2][:120]
    imputer = clone(SMALL["gain"]).set_params(max_epochs=3, validation_fraction=0)
    _stream(imputer, [X[:60], np.clip(X[60:], np.nanmin(X[:60], 0), np.nanmax(X[:60], 0))], 2)
    imputer.fit(X)
    assert imputer.n_iter_ == 3 and imputer._stream is None
    np.testing.assert_array_equal(imputer.data_min_, np.nanmin(X, axis=0))
    fresh = clone(imputer).fit(X)
    np.testing.assert_array_equal(imputer.transform(X), fresh.transform(X))
    imputer.partial_fit(X[:50])
    assert imputer.n_iter_ == 4 and len(imputer.history_["mse"]) == 4


def test_add_indicator_grows_with_the_chunks_missing_features():
    X = np.random.RandomState(0).rand(40, 3)
    X[:20:2, 0] = np.nan
    X[20::2, 1] = np.nan
    imputer = clone(SMALL["gain"]).set_params(add_indicator=True)
    imputer.partial_fit(X[:20], data_min=[0, 0, 0], data_max=[1, 1, 1]).partial_fit(X[20:])
    assert imputer.transform(X).shape == (40, 5)
    np.testing.assert_array_equal(imputer.indicator_.features_, [0, 1])


def test_spatial_partial_fit_takes_image_chunks_of_one_shape():
    rng = np.random.RandomState(0)
    images = rng.rand(12, 6, 6)
    images[rng.rand(*images.shape) < 0.2] = np.nan
    imputer = clone(SMALL["spatial"]).partial_fit(images[:6], data_min=np.zeros(36),
                                                  data_max=np.ones(36))
    imputer.partial_fit(images[6:])
    assert imputer.image_shape_ == (6, 6, 1) and imputer.n_iter_ == 2
    assert imputer.transform(images).shape == images.shape
    with pytest.raises(ValueError, match="images of shape"):
        imputer.partial_fit(rng.rand(4, 5, 5))


@pytest.mark.slow
@pytest.mark.usefixtures("_quiet")
def test_streaming_takes_the_widest_default_width_whatever_the_chunk_size():
    _, _, X_missing = _hidden_table()
    chunk = X_missing[:100]
    streamed = GAINImputer(random_state=0).partial_fit(chunk)
    fitted = GAINImputer(max_epochs=1, random_state=0).fit(chunk)
    # A 100-row chunk of a table of unknown size is not a 100-row table.
    assert streamed.hidden_dim_ == 256 and fitted.hidden_dim_ == 64
