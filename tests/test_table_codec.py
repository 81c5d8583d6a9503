"""Tables with categorical, boolean, integer and text columns through GAINImputer."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from skgain import GAINImputer
from skgain._table_codec import MAX_CATEGORIES, fit_codec

FAST = dict(max_epochs=5, hidden_dim=16, n_blocks=1, blend_estimator=None, random_state=0)


def _mixed_frame(n=120, seed=0, rate=0.2):
    """A frame with one column of each supported dtype, and the hidden cells."""
    rng = np.random.RandomState(seed)
    level = rng.rand(n)
    names = np.where(level > 0.6, "high", np.where(level > 0.3, "mid", "low"))
    full = pd.DataFrame({
        "x": level * 10 + rng.randn(n) * 0.1,
        "count": pd.array(rng.randint(0, 5, n), dtype="Int64"),
        "cat": pd.Categorical(names),
        "text": pd.array(names, dtype="string"),
        "obj": pd.Series(np.array(names, dtype=object), dtype=object),
        "flag": pd.array(level > 0.5, dtype="boolean"),
    })
    hidden = rng.rand(*full.shape) < rate
    frame = full.copy()
    for j, column in enumerate(frame.columns):
        frame.loc[hidden[:, j], column] = None
    return full, frame, hidden


def _fit_quietly(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X)


def test_round_trip_keeps_dtypes_observed_cells_and_seen_categories():
    full, frame, hidden = _mixed_frame()
    imputer = _fit_quietly(GAINImputer(**FAST), frame)
    out = imputer.transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(frame.columns)
    assert out.dtypes.to_dict() == frame.dtypes.to_dict()
    assert not out.isna().any().any()
    for j, column in enumerate(frame.columns):
        observed = ~hidden[:, j]
        # Observed cells come back as they were (the same objects' values).
        assert list(out[column][observed]) == list(frame[column][observed]), column
        if imputer.categories_[j] is not None:
            assert set(out[column][hidden[:, j]]) <= set(frame[column].dropna()), column
    assert set(imputer.categories_[2]) == {"high", "low", "mid"}
    assert imputer.categories_[0] is None
    # An integer column's imputations are whole numbers.
    assert np.all(out["count"].to_numpy(dtype=float) % 1 == 0)


def test_fit_transform_and_transform_on_unseen_rows():
    _, frame, _ = _mixed_frame(n=150)
    imputer = _fit_quietly(GAINImputer(**FAST), frame.iloc[:100])
    unseen = imputer.transform(frame.iloc[100:])
    assert unseen.shape == (50, frame.shape[1])
    assert unseen.index.equals(frame.index[100:])
    again = _fit_quietly(GAINImputer(**FAST), frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        completed = GAINImputer(**FAST).fit_transform(frame)
    pd.testing.assert_frame_equal(completed, again.transform(frame))


def test_categories_are_learned_not_guessed_on_a_real_table():
    # Iris: the species is predictable from the four measurements.
    data = load_iris(as_frame=True).frame
    data["target"] = pd.Categorical(np.asarray(load_iris().target_names)[data["target"]])
    rng = np.random.RandomState(0)
    hidden = rng.rand(len(data)) < 0.3
    frame = data.copy()
    frame.loc[hidden, "target"] = None
    out = GAINImputer(random_state=0).fit_transform(frame)
    accuracy = np.mean(out["target"][hidden].to_numpy() == data["target"][hidden].to_numpy())
    mode = data["target"][~hidden].mode()[0]
    mode_accuracy = np.mean(data["target"][hidden].to_numpy() == mode)
    assert accuracy > 0.85 > mode_accuracy + 0.4


def test_set_output_pandas_and_feature_names_with_an_indicator():
    _, frame, _ = _mixed_frame()
    imputer = _fit_quietly(GAINImputer(add_indicator=True, **FAST), frame)
    out = imputer.transform(frame)
    names = list(imputer.get_feature_names_out())
    assert list(out.columns) == names
    assert names[:6] == list(frame.columns)
    assert names[6:] == [f"missingindicator_{c}" for c in frame.columns]
    np.testing.assert_array_equal(out.iloc[:, 6:].to_numpy(), frame.isna().to_numpy())
    pandas_out = _fit_quietly(GAINImputer(**FAST).set_output(transform="pandas"), frame)
    assert list(pandas_out.transform(frame).columns) == list(frame.columns)


def test_numpy_with_categorical_features_stays_a_float_array():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(0, 4, 200) * 2.5, rng.rand(200)])
    X[rng.rand(*X.shape) < 0.3] = np.nan
    out = _fit_quietly(GAINImputer(categorical_features=[0], **FAST), X).transform(X)
    assert out.dtype == np.float64 and out.shape == X.shape
    assert set(np.unique(out[:, 0])) <= {0.0, 2.5, 5.0, 7.5}


def test_object_array_with_text_categories_stays_an_object_array():
    _, frame, hidden = _mixed_frame()
    X = frame[["x", "obj"]].to_numpy(dtype=object)
    out = _fit_quietly(GAINImputer(categorical_features=[1], **FAST), X).transform(X)
    assert out.dtype == object and out.shape == X.shape
    assert set(out[:, 1]) <= {"high", "low", "mid"}
    assert np.all(out[~hidden[:, 4], 1] == X[~hidden[:, 4], 1])


def test_categorical_features_by_name_on_integer_codes():
    full, frame, _ = _mixed_frame()
    frame = frame[["x", "count"]]
    imputer = _fit_quietly(GAINImputer(categorical_features=["count"], **FAST), frame)
    assert list(imputer.categories_[1]) == [0, 1, 2, 3, 4]
    assert imputer.transform(frame)["count"].dtype == frame["count"].dtype
    with pytest.raises(ValueError, match="not in X"):
        GAINImputer(categorical_features=["nope"], **FAST).fit(frame)


def test_unseen_category_is_imputed_with_a_warning():
    _, frame, _ = _mixed_frame()
    imputer = _fit_quietly(GAINImputer(**FAST), frame)
    new = frame.iloc[:5].copy()
    new["obj"] = ["purple"] * 5
    with pytest.warns(UserWarning, match="not seen in fit"):
        out = imputer.transform(new)
    assert set(out["obj"]) <= {"high", "low", "mid"}


def test_sample_returns_frames_whose_draws_differ_only_where_missing():
    _, frame, hidden = _mixed_frame(n=200)
    imputer = _fit_quietly(GAINImputer(**{**FAST, "max_epochs": 20}), frame)
    draws = imputer.sample(frame, n_draws=6, random_state=0)
    assert len(draws) == 6 and all(isinstance(d, pd.DataFrame) for d in draws)
    x = np.stack([d["x"].to_numpy() for d in draws])
    assert np.all(x[:, ~hidden[:, 0]] == frame["x"].to_numpy()[~hidden[:, 0]])
    assert np.all(x[:, hidden[:, 0]].std(axis=0) > 0)
    repeat = imputer.sample(frame, n_draws=6, random_state=0)
    for a, b in zip(draws, repeat):
        pd.testing.assert_frame_equal(a, b)


def test_score_counts_wrong_categories_and_scaled_numbers():
    _, frame, _ = _mixed_frame()
    imputer = _fit_quietly(GAINImputer(**FAST), frame)
    score = imputer.score(frame)
    assert -1.0 <= score < 0
    assert score == imputer.score(frame)


def test_pickled_model_gives_the_same_output():
    _, frame, _ = _mixed_frame()
    imputer = _fit_quietly(GAINImputer(**FAST), frame)
    loaded = pickle.loads(pickle.dumps(imputer))
    pd.testing.assert_frame_equal(loaded.transform(frame), imputer.transform(frame))


def test_empty_categorical_column_is_dropped_or_left_missing():
    _, frame, _ = _mixed_frame()
    frame["never"] = pd.Series([None] * len(frame), dtype=object)
    dropped = _fit_quietly(GAINImputer(**FAST), frame).transform(frame)
    assert "never" not in dropped.columns
    frame["no_number"] = np.nan
    kept = _fit_quietly(GAINImputer(keep_empty_features=True, **FAST), frame).transform(frame)
    assert kept["never"].isna().all()
    assert (kept["no_number"] == 0).all()


def test_a_single_category_column_is_imputed_with_it():
    _, frame, hidden = _mixed_frame()
    frame["one"] = pd.Series(np.where(hidden[:, 0], None, "only"), dtype=object)
    out = _fit_quietly(GAINImputer(**FAST), frame).transform(frame)
    assert set(out["one"]) == {"only"}


def test_boolean_column_with_missing_values_keeps_its_dtype():
    _, frame, hidden = _mixed_frame()
    out = _fit_quietly(GAINImputer(**FAST), frame).transform(frame)
    assert out["flag"].dtype == "boolean" and set(out["flag"]) <= {True, False}
    # An object column of booleans and None is categorical too.
    frame["obj_flag"] = pd.Series(np.where(hidden[:, 1], None, frame["x"] > 5), dtype=object)
    out = _fit_quietly(GAINImputer(**FAST), frame).transform(frame)
    assert set(out["obj_flag"]) <= {True, False}


def test_object_column_mixing_numbers_and_strings_is_categorical():
    _, frame, hidden = _mixed_frame()
    mixed = [None if h else ("big" if x > 5 else 1) for h, x in zip(hidden[:, 2], frame["x"])]
    frame["mixed"] = pd.Series(mixed, dtype=object)
    out = _fit_quietly(GAINImputer(**FAST), frame).transform(frame)
    assert set(map(str, out["mixed"])) <= {"big", "1"}


def test_identifier_and_huge_columns_are_refused_by_name():
    _, frame, _ = _mixed_frame()
    ids = frame.assign(name=[f"person {i}" for i in range(len(frame))])
    with pytest.raises(ValueError, match="'name'.*identifier"):
        GAINImputer(**FAST).fit(ids)
    rng = np.random.RandomState(0)
    levels = pd.DataFrame({
        "x": rng.rand(3 * MAX_CATEGORIES),
        "code": [f"c{i}" for i in rng.randint(0, 10 * MAX_CATEGORIES, 3 * MAX_CATEGORIES)],
    })
    with pytest.raises(ValueError, match="'code' has .* distinct values"):
        GAINImputer(**FAST).fit(levels)


def test_unsupported_dtypes_and_partial_fit_are_refused():
    _, frame, _ = _mixed_frame()
    dated = frame.assign(when=pd.date_range("2020-01-01", periods=len(frame)))
    with pytest.raises(ValueError, match="'when' has dtype datetime"):
        GAINImputer(**FAST).fit(dated)
    with pytest.raises(ValueError, match="partial_fit takes numeric tables only"):
        GAINImputer(**FAST).partial_fit(frame)


def test_all_numeric_tables_skip_the_codec():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": pd.array([1, None, 2], dtype="Int64")})
    assert fit_codec(frame, None, np.nan) is None
    assert fit_codec(frame.to_numpy(dtype=float), None, np.nan) is None
    codec = fit_codec(frame, ["b"], np.nan)
    assert codec.n_columns == 3 and list(codec.column_of) == [0, 1, 1]
    assert codec.blocks == [(1, 3)]
