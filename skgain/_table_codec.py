"""Mixed-type tables in and out of GAINImputer.

The networks see a float matrix: numeric columns as they are, each
categorical column (pandas ``category``, ``object``, ``string``, boolean, or
a column named in ``categorical_features``) as a block of one-hot columns, one
per category seen in ``fit``. A missing category is missing in every column
of its block, so the blocks are hidden, held out and hinted as one entry
(``column_of``). The generator's outputs for a block are logits: a softmax
turns them into the category's probabilities, trained with cross-entropy
(:class:`~skgain._engine.CategoricalHeads`). :meth:`TableCodec.decode` turns a
completed matrix back into the input's columns and dtypes; observed cells are
copied from the input itself, never decoded.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import _assert_all_finite

# More levels than this make one softmax output each too many for a column:
# the column is refused with advice rather than trained slowly and badly.
MAX_CATEGORIES = 1000
# A categorical column whose observed values are all distinct, over at least
# this many rows, is an identifier (a name, a key): nothing to learn.
_IDENTIFIER_ROWS = 20


def _is_categorical_dtype(dtype):
    if isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype, pd.BooleanDtype)):
        return True
    if pd.api.types.is_extension_array_dtype(dtype):
        return False  # the nullable numbers
    return dtype == object or np.dtype(dtype).kind in "bOSU"


def _column_label(name):
    return f"column {name!r}"


def _sorted_categories(values):
    """The distinct values, sorted when they compare (else by type, then text)."""
    distinct = pd.unique(np.asarray(values, dtype=object))
    try:
        return np.array(sorted(distinct), dtype=object)
    except TypeError:
        # An object column mixing numbers and strings: a fixed order all the same.
        return np.array(sorted(distinct, key=lambda v: (type(v).__name__, str(v))), dtype=object)


class TableCodec:
    """One fitted encoding of a table's columns (see the module docstring).

    Built by :func:`fit_codec`; holds, per input column, its kind, its
    categories (None for numbers) and its slice of the encoded matrix.
    """

    def __init__(self, names, dtypes, categories, missing_values, is_frame):
        self.names, self.dtypes, self.categories = names, dtypes, categories
        self.missing_values, self.is_frame = missing_values, is_frame
        widths = [1 if c is None or c.size == 0 else c.size for c in categories]
        self.starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(int)
        self.column_of = np.repeat(np.arange(len(widths)), widths)
        self.n_columns = int(np.sum(widths))

    @property
    def blocks(self):
        """``(start, stop)`` of each one-hot block in the encoded matrix."""
        return [(int(s), int(s) + c.size) for s, c in zip(self.starts, self.categories)
                if c is not None and c.size]

    def per_column(self, encoded_flags):
        """A per-encoded-column boolean array reduced to one flag per input column."""
        return np.asarray(encoded_flags)[self.starts]

    # ----------------------------------------------------------- reading
    def _columns(self, X):
        if self.is_frame:
            return [X.iloc[:, j] for j in range(X.shape[1])]
        X = np.asarray(X, dtype=object if _has_objects(X) else None)
        return [X[:, j] for j in range(X.shape[1])]

    def missing(self, X):
        """Boolean (n_samples, n_input_columns): where ``X`` holds ``missing_values``."""
        return np.column_stack([self._missing(col) for col in self._columns(X)])

    def _missing(self, column):
        missing = np.asarray(pd.isna(column), dtype=bool)
        marker = self.missing_values
        if not (isinstance(marker, float) and np.isnan(marker)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                missing |= np.asarray(pd.Series(column).to_numpy(dtype=object) == marker,
                                      dtype=bool)
        return missing

    def encode(self, X, name="GAINImputer"):
        """Float64 matrix of ``n_columns`` with ``missing_values`` at missing entries."""
        out = np.empty((len(X), self.n_columns), dtype=np.float64)
        marker = self.missing_values
        for j, column in enumerate(self._columns(X)):
            missing = self._missing(column)
            start, categories = self.starts[j], self.categories[j]
            if categories is None:
                values = pd.Series(column).to_numpy(dtype=object, copy=True)
                values[missing] = np.nan
                numeric = _as_numbers(values, self.names[j], name)
                numeric[missing] = marker
                out[:, start] = numeric
                continue
            if categories.size == 0:
                out[:, start] = marker
                continue
            codes = self._codes(column, missing, j)
            unseen = (codes < 0) & ~missing
            if unseen.any():
                example = np.asarray(column, dtype=object)[unseen][0]
                warnings.warn(
                    f"{name}: {_column_label(self.names[j])} holds {unseen.sum()} value(s) "
                    f"not seen in fit (e.g. {example!r}); they are imputed as if missing.",
                    UserWarning)
            block = np.zeros((len(X), categories.size))
            known = np.flatnonzero(codes >= 0)
            block[known, codes[known]] = 1.0
            block[codes < 0] = marker
            out[:, start:start + categories.size] = block
        _assert_all_finite(out, allow_nan=True, input_name="X")
        return out

    def _codes(self, column, missing, j):
        """Each cell's category index; -1 where missing or not seen in fit."""
        codes = np.full(len(missing), -1)
        values = np.asarray(column, dtype=object)[~missing]
        codes[~missing] = pd.Index(self.categories[j], dtype=object).get_indexer(values)
        return codes

    def to_impute(self, X):
        """Boolean (n_samples, n_input_columns): missing cells, and categories
        not seen in fit (which are imputed as if missing)."""
        columns = self._columns(X)
        out = self.missing(X)
        for j, categories in enumerate(self.categories):
            if categories is not None and categories.size:
                out[:, j] |= self._codes(columns[j], out[:, j], j) < 0
        return out

    # ----------------------------------------------------------- writing
    def decode(self, completed, X):
        """The input's columns and dtypes back, with ``completed``'s imputations.

        A category is its block's largest entry; an integer column's imputed
        values are rounded. Observed cells are those of ``X`` itself.
        """
        missing = self.to_impute(X)
        if not self.is_frame:
            return self._decode_array(completed, X, missing)
        out = X.copy()
        for j in range(X.shape[1]):
            rows = np.flatnonzero(missing[:, j])
            if rows.size:
                out.isetitem(j, self._filled(out.iloc[:, j], rows, completed, j))
        return out

    def _decode_array(self, completed, X, missing):
        # An object array (text categories) stays one; numbers come back as floats.
        dtype = object if _has_objects(X) else np.float64
        out = np.array(X, dtype=dtype, copy=True)
        for j in range(out.shape[1]):
            rows = missing[:, j]
            out[rows, j] = np.asarray(self._imputed(completed[rows], j), dtype=dtype)
        return out

    def _imputed(self, completed, j):
        start, categories = self.starts[j], self.categories[j]
        if categories is None:
            return completed[:, start]
        if categories.size == 0:
            return np.full(len(completed), np.nan)
        return categories[np.argmax(completed[:, start:start + categories.size], axis=1)]

    def _filled(self, column, rows, completed, j):
        values = self._imputed(completed[rows], j)
        dtype = self.dtypes[j]
        if self.categories[j] is None and pd.api.types.is_integer_dtype(dtype):
            values = np.round(values)
        if self.categories[j] is not None and self.categories[j].size == 0:
            return column  # nothing was ever observed: left missing
        filled = column.copy()
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_extension_array_dtype(dtype):
            filled.iloc[rows] = pd.array(values, dtype=dtype)
            return filled
        filled = filled.astype(object) if dtype == object else filled
        filled.iloc[rows] = values
        return filled.astype(dtype) if dtype != object else filled


def _has_objects(X):
    return np.asarray(X).dtype == object


def _as_numbers(values, column, name):
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}: {_column_label(column)} mixes numbers with other values ({exc}); "
            "name it in categorical_features to impute it as categories."
        ) from exc


def _selected_columns(categorical_features, names, n_features):
    """Indices of ``categorical_features`` (a mask, indices or column names)."""
    selected = np.asarray(categorical_features)
    if selected.dtype == bool:
        if selected.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask needs {n_features} entries, "
                f"got shape {selected.shape}."
            )
        return np.flatnonzero(selected)
    selected = selected.ravel()
    if selected.size and selected.dtype.kind in "OUS":
        if names is None:
            raise ValueError("categorical_features holds column names, but X has none; "
                             "give column indices.")
        unknown = [v for v in selected if v not in list(names)]
        if unknown:
            raise ValueError(f"categorical_features names columns not in X: {unknown}.")
        return np.array([list(names).index(v) for v in selected], dtype=int)
    if selected.size and not np.issubdtype(selected.dtype, np.integer):
        raise ValueError("categorical_features must hold integer indices, booleans or "
                         "column names.")
    selected = selected.astype(int)
    if np.any((selected < 0) | (selected >= n_features)):
        raise ValueError(
            f"categorical_features has indices outside [0, {n_features}): {selected}."
        )
    return selected


def fit_codec(X, categorical_features, missing_values, name="GAINImputer"):
    """The :class:`TableCodec` of ``X``, or None for an all-numeric table
    (which the imputers take as it is).

    A DataFrame's ``category``, ``object``, ``string`` and boolean columns
    are categorical, and so are the columns ``categorical_features`` names.
    """
    is_frame = isinstance(X, pd.DataFrame)
    if not is_frame and categorical_features is None:
        return None
    if not is_frame and not hasattr(X, "shape"):
        X = np.asarray(X, dtype=object if _has_objects(X) else None)
    if not is_frame and np.ndim(X) != 2:
        return None  # validate_data gives the error
    names = list(X.columns) if is_frame else None
    n_features = X.shape[1]
    selected = set()
    if categorical_features is not None:
        selected = set(_selected_columns(categorical_features, names, n_features).tolist())
    if is_frame:
        selected |= {j for j, dtype in enumerate(X.dtypes) if _is_categorical_dtype(dtype)}
        _check_supported_dtypes(X, name)
    if not selected:
        return None
    names = names or list(range(n_features))
    dtypes = list(X.dtypes) if is_frame else [np.asarray(X).dtype] * n_features
    codec = TableCodec(names, dtypes, [None] * n_features, missing_values, is_frame)
    columns = codec._columns(X)
    categories = [None] * n_features
    for j in sorted(selected):
        observed = np.asarray(columns[j], dtype=object)[~codec._missing(columns[j])]
        categories[j] = _checked_categories(observed, names[j], name)
    return TableCodec(names, dtypes, categories, missing_values, is_frame)


def has_categorical_columns(X):
    """Whether ``X`` is a DataFrame with a categorical (non-numeric) column."""
    return isinstance(X, pd.DataFrame) and any(_is_categorical_dtype(d) for d in X.dtypes)


def _check_supported_dtypes(X, name):
    for column, dtype in X.dtypes.items():
        if not (_is_categorical_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
            raise ValueError(
                f"{name}: {_column_label(column)} has dtype {dtype}, which is neither numeric "
                "nor categorical; convert it (e.g. a datetime to a number of days) or drop it."
            )


def _checked_categories(observed, column, name):
    categories = _sorted_categories(observed)
    if categories.size > MAX_CATEGORIES:
        raise ValueError(
            f"{name}: {_column_label(column)} has {categories.size} distinct values, more than "
            f"the {MAX_CATEGORIES} categories a column may have (each is one output of the "
            "network); drop it, or group its rare values first."
        )
    if categories.size == observed.size >= _IDENTIFIER_ROWS:
        raise ValueError(
            f"{name}: every observed value of {_column_label(column)} is distinct "
            f"({observed.size} of them): an identifier, which cannot be imputed from the other "
            "columns; drop it before imputing."
        )
    return categories
