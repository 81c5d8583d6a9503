"""Checks of the gallery examples (docs/examples/).

The whole gallery runs in the documentation build (sphinx-gallery aborts on
an example's error). Here the multiple-imputation example's pooling
function, Rubin's rules, is checked against a hand computation without
running the script, and a slow test runs the script itself.
"""

import ast
import contextlib
import io
import runpy
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
MULTIPLE_IMPUTATION = EXAMPLES / "plot_multiple_imputation.py"


def _definitions(path, names):
    """The named top-level functions and constants of a script, without running it."""
    tree = ast.parse(path.read_text())
    keep = [node for node in tree.body
            if (isinstance(node, ast.FunctionDef) and node.name in names)
            or (isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) in names for t in node.targets))]
    namespace = {"np": np, "stats": stats}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def rubin_pool():
    return _definitions(MULTIPLE_IMPUTATION, {"LEVEL", "t_interval", "rubin_pool"})["rubin_pool"]


def test_rubin_pool_matches_a_hand_computation(rubin_pool):
    # m = 3 draws of one coefficient: 1, 2, 3, each with variance 1; the
    # complete data would have had 10 residual degrees of freedom.
    pooled = rubin_pool([[1.0], [2.0], [3.0]], [[1.0], [1.0], [1.0]], df_complete=10)
    within, between, m = 1.0, 1.0, 3
    total = within + (1 + 1 / m) * between                # 7/3
    share = (1 + 1 / m) * between / total                 # 4/7
    df_old = (m - 1) / share**2                           # 6.125
    df_observed = 11 / 13 * 10 * (1 - share)              # 3.626...
    df = df_old * df_observed / (df_old + df_observed)    # 2.278...
    half = stats.t.ppf(0.975, df) * np.sqrt(total)
    np.testing.assert_allclose(pooled["estimate"], [2.0])
    np.testing.assert_allclose(pooled["missing_share"], [4 / 7])
    np.testing.assert_allclose(pooled["df"], [df])
    np.testing.assert_allclose(pooled["df"], [2.2778], atol=1e-4)
    np.testing.assert_allclose(pooled["lower"], [2 - half])
    np.testing.assert_allclose(pooled["upper"], [2 + half])
    error_half = stats.t.ppf(0.975, m - 1) * np.sqrt((1 + 1 / m) * between)
    np.testing.assert_allclose(pooled["error_upper"], [2 + error_half])


def test_rubin_pool_of_identical_draws_is_the_single_fit(rubin_pool):
    # No spread between the draws: the pooled interval is the complete-data
    # t interval at Barnard and Rubin's observed-data degrees of freedom,
    # and the imputation-error interval is a point.
    estimates = np.tile([[0.5, -2.0]], (20, 1))
    variances = np.tile([[0.04, 0.25]], (20, 1))
    pooled = rubin_pool(estimates, variances, df_complete=100)
    df = 101 / 103 * 100
    np.testing.assert_allclose(pooled["df"], [df, df])
    half = stats.t.ppf(0.975, df) * np.sqrt([0.04, 0.25])
    np.testing.assert_allclose(pooled["upper"], [0.5, -2.0] + half)
    np.testing.assert_allclose(pooled["error_lower"], pooled["error_upper"])
    # More spread between draws widens the interval.
    rng = np.random.RandomState(0)
    spread = rubin_pool(estimates + rng.normal(0, 0.3, estimates.shape), variances, 100)
    assert np.all(spread["upper"] - spread["lower"] > 2 * half)


@pytest.mark.slow
def test_multiple_imputation_example_runs(tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(MULTIPLE_IMPUTATION), run_name="__main__")
    printed = out.getvalue()
    summary = namespace["summary"]
    methods = list(summary.index.get_level_values("method").unique())
    assert methods == namespace["METHODS"]
    assert summary["covered"].between(0, 1).all()
    multiple = summary.loc[["GAIN multiple", "Iterative multiple"]]
    assert multiple["missing share"].between(0, 1).all()
    assert multiple["error interval covered"].between(0, 1).all()
    # Every interval has a width; the multiple imputations are pooled from
    # N_DRAWS fits, and their interval is at least as wide as W alone allows.
    assert (summary["width / se"] > 0).all()
    for method in ("GAIN multiple", "Iterative multiple"):
        for result in namespace["results"][method]:
            assert np.all(result["lower"] < result["upper"])
            assert np.all(result["df"] <= namespace["complete_df"])
    assert "Averaged over the five slopes" in printed
