"""The estimator side of GAIN training, shared by GAINImputer and SpatialGAINImputer.

A subclass supplies its networks, its layout (rows or images) and the
generator's input; the training itself is the engine's (:mod:`._engine`),
composed here from explicit objects: this module builds them from the
estimator's parameters, hands them to :func:`~._engine.fit_loop` and keeps
what it returns. It also owns batched and multiple imputation.
"""

import contextlib
import numbers
import warnings
from abc import abstractmethod

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import (
    BaseImputer,
    batch_slices,
    block_rows,
    draw_seed,
    missing_mask,
    rmse,
    torch_generator,
    with_cpu_threads,
)
from ._engine import (
    EarlyStopping,
    GAINObjective,
    ProgressBar,
    ReduceOnPlateau,
    RowLayout,
    Trainer,
    TrainingResult,
    fit_loop,
    hold_out,
    validation_rows,
)
from ._partial_fit import PartialFitMixin


def _cpu_has_bfloat16():
    """True on CPUs with native bfloat16 matrix units (AVX512-BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def _on_device(net, device):
    """``net`` on ``device``: moved only when its weights are elsewhere (an
    unpickled model), since walking the modules costs a few milliseconds,
    which every epoch's validation would pay."""
    weights = next(net.parameters(), None)
    if weights is None or weights.device == torch.device(device):
        return net
    return net.to(device)


def _for_inference(net, device):
    """The trained ``net`` in the memory layout it imputes fastest in on ``device``.

    On a CPU, oneDNN runs the forward pass of a convolutional network with
    channels-last weights about twice as fast on whole images (same
    arithmetic, sums reordered: outputs equal to float32 rounding). ``fit``
    trains in the default layout, which was faster on the crops it trains on
    (later ``partial_fit`` calls go on in this one); GPUs keep the default,
    and so do networks without convolutions (no 4-D weights), which have no
    other layout.
    """
    convolutional = any(p.dim() == 4 for p in net.parameters())
    if convolutional and torch.device(device).type == "cpu":
        return net.to(memory_format=torch.channels_last)
    return net


def resolve_precision(precision, device):
    """Turn a precision parameter (``training_precision``, ``inference_precision``)
    into "float32" or "bfloat16" for ``device``.

    "auto" picks bfloat16 only where the hardware computes it natively: on
    other CPUs autocast emulates it and is slower than float32.
    """
    if precision != "auto":
        return precision
    kind = torch.device(device).type
    if kind == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    if kind == "cpu":
        return "bfloat16" if _cpu_has_bfloat16() else "float32"
    return "float32"


# Epochs without a better validation RMSE after which lr_schedule="plateau"
# halves the learning rates: one such epoch is often noise (the tench fits'
# validation RMSE rises for an epoch and falls again), two rarely are.
_PLATEAU_PATIENCE = 2

# The settings of the objective that the estimators' parameters of the same
# names give (the others, e.g. drop_masks, are options of a fit).
_OBJECTIVE_SETTINGS = ("adversarial", "alpha", "hint_rate", "hint_mechanism", "drop_rate",
                       "hint_decay")


class BaseAdversarialImputer(PartialFitMixin, BaseImputer):
    """GAIN-style training on top of :class:`BaseImputer` (private).

    ``partial_fit`` (streaming training on chunks) comes from
    :class:`~skgain._partial_fit.PartialFitMixin`.
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "adversarial": ["boolean"],
        "drop_rate": [Interval(numbers.Real, 0, 1, closed="left")],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "hint_rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "hint_mechanism": [StrOptions({"paper", "code"})],
        "noise_scale": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"one-cycle", "constant", "plateau"})],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _build_networks(self, generator, statistics):
        """Return ``(generator_net, discriminator_net)``, initialised from ``generator``.

        ``statistics`` is what :meth:`_network_statistics` returned. The
        discriminator is None with ``adversarial=False``.
        """

    def _network_statistics(self, X, mask):
        """What the networks' initialisation needs of the training data, taken
        before entries are held out (GAINImputer: the column means)."""
        return None

    def _make_layout(self):
        """The layout of the data the networks see (rows here)."""
        return RowLayout()

    def _make_objective(self, **options):
        """The training objective: its settings are the estimator's parameters of
        the same names (``adversarial``, ``alpha``, ``hint_rate``, ``hint_decay``
        ...), where it has them; ``options`` override them."""
        params = self.get_params(deep=False)
        settings = {name: params[name] for name in _OBJECTIVE_SETTINGS if name in params}
        return GAINObjective(**{**settings, **options})

    def _generator_input(self, values, mask, generator):
        """Observed values with missing entries replaced by U(0, noise_scale) noise."""
        noise = torch.rand(values.shape, generator=generator, device=values.device)
        return mask * values + (1 - mask) * noise * self.noise_scale

    def _training_precision(self):
        """Autocast context of the training steps (full precision by default)."""
        return contextlib.nullcontext()

    def _make_trainer(self, objective=None):
        """The engine around the fitted networks and the fitted settings."""
        return Trainer(
            self._generator_net, self._discriminator_net, layout=self._layout,
            objective=self._make_objective() if objective is None else objective,
            generator_input=self._generator_input, learning_rate=self.learning_rate_,
            batch_size=self.batch_size_, device=self.device_,
            autocast=self._training_precision, name=type(self).__name__,
        )

    # Training data are float32 on the device: scale straight to float32.
    _scaled_dtype = np.float32
    # Most entries held out for validation (None: no cap).
    _max_validation_entries = None
    # Early stopping scores the held-out entries of rows holding at most this
    # many cells in all (None: every row).
    _max_validation_cells = None
    # Parameters that act only through the discriminator.
    # noise_scale is not among them: it fills the missing entries of the
    # generator's input with or without a discriminator.
    _adversarial_only = ("alpha", "hint_rate", "hint_mechanism")

    @property
    def generator_(self):
        """The trained generator network (eval mode, on ``device_``)."""
        check_is_fitted(self, "history_")
        return self._generator_net

    @property
    def discriminator_(self):
        """The trained discriminator (None with ``adversarial=False``): kept
        after ``fit`` so that :meth:`partial_fit` can go on training both."""
        check_is_fitted(self, "history_")
        return self._discriminator_net

    def _check_settings(self):
        """Errors for settings that cannot train, warnings for settings without effect."""
        if not self.adversarial and self.drop_rate == 0:
            raise ValueError(
                "adversarial=False needs drop_rate > 0: with no observed entry hidden from the "
                "generator, the reconstruction loss only teaches it to copy its input."
            )
        if self.lr_schedule == "plateau" and self.validation_fraction == 0:
            raise ValueError(
                'lr_schedule="plateau" lowers the learning rate when the validation RMSE stops '
                "improving, so it needs validation_fraction > 0."
            )
        if self.adversarial:
            return
        unused = self._changed_from_default(self._adversarial_only)
        if unused:
            act, has, them = ("acts", "has", "it") if len(unused) == 1 else ("act", "have", "them")
            warnings.warn(
                f"{', '.join(unused)} {act} only on the adversarial loss and {has} no effect "
                f"with adversarial=False; set adversarial=True to use {them}.",
                UserWarning,
            )

    def _identical_draws_reason(self):
        """Why :meth:`sample`'s draws cannot differ, or None when they can."""
        if not self.adversarial:
            return ("it was fitted with adversarial=False, so its draws differ only by input "
                    "noise and do not reflect uncertainty; fit with adversarial=True for "
                    "multiple imputation.")
        return None

    # --------------------------------------------------------------- training
    def _resolve_schedule(self, n_samples):
        """``(max_epochs, n_iter_no_change)`` for training on ``n_samples``."""
        return self.max_epochs, self.n_iter_no_change

    def _resolve_batches(self, n_samples):
        """Set ``batch_size_`` and ``learning_rate_`` for ``n_samples`` training
        samples (None: unknown, with ``partial_fit``): the parameters as
        given; GAINImputer resolves its ``"auto"`` choices here."""
        self.batch_size_, self.learning_rate_ = self.batch_size, self.learning_rate

    def _ready_for_inference(self):
        """After training (``fit``, or one ``partial_fit`` call): the networks in
        eval mode, the generator in the memory layout it imputes fastest in."""
        for net in (self._generator_net, self._discriminator_net):
            if net is not None:
                net.eval()
        self._generator_net = _for_inference(self._generator_net, self.device_)

    def _resolve_fit_settings(self, X, mask, n_samples):
        """Resolve what depends on the data before the networks are built
        (``n_samples`` None: a ``partial_fit`` chunk of a table of unknown size)."""

    def _after_training(self, X, result, rng):
        """The choices made after training, on ``result.held_out``."""

    def _fit_scaled(self, X, mask, rng, **options):
        """Resolve the settings, train and make the choices after training.

        ``options`` go to :meth:`_train` (a subclass's objective, its
        validation score); they are no options of ``fit``, which are the
        keyword-only parameters of a subclass's ``_fit_scaled``.
        """
        self._resolve_fit_settings(X, mask, X.shape[0])
        self._after_training(X, self._train(X, mask, rng, **options), rng)

    def _train(self, X, mask, rng, objective=None, validation_score=None):
        """Build the networks and train them with :func:`~._engine.fit_loop`.

        ``objective`` (None: the parameters') is the engine's objective;
        ``validation_score`` (None: the RMSE on the held-out entries of ``X``)
        is what early stopping scores after each epoch, when
        ``validation_fraction`` holds entries out. Sets the fitted networks
        and the training attributes; returns the :class:`~._engine.TrainingResult`.
        """
        self._check_settings()
        # fit starts over: no streaming state from earlier partial_fit calls.
        self._stream, self._given_range = None, False
        n_samples = X.shape[0]
        self._resolve_batches(n_samples)
        statistics = self._network_statistics(X, mask)
        self._layout = self._make_layout()
        train_mask, val_mask = hold_out(mask, self.validation_fraction, rng,
                                        self._max_validation_entries, self._layout.columns)
        gen_init = torch_generator(draw_seed(rng))
        gen_train = torch_generator(draw_seed(rng), self.device_)
        gen_order = torch_generator(draw_seed(rng))
        self._generator_net, self._discriminator_net = (
            None if net is None else net.to(self.device_)
            for net in self._build_networks(gen_init, statistics)
        )
        self.max_epochs_, patience = self._resolve_schedule(n_samples)
        trainer = self._make_trainer(objective)
        n_batches = -(-n_samples // min(self.batch_size_, n_samples))
        optimizers = trainer.optimizers(n_batches * self.max_epochs_, self.lr_schedule)
        callbacks = [ProgressBar(self.max_epochs_, self.verbose, type(self).__name__)]
        val_score, stopper = None, None
        if val_mask is not None:
            val_score = validation_score or (
                lambda: self._validation_rmse(X, train_mask, val_mask))
            stopper = EarlyStopping(patience, self.tol)
            callbacks[:0] = [stopper] + self._lr_callbacks(optimizers)
        history, self.n_iter_ = fit_loop(
            trainer, X, train_mask, max_epochs=self.max_epochs_, optimizers=optimizers,
            gen_train=gen_train, gen_order=gen_order, val_score=val_score, callbacks=callbacks)
        found = stopper is not None and stopper.found
        self.best_epoch_ = stopper.best_epoch + 1 if found else self.n_iter_
        self.history_ = history
        self._ready_for_inference()
        held_out = None if val_mask is None else (train_mask, val_mask)
        return TrainingResult(history, self.n_iter_, self.best_epoch_, held_out)

    def _lr_callbacks(self, optimizers):
        """The callbacks of a learning-rate schedule driven by the validation RMSE."""
        if self.lr_schedule != "plateau":
            return []
        return [ReduceOnPlateau(optimizers, patience=_PLATEAU_PATIENCE, tol=self.tol)]

    def _validation_rmse(self, X, train_mask, val_mask):
        cells = self._max_validation_cells
        if cells is not None and X.size > cells:
            rows = validation_rows(val_mask, max_cells=cells)
            X, train_mask, val_mask = X[rows], train_mask[rows], val_mask[rows]
        imputed = self._imputed_at(X, train_mask, val_mask, self._transform_seed)
        return rmse(imputed, X[val_mask.astype(bool)])

    # --------------------------------------------------------------- imputing
    @property
    def _block_multiple(self):
        # Blocks of whole batches: the noise of block-wise imputation is
        # drawn exactly as in one pass over all rows.
        return self.batch_size_

    def _row_imputer(self, seed):
        generator = torch_generator(seed, self.device_)

        def impute(X, mask):
            return self._generate(X, mask, generator, output=self._fitted_output)

        return impute

    def _imputed_at(self, X, mask, select, seed, output=None):
        """``_generate(X, mask, seed, output)[select]`` without the full output."""
        select = select.astype(bool, copy=False)
        generator = torch_generator(seed, self.device_)
        parts = [
            self._generate(X[block], mask[block], generator, output)[select[block]]
            for block in batch_slices(X.shape[0], block_rows(X.shape, self.batch_size_))
        ]
        return np.concatenate(parts)

    @torch.no_grad()
    def _generate(self, X, mask, seed, output=None):
        """Completed scaled rows ``X``, in batches on ``device_``.

        ``seed`` is an int or a torch generator to go on drawing from.
        ``output(G, values, mask, generator)`` maps a batch to its
        imputations: by default the trained network alone
        (:meth:`_network_output`, what training and early stopping score);
        ``transform`` and ``sample`` pass :meth:`_fitted_output`.
        """
        output = self._network_output if output is None else output
        G = _on_device(self._generator_net, self.device_)
        was_training = G.training
        G.eval()
        generator = torch_generator(seed, self.device_)
        out = np.empty(X.shape, dtype=np.float64)
        for batch in batch_slices(X.shape[0], self.batch_size_):
            x = self._layout.to_tensor(X[batch]).to(self.device_)
            m = self._layout.to_tensor(mask[batch]).to(self.device_)
            g = output(G, x, m, generator)
            out[batch] = self._layout.to_rows(m * x + (1 - m) * g)
        G.train(was_training)
        return out

    def _network_output(self, G, values, mask, generator):
        """The trained generator's output on one batch, in the network layout."""
        return G(self._generator_input(values, mask, generator), mask)

    def _fitted_output(self, G, values, mask, generator):
        """What the fitted imputer returns for one batch: here the network's
        output; subclasses add what ``fit`` decided after training."""
        return self._network_output(G, values, mask, generator)

    def _impute_scaled(self, X, mask):
        return self._generate(X, mask, self._transform_seed, output=self._fitted_output)

    @with_cpu_threads
    def sample(self, X, n_draws=5, random_state=None):
        """Multiple imputation: ``n_draws`` independent completions of ``X``.

        Each draw feeds the generator fresh noise at the missing entries. Only
        a generator trained against the discriminator (``adversarial=True``)
        learns to turn that noise into different plausible values: where the
        draws cannot differ in a meaningful way, this warns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to complete; for :class:`SpatialGAINImputer` also images of
            the shape seen in ``fit``.
        n_draws : int, default=5
            Number of completions to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise of the draws.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features_out)
            The completions, each as :meth:`transform` would format it
            (images in their shape: (n_draws, n, H, W[, C])).
        """
        if not isinstance(n_draws, numbers.Integral) or n_draws < 1:
            raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}.")
        X_in = X
        X, sample_shape = self._input_rows(X)  # checks that the model is fitted
        reason = self._identical_draws_reason()
        if reason is not None:
            warnings.warn(f"{type(self).__name__}.sample: {reason}", UserWarning)
        missing = missing_mask(X, self.missing_values)
        rng = check_random_state(random_state)
        draws = [self._impute_rows(X, missing, self._draw_imputer(draw_seed(rng)))
                 for _ in range(n_draws)]
        return self._draws_output(draws, sample_shape, X_in)

    def _draw_imputer(self, seed):
        """The ``impute(scaled, mask)`` of one draw of :meth:`sample`: the
        generator fed fresh noise drawn from ``seed``."""
        return self._row_imputer(seed)

    def _draws_output(self, draws, sample_shape, X_in):
        """:meth:`sample`'s result from its completed rows ``draws``, read from ``X_in``."""
        return np.stack([self._from_rows(draw, sample_shape) for draw in draws])
