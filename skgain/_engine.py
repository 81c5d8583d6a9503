"""The one training engine of GAINImputer and SpatialGAINImputer.

Composed, not inherited: a :class:`Trainer` receives explicit objects and
returns a :class:`TrainingResult`.

- the networks (a generator and, for the adversarial objective, a
  discriminator);
- a layout, :class:`RowLayout` for tables or :class:`ImageLayout` for images:
  how scaled rows become the networks' tensors, one random draw per entry or
  per pixel, and the views a step trains on (whole rows, or random crops);
- an objective, :class:`GAINObjective`: the reconstruction loss, with or
  without the adversarial game (``adversarial``), the hint, the hidden
  entries of the denoising loss;
- callbacks, called after every epoch: :class:`EarlyStopping`,
  :class:`ProgressBar`.

``fit`` is :func:`fit_loop` (initialisation plus epochs); ``partial_fit``
runs one epoch of the same :meth:`Trainer.run_single_epoch`. The loop is
skorch's ``fit -> partial_fit -> fit_loop -> run_single_epoch ->
train_step`` without the state on the estimator: everything a later
choice needs (the history, the held-out split) is in the result.
"""

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from ._base import batch_slices, block_rows
from ._image_input import images_to_rows, rows_to_images

HISTORY_KEYS = ("d_loss", "adv_loss", "mse", "val_rmse", "hint_rate")

_EPS = 1e-8
# The one-cycle schedule warms up for this share of the steps (at least 2).
_WARMUP_FRACTION = 0.1
_MIN_WARMUP_STEPS = 2


class TrainingDivergedError(ValueError, FloatingPointError):
    """A loss became NaN or infinite: the parameters (a learning rate too large,
    most often) cannot train. A ``ValueError`` like every other bad setting,
    and a ``FloatingPointError`` for callers that caught that before."""


# ------------------------------------------------------------ held-out split
def hold_out(mask, fraction, rng, max_entries=None, columns=None):
    """Split observed entries into training and validation masks.

    ``fraction`` of the observed entries, at most ``max_entries`` of them.
    The training mask is ``mask`` itself, changed in place; the validation
    mask is boolean. The draws equal ``rng.choice(n_observed, n_val,
    replace=False)`` over the observed entries in row-major order, without
    listing them all at once. ``columns`` (the input column of each column
    of ``mask``, as :attr:`RowLayout.columns`) holds a one-hot block out as
    one entry.
    """
    if fraction == 0:
        return mask, None
    if columns is not None:
        firsts = np.flatnonzero(np.diff(columns, prepend=-1))
        train, validation = hold_out(mask[:, firsts].copy(), fraction, rng, max_entries)
        if validation is None:
            return mask, None
        validation = validation[:, columns]
        mask[validation] = 0
        return mask, validation
    per_row = np.count_nonzero(mask, axis=1)
    n_observed = int(per_row.sum())
    n_val = int(round(fraction * n_observed))
    if max_entries is not None:
        n_val = min(n_val, max_entries)
    if n_val == 0 or n_val == n_observed:
        return mask, None
    # RandomState.choice without replacement shuffles arange(n) and keeps
    # its head: the same draws on int32 take half the memory.
    order = np.arange(n_observed, dtype=np.int32 if n_observed < 2**31 else np.int64)
    rng.shuffle(order)
    chosen = np.sort(order[:n_val])
    del order
    validation = np.zeros(mask.shape, dtype=bool)
    ends = np.cumsum(per_row)
    for block in batch_slices(mask.shape[0], block_rows(mask.shape)):
        first = ends[block.start] - per_row[block.start]
        lo, hi = np.searchsorted(chosen, [first, ends[block.stop - 1]])
        if lo == hi:
            continue
        rows, cols = np.nonzero(mask[block])
        picked = chosen[lo:hi] - first
        validation[rows[picked] + block.start, cols[picked]] = True
    mask[validation] = 0
    return mask, validation


def validation_rows(val_mask, max_rows=None, max_cells=None):
    """The rows early stopping scores: those holding held-out entries, at
    most ``max_rows`` of them and at most ``max_cells`` entries in all (None:
    no bound).

    Evenly spaced rows bound the cost of the pass after every epoch on big
    tables and image sets; the held-out entries are random, so a fixed
    subset is unbiased. Draws nothing: the fit's random streams stay as
    they are.
    """
    rows = np.flatnonzero(val_mask.any(axis=1))
    cap = rows.size
    if max_rows is not None:
        cap = min(cap, max_rows)
    if max_cells is not None:
        cap = min(cap, max(1, max_cells // val_mask.shape[1]))
    if cap < rows.size:
        rows = rows[np.linspace(0, rows.size - 1, cap).astype(int)]
    return rows



# ------------------------------------------------------------------ layouts
class RowLayout:
    """Tables: the networks see the scaled rows as (n, d) float tensors.

    ``columns`` (None: each column its own) gives the input column of each
    column: the one-hot columns of a category share one random draw, so
    they are hidden and hinted together.
    """

    def __init__(self, columns=None):
        self.columns = None if columns is None else np.asarray(columns)

    def to_tensor(self, array):
        """Rows of scaled data (numpy) to the networks' float tensor layout."""
        return torch.as_tensor(array, dtype=torch.float32)

    def to_rows(self, tensor):
        """Inverse of :meth:`to_tensor`, a float64 numpy array of rows."""
        return tensor.detach().cpu().numpy().astype(np.float64)

    def valid_cells(self, n_samples):
        """Weight of each cell in the losses (None: every cell is real)."""
        return None

    def uniform_draws(self, like, generator):
        """U(0, 1) draws, one per entry of ``like`` (per input column's block)."""
        if self.columns is None:
            return torch.rand(like.shape, generator=generator, device=like.device)
        n_inputs = int(self.columns[-1]) + 1
        draws = torch.rand((like.shape[0], n_inputs), generator=generator, device=like.device)
        return draws[:, torch.as_tensor(self.columns, device=like.device)]

    def views(self, x, m, v, generator):
        """The ``(x, m, v)`` a training step runs on: the whole batch."""
        yield x, m, v


class ImageLayout(RowLayout):
    """Images: rows as (n, C, H, W) tensors, padded to ``image_shape``.

    One draw per pixel, shared by its channels (the spatial hint and the
    dropped pixels hide or reveal whole pixels); padded cells weigh 0 in the
    losses; with ``patch_size`` each batch trains on random crops, one step
    per crop, ``(H // patch_size) * (W // patch_size)`` steps a batch.
    """

    def __init__(self, image_shape, n_features, patch_size=None):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.n_features = n_features
        self.patch_size = patch_size

    @property
    def n_padded(self):
        return int(np.prod(self.image_shape)) - self.n_features

    def to_tensor(self, array):
        return rows_to_images(array, self.image_shape, self.n_padded)

    def to_rows(self, tensor):
        return images_to_rows(tensor, self.n_features)

    def valid_cells(self, n_samples):
        if not self.n_padded:
            return None
        return self.to_tensor(np.ones((1, self.n_features))).expand(n_samples, -1, -1, -1)

    def uniform_draws(self, like, generator):
        n, _, height, width = like.shape
        draw = torch.rand((n, 1, height, width), generator=generator, device=like.device)
        return draw.expand_as(like)

    def views(self, x, m, v, generator):
        height, width = x.shape[-2:]
        size = self.patch_size
        if size is None or (size >= height and size >= width):
            yield x, m, v
            return
        ph, pw = min(size, height), min(size, width)
        n_steps = (height // ph) * (width // pw)
        for top, left in crop_corners(n_steps, height - ph, width - pw, generator,
                                      upfront=generator.device.type != "cpu"):
            crop = (..., slice(top, top + ph), slice(left, left + pw))
            yield x[crop], m[crop], None if v is None else v[crop]


def crop_corners(n_crops, max_top, max_left, generator, upfront=False):
    """Yield the random top-left corners ``(top, left)`` of ``n_crops`` crops.

    Drawn one at a time by default, each between the training steps' other
    draws (the stream every CPU result was measured with). With ``upfront``
    all are drawn at once and read back to the host in one transfer: on an
    accelerator each read waits for the device queue to drain, and the
    two reads per crop stalled the training loop.
    """
    if not upfront:
        for _ in range(n_crops):
            yield tuple(int(torch.randint(extent + 1, (1,), generator=generator,
                                          device=generator.device))
                        for extent in (max_top, max_left))
        return
    draws = [torch.randint(extent + 1, (n_crops,), generator=generator, device=generator.device)
             for extent in (max_top, max_left)]
    yield from zip(*torch.stack(draws).tolist())


# ---------------------------------------------------------------- objective
class CategoricalHeads:
    """Softmax outputs for blocks of one-hot columns, squared error elsewhere.

    The generator's outputs for a block (one categorical column) are logits;
    :meth:`values` turns them into the categories' probabilities and
    :meth:`loss` scores them with the cross-entropy of the observed
    category, as the GAIN authors advise for categorical data. Numeric
    columns keep the squared error. Each hidden entry (a number, or a whole
    block) counts once.

    Parameters
    ----------
    blocks : list of (int, int)
        ``(start, stop)`` of each block of one-hot columns.
    n_columns : int
        Width of the rows.
    """

    def __init__(self, blocks, n_columns):
        self.blocks = [(int(a), int(b)) for a, b in blocks]
        numeric = np.ones(n_columns, dtype=bool)
        for start, stop in self.blocks:
            numeric[start:stop] = False
        self.numeric = torch.as_tensor(numeric)

    def values(self, raw):
        """The outputs as values: probabilities in each block, ``raw`` elsewhere."""
        parts, end = [], 0
        for start, stop in self.blocks:
            parts += [raw[:, end:start], torch.softmax(raw[:, start:stop].float(), dim=1)]
            end = stop
        parts.append(raw[:, end:])
        return torch.cat([p.to(raw.dtype) for p in parts], dim=1)

    def loss(self, raw, x, target, w):
        """``(loss, values)``: mean squared error of the numeric targets and
        cross-entropy of the block targets, per hidden entry."""
        values = self.values(raw)
        numeric = self.numeric.to(raw.device)
        weight = (w * target)[:, numeric]
        total = (weight * (values[:, numeric] - x[:, numeric]) ** 2).sum()
        count = weight.sum()
        for start, stop in self.blocks:
            hidden = w[:, start] * target[:, start]
            log_p = torch.log_softmax(raw[:, start:stop].float(), dim=1)
            total = total - (hidden * (x[:, start:stop] * log_p).sum(dim=1)).sum()
            count = count + hidden.sum()
        return total / count.clamp_min(1.0), values


class GAINObjective:
    """GAIN's losses (Yoon et al., 2018) and the denoising variant.

    Both share the reconstruction loss: without hiding it is GAIN's loss on
    observed entries; with ``drop_rate`` (or ``drop_masks``) a share of the
    observed entries is hidden from the generator and the loss is on them
    alone. ``adversarial=True`` adds the discriminator's game, weighted
    against the reconstruction by ``alpha``.

    Parameters
    ----------
    adversarial, alpha, hint_rate, hint_mechanism, drop_rate :
        As the estimators' parameters of these names.
    hint_decay : float, default=1.0
        The hint rate of epoch ``e`` is ``hint_rate * hint_decay**e``.
    drop_masks : tensor of shape (k, 1, H, W) or None, default=None
        Pixel patterns (1 = hide): each image hides one of them, drawn at
        random, instead of a share ``drop_rate`` of random entries.
    heads : CategoricalHeads or None, default=None
        How the generator's outputs become values and losses where some
        columns are categories (None: every output is a value, scored by
        squared error).
    """

    def __init__(self, *, adversarial=True, alpha=10.0, hint_rate=0.9, hint_mechanism="paper",
                 drop_rate=0.0, hint_decay=1.0, drop_masks=None, heads=None):
        self.adversarial, self.alpha = adversarial, alpha
        self.hint_rate, self.hint_mechanism, self.hint_decay = hint_rate, hint_mechanism, hint_decay
        self.drop_rate, self.drop_masks, self.heads = drop_rate, drop_masks, heads

    def hint_rate_at(self, epoch):
        """The hint rate used during ``epoch`` (0-based)."""
        if self.hint_decay == 1:
            return self.hint_rate
        return self.hint_rate * self.hint_decay**epoch

    def hide(self, mask, layout, generator):
        """The mask the generator sees in a training step (``mask`` itself
        when nothing is hidden)."""
        if self.drop_masks is not None:
            patterns = self.drop_masks.to(mask.device)
            pick = torch.randint(len(patterns), (mask.shape[0],), generator=generator,
                                 device=generator.device)
            return mask * (1.0 - patterns[pick.to(mask.device)].expand_as(mask))
        if self.drop_rate == 0:
            return mask
        return mask * (layout.uniform_draws(mask, generator) >= self.drop_rate).float()

    def reconstruction_loss(self, G, generator_input, layout, x, m, w, gen):
        """``(mse, m_in, g)``: the weighted reconstruction loss of ``G``'s
        output ``g`` from the input mask ``m_in``, on the hidden entries
        (or, without hiding, on the observed ones); ``generator_input`` fills
        the entries ``G`` does not see."""
        m_in = self.hide(m, layout, gen)
        return self._loss(G, x, m, m_in, generator_input(x, m_in, gen), w)

    def _loss(self, G, x, m, m_in, filled, w):
        """:meth:`reconstruction_loss` given the hidden mask and the fill."""
        target = m if m_in is m else m - m_in
        g = G(filled, m_in)
        if self.heads is not None:
            loss, g = self.heads.loss(g, x, target, w)
            return loss, m_in, g
        mse = (w * target * (g - x) ** 2).sum() / (w * target).sum().clamp_min(1.0)
        return mse, m_in, g

    def prepare(self, trainer, views, gen):
        """The inputs of the steps on ``views`` (an iterable of ``(x, m, w)``):
        per view ``(x, m, w, m_in, filled)``, its hidden mask drawn as the
        view is taken (the random stream of one step after the other), and
        the generator inputs of all views filled at once.

        One fill of the whole batch of crops instead of one per crop: on a
        CPU a small fill costs its many small operations, not its pixels.
        Each image is filled on its own, so the fills are those of one crop
        at a time.
        """
        views = [(x, m, w, self.hide(m, trainer.layout, gen)) for x, m, w in views]
        if len(views) > 1 and len({tuple(view[0].shape) for view in views}) == 1:
            filled = trainer.generator_input(torch.cat([view[0] for view in views]),
                                             torch.cat([view[3] for view in views]),
                                             gen).chunk(len(views))
        else:
            filled = [trainer.generator_input(x, m_in, gen) for x, _, _, m_in in views]
        return [(*view, fill) for view, fill in zip(views, filled)]

    def step(self, trainer, optimizers, view, rate, gen):
        """One update on ``view``, as :meth:`prepare` returns it; returns
        the losses ``(d_loss, adv_loss, mse)``."""
        x, m, w, m_in, filled = view
        mse, m_in, g = self._loss(trainer.generator, x, m, m_in, filled, w)
        if self.adversarial:
            return self._adversarial_update(trainer, optimizers, x, m_in, g, w, mse, rate, gen)
        opt_g = optimizers.generator
        opt_g.zero_grad(set_to_none=True)
        mse.backward()
        opt_g.step()
        zero = torch.zeros((), device=mse.device)
        return torch.stack([zero, zero, mse.detach().float()])

    def _hint(self, mask, rate, layout, generator):
        reveal = (layout.uniform_draws(mask, generator) < rate).float()
        if self.hint_mechanism == "paper":
            return reveal * mask + 0.5 * (1 - reveal)
        return reveal * mask

    def _focus(self, hint):
        """Entries the adversarial losses are computed on: ``"paper"``, the
        entries the hint leaves at 0.5 (on revealed ones the discriminator is
        told the answer); ``"code"``, every entry, as the authors' code."""
        if self.hint_mechanism == "paper":
            return (hint == 0.5).float()
        return torch.ones_like(hint)

    def _adversarial_update(self, trainer, optimizers, x, m, g, w, mse, rate, gen):
        """A discriminator step, then a generator step on the adversarial
        loss plus ``alpha`` times ``mse``."""
        D, opt_g, opt_d = trainer.discriminator, optimizers.generator, optimizers.discriminator
        x_hat = m * x + (1 - m) * g
        h = self._hint(m, rate, trainer.layout, gen)
        focus = w * self._focus(h)
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


# ---------------------------------------------------------------- callbacks
class _Patience:
    """The best validation RMSE so far and the epochs since it improved by
    more than ``tol``: what early stopping and the plateau schedule count."""

    def __init__(self, patience, tol):
        self.patience, self.tol = patience, tol
        self.best, self.stale = np.inf, 0

    def _improved(self, score):
        """Record ``score``; True when it is a new best."""
        if score < self.best - self.tol:
            self.best, self.stale = score, 0
            return True
        self.stale += 1
        return False

    def on_train_end(self, trainer):
        pass


class EarlyStopping(_Patience):
    """Patience on the validation RMSE, keeping the best generator weights."""

    def __init__(self, patience, tol):
        super().__init__(patience, tol)
        self.best_epoch, self.best_state = 0, None

    @property
    def found(self):
        return self.best_state is not None

    def on_epoch_end(self, trainer, epoch, record):
        """Record the epoch's ``val_rmse``; True when patience has run out."""
        if self._improved(record["val_rmse"]):
            self.best_epoch = epoch
            self.best_state = copy.deepcopy(trainer.generator.state_dict())
            return False
        return self.stale >= self.patience

    def on_train_end(self, trainer):
        if self.best_state is not None:
            trainer.generator.load_state_dict(self.best_state)


class ReduceOnPlateau(_Patience):
    """Multiplies the learning rates of the generator and the discriminator
    by ``factor`` whenever the validation RMSE has not improved by ``tol``
    for ``patience`` epochs in a row (the count then starts over), so that
    a rate that overshoots once the fit is near its best is lowered rather
    than kept to the end."""

    def __init__(self, optimizers, *, factor=0.5, patience=2, tol=0.0):
        super().__init__(patience, tol)
        self.optimizers, self.factor, self.n_reductions = optimizers, factor, 0

    def on_epoch_end(self, trainer, epoch, record):
        if not self._improved(record["val_rmse"]) and self.stale >= self.patience:
            for optimizer in (self.optimizers.generator, self.optimizers.discriminator):
                for group in [] if optimizer is None else optimizer.param_groups:
                    group["lr"] *= self.factor
            self.stale, self.n_reductions = 0, self.n_reductions + 1
        return False


class ProgressBar:
    """A tqdm bar over epochs with the epoch's losses, shown when ``verbose``."""

    def __init__(self, total, verbose, name):
        self.bar = tqdm(total=total, desc=name, unit="epoch", disable=not verbose, leave=False)

    def on_epoch_end(self, trainer, epoch, record):
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if v == v})
        return False

    def on_train_end(self, trainer):
        self.bar.close()


# ------------------------------------------------------------------ trainer
@dataclass
class Optimizers:
    """Adam for each network and the generator's learning-rate scheduler."""

    generator: torch.optim.Optimizer
    discriminator: torch.optim.Optimizer = None
    scheduler: object = None


@dataclass
class TrainingResult:
    """What :func:`fit_loop` returns: the per-epoch ``history`` (keys
    :data:`HISTORY_KEYS`), the epochs run, the 1-based epoch whose generator
    was kept, and ``held_out``, the ``(train_mask, val_mask)`` split the
    validation scored (None without one)."""

    history: dict
    n_iter: int
    best_epoch: int
    held_out: tuple = None


def _fused(device):
    """Adam's ``fused=True`` where torch has the kernel: one update kernel
    for all parameters instead of several per tensor, which matters for the
    small networks of tables (``docs/user_guide/table.rst``, "Speed")."""
    return {"fused": True} if torch.device(device).type in ("cpu", "cuda") else {}


class Trainer:
    """Trains a generator (and a discriminator) on scaled rows.

    Parameters
    ----------
    generator, discriminator : torch.nn.Module (discriminator may be None)
        The networks, on ``device``.
    layout : RowLayout or ImageLayout
    objective : GAINObjective
    generator_input : callable ``(values, mask, torch_generator) -> tensor``
        The generator's input: observed values with the missing ones filled
        (noise for GAIN, an interpolation for SpatialGAIN).
    learning_rate, batch_size : float, int
    device : str
    autocast : callable returning a context manager, default=None
        The precision of the training steps (None: float32).
    name : str
        Named in errors.
    """

    def __init__(self, generator, discriminator, *, layout, objective, generator_input,
                 learning_rate, batch_size, device, autocast=None, name="imputer"):
        self.generator, self.discriminator = generator, discriminator
        self.layout, self.objective = layout, objective
        self.generator_input = generator_input
        self.learning_rate, self.batch_size, self.device = learning_rate, batch_size, device
        self.autocast = autocast or contextlib.nullcontext
        self.name = name

    def optimizers(self, total_steps=0, lr_schedule="constant"):
        """Adam for each network; a one-cycle schedule over ``total_steps``
        batches (none for a constant rate, for ``"plateau"``, whose
        reductions are a callback's, or for too few steps)."""
        adam = dict(lr=self.learning_rate, betas=(0.9, 0.999), **_fused(self.device))
        opt_g = torch.optim.Adam(self.generator.parameters(), **adam)
        D = self.discriminator
        opt_d = None if D is None else torch.optim.Adam(D.parameters(), **adam)
        scheduler = None
        if lr_schedule == "one-cycle" and total_steps >= _MIN_WARMUP_STEPS + 1:
            # The warm-up needs at least two steps to define its slope.
            warmup = max(_WARMUP_FRACTION, _MIN_WARMUP_STEPS / total_steps)
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                opt_g, max_lr=self.learning_rate, total_steps=total_steps, pct_start=warmup)
        return Optimizers(opt_g, opt_d, scheduler)

    def data(self, X, mask):
        """``(values, mask, valid cells, to_tensor)`` that epochs draw batches from.

        On the CPU the rows stay the numpy arrays (no copy) and each batch is
        put in the networks' layout as it is drawn; elsewhere the whole data
        moves to the device once, in that layout.
        """
        valid = self.layout.valid_cells(X.shape[0])
        valid = None if valid is None else valid.to(self.device)
        if torch.device(self.device).type == "cpu":
            return torch.from_numpy(X), torch.from_numpy(mask), valid, self.layout.to_tensor
        to_tensor = self.layout.to_tensor
        return to_tensor(X).to(self.device), to_tensor(mask).to(self.device), valid, None

    def run_single_epoch(self, data, order, optimizers, rate, gen, epoch):
        """One pass over the samples in ``order``; returns the three mean losses."""
        values, train_m, valid, to_tensor = data
        for net in (self.generator, self.discriminator):
            if net is not None:
                net.train()
        # Losses are summed on the device: one host synchronisation per epoch.
        sums, n_batches = 0.0, 0
        for batch in batch_slices(order.numel(), min(self.batch_size, order.numel())):
            idx = order[batch]
            if idx.numel() < 2 and n_batches > 0:
                continue  # batch norm cannot train on a single sample
            v = None if valid is None else valid[idx]
            x, m = values[idx], train_m[idx]
            if to_tensor is not None:
                x, m = to_tensor(x), to_tensor(m)
            with self.autocast():
                losses = self.train_step(optimizers, x, m, v, rate, gen)
            sums = sums + torch.as_tensor(losses, dtype=torch.float32, device=values.device)
            n_batches += 1
            if optimizers.scheduler is not None:
                optimizers.scheduler.step()
        means = torch.as_tensor(sums).cpu().numpy() / max(n_batches, 1)
        if not np.all(np.isfinite(means)):
            raise TrainingDivergedError(
                f"{self.name} training diverged at epoch {epoch + 1} (a loss is NaN or "
                f"infinite); lower learning_rate (now {self.learning_rate})."
            )
        return means

    def train_step(self, optimizers, x, m, v, rate, gen):
        """The objective's update on each view of the batch (the whole batch,
        or its crops); returns the views' mean losses."""
        views = ((x_view, m_view, torch.ones_like(m_view) if v_view is None
                  else v_view.expand_as(m_view))
                 for x_view, m_view, v_view in self.layout.views(x, m, v, gen))
        prepared = self.objective.prepare(self, views, gen)
        # Summed with "+", not "+=": the first term may be a Python float.
        losses = 0.0
        for view in prepared:
            losses = losses + self.objective.step(self, optimizers, view, rate, gen)
        return losses / len(prepared)


def fit_loop(trainer, X, train_mask, *, max_epochs, optimizers, gen_train, gen_order,
             val_score=None, callbacks=()):
    """Train for up to ``max_epochs`` epochs over the shuffled rows of ``X``.

    ``val_score()`` (None: no validation) scores the current generator after
    each epoch; a callback's ``on_epoch_end(trainer, epoch, record)``
    returning True stops training; ``on_train_end(trainer)`` runs at the end
    (restoring the best weights, closing the bar). Returns the history and
    the epochs run.
    """
    n_samples = X.shape[0]
    data = trainer.data(X, train_mask)
    history = {key: [] for key in HISTORY_KEYS}
    for epoch in range(max_epochs):
        rate = trainer.objective.hint_rate_at(epoch)
        order = torch.randperm(n_samples, generator=gen_order).to(trainer.device)
        losses = trainer.run_single_epoch(data, order, optimizers, rate, gen_train, epoch)
        val_rmse = np.nan if val_score is None else val_score()
        record = dict(zip(HISTORY_KEYS, (*losses, val_rmse, rate)))
        for key, value in record.items():
            history[key].append(float(value))
        # Every callback sees every epoch, whichever asks to stop.
        if any([callback.on_epoch_end(trainer, epoch, record) for callback in callbacks]):
            break
    for callback in callbacks:
        callback.on_train_end(trainer)
    return history, epoch + 1
