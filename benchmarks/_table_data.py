"""Real tables and missingness patterns (MCAR, MAR, MNAR) for the tabular benchmarks.

Tuned on: spam and letter (the GAIN paper's tables, from the data home).
Confirmed on tables that ship with installed packages and were not used to
choose a default (except breast_cancer and wine, looked at before the default
width rule for small tables was set): scikit-learn's breast_cancer (569 x 30), wine (178 x 13) and
diabetes (442 x 10, unscaled), statsmodels' fair (6366 x 9) and randhie
(20190 x 10). statsmodels' ccard (72 x 5), statecrime (51 x 7), danish_data
(55 x 5) and scotland (32 x 8) were first used to confirm the three-way blend
(``tabular_confirm5.md``), chosen before any result on them was seen.
matplotlib's sample price tables goog (1047 x 6: Google's daily prices and
volume) and stocks (71 x 10: monthly prices of eight stocks and two indices,
the months where all are quoted) and statsmodels' fertility (192 x 52: the
countries' fertility rates by year, the countries with every year) were
first used with the large-table settings (``tabular_confirm6.md``), their
preparation (numeric columns, complete rows) fixed before any result.
"""

import numpy as np
from scipy.special import expit

from ._common import mcar_hide

PATTERNS = ("mcar", "mar", "mnar")
# MAR: the share of columns that stay fully observed and drive the missingness.
MAR_OBSERVED_SHARE = 0.3
# MNAR: the logistic slope of a value's own (standardised) size.
MNAR_SLOPE = 2.0


def load_table(name, data_home=None):
    """The complete matrix of a benchmark table, as float64."""
    from sklearn import datasets as sk

    if name in ("spam", "letter"):
        from skgain.datasets import fetch_letter, fetch_spambase

        fetch = {"spam": fetch_spambase, "letter": fetch_letter}[name]
        return np.asarray(fetch(data_home=data_home).data, dtype=float)
    loaders = {"breast_cancer": sk.load_breast_cancer, "wine": sk.load_wine,
               "diabetes": lambda: sk.load_diabetes(scaled=False), "iris": sk.load_iris,
               "digits": sk.load_digits}
    if name in loaders:
        return np.asarray(loaders[name]().data, dtype=float)
    if name in ("fair", "randhie", "macrodata", "star98", "modechoice", "anes96", "grunfeld",
                "interest_inflation", "elnino", "ccard", "statecrime", "danish_data",
                "scotland"):
        import statsmodels.api as sm

        frame = getattr(sm.datasets, name).load_pandas().data
        return frame.select_dtypes("number").to_numpy(dtype=float)
    if name in ("goog", "stocks", "fertility"):
        return _complete_rows(_sample_frame(name))
    raise ValueError(f"Unknown table {name!r}.")


def _sample_frame(name):
    """A data frame of matplotlib's sample prices or statsmodels' fertility."""
    import pandas as pd

    if name == "fertility":
        import statsmodels.api as sm

        return sm.datasets.fertility.load_pandas().data
    from matplotlib import cbook

    if name == "goog":
        return pd.DataFrame(cbook.get_sample_data("goog.npz")["price_data"])
    with cbook.get_sample_data("Stocks.csv") as file:
        return pd.read_csv(file, comment="#")


def _complete_rows(frame):
    """The numeric columns (those with any value), on the rows where all are present."""
    numbers = frame.select_dtypes("number")
    numbers = numbers.loc[:, numbers.notna().any()]
    return numbers.dropna().to_numpy(dtype=float)


def _intercepts_for_rate(scores, rate):
    """Per-column intercepts b so that mean(expit(scores + b)) == rate (bisection)."""
    low = np.full(scores.shape[1], -50.0)
    high = np.full(scores.shape[1], 50.0)
    for _ in range(60):
        middle = (low + high) / 2
        too_many = expit(scores + middle).mean(axis=0) > rate
        high = np.where(too_many, middle, high)
        low = np.where(too_many, low, middle)
    return (low + high) / 2


def _standardised(X):
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def hide(X, pattern, rate, seed):
    """Copy of ``X`` with entries set to NaN by ``pattern``, and the hidden mask.

    ``"mcar"``: each entry with probability ``rate``. ``"mar"``: a random 30% of
    the columns stay observed; each other column is hidden with a logistic
    probability of a random weighting of the observed columns, scaled so that
    ``rate`` of all entries are hidden. ``"mnar"``: self-masking, the
    probability grows with the entry's own value (logistic, slope 2 on the
    standardised value), ``rate`` of the entries per column.
    """
    if pattern == "mcar":
        return mcar_hide(X, rate, seed)
    rng = np.random.RandomState(seed)
    n, d = X.shape
    if pattern == "mar":
        observed = rng.permutation(d)[: max(1, int(round(MAR_OBSERVED_SHARE * d)))]
        targets = np.setdiff1d(np.arange(d), observed)
        weights = rng.randn(len(observed), len(targets))
        scores = _standardised(X[:, observed]) @ weights / np.sqrt(len(observed))
        column_rate = min(0.95, rate * d / len(targets))
        probability = expit(scores + _intercepts_for_rate(scores, column_rate))
        hidden = np.zeros((n, d), dtype=bool)
        hidden[:, targets] = rng.rand(n, len(targets)) < probability
    elif pattern == "mnar":
        scores = MNAR_SLOPE * _standardised(X)
        probability = expit(scores + _intercepts_for_rate(scores, rate))
        hidden = rng.rand(n, d) < probability
    else:
        raise ValueError(f"pattern must be one of {PATTERNS}; got {pattern!r}.")
    X_missing = np.array(X, dtype=float, copy=True)
    X_missing[hidden] = np.nan
    return X_missing, hidden
