"""The mixed-table benchmarks: loaders, MCAR hiding, metrics, the MissForest-style
peer and the ablation's verdict.

Fast tests need pandas, scikit-learn and the packages the tables ship with
(the benchmarks extra: statsmodels, palmerpenguins, vega_datasets); the smoke
runs of both benchmarks are behind the slow marker.
"""

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks._mixed_data import (
    MIXED_TABLES,
    brier_score,
    calibration_error,
    category_frequencies,
    expected_calibration_error,
    hide_mcar,
    interval_coverage,
    load_mixed,
    mixed_errors,
    split_columns,
)

SHAPES = {"penguins": (333, 8), "cars": (392, 8), "seattle": (1461, 7), "anes96": (944, 10),
          "modechoice": (840, 8)}


@pytest.fixture(scope="module")
def tables():
    for package in ("statsmodels", "palmerpenguins", "vega_datasets"):
        pytest.importorskip(package)
    return {name: load_mixed(name) for name in MIXED_TABLES}


def test_loaders_give_complete_mixed_tables(tables):
    assert set(tables) == set(SHAPES)
    kinds = set()
    for name, frame in tables.items():
        assert frame.shape == SHAPES[name], name
        assert not frame.isna().to_numpy().any(), name
        numeric, categorical = split_columns(frame)
        assert numeric and categorical, name
        for column in categorical:
            dtype = frame[column].dtype
            assert (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype)
                    or pd.api.types.is_string_dtype(dtype)), (name, column, dtype)
            assert frame[column].nunique() >= 2, (name, column)
        kinds |= {str(frame[c].dtype) for c in frame.columns}
    # Between them: categories, object, str and string, booleans, integers, floats.
    assert {"category", "object", "str", "string", "bool", "int64", "float64"} <= kinds


def test_loaders_decode_the_documented_labels(tables):
    assert set(tables["anes96"]["vote"]) == {"Clinton", "Dole"}
    assert "Strong Democrat" in set(tables["anes96"]["PID"])
    assert set(tables["modechoice"]["mode"]) == {"air", "train", "bus", "car"}
    # One chosen mode per trip of four rows.
    assert tables["modechoice"]["choice"].sum() == 210
    with pytest.raises(ValueError, match="Unknown mixed table"):
        load_mixed("titanic")


def test_hide_mcar_share_seed_and_markers(tables):
    frame = tables["modechoice"]
    missing, hidden = hide_mcar(frame, 0.2, seed=3)
    assert abs(hidden.mean() - 0.2) < 0.02
    np.testing.assert_array_equal(missing.isna().to_numpy(), hidden)
    again, hidden_again = hide_mcar(frame, 0.2, seed=3)
    np.testing.assert_array_equal(hidden, hidden_again)
    pd.testing.assert_frame_equal(missing, again)
    assert not np.array_equal(hidden, hide_mcar(frame, 0.2, seed=4)[1])
    # Integers and booleans become nullable; categories stay categories.
    assert str(missing["ttme"].dtype) == "Int64" and str(missing["choice"].dtype) == "boolean"
    assert isinstance(missing["mode"].dtype, pd.CategoricalDtype)
    assert missing["ttme"][hidden[:, 2]].isna().all()
    # Observed cells are unchanged, in every column.
    for j, column in enumerate(frame.columns):
        observed = ~hidden[:, j]
        assert list(missing[column][observed].astype(object)) == list(
            frame[column][observed].astype(object)), column


def test_hide_mcar_object_column_gets_none(tables):
    missing, hidden = hide_mcar(tables["seattle"], 0.2, seed=0)
    column = list(tables["seattle"].columns).index("weather")
    assert missing["weather"].dtype == object
    assert all(value is None for value in missing["weather"][hidden[:, column]])


def _tiny():
    truth = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": ["x", "y", "x"], "c": [0, 1, 2]})
    hidden = np.array([[False, True, False],
                       [True, False, False],
                       [False, True, True]])
    imputed = truth.copy()
    imputed.loc[1, "a"] = 7.0   # (7 - 5) / 10 = 0.2
    imputed.loc[2, "c"] = 1     # (1 - 2) / 2 = -0.5
    imputed.loc[0, "b"] = "x"   # right
    imputed.loc[2, "b"] = "y"   # wrong
    return truth, imputed, hidden


def test_mixed_errors_by_hand():
    truth, imputed, hidden = _tiny()
    scores = mixed_errors(truth, imputed, hidden)
    assert scores["rmse"] == pytest.approx(np.sqrt((0.2 ** 2 + 0.5 ** 2) / 2))
    assert scores["error_rate"] == pytest.approx(0.5)
    assert (scores["n_numeric"], scores["n_categorical"]) == (2, 2)
    # Only hidden entries count: a wrong observed cell changes nothing (a
    # metric over every cell, or unscaled, or one without pooling, would move).
    imputed.loc[0, "a"] = 100.0
    imputed.loc[1, "b"] = "x"
    assert mixed_errors(truth, imputed, hidden) == scores


def test_mixed_errors_rejects_entries_left_missing():
    truth, imputed, hidden = _tiny()
    imputed["a"] = imputed["a"].astype(float)
    imputed.loc[1, "a"] = np.nan
    with pytest.raises(ValueError, match="left hidden numeric"):
        mixed_errors(truth, imputed, hidden)
    truth, imputed, hidden = _tiny()
    imputed.loc[2, "b"] = None
    with pytest.raises(ValueError, match="left hidden entries of 'b'"):
        mixed_errors(truth, imputed, hidden)


def test_interval_coverage_by_hand():
    # Entry 0: true 0 below the 5% quantile of 0..19 (0.95); entry 1: true 10 inside.
    truth = np.array([[0.0], [10.0]])
    draws = np.tile(np.arange(20.0)[:, None, None], (1, 2, 1))
    hidden = np.array([[True], [True]])
    coverage, width = interval_coverage(truth, draws, hidden, spread=np.array([10.0]))
    assert coverage == pytest.approx(0.5)
    assert width == pytest.approx((18.05 - 0.95) / 10)
    # Identical draws: width 0, and they cover only an exact hit.
    coverage, width = interval_coverage(truth, np.zeros((20, 2, 1)), hidden, np.array([10.0]))
    assert (coverage, width) == (0.5, 0.0)


def test_brier_and_calibration_error_by_hand():
    levels = ["a", "b"]
    draws = np.array([["a"] * 7 + ["b"] * 3, ["a"] * 5 + ["b"] * 5], dtype=object).T
    probabilities = category_frequencies(draws, levels)
    np.testing.assert_allclose(probabilities, [[0.7, 0.3], [0.5, 0.5]])
    truth = ["a", "b"]
    # (0.3^2 + 0.3^2 + 0.5^2 + 0.5^2) / 2
    assert brier_score(probabilities, truth, levels) == pytest.approx(0.34)
    # Bin 7: confidence 0.7, right; bin 5: confidence 0.5, "a" (first of the tie), wrong.
    assert expected_calibration_error(probabilities, truth, levels) == pytest.approx(
        0.5 * 0.3 + 0.5 * 0.5)
    assert calibration_error([0.7, 0.5], [True, False]) == pytest.approx(0.4)
    # Perfectly calibrated: confidence 0.5 in one bin, right half of the time.
    assert calibration_error([0.5] * 4, [True, False, True, False]) == pytest.approx(0.0)


def _small_frame(n=80, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n)
    return pd.DataFrame({
        "x": x,
        "y": 2 * x + 0.01 * rng.randn(n),
        "count": (10 * x).round().astype("int64"),
        "kind": pd.Categorical(np.where(x > 0.5, "high", "low")),
        "flag": x > 0.3,
        "label": pd.array(np.where(x > 0.7, "top", "rest"), dtype="string"),
    })


def test_missforest_peer_on_a_tiny_frame():
    from benchmarks.mixed_tables import MissForestImputer

    complete = _small_frame()
    missing, hidden = hide_mcar(complete, 0.2, seed=1)
    imputer = MissForestImputer(n_estimators=5, max_iter=4, random_state=0)
    completed = imputer.fit_transform(missing)
    assert list(completed.dtypes) == list(missing.dtypes)
    assert not completed.isna().to_numpy().any()
    observed = ~hidden
    for j, column in enumerate(complete.columns):
        assert list(completed[column][observed[:, j]].astype(object)) == list(
            missing[column][observed[:, j]].astype(object))
    assert set(completed["kind"]) <= {"high", "low"}
    assert 1 <= imputer.n_iter_ <= 4
    scores = mixed_errors(complete, completed, hidden)
    # The columns predict each other: far better than the mean and the mode.
    mode_error = np.mean([
        np.mean(complete[c][hidden[:, j]] != complete[c].mode()[0])
        for j, c in enumerate(complete.columns) if c in ("kind", "flag", "label")])
    assert scores["error_rate"] < mode_error / 2
    assert scores["rmse"] < 0.15
    # New rows: transform from the training means and modes and the kept forests.
    unseen = imputer.transform(missing.iloc[:10])
    assert list(unseen.dtypes) == list(missing.dtypes)
    assert not unseen.isna().to_numpy().any()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("peer", ["columns", "knn"])
def test_sklearn_peers_keep_columns_dtypes_and_observed_cells(peer):
    from benchmarks.mixed_tables import ColumnTransformerImputer, KNNOneHotImputer, _kept

    complete = _small_frame(n=50)
    missing, hidden = hide_mcar(complete, 0.2, seed=2)
    imputer = {"columns": ColumnTransformerImputer(random_state=0),
               "knn": KNNOneHotImputer()}[peer]
    train, test = missing.iloc[:40], missing.iloc[40:]
    for given, out in ((test, imputer.fit(train).transform(test)),
                       (missing, imputer.fit_transform(missing))):
        assert _kept(given, out) == (True, True)
        assert list(out.index) == list(given.index)
        assert not out.isna().to_numpy().any()
    scores = mixed_errors(complete, out, hidden)
    assert scores["rmse"] < 0.3 and scores["error_rate"] < 0.5


@pytest.mark.slow
def test_both_benchmarks_quick_write_their_results(tmp_path):
    pytest.importorskip("miceforest")
    from benchmarks import mixed_ablation, mixed_tables, multiple_imputation

    # Two of the five tables (each method on each is what a quick run adds;
    # all five took five minutes of CI).
    smoke = ["penguins", "modechoice"]
    mixed_tables.run(quick=True, out_dir=tmp_path, tables=smoke)
    # The ablation's fastest variant beside every peer, on one table.
    mixed_ablation.run(quick=True, out_dir=tmp_path, tables=smoke[:1],
                       only={mixed_ablation.SMALL_ALONE})
    text = (tmp_path / "mixed_ablation.md").read_text()
    assert f"| {mixed_ablation.SMALL_ALONE} | " in text and "FAILED" not in text
    payload = json.loads((tmp_path / "mixed_tables.json").read_text())
    assert not [r for r in payload["records"] if "error" in r]
    methods = {r["method"] for r in payload["records"]}
    assert methods == set(mixed_tables.METHODS)
    assert {r["table"] for r in payload["records"]} == set(smoke)
    assert set(smoke) < set(MIXED_TABLES)
    for record in payload["records"]:
        assert 0 <= record["error_unseen"] <= 1 and record["rmse_fit"] > 0
        assert record["dtypes_kept_unseen"] and record["observed_kept_fit"], record["method"]
    assert "GAINImputer ahead of every peer" in (tmp_path / "mixed_tables.md").read_text()

    multiple_imputation.run(quick=True, out_dir=tmp_path)
    payload = json.loads((tmp_path / "multiple_imputation.json").read_text())
    assert not [r for r in payload["records"] if "error" in r]
    assert {r["method"] for r in payload["records"]} == set(multiple_imputation.DRAWS)
    for record in payload["records"]:
        assert 0 <= record["coverage"] <= 1
        if record["kind"] == "mixed":
            assert 0 <= record["brier"] <= 2 and 0 <= record["ece"] <= 1
    record = json.loads((tmp_path / "record.json").read_text())
    assert {"mixed_tables.md", "mixed_ablation.md", "multiple_imputation.md"} <= set(
        record["files"]) | {
        f for old in record.get("earlier", []) for f in old["files"]}


def _entry(rmse, error, seconds):
    return {"rmse_unseen": rmse, "error_unseen": error, "rmse_fit": rmse, "error_fit": error,
            "seconds": seconds}


def test_ablation_verdict_counts_tables_ahead_of_every_peer_and_ratios():
    from benchmarks import mixed_ablation as ablation
    from benchmarks.mixed_tables import MICE, MISSFOREST

    peers = {MICE: _entry(0.30, 0.30, 10.0), MISSFOREST: _entry(0.20, 0.20, 40.0)}
    summary = {
        # the defaults behind MissForest on error rate; the small network ahead of both
        "a": {ablation.DEFAULTS: _entry(0.10, 0.25, 20.0),
              ablation.SMALL: _entry(0.10, 0.15, 5.0), **peers},
        "b": {ablation.DEFAULTS: _entry(0.10, 0.10, 30.0),
              ablation.SMALL: _entry(0.25, 0.10, 10.0), **peers},
    }
    rows = {row[0]: row for row in ablation.verdict_rows(summary)}
    assert set(rows) == {ablation.DEFAULTS, ablation.SMALL}
    assert rows[ablation.DEFAULTS][1:4] == ["1 of 2", "1 of 2", "1 of 2"]
    assert rows[ablation.SMALL][1:4] == ["1 of 2", "1 of 2", "1 of 2"]
    assert rows[ablation.DEFAULTS][4] == "2.00-3.00 (mean 2.50)"
    assert rows[ablation.SMALL][4] == "0.50-1.00 (mean 0.75)"
    # measures over the defaults': unseen RMSE (1.0 + 2.5) / 2, error (0.6 + 1.0) / 2,
    # seconds (0.25 + 1/3) / 2
    assert rows[ablation.SMALL][5] == "1.750" and rows[ablation.SMALL][6] == "0.800"
    assert rows[ablation.SMALL][9] == "0.292"
    assert rows[ablation.DEFAULTS][5:] == ["1.000"] * 5
