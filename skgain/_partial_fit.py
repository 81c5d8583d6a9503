"""Streaming training (``partial_fit``) shared by GAINImputer and SpatialGAINImputer.

A table larger than memory is read chunk by chunk (a numpy memmap, pandas
chunks of a CSV file) and each chunk trains the networks for one epoch,
with the optimizers' state, the random streams and the scaling kept between
calls. The scaling is fixed by the first call: from ``data_min`` and
``data_max`` given to it (e.g. a first pass with
:meth:`sklearn.preprocessing.MinMaxScaler.partial_fit`), else from the first
chunk's observed values; a later chunk outside that range is an error, not a
silent clip or a silent change of the units the networks learned in.
"""

import copy

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._base import (
    draw_seed,
    fit_grouped_scaler,
    missing_mask,
    observed_range,
    resolve_device,
    torch_generator,
    with_cpu_threads,
)
from ._engine import HISTORY_KEYS



def _to_cpu(state):
    """A deep copy of an optimizer's ``state_dict`` with its tensors on the CPU."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu().clone()
    if isinstance(state, dict):
        return {key: _to_cpu(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_to_cpu(value) for value in state)
    return copy.deepcopy(state)


class PartialFitMixin:
    """``partial_fit`` for :class:`BaseAdversarialImputer` (private)."""

    # Training state between partial_fit calls; None before the first one
    # and after ``fit``.
    _stream = None

    def _update_from_chunk(self, X, missing):
        """Subclass hook: update fitted statistics with a later chunk (original units)."""

    @with_cpu_threads
    def partial_fit(self, X, y=None, *, data_min=None, data_max=None):
        """Train on one chunk of rows for one epoch, keeping the training state.

        The first call (on an unfitted imputer) sets the scaling and builds
        the networks; each call trains them for one epoch over the chunk's
        shuffled rows, going on with the optimizers' state and random
        streams of the previous call. Calling it on every chunk of a table,
        for several passes, fits a table that does not fit in memory; see
        the "Big tables" section of the user guide. After :meth:`fit` it
        goes on training the fitted networks (with fresh optimizer state);
        :meth:`fit` starts over.

        The learning rate is constant (``learning_rate``): a one-cycle
        schedule needs the number of steps in advance. There is no held-out
        split and no early stopping (``validation_fraction`` and
        ``n_iter_no_change`` apply to :meth:`fit` only), as in
        :meth:`sklearn.neural_network.MLPRegressor.partial_fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of rows, with missing entries marked by
            ``missing_values``; every chunk has the features of the first
            (for :class:`SpatialGAINImputer` also images, (n, H, W) or
            (n, H, W, C), each chunk with the image shape of the first).
        y : None
            Ignored; present for API consistency.
        data_min, data_max : array-like of shape (n_features,), default=None
            Smallest and largest value of each feature over the whole table,
            read by the first call only. Without them the first chunk's
            observed values set the range, and a later chunk with an observed
            value outside it raises a ``ValueError``: the networks learn on
            the scaled values, so the range cannot change during training,
            and clipping would change observed values. A first pass with
            :meth:`sklearn.preprocessing.MinMaxScaler.partial_fit` (which
            skips NaN) gives them.

        Returns
        -------
        self : object
            The imputer, trained on one more chunk.

        Examples
        --------
        >>> import numpy as np
        >>> from skgain import GAINImputer
        >>> rng = np.random.RandomState(0)
        >>> X = rng.rand(200, 2) @ rng.rand(2, 4)
        >>> X[rng.rand(*X.shape) < 0.2] = np.nan
        >>> imputer = GAINImputer(hidden_dim=16, n_blocks=1, random_state=0)
        >>> chunks = np.array_split(X, 4)
        >>> for n_pass in range(2):
        ...     for i, chunk in enumerate(chunks):
        ...         first = n_pass == 0 and i == 0
        ...         ranges = dict(data_min=np.nanmin(X, axis=0),
        ...                       data_max=np.nanmax(X, axis=0)) if first else {}
        ...         _ = imputer.partial_fit(chunk, **ranges)
        >>> imputer.n_iter_
        8
        >>> bool(np.isnan(imputer.transform(X)).any())
        False
        """
        first = self._stream is None and not hasattr(self, "n_iter_")
        if first:
            self._validate_params()
            X, self._fit_sample_shape = self._to_rows(X, in_fit=True)
            missing = missing_mask(X, self.missing_values)
            self._start_scaling(X, missing, data_min, data_max)
        else:
            if data_min is not None or data_max is not None:
                raise ValueError(
                    "data_min and data_max are read by the first call of partial_fit only; "
                    "call fit, or partial_fit on a new imputer, to set another range."
                )
            X = self._check_transform_input(X)
            missing = missing_mask(X, self.missing_values)
            self._extend_stream(X, missing)
        scaled, mask = self._scale(X, missing, self._scaled_dtype), (~missing).astype(np.float32)
        if first:
            self._start_networks(scaled, mask)
        self._train_stream(scaled, mask)
        return self

    # ---------------------------------------------------------------- scaling
    def _start_scaling(self, X, missing, data_min, data_max):
        """First call: the scaling and the indicator, as ``fit`` sets them."""
        self._given_range = False
        self._fit_scaler(X, missing)
        if data_min is not None or data_max is not None:
            self._set_given_range(data_min, data_max)
        self._check_chunk_range(X, missing)
        self._fit_indicator(X)

    def _start_networks(self, X, mask):
        """First call: seeds, settings and networks, from the first scaled chunk."""
        self.device_ = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        self._transform_seed = draw_seed(rng)
        self._check_settings()
        self._resolve_batches(None)
        self._resolve_fit_settings(X, mask, None)
        self._layout = self._make_layout()
        statistics = self._network_statistics(X, mask)
        self._generator_net, self._discriminator_net = (
            None if net is None else net.to(self.device_)
            for net in self._build_networks(torch_generator(draw_seed(rng)), statistics)
        )
        self._new_stream(draw_seed(rng), draw_seed(rng))
        self.n_iter_ = 0
        self.history_ = {key: [] for key in HISTORY_KEYS}

    def _new_stream(self, train_seed, order_seed):
        """Fresh random streams and optimizer state around the current networks."""
        self._stream = {
            "train": torch_generator(train_seed, self.device_).get_state(),
            "order": torch_generator(order_seed).get_state(),
            "optimizers": None,
        }

    def _set_given_range(self, data_min, data_max):
        if data_min is None or data_max is None:
            raise ValueError("partial_fit needs both data_min and data_max, or neither.")
        n_features = self.n_features_in_
        low, high = (np.asarray(v, dtype=self.data_min_.dtype).reshape(-1)
                     for v in (data_min, data_max))
        if low.shape != (n_features,) or high.shape != (n_features,):
            raise ValueError(
                f"data_min and data_max need one value per feature ({n_features}); got shapes "
                f"{np.shape(data_min)} and {np.shape(data_max)}."
            )
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))) or np.any(high < low):
            raise ValueError("data_min and data_max must be finite, with data_min <= data_max.")
        data_range = self._check_finite_range(low, high)
        self._constant_features = data_range == 0
        data_range[data_range == 0] = 1.0
        self.data_min_, self.data_range_ = low, data_range
        # Every feature has a known range, observed in this chunk or not.
        self._given_range = True

    def _check_chunk_range(self, X, missing):
        """Raise if an observed value of a chunk lies outside the fitted range."""
        low, high = observed_range(X, missing)
        known = ~self._empty_features | getattr(self, "_given_range", False)
        span = np.where(self._constant_features, 0.0, self.data_range_)
        slack = 1e-9 * self.data_range_
        with np.errstate(invalid="ignore"):
            outside = known & ((low < self.data_min_ - slack)
                               | (high > self.data_min_ + span + slack))
        if not outside.any():
            return
        j = np.flatnonzero(outside)
        raise ValueError(
            f"partial_fit: {j.size} features of this chunk have observed values outside the "
            f"range fixed by the first call (feature {j[0]}: {low[j[0]]:.6g} to "
            f"{high[j[0]]:.6g}, range {self.data_min_[j[0]]:.6g} to "
            f"{self.data_min_[j[0]] + span[j[0]]:.6g}). Give the whole table's range to the "
            "first call: partial_fit(X_first, data_min=..., data_max=...), e.g. from "
            "sklearn.preprocessing.MinMaxScaler().partial_fit over the chunks."
        )

    def _extend_stream(self, X, missing):
        """A later chunk: check its range; features seen for the first time get theirs."""
        if self._stream is None:  # fitted by fit: go on from its networks
            seeds = np.random.RandomState(self._transform_seed)
            self._new_stream(draw_seed(seeds), draw_seed(seeds))
        newly = self._empty_features & ~missing.all(axis=0)
        if newly.any() and not getattr(self, "_given_range", False):
            # The fit's grouping (per feature, or per channel or image for
            # SpatialGAIN): a group empty in the first chunk gets one range.
            groups, labels = self._scaling_groups(X.shape[1])
            low, span, _, constant = fit_grouped_scaler(
                X, missing, groups, self._check_finite_range, labels)
            self._constant_features[newly] = constant[newly]
            self.data_min_[newly], self.data_range_[newly] = low[newly], span[newly]
        self._empty_features = self._empty_features & ~newly
        self._check_chunk_range(X, missing)
        if self.indicator_ is not None:
            seen = np.flatnonzero(missing.any(axis=0))
            self.indicator_.features_ = np.union1d(self.indicator_.features_, seen)
        self._update_from_chunk(X, missing)

    # --------------------------------------------------------------- training
    def _stream_optimizers(self, trainer):
        """Adam for each network, with the state the previous call left."""
        optimizers = trainer.optimizers()
        states = self._stream["optimizers"]
        if states is not None:
            for optimizer, state in zip((optimizers.generator, optimizers.discriminator), states):
                if optimizer is not None:
                    optimizer.load_state_dict(state)
        return optimizers

    def _train_stream(self, X, mask):
        """One epoch of the engine over the chunk's shuffled rows; saves the
        state for the next call."""
        device = self.device_
        gen_train = torch.Generator(device=device)
        gen_train.set_state(self._stream["train"])
        gen_order = torch.Generator()
        gen_order.set_state(self._stream["order"])
        trainer = self._make_trainer()
        optimizers = self._stream_optimizers(trainer)
        rate = trainer.objective.hint_rate_at(self.n_iter_)
        order = torch.randperm(X.shape[0], generator=gen_order).to(device)
        losses = trainer.run_single_epoch(trainer.data(X, mask), order, optimizers, rate,
                                          gen_train, self.n_iter_)
        record = dict(zip(HISTORY_KEYS, (*losses, np.nan, rate)))
        for key, value in record.items():
            self.history_[key].append(float(value))
        self.n_iter_ += 1
        self.best_epoch_ = self.max_epochs_ = self.n_iter_
        self._stream = {
            "train": gen_train.get_state(),
            "order": gen_order.get_state(),
            "optimizers": [None if opt is None else _to_cpu(opt.state_dict())
                           for opt in (optimizers.generator, optimizers.discriminator)],
        }
        self._ready_for_inference()
