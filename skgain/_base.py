"""Shared base class of every skgain imputer.

It owns what all imputers share: input validation, the missing-value mask,
per-feature min-max scaling, empty features, the missing indicator, device and
random-state handling, batching helpers, ``get_feature_names_out`` and
``score``. Subclasses implement two hooks that see scaled data only:

* ``_fit_scaled(X, mask, rng)`` trains on ``X`` (scaled to [0, 1], missing
  entries set to 0) where ``mask`` is 1 for observed entries;
* ``_impute_scaled(X, mask)`` returns a completed scaled matrix.

The base maps the result back to the original units and copies every observed
entry back bit for bit, so no subclass can change an observed value.

Every public method reads its input as rows and gives its output the input's
shape through two more hooks, "rows in, shape out":
``_to_rows(X, in_fit)`` returns the validated rows and the shape of one
sample (None for rows; SpatialGAIN reads images of shape (n, H, W) or
(n, H, W, C)), and ``_from_rows(X_rows, sample_shape)`` reshapes output rows.
"""

import contextlib
import copy
import functools
import inspect
import numbers
import os
import warnings
from abc import abstractmethod

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data
# threadpoolctl comes with scikit-learn (one of its own dependencies).
from threadpoolctl import ThreadpoolController

_SEED_HIGH = 2**31 - 1


# n_jobs: a positive number of threads, -1 for every core, -2 all but one...
_N_JOBS = [Interval(numbers.Integral, 1, None, closed="left"),
           Interval(numbers.Integral, None, -1, closed="right"), None]


def resolve_n_jobs(n_jobs):
    """The CPU threads ``n_jobs`` asks for: None is 1, -1 every core, -2 all but one."""
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


@functools.lru_cache(maxsize=1)
def _thread_pools():
    """The BLAS and OpenMP libraries loaded in this process, found once: the
    search walks every loaded library, too slow and too much memory for each
    ``transform``."""
    return ThreadpoolController()


@contextlib.contextmanager
def cpu_threads(n_jobs):
    """Run torch, BLAS and OpenMP on the threads ``n_jobs`` asks for, then restore
    the caller's counts.

    One thread by default: on a machine shared with other jobs, torch's
    spinning threads wait for each other and a fit can take a hundred times
    longer (issue 33); the networks of tables are small enough that a second
    thread buys little even on an idle machine.
    """
    wanted, before = resolve_n_jobs(n_jobs), torch.get_num_threads()
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        with _thread_pools().limit(limits=wanted):
            yield
    finally:
        if wanted != before:
            torch.set_num_threads(before)


def with_cpu_threads(method):
    """Decorate a public method so that it runs within :func:`cpu_threads`."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        # Checked here, before fit's own validation, which runs inside.
        validate_parameter_constraints({"n_jobs": _N_JOBS}, {"n_jobs": self.n_jobs},
                                       caller_name=type(self).__name__)
        with cpu_threads(self.n_jobs):
            return method(self, *args, **kwargs)

    return run


def _non_numeric_columns(X):
    """Names the columns of ``X`` whose values are not all numbers (for errors)."""
    if hasattr(X, "columns"):
        columns = list(X.columns)
        frame = X
    else:
        array = np.asarray(X, dtype=object)
        array = array.reshape(len(array), -1) if array.ndim != 2 else array
        columns, frame = list(range(array.shape[1])), None

    def numeric(j):
        values = frame.iloc[:, j] if frame is not None else array[:, j]
        try:
            np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return True

    bad = [columns[j] for j in range(len(columns)) if not numeric(j)]
    label = "columns" if hasattr(X, "columns") else "column indices"
    return f"{label} {bad}"


def _is_nan_marker(value):
    return isinstance(value, numbers.Real) and np.isnan(value)


def missing_mask(X, missing_values):
    """Boolean mask, True where ``X`` holds ``missing_values`` (NaN aware)."""
    if _is_nan_marker(missing_values):
        return np.isnan(X)
    return X == missing_values


# Device types the networks and solvers run on (each checked for availability).
_TRAINING_DEVICES = ("cpu", "cuda", "mps")


def resolve_device(device):
    """Turn a ``device`` parameter into a torch device string.

    ``"auto"`` picks CUDA when it is available, else the CPU. Any other string
    must name a device torch knows, of a type that computes on real data
    (``_TRAINING_DEVICES``), and that is usable on this machine.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from exc
    if resolved.type not in _TRAINING_DEVICES:
        # "meta" tensors have shapes but no data: torch fails deep inside the
        # first computation, far from the parameter that caused it.
        raise ValueError(
            f"device={device!r} cannot train or impute: use 'auto', or a device of type "
            f"{', '.join(repr(t) for t in _TRAINING_DEVICES)}."
        )
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available.")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was asked for but MPS is not available.")
    return str(resolved)


def torch_generator(seed, device="cpu"):
    """A local torch generator seeded with ``seed`` (never the global one).

    A ``torch.Generator`` passed as ``seed`` is returned as it is, so that
    code imputing block after block keeps drawing from one stream.
    """
    if isinstance(seed, torch.Generator):
        return seed
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def draw_seed(rng):
    """Draw one integer seed from a numpy ``RandomState``."""
    return int(rng.randint(_SEED_HIGH))


def rmse(estimate, truth):
    """Root mean squared difference of two arrays of the same shape."""
    return float(np.sqrt(np.mean((estimate - truth) ** 2)))


def observed_means(X, mask):
    """Mean of the entries of each column of ``X`` where ``mask`` is 1 (0 if none).

    Summed in float64 block by block, so no copy of ``X`` is made.
    """
    total = np.zeros(X.shape[1])
    count = np.zeros(X.shape[1])
    for block in batch_slices(X.shape[0], block_rows(X.shape, 1)):
        total += (X[block] * mask[block]).sum(axis=0, dtype=np.float64)
        count += mask[block].sum(axis=0, dtype=np.float64)
    return total / np.maximum(count, 1)


def batch_slices(n_samples, batch_size):
    """Consecutive slices of at most ``batch_size`` rows covering ``n_samples``."""
    for start in range(0, n_samples, batch_size):
        yield slice(start, min(start + batch_size, n_samples))


# Row blocks of the matrix-wide steps (scaling, completing) hold at most
# this many entries, and at most a 16th of the rows: their temporaries stay
# a small fraction of the input, however large it is.
_BLOCK_ENTRIES = 2**20
_BLOCK_SHARE = 16


def block_rows(shape, multiple_of=1):
    """Rows per block of a matrix of ``shape``: a multiple of ``multiple_of``."""
    n_samples, n_features = shape
    rows = min(_BLOCK_ENTRIES // max(n_features, 1), -(-n_samples // _BLOCK_SHARE))
    return max(multiple_of, rows // multiple_of * multiple_of)


def _same_value(value, default):
    """``value == default`` for parameters that may be arrays or tuples."""
    try:
        return bool(np.all(np.asarray(value, dtype=object) == np.asarray(default, dtype=object)))
    except (TypeError, ValueError):
        return value is default


def observed_range(X, missing):
    """Per-feature min and max of the observed entries, block by block (NaN if none)."""
    data_min = np.full(X.shape[1], np.nan, dtype=X.dtype)
    data_max = data_min.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        for block in batch_slices(X.shape[0], block_rows(X.shape)):
            observed = np.where(missing[block], np.nan, X[block])
            data_min = np.fmin(data_min, np.nanmin(observed, axis=0))
            data_max = np.fmax(data_max, np.nanmax(observed, axis=0))
    return data_min, data_max


def fit_grouped_scaler(X, missing, groups, check_range, labels):
    """Min-max scaling with one minimum and range per group of features.

    The one scaler of the package: per feature (tables), per channel or per
    image (images) are groupings of the features.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data; entries where ``missing`` is True are ignored. Read in blocks
        of rows, never copied whole.
    missing : ndarray of bool, shape (n_samples, n_features)
    groups : ndarray of int, shape (n_features,)
        Group of each feature, from 0 to n_groups - 1.
    check_range : callable
        ``check_range(low, high, labels)`` returns ``high - low`` or raises
        a ValueError where it overflows (``BaseImputer._check_finite_range``).
    labels : list of str or None
        One name per group (None: "feature i").

    Returns
    -------
    data_min, data_range : ndarray of shape (n_features,)
        Of X's dtype; the range is 1 where the group is constant or empty.
    empty : ndarray of bool, shape (n_features,)
        Features whose group has no observed value (min 0, range 1).
    constant : ndarray of bool, shape (n_features,)
        Features whose group holds one observed value: imputed with it.
    """
    column_min, column_max = observed_range(X, missing)
    n_groups = int(groups.max()) + 1
    low = np.full(n_groups, np.inf, dtype=X.dtype)
    high = np.full(n_groups, -np.inf, dtype=X.dtype)
    # fmin/fmax skip the NaN of columns with no observed value.
    np.fmin.at(low, groups, column_min)
    np.fmax.at(high, groups, column_max)
    empty = ~np.isfinite(low)
    low[empty], high[empty] = 0.0, 1.0
    data_range = check_range(low, high, labels)
    constant = (data_range == 0) & ~empty
    data_range[data_range == 0] = 1.0
    return low[groups], data_range[groups], empty[groups], constant[groups]


class BaseImputer(TransformerMixin, BaseEstimator):
    """Base class for skgain imputers (private; not part of the public API).

    Parameters common to all subclasses are ``missing_values``,
    ``add_indicator``, ``keep_empty_features``, ``device`` and
    ``random_state``; their constraints live in ``_parameter_constraints``.
    """

    _parameter_constraints = {
        "missing_values": [numbers.Real, None],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "device": [str],
        "n_jobs": _N_JOBS,
        "random_state": ["random_state"],
    }

    # Fraction of observed entries hidden by ``score``.
    _score_fraction = 0.2

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _fit_scaled(self, X, mask, rng):
        """Train on scaled ``X`` (missing entries 0) with observed ``mask``.

        May return the completed scaled ``X`` (used by ``fit_transform``) or None.
        Its keyword-only parameters, if any, are the options of ``fit``
        (SpatialGAIN's ``drop_masks`` and ``validation_set``).
        """

    @abstractmethod
    def _impute_scaled(self, X, mask):
        """Return scaled ``X`` with every entry filled (observed ones may be kept)."""

    # ------------------------------------------------------------- validation
    def _validate_input(self, X, in_fit):
        if self.missing_values is None:
            raise ValueError("missing_values=None is not supported; use np.nan or a number.")
        allow_nan = _is_nan_marker(self.missing_values)
        try:
            X = validate_data(
                self,
                X,
                reset=in_fit,
                accept_sparse=False,
                dtype=FLOAT_DTYPES,
                ensure_all_finite="allow-nan" if allow_nan else True,
                # X is only read: every result is written to new arrays.
                copy=False,
            )
        except ValueError as exc:
            if "could not convert" in str(exc):
                raise ValueError(
                    f"{type(self).__name__} accepts numeric data only; got non-numeric values "
                    f"in {_non_numeric_columns(X)} ({exc}). Encode those columns first, e.g. "
                    "with a sklearn.compose.ColumnTransformer that sends them to an "
                    "OrdinalEncoder or OneHotEncoder (and imputes them with "
                    "SimpleImputer(strategy='most_frequent')) and the numeric ones here; "
                    "or impute them with GAINImputer, which takes categorical columns (a "
                    "DataFrame's, or those named in its categorical_features)."
                ) from exc
            raise
        return X

    def _to_rows(self, X, in_fit):
        """``(rows, sample_shape)``: ``X`` validated as a 2-D array of rows, and
        the shape of one sample for :meth:`_from_rows` (None: rows stay rows).

        The one hook between a public method's input and the rows the rest
        of the base works on; ``in_fit`` as in :meth:`_validate_input`. Rows
        here; SpatialGAIN flattens images (and resolves, in ``fit``, the
        settings that depend on their shape).
        """
        return self._validate_input(X, in_fit), None

    def _from_rows(self, X_rows, sample_shape):
        """Output rows in the shape :meth:`_to_rows` read (None: rows)."""
        if sample_shape is None:
            return X_rows
        return X_rows.reshape((X_rows.shape[0],) + tuple(sample_shape))

    def _input_rows(self, X):
        """``_to_rows(X)`` for a fitted imputer: ``(rows, sample_shape)``."""
        check_is_fitted(self)
        return self._to_rows(X, in_fit=False)

    def _check_transform_input(self, X):
        """The validated rows of ``X`` for a fitted imputer (images flattened)."""
        return self._input_rows(X)[0]

    def _check_output_container(self, sample_shape):
        """Refuse a data-frame output (``set_output``) for N-D input, which
        ``transform`` returns in its own shape."""
        container = _get_output_config("transform", self)["dense"]
        if sample_shape is not None and container != "default":
            raise ValueError(
                f"set_output(transform={container!r}) returns 2-D tables, but X holds images "
                f"of shape {tuple(sample_shape)} that transform returns in that shape: pass X "
                "as 2-D rows (n_samples, H*W*C) with image_shape, or use "
                "set_output(transform='default')."
            )

    # ---------------------------------------------------------------- scaling
    def _changed_from_default(self, names):
        """Those of ``names`` whose value differs from the ``__init__`` default."""
        defaults = inspect.signature(type(self).__init__).parameters
        params = self.get_params(deep=False)
        return [name for name in names if not _same_value(params[name], defaults[name].default)]

    def _scaling_groups(self, n_features):
        """``(groups, labels)``: features scaled together share a group index.

        One group per feature here; SpatialGAIN groups by channel or image.
        """
        names = getattr(self, "feature_names_in_", None)
        labels = None if names is None else [f"feature {name!r}" for name in names]
        return np.arange(n_features), labels

    def _fit_scaler(self, X, missing):
        # A constant feature (or group) scales to 0 and is imputed with its one value.
        groups, labels = self._scaling_groups(X.shape[1])
        (self.data_min_, self.data_range_, self._empty_features,
         self._constant_features) = fit_grouped_scaler(
            X, missing, groups, self._check_finite_range, labels)

    def _check_finite_range(self, data_min, data_max, names=None):
        """Return ``data_max - data_min``; raise a ValueError where it overflows.

        Values near the largest float (e.g. +-1.7e308) are valid input, but
        their range is infinite, and min-max scaling then turns every entry
        into 0 or NaN. Failing here names the data as the cause, instead of
        a later divergence that looks like a bad learning rate.

        Parameters
        ----------
        data_min, data_max : ndarray of shape (n,)
            Smallest and largest observed value of each feature (or channel,
            or of the whole image: any unit a subclass scales by).
        names : sequence of str or None, default=None
            One label per entry, e.g. ``"channel 0"``; None labels them
            ``"feature 0"``, ``"feature 1"``, ...

        Returns
        -------
        data_range : ndarray of shape (n,)
            ``data_max - data_min``, every entry finite.

        Raises
        ------
        ValueError
            If any range overflows the data's floating-point type.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            data_range = data_max - data_min
        bad = np.flatnonzero(~np.isfinite(data_range))
        if bad.size == 0:
            return data_range
        if names is None:
            names = [f"feature {i}" for i in range(len(data_range))]
        listed = ", ".join(str(names[i]) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
        first = bad[0]
        raise ValueError(
            f"{type(self).__name__} cannot min-max scale X: the range (max - min) of "
            f"{listed} overflows {data_range.dtype} ({names[first]} spans "
            f"{data_min[first]:.3g} to {data_max[first]:.3g}). Rescale the data first, e.g. "
            "divide those features by a large power of ten."
        )

    # dtype of the scaled matrix that ``_fit_scaled`` trains on (None: X's).
    _scaled_dtype = None

    def _scale(self, X, missing, dtype=None):
        """``X`` min-max scaled, missing entries 0, computed block by block.

        The arithmetic is X's; the result is cast to ``dtype`` (default X's).
        """
        scaled = np.empty(X.shape, dtype=dtype or X.dtype)
        for block in batch_slices(X.shape[0], block_rows(X.shape)):
            values = (X[block] - self.data_min_) / self.data_range_
            values[missing[block]] = 0.0
            scaled[block] = values
        return scaled

    # ---------------------------------------------------------------- fitting
    def _fit(self, X, *, for_output=False, **options):
        """Validate, scale and train (``options`` go to ``_fit_scaled``); returns
        the rows of X, their mask and the hook's output.

        The shape of a sample of X is kept in ``_fit_sample_shape``;
        ``for_output`` (``fit_transform``) checks first that the output
        container can hold the output in that shape.
        """
        self._check_fit_options(options)
        self._validate_params()
        X, self._fit_sample_shape = self._to_rows(X, in_fit=True)
        if for_output:
            self._check_output_container(self._fit_sample_shape)
        missing = missing_mask(X, self.missing_values)
        if missing.all():
            raise ValueError(
                f"{type(self).__name__} needs at least one observed value; every entry of X "
                f"is missing (missing_values={self.missing_values!r})."
            )
        self._fit_scaler(X, missing)
        self.device_ = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        # A fixed seed stored at fit makes every later transform deterministic.
        self._transform_seed = draw_seed(rng)
        self._fit_indicator(X)
        scaled = self._scale(X, missing, self._scaled_dtype)
        # _fit_scaled owns both arrays and may change them in place.
        completed = self._fit_scaled(scaled, (~missing).astype(np.float32), rng, **options)
        return X, missing, completed

    def _check_fit_options(self, options):
        """Raise a TypeError for a keyword of ``fit`` that is none of its
        options, the keyword-only parameters of ``_fit_scaled``."""
        parameters = inspect.signature(self._fit_scaled).parameters.values()
        taken = [p.name for p in parameters if p.kind == p.KEYWORD_ONLY]
        unknown = [name for name in options if name not in taken]
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected keyword arguments {unknown}; "
                + (f"its options are {', '.join(taken)}." if taken else "it takes none.")
            )

    @with_cpu_threads
    def fit(self, X, y=None, **fit_params):
        """Fit the imputer on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries marked by ``missing_values``; for
            :class:`SpatialGAINImputer` also images of shape (n, H, W) or
            (n, H, W, C).
        y : None
            Ignored; present for API consistency.
        **fit_params : dict
            Options of the training, by keyword: :class:`SpatialGAINImputer`
            takes ``drop_masks`` and ``validation_set`` (see its Notes); the
            other imputers take none. Any other keyword raises a TypeError.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        self._fit(X, **fit_params)
        return self

    @with_cpu_threads
    def fit_transform(self, X, y=None):
        """Fit on ``X`` and return it completed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries marked by ``missing_values``; for
            :class:`SpatialGAINImputer` also images of shape (n, H, W) or
            (n, H, W, C).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            ``X`` completed, formatted as by :meth:`transform` (images in
            their shape).
        """
        X, missing, completed = self._fit(X, for_output=True)
        if completed is None:
            X_out = self._impute_rows(X, missing, self._row_imputer(self._transform_seed))
            return self._from_rows(X_out, self._fit_sample_shape)

        # The training routine already completed X (e.g. matrix completion).
        def impute(scaled, mask):
            return completed

        X_out = self._impute_rows(X, missing, impute, by_blocks=False)
        return self._from_rows(X_out, self._fit_sample_shape)

    def _fit_indicator(self, X):
        if self.add_indicator:
            self.indicator_ = MissingIndicator(
                missing_values=self.missing_values, error_on_new=False
            ).fit(X)
        else:
            self.indicator_ = None

    # --------------------------------------------------------------- imputing
    # Rows of a block of ``transform`` are a multiple of this; None: every
    # row at once (a subclass whose rows are not imputed independently).
    _block_multiple = None

    def _row_imputer(self, seed):
        """The ``impute(scaled, mask)`` of ``transform``, called block after block."""
        return self._impute_scaled

    def _impute_rows(self, X, missing, impute, by_blocks=True):
        """``_finish(_complete(...))`` block by block into one output buffer.

        Blocks keep the temporaries of scaling and unscaling small; the
        output is allocated once, in its final shape.
        """
        if not by_blocks or self._block_multiple is None:
            return self._finish(self._complete(X, missing, impute), X)
        out = None
        for block in batch_slices(X.shape[0], block_rows(X.shape, self._block_multiple)):
            done = self._finish(self._complete(X[block], missing[block], impute), X[block])
            if out is None:
                out = np.empty((X.shape[0],) + done.shape[1:], dtype=done.dtype)
            out[block] = done
        return out

    def _complete(self, X, missing, impute):
        """Impute ``X`` in original units with ``impute(scaled, mask)``."""
        filled = impute(self._scale(X, missing), (~missing).astype(np.float32))
        filled = np.asarray(filled, dtype=X.dtype) * self.data_range_ + self.data_min_
        filled[:, self._constant_features] = self.data_min_[self._constant_features]
        if not np.all(np.isfinite(filled[missing])):
            raise RuntimeError(
                f"{type(self).__name__} produced non-finite imputations; the fitted model is "
                "broken (try a smaller learning_rate)."
            )
        # Observed entries go back bit for bit.
        return np.where(missing, filled, X)

    def _finish(self, X_imputed, X):
        """Apply the empty-feature rule and append the missing indicator."""
        empty = self._empty_features
        if self.keep_empty_features:
            X_imputed[:, empty] = 0.0
        else:
            X_imputed = X_imputed[:, ~empty]
        if self.add_indicator:
            X_imputed = np.hstack([X_imputed, self.indicator_.transform(X).astype(X_imputed.dtype)])
        return X_imputed

    @with_cpu_threads
    def transform(self, X):
        """Impute all missing entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to complete, with the number of features seen in ``fit``;
            for :class:`SpatialGAINImputer` also images of the shape seen in
            ``fit``, (n, H, W) or (n, H, W, C).

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            ``X`` with missing entries imputed. Observed entries are returned
            unchanged. Features with no observed value in ``fit`` are dropped
            unless ``keep_empty_features=True`` (then they are set to 0), and
            the missing indicator is appended when ``add_indicator=True``.
            Images are returned in their shape.
        """
        X, sample_shape = self._input_rows(X)
        self._check_output_container(sample_shape)
        missing = missing_mask(X, self.missing_values)
        X_out = self._impute_rows(X, missing, self._row_imputer(self._transform_seed))
        return self._from_rows(X_out, sample_shape)

    # ---------------------------------------------------------------- scoring
    @with_cpu_threads
    def score(self, X, y=None):
        """Minus the RMSE on a seeded fraction of hidden observed entries.

        A fraction (20%) of the observed entries of ``X`` is hidden, the
        result is imputed with :meth:`transform`, and the root mean squared
        error on the hidden entries is computed after min-max scaling with the
        ranges learned in ``fit`` (so every feature counts alike). The value
        is negated so that higher is better, as :class:`GridSearchCV` expects.
        The entries to hide are drawn from ``random_state``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries marked by ``missing_values``; for
            :class:`SpatialGAINImputer` also images of the shape seen in ``fit``.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Minus the scaled RMSE on the hidden entries.
        """
        X = self._check_transform_input(X)
        missing = missing_mask(X, self.missing_values)
        # Empty features are not imputed, so hiding entries there means nothing.
        hidden = self._hidden_for_score(~missing & ~self._empty_features)
        # What transform returns (the blend included), not the network alone.
        completed = self._complete(X, missing | hidden, self._row_imputer(self._transform_seed))
        error = ((completed - X) / self.data_range_)[hidden]
        return -float(np.sqrt(np.mean(error**2)))

    def _hidden_for_score(self, candidates):
        """A seeded ``_score_fraction`` of the True entries of ``candidates``
        (observed entries :meth:`score` may hide), as a mask of their shape."""
        rows, cols = np.nonzero(candidates)
        if rows.size < 2:
            raise ValueError("score needs at least two observed entries in X.")
        rng = np.random.RandomState(check_random_state(self.random_state).randint(_SEED_HIGH))
        n_hide = max(1, int(round(self._score_fraction * rows.size)))
        chosen = rng.choice(rows.size, size=n_hide, replace=False)
        hidden = np.zeros_like(candidates)
        hidden[rows[chosen], cols[chosen]] = True
        return hidden

    # ------------------------------------------------------- feature names
    def get_feature_names_out(self, input_features=None):
        """Output feature names, as scikit-learn's imputers give them.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. If None, ``feature_names_in_`` is used when
            defined, else ``["x0", "x1", ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The kept input features, followed by the missing indicator's
            names when ``add_indicator=True``.
        """
        check_is_fitted(self, "n_features_in_")
        if input_features is None:
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                names = [f"x{i}" for i in range(self.n_features_in_)]
        else:
            names = list(input_features)
            if len(names) != self.n_features_in_:
                raise ValueError(
                    f"input_features has {len(names)} names, but the imputer was fitted on "
                    f"{self.n_features_in_} features."
                )
            known = getattr(self, "feature_names_in_", None)
            if known is not None and not np.array_equal(np.asarray(names, dtype=object), known):
                raise ValueError("input_features is not equal to feature_names_in_.")
        names = np.asarray(names, dtype=object)
        out = names if self.keep_empty_features else names[~self._empty_features]
        if self.add_indicator:
            out = np.concatenate([out, self.indicator_.get_feature_names_out(names)])
        return out.astype(object)

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags

    # -------------------------------------------------------------- pickling
    def __getstate__(self):
        # Networks and tensors are pickled from the CPU so that a model
        # fitted on a GPU loads anywhere; self keeps its own device copy.
        state = super().__getstate__()
        for key, value in state.items():
            if isinstance(value, (torch.nn.Module, torch.Tensor)):
                state[key] = copy.deepcopy(value).cpu()
        return state

    def __setstate__(self, state):
        # A model fitted on a GPU must load on a machine without one.
        device = state.get("device_")
        if device is not None and device.startswith("cuda") and not torch.cuda.is_available():
            state["device_"] = "cpu"
        super().__setstate__(state)
