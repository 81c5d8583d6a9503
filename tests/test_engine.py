"""The training engine, composed of explicit objects (skgain._engine)."""

import numpy as np
import torch

from skgain._engine import (
    EarlyStopping,
    GAINObjective,
    ImageLayout,
    ReduceOnPlateau,
    RowLayout,
    Trainer,
    fit_loop,
    validation_rows,
)
from skgain.fills import biharmonic_fill


def _seeded(seed):
    """A local torch generator (never the global one) seeded with ``seed``."""
    return torch.Generator().manual_seed(seed)


class _Linear(torch.nn.Module):
    def __init__(self, n_features, seed=0):
        super().__init__()
        self.linear = torch.nn.Linear(2 * n_features, n_features)
        # Seeded locally, as the package's networks are: no global seed.
        generator = _seeded(seed)
        with torch.no_grad():
            for weight in self.linear.parameters():
                weight.copy_(torch.rand(weight.shape, generator=generator) - 0.5)

    def forward(self, values, mask):
        return self.linear(torch.cat([values, mask], dim=1))


def _noise_input(values, mask, generator):
    return mask * values


def _trainer(n_features=3, **options):
    settings = dict(layout=RowLayout(), objective=GAINObjective(adversarial=False, drop_rate=0.5),
                    generator_input=_noise_input, learning_rate=1e-2, batch_size=8,
                    device="cpu")
    return Trainer(_Linear(n_features), None, **{**settings, **options})


def _table(n=32, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = (rng.rand(n, 1) @ rng.rand(1, d)).astype(np.float32)
    mask = (rng.rand(n, d) > 0.2).astype(np.float32)
    return X * mask, mask


class _StopAt:
    def __init__(self, epoch):
        self.epoch, self.seen, self.ended = epoch, [], False

    def on_epoch_end(self, trainer, epoch, record):
        self.seen.append(epoch)
        return epoch == self.epoch

    def on_train_end(self, trainer):
        self.ended = True


def test_fit_loop_runs_epochs_until_a_callback_stops_it():
    X, mask = _table()
    trainer = _trainer()
    stop, watcher = _StopAt(2), _StopAt(-1)
    history, n_iter = fit_loop(trainer, X, mask, max_epochs=10, optimizers=trainer.optimizers(),
                               gen_train=_seeded(1), gen_order=_seeded(2),
                               callbacks=[stop, watcher])
    assert n_iter == 3 and len(history["mse"]) == 3
    # Every callback sees every epoch and the end, whichever stops.
    assert watcher.seen == [0, 1, 2] and stop.ended and watcher.ended
    assert np.isnan(history["val_rmse"]).all() and history["mse"][-1] < history["mse"][0]


def test_same_generators_same_training():
    X, mask = _table()
    runs = []
    for _ in range(2):
        trainer = _trainer()
        fit_loop(trainer, X, mask, max_epochs=2, optimizers=trainer.optimizers(),
                 gen_train=_seeded(1), gen_order=_seeded(2))
        runs.append(trainer.generator.linear.weight.detach().clone())
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=0)


def test_early_stopping_restores_the_best_weights():
    trainer = _trainer()
    stopper = EarlyStopping(patience=2, tol=0.0)
    for epoch, score in enumerate([0.5, 0.3, 0.4, 0.35]):
        with torch.no_grad():
            trainer.generator.linear.weight.fill_(epoch)
        stopped = stopper.on_epoch_end(trainer, epoch, {"val_rmse": score})
    assert stopped and stopper.best_epoch == 1
    stopper.on_train_end(trainer)
    assert torch.all(trainer.generator.linear.weight == 1.0)


def test_one_cycle_schedule_needs_enough_steps():
    trainer = _trainer()
    assert trainer.optimizers(2, "one-cycle").scheduler is None
    assert trainer.optimizers(40, "one-cycle").scheduler is not None
    assert trainer.optimizers(40, "constant").scheduler is None


def test_plateau_halves_the_rates_after_two_epochs_without_improvement():
    trainer = _trainer()
    trainer.discriminator = _Linear(3, seed=1)
    optimizers = trainer.optimizers(40, "plateau")
    optimizers.discriminator = torch.optim.Adam(trainer.discriminator.parameters(), lr=1e-2)
    assert optimizers.scheduler is None  # no per-step schedule
    plateau = ReduceOnPlateau(optimizers, patience=2, tol=0.01)
    rates = []
    # 0.495 is better, but not by tol: a stale epoch like 0.6.
    for epoch, score in enumerate([0.5, 0.4, 0.6, 0.395, 0.7, 0.8, 0.9, 0.3]):
        assert plateau.on_epoch_end(trainer, epoch, {"val_rmse": score}) is False
        rates.append([optimizer.param_groups[0]["lr"]
                      for optimizer in (optimizers.generator, optimizers.discriminator)])
    expected = [1e-2] * 3 + [5e-3] * 2 + [2.5e-3] * 2 + [2.5e-3]
    np.testing.assert_allclose(rates, np.repeat(np.array(expected)[:, None], 2, axis=1))
    assert plateau.n_reductions == 2 and plateau.best == 0.3


def test_image_layout_views_are_crops_one_step_each():
    layout = ImageLayout((8, 12, 1), 96, patch_size=4)
    x = torch.rand(2, 1, 8, 12)
    views = list(layout.views(x, torch.ones_like(x), None, _seeded(0)))
    assert [tuple(v[0].shape[-2:]) for v in views] == [(4, 4)] * 6
    whole = ImageLayout((8, 12, 1), 96, patch_size=None)
    assert len(list(whole.views(x, x, None, _seeded(0)))) == 1
    # Padding: 57 features in an 8x8 image, the 7 padded cells weigh nothing.
    padded = ImageLayout((8, 8, 1), 57)
    assert padded.valid_cells(2)[0].reshape(-1).sum() == 57
    rows = np.arange(114.0).reshape(2, 57)
    np.testing.assert_array_equal(padded.to_rows(padded.to_tensor(rows)), rows)


def test_drop_masks_hide_one_given_pattern_per_image():
    pattern = torch.zeros(1, 1, 4, 4)
    pattern[..., :2, :] = 1
    objective = GAINObjective(drop_masks=pattern)
    mask = torch.ones(3, 1, 4, 4)
    hidden = objective.hide(mask, ImageLayout((4, 4, 1), 16), _seeded(0))
    assert torch.equal(hidden, (1 - pattern).expand_as(mask))


def test_prepare_fills_all_crops_at_once_as_one_at_a_time():
    layout = ImageLayout((8, 12, 1), 96, patch_size=4)
    objective = GAINObjective(adversarial=False, drop_rate=0.3)
    trainer = Trainer(_Linear(16), None, layout=layout, objective=objective,
                      generator_input=lambda x, m, gen: biharmonic_fill(x, m),
                      learning_rate=1e-2, batch_size=2, device="cpu")
    x = torch.rand(2, 1, 8, 12, generator=_seeded(1))
    m = (torch.rand(x.shape, generator=_seeded(2)) > 0.2).float()
    gen = _seeded(0)
    views = ((xv, mv, torch.ones_like(mv)) for xv, mv, _ in layout.views(x, m, None, gen))
    prepared = objective.prepare(trainer, views, gen)
    # The draws of one step after the other: a crop's corner, then its hidden pixels.
    gen = _seeded(0)
    for x_view, m_view, _ in layout.views(x, m, None, gen):
        m_in = objective.hide(m_view, layout, gen)
        got_x, got_m, got_w, got_m_in, got_filled = prepared.pop(0)
        assert torch.equal(got_x, x_view) and torch.equal(got_m, m_view)
        assert torch.equal(got_m_in, m_in) and (m_in <= m_view).all() and (m_in < m_view).any()
        # The batch's fill is each crop's own fill.
        torch.testing.assert_close(got_filled, biharmonic_fill(x_view, m_in),
                                   rtol=1e-5, atol=1e-6)
    assert prepared == []


def test_validation_rows_are_evenly_spaced_rows_holding_entries_within_bounds():
    val_mask = np.zeros((10, 4), dtype=bool)
    val_mask[[0, 2, 3, 5, 6, 9], 1] = True
    np.testing.assert_array_equal(validation_rows(val_mask), [0, 2, 3, 5, 6, 9])
    np.testing.assert_array_equal(validation_rows(val_mask, max_rows=3), [0, 3, 9])
    np.testing.assert_array_equal(validation_rows(val_mask, max_cells=12), [0, 3, 9])
    np.testing.assert_array_equal(validation_rows(val_mask, max_rows=2, max_cells=12), [0, 9])
    assert validation_rows(val_mask, max_cells=1).tolist() == [0]  # at least one row
