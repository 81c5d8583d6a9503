"""Real mixed-type tables, MCAR hiding for DataFrames, and the mixed-table metrics.

Five real tables with numeric and categorical columns, all read from files that
installed packages ship (no download), each returned as a complete pandas
DataFrame (rows with a missing value dropped) with real pandas dtypes:

============== ========== ============================================================
table          rows x cols where it comes from
============== ========== ============================================================
penguins       333 x 8    ``palmerpenguins.load_penguins()`` (the palmerpenguins
                          package's CSV: Palmer Station LTER, Gorman et al. 2014):
                          species, island, sex (``str``), four measurements (two
                          ``float64``, flipper length and body mass ``int64`` as in
                          the R package) and year (``int64``)
cars           392 x 8    ``vega_datasets.local_data.cars()`` (the vega_datasets
                          package's ``cars.json``: UCI Auto MPG): Origin
                          (``category``), Cylinders, Weight_in_lbs and model Year
                          (``int64``), four ``float64``; the car's Name, a free-text
                          identifier with 301 values on 392 rows, is dropped
seattle        1461 x 7   ``vega_datasets.local_data.seattle_weather()`` (Seattle's
                          daily weather 2012-2015, NOAA via Vega): weather
                          (``object``: sun, fog, rain, drizzle, snow), precipitation,
                          temp_max, temp_min and wind (``float64``); the date becomes
                          year and month (``int64``)
anes96         944 x 10   ``statsmodels.datasets.anes96`` (American National Election
                          Studies 1996): party identification PID and education educ
                          (``category``, with the labels of the dataset's
                          description), expected vote (``string``: Clinton, Dole),
                          TVnews, selfLR, ClinLR, DoleLR, age, income bracket
                          (``int64``), popul (``float64``); logpopul, a function of
                          popul, is dropped
modechoice     840 x 8    ``statsmodels.datasets.modechoice`` (Greene and Hensher
                          1997: 210 trips between Sydney, Canberra and Melbourne, one
                          row per trip and mode): mode (``category``: air, train,
                          bus, car), choice (``bool``), ttme, invc, invt, gc, hinc,
                          psize (``int64``); the traveller's id is dropped
============== ========== ============================================================

The five were chosen before any imputer ran on them, for having both kinds of
column and a few hundred to a few thousand rows; between them they carry every
dtype the issue names (``category``, ``object``, ``str``/``string``, ``bool``,
integers, floats). :func:`hide_mcar` hides a seeded share of the entries, each
cell with the missing marker its dtype takes (``NaN`` for floats, categories and
``str``, ``None`` for ``object``, ``pd.NA`` for integers and booleans, which
become the nullable ``Int64`` and ``boolean``, as a table with holes would
carry them).
"""

import warnings

import numpy as np
import pandas as pd

MIXED_TABLES = ("penguins", "cars", "seattle", "anes96", "modechoice")
# Tables no default or partner was designed on, to confirm what the five above
# showed: vega_datasets' iris (species as text) and statsmodels' grunfeld
# (investment of 11 US firms 1935-1954, firm as text).
CONFIRM_TABLES = ("iris", "grunfeld")

ANES96_PID = ("Strong Democrat", "Weak Democrat", "Independent-Democrat",
              "Independent-Independent", "Independent-Republican", "Weak Republican",
              "Strong Republican")
ANES96_EDUC = ("1-8 grades", "Some high school", "High school graduate", "Some college",
               "College degree", "Master's degree", "PhD")
ANES96_VOTE = ("Clinton", "Dole")
MODECHOICE_MODE = ("air", "train", "bus", "car")


def load_mixed(name):
    """The complete mixed-type table ``name`` (one of :data:`MIXED_TABLES`)."""
    loaders = {"penguins": _penguins, "cars": _cars, "seattle": _seattle,
               "anes96": _anes96, "modechoice": _modechoice, "iris": _iris,
               "grunfeld": _grunfeld}
    if name not in loaders:
        raise ValueError(f"Unknown mixed table {name!r}; choose one of "
                         f"{MIXED_TABLES + CONFIRM_TABLES}.")
    return loaders[name]().reset_index(drop=True)


def _penguins():
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna()
    frame = frame.astype({"flipper_length_mm": "int64", "body_mass_g": "int64"})
    for column in ("species", "island", "sex"):
        frame[column] = frame[column].astype("str")
    return frame


def _vega(name):
    """A vega_datasets local table (its read_json keyword warns under pandas 3)."""
    from vega_datasets import local_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(local_data, name)()


def _cars():
    frame = _vega("cars").drop(columns="Name").dropna()
    frame["Year"] = frame["Year"].dt.year.astype("int64")
    frame["Origin"] = frame["Origin"].astype("category")
    return frame


def _seattle():
    frame = _vega("seattle_weather").dropna()
    date = frame.pop("date")
    frame.insert(0, "year", date.dt.year.astype("int64"))
    frame.insert(1, "month", date.dt.month.astype("int64"))
    frame["weather"] = frame["weather"].astype(object)
    return frame


def _iris():
    frame = _vega("iris")
    frame["species"] = frame["species"].astype(object)
    return frame


def _grunfeld():
    import statsmodels.api as sm

    frame = sm.datasets.grunfeld.load_pandas().data
    frame["year"] = frame["year"].astype("int64")
    frame["firm"] = frame["firm"].astype(object)
    return frame


def _labels(codes, labels, first=0):
    return pd.Categorical.from_codes(codes.astype(int) - first, categories=list(labels))


def _anes96():
    import statsmodels.api as sm

    frame = sm.datasets.anes96.load_pandas().data.drop(columns="logpopul")
    frame["PID"] = _labels(frame["PID"], ANES96_PID)
    frame["educ"] = _labels(frame["educ"], ANES96_EDUC, first=1)
    frame["vote"] = pd.array(np.asarray(ANES96_VOTE)[frame["vote"].astype(int)],
                             dtype="string")
    integers = ["TVnews", "selfLR", "ClinLR", "DoleLR", "age", "income"]
    return frame.astype({column: "int64" for column in integers})


def _modechoice():
    import statsmodels.api as sm

    frame = sm.datasets.modechoice.load_pandas().data.drop(columns="individual")
    frame["mode"] = _labels(frame["mode"], MODECHOICE_MODE, first=1)
    frame["choice"] = frame["choice"].astype(bool)
    integers = ["ttme", "invc", "invt", "gc", "hinc", "psize"]
    return frame.astype({column: "int64" for column in integers})


def is_categorical(series):
    """Whether a column is categorical: anything but a non-boolean number."""
    return pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
        series.dtype)


def split_columns(frame):
    """``(numeric, categorical)`` column names of ``frame``, in its order."""
    categorical = [c for c in frame.columns if is_categorical(frame[c])]
    return [c for c in frame.columns if c not in categorical], categorical


def with_missing(series, hidden):
    """``series`` with the entries where ``hidden`` is True missing, in the dtype's marker."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        series = series.astype("boolean")
    elif pd.api.types.is_integer_dtype(dtype):
        series = series.astype("Int64")
    if series.dtype == object:
        return series.where(~hidden, None)
    # The dtype's own marker: NaN for floats, categories and str, pd.NA for
    # Int64, boolean and string.
    return series.mask(hidden)


def hide_mcar(frame, rate, seed):
    """``frame`` with a share ``rate`` of its entries hidden at random, and the mask.

    The mask is ``np.random.RandomState(seed).rand(*frame.shape) < rate`` (the
    numeric benchmarks' :func:`benchmarks._common.mcar_hide`); a cell takes its
    dtype's missing marker (see the module docstring). Returns a new DataFrame
    and the boolean mask; the observed cells are unchanged.
    """
    hidden = np.random.RandomState(seed).rand(*frame.shape) < rate
    missing = pd.DataFrame(
        {column: with_missing(frame[column], hidden[:, j])
         for j, column in enumerate(frame.columns)}, index=frame.index)
    return missing, hidden


def numeric_ranges(frame, numeric):
    """``(min, range)`` of the numeric columns of the complete ``frame`` (range 0 -> 1)."""
    values = frame[numeric].to_numpy(dtype=float)
    low = values.min(axis=0)
    spread = values.max(axis=0) - low
    return low, np.where(spread > 0, spread, 1.0)


def _as_float(frame, columns):
    return np.column_stack([
        pd.to_numeric(frame[c], errors="raise").astype("Float64").to_numpy(
            dtype=float, na_value=np.nan) for c in columns]) if columns else np.empty(
        (len(frame), 0))


def mixed_errors(truth, imputed, hidden, ranges=None):
    """Numeric RMSE (min-max scaled) and categorical error rate on the hidden entries.

    ``truth`` is the complete frame, ``imputed`` an imputer's output (same
    columns, same rows), ``hidden`` the mask of hidden entries. RMSE pools
    every hidden numeric entry after scaling each column by ``ranges`` (the
    complete table's ``(min, range)``, :func:`numeric_ranges` of ``truth``
    when None); the error rate is the share of hidden categorical entries whose
    imputed value differs from the true one. An imputer that leaves a hidden
    entry missing is an error: ``ValueError``. Returns a dict with ``rmse``,
    ``error_rate`` (None where the table has no such hidden entry) and the
    counts ``n_numeric`` and ``n_categorical``.
    """
    numeric, categorical = split_columns(truth)
    hidden = np.asarray(hidden, dtype=bool)
    if list(imputed.columns) != list(truth.columns) or len(imputed) != len(truth):
        raise ValueError("imputed must have the complete table's columns and rows.")
    position = {c: j for j, c in enumerate(truth.columns)}
    result = {"rmse": None, "error_rate": None, "n_numeric": 0, "n_categorical": 0}
    if numeric:
        low, spread = ranges if ranges is not None else numeric_ranges(truth, numeric)
        mask = hidden[:, [position[c] for c in numeric]]
        true_values = (_as_float(truth, numeric) - low) / spread
        values = (_as_float(imputed, numeric) - low) / spread
        if np.isnan(values[mask]).any():
            raise ValueError("the imputer left hidden numeric entries missing.")
        if mask.any():
            result["rmse"] = float(np.sqrt(np.mean((values - true_values)[mask] ** 2)))
        result["n_numeric"] = int(mask.sum())
    if categorical:
        wrong, count = 0, 0
        for column in categorical:
            rows = hidden[:, position[column]]
            guess = imputed[column].to_numpy(dtype=object)[rows]
            if pd.isna(guess).any():
                raise ValueError(f"the imputer left hidden entries of {column!r} missing.")
            true_values = truth[column].to_numpy(dtype=object)[rows]
            wrong += int(sum(g != t for g, t in zip(guess, true_values)))
            count += int(rows.sum())
        if count:
            result["error_rate"] = wrong / count
        result["n_categorical"] = count
    return result


def interval_coverage(truth, draws, hidden, spread, level=0.9):
    """Coverage and mean scaled width of the central ``level`` interval of the draws.

    ``truth`` (n, d) numbers, ``draws`` (n_draws, n, d), ``hidden`` (n, d)
    mask, ``spread`` (d,) the complete table's column ranges. The interval of
    an entry runs from the ``(1 - level) / 2`` to the ``(1 + level) / 2``
    quantile of its draws (numpy's linear interpolation), both ends included.
    Returns ``(coverage, mean_width)``, the width divided by the column's range.
    """
    draws = np.asarray(draws, dtype=float)
    hidden = np.asarray(hidden, dtype=bool)
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    inside = (low <= truth) & (truth <= high)
    width = (high - low) / np.asarray(spread, dtype=float)
    return float(inside[hidden].mean()), float(width[hidden].mean())


def category_frequencies(draws, levels):
    """(n_entries, n_levels): the share of draws giving each level, per entry.

    ``draws`` is (n_draws, n_entries) of values; ``levels`` the categories.
    """
    draws = np.asarray(draws, dtype=object)
    return np.stack([(draws == level).mean(axis=0) for level in levels], axis=1)


def brier_score(probabilities, truth, levels):
    """Multi-class Brier score: mean over entries of sum_k (p_k - [y = k])^2."""
    onehot = np.stack([np.asarray(truth, dtype=object) == level for level in levels], axis=1)
    return float(np.mean(np.sum((np.asarray(probabilities) - onehot) ** 2, axis=1)))


def expected_calibration_error(probabilities, truth, levels, n_bins=10):
    """Top-label expected calibration error of category frequencies.

    Each entry's confidence is its largest frequency, its prediction that
    level (the first of ties); see :func:`calibration_error`.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = np.asarray(levels, dtype=object)[probabilities.argmax(axis=1)]
    return calibration_error(probabilities.max(axis=1),
                             predicted == np.asarray(truth, dtype=object), n_bins)


def calibration_error(confidence, correct, n_bins=10):
    """ECE: entries in ``n_bins`` equal bins of ``confidence`` on [0, 1] (1 in the last),
    the entry-weighted mean over bins of |share correct - mean confidence|."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    error = 0.0
    for b in np.unique(bins):
        members = bins == b
        error += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(error)
