"""The GAIN training loop shared by GAINImputer and SpatialGAINImputer.

A subclass supplies the networks and the layout of the data they see (rows
for GAIN, images for SpatialGAIN); this module owns everything else: the
generator input, the hint, the adversarial and reconstruction losses, Adam,
epochs over shuffled samples, early stopping on held-out observed entries,
the history, batched imputation and multiple imputation.
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
from ._partial_fit import PartialFitMixin
from ._training import _EarlyStopping, _hold_out, _progress

_EPS = 1e-8
# The one-cycle schedule warms up for this share of the steps (at least 2).
_WARMUP_FRACTION = 0.1
_MIN_WARMUP_STEPS = 2


def _cpu_has_bfloat16():
    """True on CPUs with native bfloat16 matrix units (AVX512-BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def _fused(device):
    """Adam's ``fused=True`` where torch has the kernel: one update kernel
    for all parameters instead of several per tensor, which matters for the
    small networks of tables (``docs/user_guide/table.rst``, "Speed")."""
    return {"fused": True} if torch.device(device).type in ("cpu", "cuda") else {}


class TrainingDivergedError(ValueError, FloatingPointError):
    """A loss became NaN or infinite: the parameters (a learning rate too large,
    most often) cannot train. A ``ValueError`` like every other bad setting,
    and a ``FloatingPointError`` for callers that caught that before."""


def _on_device(net, device):
    """``net`` on ``device``: moved only when its weights are elsewhere (an
    unpickled model), since walking the modules costs a few milliseconds,
    which every epoch's validation would pay."""
    weights = next(net.parameters(), None)
    if weights is None or weights.device == torch.device(device):
        return net
    return net.to(device)


def resolve_precision(precision, device):
    """Turn a ``precision`` parameter into "float32" or "bfloat16" for ``device``.

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
        "lr_schedule": [StrOptions({"one-cycle", "constant"})],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _build_networks(self, generator):
        """Return ``(generator_net, discriminator_net)``, initialised from ``generator``.

        The discriminator may be None for a subclass whose ``_train_step``
        trains the generator alone (a reconstruction-only autoencoder).
        """

    def _to_layout(self, array):
        """Rows of scaled data (numpy) to the networks' float tensor layout."""
        return torch.as_tensor(array, dtype=torch.float32)

    def _from_layout(self, tensor):
        """Inverse of :meth:`_to_layout`, returning a numpy array of rows."""
        return tensor.detach().cpu().numpy().astype(np.float64)

    def _valid_cells(self, n_samples):
        """Weight of each cell in the losses (None: every cell is real)."""
        return None

    def _hint_rate_at(self, epoch):
        """The hint rate used during ``epoch`` (0-based); constant for GAIN."""
        return self.hint_rate

    def _uniform_draws(self, like, generator):
        """U(0, 1) draws, one per entry of ``like`` (SpatialGAIN: one per pixel)."""
        return torch.rand(like.shape, generator=generator, device=like.device)

    def _draw_hint_mask(self, mask, rate, generator):
        """Bernoulli(rate) draws, one per entry of ``mask``."""
        return (self._uniform_draws(mask, generator) < rate).float()

    def _generator_input(self, values, mask, generator):
        """Observed values with missing entries replaced by U(0, noise_scale) noise."""
        noise = torch.rand(values.shape, generator=generator, device=values.device)
        return mask * values + (1 - mask) * noise * self.noise_scale

    def _hide_from_generator(self, mask, generator):
        """The mask the generator sees in a training step.

        With ``drop_rate`` a fraction of the observed entries is hidden from
        the generator and the reconstruction loss is taken on them: this
        teaches it to predict entries it cannot see, which GAIN's loss on
        visible entries does not (the generator can copy them). Returns
        ``mask`` itself when nothing is hidden.
        """
        if self.drop_rate == 0:
            return mask
        return mask * (self._uniform_draws(mask, generator) >= self.drop_rate).float()

    # --------------------------------------------------------------- the hint
    def _hint(self, mask, rate, generator):
        reveal = self._draw_hint_mask(mask, rate, generator)
        if self.hint_mechanism == "paper":
            return reveal * mask + 0.5 * (1 - reveal)
        return reveal * mask

    def _adversarial_focus(self, hint):
        """Entries the adversarial losses are computed on.

        ``"paper"``: only the entries the hint leaves at 0.5, as in the GAIN
        paper's losses (on revealed entries the discriminator is told the
        answer, so they carry no signal for either network). ``"code"``: every
        entry, as in the authors' public code.
        """
        if self.hint_mechanism == "paper":
            return (hint == 0.5).float()
        return torch.ones_like(hint)

    # Training data are float32 on the device: scale straight to float32.
    _scaled_dtype = np.float32
    # Most entries held out for validation (None: no cap).
    _max_validation_entries = None
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

    def _make_scheduler(self, optimizer, total_steps):
        """The generator's learning-rate scheduler (``lr_schedule``), stepped
        after every batch; None for a constant rate or too few steps (a
        ``partial_fit`` call has no planned number of steps: 0)."""
        if self.lr_schedule == "constant" or total_steps < _MIN_WARMUP_STEPS + 1:
            return None
        # The warm-up needs at least two steps to define its slope.
        warmup = max(_WARMUP_FRACTION, _MIN_WARMUP_STEPS / total_steps)
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.learning_rate_, total_steps=total_steps, pct_start=warmup
        )

    def _ready_for_inference(self):
        """After training (``fit``, or one ``partial_fit`` call): the networks in
        eval mode; subclasses may also put them in a faster layout."""
        for net in (self._generator_net, self._discriminator_net):
            if net is not None:
                net.eval()

    def _after_training(self, X, train_mask, val_mask):
        """Called once the best weights are restored (``val_mask`` None without validation)."""

    def _training_precision(self):
        """Autocast context of the training steps (full precision by default)."""
        return contextlib.nullcontext()

    def _fit_scaled(self, X, mask, rng):
        self._check_settings()
        # fit starts over: no streaming state from earlier partial_fit calls.
        self._stream, self._given_range = None, False
        self._resolve_batches(X.shape[0])
        train_mask, val_mask = _hold_out(mask, self.validation_fraction, rng,
                                         self._max_validation_entries)
        device = self.device_
        gen_init = torch_generator(draw_seed(rng))
        gen_train = torch_generator(draw_seed(rng), device)
        gen_order = torch_generator(draw_seed(rng))
        self._generator_net, self._discriminator_net = (
            None if net is None else net.to(device) for net in self._build_networks(gen_init)
        )
        n_samples = X.shape[0]
        batch_size = min(self.batch_size_, n_samples)
        n_batches = -(-n_samples // batch_size)
        self.max_epochs_, patience = self._resolve_schedule(n_samples)
        optimizers = self._make_optimizers(n_batches * self.max_epochs_)
        data = self._training_data(X, train_mask)

        history = {k: [] for k in ("d_loss", "adv_loss", "mse", "val_rmse", "hint_rate")}
        stopper = _EarlyStopping(patience, self.tol)
        progress = _progress(self.max_epochs_, self.verbose, type(self).__name__)
        for epoch in range(self.max_epochs_):
            rate = self._hint_rate_at(epoch)
            order = torch.randperm(n_samples, generator=gen_order).to(device)
            d_loss, adv_loss, mse = self._run_epoch(data, order, batch_size, optimizers,
                                                    rate, gen_train, epoch)
            val_rmse = np.nan
            if val_mask is not None:
                val_rmse = self._validation_rmse(X, train_mask, val_mask)
            record = {"d_loss": d_loss, "adv_loss": adv_loss, "mse": mse,
                      "val_rmse": val_rmse, "hint_rate": rate}
            for key, value in record.items():
                history[key].append(float(value))
            progress.update(1)
            progress.set_postfix({k: f"{v:.4g}" for k, v in record.items() if v == v})
            if val_mask is not None and stopper.stop(val_rmse, epoch, self._generator_net):
                break
        progress.close()
        stopper.restore_best(self._generator_net)
        self.n_iter_ = epoch + 1
        self.best_epoch_ = stopper.best_epoch + 1 if stopper.found else self.n_iter_
        self.history_ = history
        self._ready_for_inference()
        self._after_training(X, train_mask, val_mask)

    def _training_data(self, X, train_mask):
        """``(values, mask, valid cells, layout)`` that ``_run_epoch`` draws batches from.

        On the CPU the rows stay the numpy arrays (no copy) and each batch is
        put in the networks' layout as it is drawn; elsewhere the whole data
        moves to the device once, in that layout.
        """
        device = self.device_
        valid = self._valid_cells(X.shape[0])
        valid = None if valid is None else valid.to(device)
        if torch.device(device).type == "cpu":
            return torch.from_numpy(X), torch.from_numpy(train_mask), valid, self._to_layout
        values = self._to_layout(X).to(device)
        return values, self._to_layout(train_mask).to(device), valid, None

    def _make_optimizers(self, total_steps):
        """Adam for each network, and the generator's learning-rate scheduler."""
        G, D = self._generator_net, self._discriminator_net
        adam = dict(lr=self.learning_rate_, betas=(0.9, 0.999), **_fused(self.device_))
        opt_g = torch.optim.Adam(G.parameters(), **adam)
        opt_d = None if D is None else torch.optim.Adam(D.parameters(), **adam)
        return opt_g, opt_d, self._make_scheduler(opt_g, total_steps)

    def _run_epoch(self, data, order, batch_size, optimizers, rate, gen, epoch):
        """One pass over the shuffled samples; returns the mean of the three losses."""
        values, train_m, valid, layout = data
        opt_g, opt_d, scheduler = optimizers
        G, D = self._generator_net, self._discriminator_net
        G.train()
        if D is not None:
            D.train()
        # Losses are summed on the device: one host synchronisation per epoch.
        sums, n_batches = 0.0, 0
        for batch in batch_slices(order.numel(), batch_size):
            idx = order[batch]
            if idx.numel() < 2 and n_batches > 0:
                continue  # batch norm cannot train on a single sample
            v = None if valid is None else valid[idx]
            x, m = values[idx], train_m[idx]
            if layout is not None:
                x, m = layout(x), layout(m)
            with self._training_precision():
                losses = self._train_step(G, D, opt_g, opt_d, x, m, v, rate, gen)
            sums = sums + torch.as_tensor(losses, dtype=torch.float32, device=values.device)
            n_batches += 1
            if scheduler is not None:
                scheduler.step()
        means = torch.as_tensor(sums).cpu().numpy() / max(n_batches, 1)
        if not np.all(np.isfinite(means)):
            raise TrainingDivergedError(
                f"{type(self).__name__} training diverged at epoch {epoch + 1} (a loss is "
                f"NaN or infinite); lower learning_rate (now {self.learning_rate_})."
            )
        return means

    def _train_step(self, G, D, opt_g, opt_d, x, m, v, rate, gen):
        """One update under the objective ``adversarial`` chose; returns the three losses.

        Both objectives share the reconstruction loss: without hiding it is
        GAIN's loss on observed entries; with ``drop_rate`` it is on the
        hidden ones only (a denoising objective).
        """
        w = torch.ones_like(m) if v is None else v.expand_as(m)
        mse, m_in, g = self._reconstruction_loss(G, x, m, w, gen)
        if self.adversarial:
            return self._adversarial_update(D, opt_g, opt_d, x, m_in, g, w, mse, rate, gen)
        return self._reconstruction_update(opt_g, mse)

    def _reconstruction_loss(self, G, x, m, w, gen):
        """``(mse, m_in, g)``: the weighted reconstruction loss of ``G``'s
        output ``g`` from the input mask ``m_in`` (``m`` with a fraction
        ``drop_rate`` hidden), on the hidden entries (or, without hiding, on
        the observed ones)."""
        m_in = self._hide_from_generator(m, gen)
        target = m if m_in is m else m - m_in
        g = G(self._generator_input(x, m_in, gen), m_in)
        mse = (w * target * (g - x) ** 2).sum() / (w * target).sum().clamp_min(1.0)
        return mse, m_in, g

    @staticmethod
    def _reconstruction_update(opt_g, mse):
        """The reconstruction objective: a generator step on ``mse`` alone."""
        opt_g.zero_grad(set_to_none=True)
        mse.backward()
        opt_g.step()
        zero = torch.zeros((), device=mse.device)
        return torch.stack([zero, zero, mse.detach().float()])

    def _adversarial_update(self, D, opt_g, opt_d, x, m, g, w, mse, rate, gen):
        """GAIN's objective: a discriminator step, then a generator step on
        the adversarial loss plus ``alpha`` times ``mse``."""
        x_hat = m * x + (1 - m) * g
        h = self._hint(m, rate, gen)
        focus = w * self._adversarial_focus(h)
        n_focus = focus.sum().clamp_min(1.0)

        d_prob = D(x_hat.detach(), h)
        d_loss = -(focus * (m * torch.log(d_prob + _EPS)
                            + (1 - m) * torch.log(1 - d_prob + _EPS))).sum() / n_focus
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        d_prob = D(x_hat, h)
        adv_loss = -(focus * (1 - m) * torch.log(d_prob + _EPS)).sum() / n_focus
        g_loss = adv_loss + self.alpha * mse
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return torch.stack([d_loss.detach(), adv_loss.detach(), mse.detach()]).float()

    def _validation_rmse(self, X, train_mask, val_mask):
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
            x = self._to_layout(X[batch]).to(self.device_)
            m = self._to_layout(mask[batch]).to(self.device_)
            g = output(G, x, m, generator)
            out[batch] = self._from_layout(m * x + (1 - m) * g)
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
            Data to complete.
        n_draws : int, default=5
            Number of completions to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise of the draws.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features_out)
            The completions, each as :meth:`transform` would format it.
        """
        if not isinstance(n_draws, numbers.Integral) or n_draws < 1:
            raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}.")
        X = self._check_transform_input(X)  # checks that the model is fitted
        reason = self._identical_draws_reason()
        if reason is not None:
            warnings.warn(f"{type(self).__name__}.sample: {reason}", UserWarning)
        missing = missing_mask(X, self.missing_values)
        rng = check_random_state(random_state)
        draws = [self._impute_rows(X, missing, self._row_imputer(draw_seed(rng)))
                 for _ in range(n_draws)]
        return np.stack(draws)
