"""GAINImputer: the hint, training loop, early stopping, rounding and multiple imputation."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer
from sklearn.utils._param_validation import InvalidParameterError

from skgain import GAINImputer

from ._estimators import CountingMeanFill


def _correlated(n=400, d=8, rate=0.2, seed=0):
    """Rows on a 2-D latent manifold: entries are predictable from the others."""
    rng = np.random.RandomState(seed)
    latent = rng.rand(n, 2)
    X = np.tanh(latent @ rng.randn(2, d)) + 0.01 * rng.randn(n, d)
    hidden = rng.rand(n, d) < rate
    X_missing = X.copy()
    X_missing[hidden] = np.nan
    return X, X_missing, hidden


@pytest.mark.parametrize("mechanism, values", [("paper", {0.0, 0.5, 1.0}), ("code", {0.0, 1.0})])
def test_hint_mechanisms(mechanism, values):
    from skgain._engine import GAINObjective, RowLayout  # private, the unit under test

    objective = GAINObjective(hint_rate=0.7, hint_mechanism=mechanism)
    mask = (torch.rand(200, 50, generator=torch.Generator().manual_seed(0)) < 0.6).float()
    hint = objective._hint(mask, 0.7, RowLayout(), torch.Generator().manual_seed(1))
    assert set(torch.unique(hint).tolist()) <= values
    if mechanism == "paper":
        # Revealed entries carry the mask; the rest read 0.5.
        revealed = hint != 0.5
        assert torch.equal(hint[revealed], mask[revealed])
        assert abs(revealed.float().mean().item() - 0.7) < 0.02
    else:
        # H = B * M: a 1 in the hint is always an observed entry.
        assert torch.all(mask[hint == 1] == 1)
        assert abs(hint.sum().item() / mask.sum().item() - 0.7) < 0.02


ORIGINAL_GAIN = dict(adversarial=True, architecture="mlp", drop_rate=0, hint_mechanism="code",
                     alpha=100, learning_rate=1e-3, lr_schedule="constant", batch_size=128,
                     training_precision="float32", blend_estimator=None)


@pytest.mark.parametrize("settings", [
    dict(hidden_dim=32, n_blocks=2, batch_size=32),
    dict(ORIGINAL_GAIN, batch_size=32),
    dict(adversarial=True, hidden_dim=32, n_blocks=2, batch_size=32),
], ids=["masked-autoencoder", "original-gain", "adversarial-resmlp"])
def test_learns_better_than_mean_imputation(settings):
    X, X_missing, hidden = _correlated(n=300)
    gain = GAINImputer(
        max_epochs=50, random_state=0, validation_fraction=0, **settings
    ).fit_transform(X_missing)
    mean = SimpleImputer().fit_transform(X_missing)
    rmse_gain = np.sqrt(np.mean((gain - X)[hidden] ** 2))
    rmse_mean = np.sqrt(np.mean((mean - X)[hidden] ** 2))
    assert rmse_gain < 0.8 * rmse_mean


def test_history_records_every_epoch():
    _, X_missing, _ = _correlated(n=100)
    est = GAINImputer(max_epochs=4, validation_fraction=0, adversarial=True,
                      random_state=0).fit(X_missing)
    assert est.n_iter_ == 4 and est.best_epoch_ == 4
    assert set(est.history_) == {"d_loss", "adv_loss", "mse", "val_rmse", "hint_rate"}
    for values in est.history_.values():
        assert len(values) == 4
    assert np.all(np.isnan(est.history_["val_rmse"]))
    assert np.all(np.array(est.history_["d_loss"]) > 0)
    assert est.history_["hint_rate"] == [0.9] * 4
    # Without a discriminator its losses are recorded as 0.
    alone = GAINImputer(max_epochs=2, validation_fraction=0, random_state=0).fit(X_missing)
    assert alone.history_["d_loss"] == [0.0, 0.0] and alone.history_["adv_loss"] == [0.0, 0.0]
    assert all(mse > 0 for mse in alone.history_["mse"])


def test_reconstruction_loss_goes_down():
    _, X_missing, _ = _correlated(n=300)
    est = GAINImputer(
        max_epochs=30, batch_size=32, drop_rate=0, adversarial=True, validation_fraction=0,
        random_state=0,
    ).fit(X_missing)
    mse = est.history_["mse"]
    assert mse[-1] < 0.5 * mse[0]


def test_early_stopping_keeps_best_epoch():
    _, X_missing, _ = _correlated(n=200)
    est = GAINImputer(
        max_epochs=500, validation_fraction=0.2, n_iter_no_change=2, tol=0.5, random_state=0
    ).fit(X_missing)
    # With tol=0.5 no epoch after the first can count as an improvement.
    assert est.n_iter_ == 3
    assert est.best_epoch_ == 1
    assert np.all(np.isfinite(est.history_["val_rmse"]))


def test_diverging_losses_raise_and_name_learning_rate(monkeypatch):
    _, X_missing, _ = _correlated(n=50)

    def broken_networks(self, generator, statistics):
        G, D = original(self, generator, statistics)
        with torch.no_grad():
            for weight in G.parameters():
                weight.fill_(float("nan"))
        return G, D

    original = GAINImputer._build_networks
    monkeypatch.setattr(GAINImputer, "_build_networks", broken_networks)
    # A ValueError, as every bad setting, and still a FloatingPointError.
    with pytest.raises(ValueError, match="learning_rate") as info:
        GAINImputer(max_epochs=2, random_state=0).fit(X_missing)
    assert isinstance(info.value, FloatingPointError)


def test_categorical_features_imputed_with_seen_values():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(0, 4, 200) * 2.5, rng.rand(200), rng.randint(0, 2, 200)])
    X[rng.rand(*X.shape) < 0.3] = np.nan
    for spec in ([0, 2], [True, False, True]):
        est = GAINImputer(max_epochs=2, categorical_features=spec, random_state=0)
        out = est.fit_transform(X)
        assert set(np.unique(out[:, 0])) <= {0.0, 2.5, 5.0, 7.5}
        assert set(np.unique(out[:, 2])) <= {0.0, 1.0}
        assert len(np.unique(out[:, 1])) > 10
        np.testing.assert_array_equal(est.categories_[0], [0.0, 2.5, 5.0, 7.5])
        assert est.categories_[1] is None


@pytest.mark.parametrize("spec", [[5], [-1], [True, False], [0.5]])
def test_bad_categorical_features_raise(spec):
    X = np.array([[1.0, np.nan, 3.0], [2.0, 2.0, np.nan], [3.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="categorical_features"):
        GAINImputer(max_epochs=1, categorical_features=spec).fit(X)


def test_sample_draws_multiple_imputations():
    _, X_missing, hidden = _correlated(n=60)
    est = GAINImputer(max_epochs=3, noise_scale=1.0, adversarial=True,
                      random_state=0).fit(X_missing)
    draws = est.sample(X_missing, n_draws=4, random_state=0)
    assert draws.shape == (4, 60, 8)
    observed = ~hidden
    for draw in draws:
        np.testing.assert_array_equal(draw[observed], X_missing[observed])
    # Different noise, different imputations of the missing entries.
    assert not np.allclose(draws[0][hidden], draws[1][hidden])
    np.testing.assert_array_equal(draws, est.sample(X_missing, n_draws=4, random_state=0))
    with pytest.raises(ValueError, match="n_draws"):
        est.sample(X_missing, n_draws=0)


def test_transform_works_in_batches_of_batch_size():
    _, X_missing, _ = _correlated(n=100)
    est = GAINImputer(max_epochs=1, batch_size=16, random_state=0).fit(X_missing)
    sizes = []
    hook = est.generator_.register_forward_hook(lambda m, i, o: sizes.append(len(o)))
    est.transform(X_missing)
    hook.remove()
    assert max(sizes) == 16 and sum(sizes) == 100


@pytest.mark.parametrize("n_rows, width", [(30, 64), (700, 64), (1000, 128), (1500, 256),
                                           (3680, 256), (16000, 256)])
def test_default_width_grows_with_the_training_rows(n_rows, width):
    from skgain._gain import _width_for_rows  # private, the unit under test

    assert _width_for_rows(n_rows) == width


def test_default_hidden_width_by_architecture():
    _, X_missing, _ = _correlated(n=30)
    est = GAINImputer(max_epochs=1, random_state=0).fit(X_missing)
    # Inputs: 8 values, 8 mask entries and 8 x 2 x 8 periodic features.
    assert est.n_frequencies_ == 8
    # 30 rows: the narrowest default width.
    assert est.hidden_dim_ == 64 and est.generator_.embed.weight.shape == (64, 144)
    assert len(est.generator_.blocks) == 4
    original = GAINImputer(max_epochs=1, architecture="mlp", random_state=0).fit(X_missing)
    assert original.hidden_dim_ == 8 and original.generator_.layers[0].weight.shape == (8, 16)
    assert original.n_frequencies_ == 0
    plain = GAINImputer(max_epochs=1, n_frequencies=0, random_state=0).fit(X_missing)
    assert plain.generator_.periodic is None and plain.generator_.embed.weight.shape == (64, 16)
    wide = GAINImputer(max_epochs=1, architecture="mlp", hidden_dim=32,
                       random_state=0).fit(X_missing)
    assert wide.generator_.layers[0].weight.shape == (32, 16)


def test_different_seeds_give_different_imputations():
    _, X_missing, hidden = _correlated(n=60)
    a = GAINImputer(max_epochs=2, random_state=0).fit_transform(X_missing)
    b = GAINImputer(max_epochs=2, random_state=1).fit_transform(X_missing)
    assert not np.allclose(a[hidden], b[hidden])


def test_verbose_shows_progress(capsys):
    _, X_missing, _ = _correlated(n=40)
    GAINImputer(max_epochs=2, verbose=1, random_state=0).fit(X_missing)
    err = capsys.readouterr().err
    assert "2/2" in err and "mse=" in err
    GAINImputer(max_epochs=2, random_state=0).fit(X_missing)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "param, value",
    [("alpha", -1), ("hint_rate", 1.5), ("hint_mechanism", "random"), ("learning_rate", 0),
     ("batch_size", 0), ("max_epochs", 0), ("validation_fraction", 1.0), ("hidden_dim", 0),
     ("drop_rate", 1.0), ("architecture", "cnn"), ("n_blocks", 0), ("lr_schedule", "cosine"),
     ("training_precision", "float16"), ("max_epochs", "many"), ("n_iter_no_change", 0)],
)
def test_out_of_range_parameters(param, value):
    X = np.array([[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]])
    with pytest.raises(InvalidParameterError, match=param):
        GAINImputer(**{param: value}).fit(X)


def test_paper_losses_only_see_entries_the_hint_hides():
    from skgain._engine import GAINObjective  # private, the unit under test

    paper = GAINObjective(hint_mechanism="paper")
    hint = torch.tensor([[0.0, 0.5, 1.0], [0.5, 0.5, 1.0]])
    np.testing.assert_array_equal(paper._focus(hint).numpy(), [[0, 1, 0], [1, 1, 0]])
    code = GAINObjective(hint_mechanism="code")
    np.testing.assert_array_equal(code._focus(hint).numpy(), np.ones((2, 3)))
    # With every entry revealed the discriminator has nothing to guess: no adversarial loss.
    _, X_missing, _ = _correlated(n=60)
    fitted = GAINImputer(hint_rate=1.0, max_epochs=2, adversarial=True,
                         random_state=0).fit(X_missing)
    assert fitted.history_["adv_loss"] == [0.0, 0.0]
    assert fitted.history_["d_loss"] == [0.0, 0.0]
    fitted_code = GAINImputer(hint_rate=1.0, hint_mechanism="code", max_epochs=2,
                              adversarial=True, random_state=0).fit(X_missing)
    assert all(loss > 0 for loss in fitted_code.history_["adv_loss"])


def test_drop_rate_trains_reconstruction_on_hidden_observed_entries(monkeypatch):
    _, X_missing, _ = _correlated(n=64)
    seen = []
    original = GAINImputer._generator_input

    def spy(self, values, mask, generator):
        seen.append(mask.mean().item())
        return original(self, values, mask, generator)

    monkeypatch.setattr(GAINImputer, "_generator_input", spy)
    GAINImputer(max_epochs=1, batch_size=64, drop_rate=0.5, validation_fraction=0,
                random_state=0).fit(X_missing)
    # 80% observed, half of it hidden from the generator during training.
    assert seen[0] == pytest.approx(0.4, abs=0.05)
    seen.clear()
    GAINImputer(max_epochs=1, batch_size=64, drop_rate=0, adversarial=True,
                validation_fraction=0, random_state=0).fit(X_missing)
    assert seen[0] == pytest.approx(0.8, abs=0.05)


def test_reconstruction_alone_needs_hidden_entries():
    _, X_missing, _ = _correlated(n=30)
    with pytest.raises(ValueError, match="drop_rate > 0"):
        GAINImputer(drop_rate=0, max_epochs=1).fit(X_missing)


def test_adversarial_parameters_warn_without_a_discriminator():
    _, X_missing, _ = _correlated(n=30)
    with pytest.warns(UserWarning, match="alpha, hint_rate act only on the adversarial loss and have no"):
        GAINImputer(alpha=100, hint_rate=0.5, max_epochs=1).fit(X_missing)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        GAINImputer(alpha=100, hint_rate=0.5, adversarial=True, max_epochs=1).fit(X_missing)
    with pytest.warns(UserWarning, match="n_blocks has no effect"):
        GAINImputer(architecture="mlp", n_blocks=2, max_epochs=1).fit(X_missing)


@pytest.mark.parametrize("settings", [{}, ORIGINAL_GAIN], ids=["default", "original-gain"])
def test_saturated_training_is_an_error_naming_learning_rate(settings):
    X, X_missing, _ = _correlated(n=300)
    with pytest.raises(ValueError, match=r"learning_rate \(now 100"):
        GAINImputer(**{**settings, "learning_rate": 100}, max_epochs=5,
                    random_state=0).fit(X_missing)


def test_auto_schedule_gives_every_table_the_same_compute():
    est = GAINImputer(max_epochs="auto")
    est.n_features_in_ = 100  # too wide for the blend: the network alone
    # 1 million rows seen: 218 epochs of 4,601 rows; within [100, 300].
    assert est._resolve_schedule(4601) == (218, 54)
    assert est._resolve_schedule(3334) == (300, 75)
    assert est._resolve_schedule(178) == (300, 75)
    assert est._resolve_schedule(9_999) == (101, 25)
    # From 10,000 rows on, the cheaper large-table generator: 175 epochs.
    assert est._resolve_schedule(10_000) == (175, 43)
    assert est._resolve_schedule(10**6) == (175, 43)
    assert GAINImputer(max_epochs=7, n_iter_no_change=3)._resolve_schedule(50) == (7, 3)


def test_auto_schedule_caps_the_epochs_where_the_network_is_blended():
    blended = GAINImputer()
    blended._n_columns = 10  # 178 x 10 entries: "auto" blends
    assert blended._resolve_schedule(178) == (150, 37)
    assert blended._resolve_schedule(9_999) == (101, 25)  # under the cap already
    alone = GAINImputer(blend_estimator=None)
    alone._n_columns = 10
    assert alone._resolve_schedule(178) == (300, 75)
    held_out_none = GAINImputer(validation_fraction=0)
    held_out_none.n_features_in_ = 10
    assert held_out_none._resolve_schedule(178) == (300, 75)
    X = np.random.RandomState(0).rand(60, 3)
    X[::5, 1] = np.nan
    assert GAINImputer(n_iter_no_change=1).fit(X).max_epochs_ == 150


def _auto_settings(imputer):
    return (imputer.n_blocks_, imputer.batch_size_, imputer.learning_rate_,
            len(imputer.generator_.blocks))


def test_auto_settings_switch_to_a_cheaper_generator_on_large_tables(monkeypatch):
    from ._spies import record_learning_rates

    rates = record_learning_rates(monkeypatch)
    X = np.random.RandomState(0).rand(10_000, 2)
    X[::7, 0] = np.nan
    large = GAINImputer(max_epochs=1, hidden_dim=8, validation_fraction=0,
                        random_state=0).fit(X)
    assert _auto_settings(large) == (2, 1024, pytest.approx(6e-3), 2)
    assert len(rates) == 10 and max(rates) == pytest.approx(6e-3, rel=0.05)
    small = GAINImputer(max_epochs=1, hidden_dim=8, validation_fraction=0,
                        random_state=0).fit(X[:9_999])
    assert _auto_settings(small) == (4, 256, 3e-3, 4)
    # partial_fit does not know the table's size: the small-table settings.
    streamed = GAINImputer(hidden_dim=8, random_state=0).partial_fit(X)
    assert _auto_settings(streamed) == (4, 256, 3e-3, 4)


@pytest.mark.parametrize("settings, expected", [
    (dict(n_blocks=3, batch_size=512, learning_rate=1e-3), (3, 512, 1e-3, 3)),
    # "auto" learning rate: sqrt growth above 256 rows, 3e-3 below.
    (dict(batch_size=512), (2, 512, pytest.approx(3e-3 * 2 ** 0.5), 2)),
    (dict(batch_size=64), (2, 64, 3e-3, 2)),
])
def test_given_settings_are_kept_on_large_tables(settings, expected):
    X = np.random.RandomState(0).rand(10_000, 2)
    X[::7, 0] = np.nan
    est = GAINImputer(max_epochs=1, hidden_dim=8, validation_fraction=0, random_state=0,
                      **settings).fit(X)
    assert _auto_settings(est) == expected


@pytest.mark.parametrize("schedule, last_rate", [("one-cycle", 1e-6), ("constant", 3e-3)])
def test_learning_rate_schedule(schedule, last_rate, monkeypatch):
    from ._spies import record_learning_rates

    _, X_missing, _ = _correlated(n=64)
    rates = record_learning_rates(monkeypatch)
    GAINImputer(max_epochs=10, batch_size=16, lr_schedule=schedule, validation_fraction=0,
                random_state=0).fit(X_missing)
    assert len(rates) == 40
    assert rates[-1] == pytest.approx(last_rate, abs=1e-5)
    if schedule == "one-cycle":
        # Warm up for the first 10% of the steps, then anneal.
        assert np.argmax(rates) == 3 and rates[3] == pytest.approx(3e-3)


def test_plateau_schedule_halves_the_rate_where_the_validation_rmse_stalls(monkeypatch):
    from ._spies import record_learning_rates

    _, X_missing, _ = _correlated(n=64)
    rates = record_learning_rates(monkeypatch)
    est = GAINImputer(max_epochs=30, batch_size=16, lr_schedule="plateau", tol=0,
                      n_iter_no_change=30, validation_fraction=0.2, random_state=0).fit(X_missing)
    per_epoch = rates[::4]
    assert len(rates) == 4 * est.n_iter_ and set(rates[1::4]) <= set(per_epoch)
    # The rate of epoch e + 1 is halved once for every second epoch in a row,
    # up to e, whose validation RMSE is not a new best.
    scores, best, stale, expected = est.history_["val_rmse"], np.inf, 0, [3e-3]
    for score in scores[:-1]:
        best, stale = (score, 0) if score < best else (best, stale + 1)
        halve = stale == 2
        stale = 0 if halve else stale
        expected.append(expected[-1] / 2 if halve else expected[-1])
    assert expected[-1] < 3e-3  # the schedule did act on this fit
    np.testing.assert_allclose(per_epoch, expected)


def test_plateau_schedule_needs_a_validation_split():
    _, X_missing, _ = _correlated(n=64)
    with pytest.raises(ValueError, match="validation_fraction > 0"):
        GAINImputer(lr_schedule="plateau", validation_fraction=0).fit(X_missing)


def test_training_precision_is_resolved_and_bfloat16_trains_alike():
    X, X_missing, hidden = _correlated(n=300)
    fits = {}
    for precision in ("float32", "bfloat16"):
        est = GAINImputer(training_precision=precision, max_epochs=30, hidden_dim=32, n_blocks=2,
                          random_state=0, validation_fraction=0)
        fits[precision] = est.fit_transform(X_missing)
        assert est.training_precision_ == precision
    errors = {k: np.sqrt(np.mean((v - X)[hidden] ** 2)) for k, v in fits.items()}
    assert errors["bfloat16"] == pytest.approx(errors["float32"], rel=0.1)


@pytest.mark.parametrize("native", [True, False])
def test_auto_training_precision_uses_bfloat16_only_where_the_cpu_has_it(native, monkeypatch):
    # White-box: the private CPU probe, patched to reach both branches on any CPU.
    import skgain._adversarial as adversarial

    monkeypatch.setattr(adversarial, "_cpu_has_bfloat16", lambda: native)
    _, X_missing, _ = _correlated(n=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto = GAINImputer(max_epochs=1, device="cpu").fit(X_missing)
    assert auto.training_precision_ == ("bfloat16" if native else "float32")


def test_validation_imputes_a_bounded_number_of_rows(monkeypatch):
    # White-box: the private cap, lowered so that 200 rows reach it.
    monkeypatch.setattr(GAINImputer, "_max_validation_rows", 10)
    _, X_missing, _ = _correlated(n=200)
    sizes = []
    original = GAINImputer._generate

    def spy(self, X, mask, seed, output=None):
        sizes.append(len(X))
        return original(self, X, mask, seed, output)

    monkeypatch.setattr(GAINImputer, "_generate", spy)
    est = GAINImputer(max_epochs=3, n_iter_no_change=5, validation_fraction=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_missing)
    # One pass per epoch on the capped rows, then the check against the means
    # on them, then the held-out errors that sample draws from.
    assert sizes == [10, 10, 10, 10, 10]


def test_sample_warns_when_draws_cannot_differ():
    # Without held-out errors to draw from, only the generator's noise is left.
    _, X_missing, _ = _correlated(n=60)
    est = GAINImputer(max_epochs=2, validation_fraction=0, random_state=0).fit(X_missing)
    with pytest.warns(UserWarning, match="adversarial=True for multiple imputation"):
        draws = est.sample(X_missing, n_draws=2, random_state=0)
    assert draws.shape == (2, 60, 8)


def test_validation_holds_out_at_most_5000_entries(monkeypatch):
    # White-box: the private split, spied on (no fitted attribute counts its entries).
    import skgain._adversarial as adversarial

    held_out = []
    original = adversarial.hold_out

    def spy(mask, fraction, rng, max_entries=None, columns=None):
        n_observed = int(mask.sum())  # before: the training mask is mask, changed in place
        train, val = original(mask, fraction, rng, max_entries, columns)
        held_out.append((n_observed, int(val.sum())))
        return train, val

    monkeypatch.setattr(adversarial, "hold_out", spy)
    rng = np.random.RandomState(0)
    for n_rows in (100, 8000):
        X = rng.rand(n_rows, 10)
        X[rng.rand(*X.shape) < 0.2] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # No blend: its imputers on 8,000 rows would take most of the test's time.
            GAINImputer(max_epochs=1, hidden_dim=8, n_blocks=1, blend_estimator=None,
                        random_state=0).fit(X)
    (small_observed, small_val), (_, big_val) = held_out
    assert small_val == round(0.1 * small_observed) and big_val == 5000


def test_periodic_features_are_zero_for_hidden_entries():
    from skgain._networks import PeriodicEmbedding  # private, the unit under test

    embedding = PeriodicEmbedding(3, 4, 1.0)
    embedding.reset_parameters(torch.Generator().manual_seed(0))
    values = torch.rand(5, 3)
    mask = torch.tensor([[1.0, 0.0, 1.0]]).expand(5, 3)
    features = embedding(values, mask).reshape(5, 3, 8)
    assert torch.all(features[:, 1] == 0)
    # sin^2 + cos^2 = 1 for every frequency of an observed value.
    squares = features[:, 0, :4] ** 2 + features[:, 0, 4:] ** 2
    assert torch.allclose(squares, torch.ones_like(squares))


def test_wide_tables_get_no_periodic_features_by_default(monkeypatch):
    # White-box: the private limit, lowered so that an 8-feature table passes it.
    import skgain._gain

    monkeypatch.setattr(skgain._gain, "_MAX_PERIODIC_FEATURES", 5)
    _, X_missing, _ = _correlated(n=30)
    est = GAINImputer(max_epochs=1, random_state=0).fit(X_missing)
    assert est.n_frequencies_ == 0 and est.generator_.periodic is None


@pytest.mark.parametrize("settings", [{}, ORIGINAL_GAIN], ids=["default", "original-gain"])
def test_golden_output(settings, request):
    from ._golden import assert_matches_golden, golden_table

    X = golden_table()
    est = GAINImputer(**{**settings, "training_precision": "float32"}, max_epochs=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert_matches_golden(f"gain_{request.node.callspec.id}", est.fit_transform(X))


def test_noise_scale_acts_without_a_discriminator_and_does_not_warn():
    _, X_missing, hidden = _correlated(n=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        noisy = GAINImputer(noise_scale=0.5, max_epochs=2, random_state=0).fit_transform(X_missing)
    quiet = GAINImputer(noise_scale=0.0, max_epochs=2, random_state=0).fit_transform(X_missing)
    # The noise fills the generator's input at missing entries: it changes them.
    assert not np.allclose(noisy[hidden], quiet[hidden])


def test_a_rows_imputation_depends_on_its_batch_only_through_the_noise():
    _, X_missing, _ = _correlated(n=60)
    for noise_scale in (0.01, 0.0):
        est = GAINImputer(noise_scale=noise_scale, max_epochs=5, blend_estimator=None,
                          random_state=0).fit(X_missing)
        together = est.transform(X_missing)[40:50]
        alone = est.transform(X_missing[40:50])
        np.testing.assert_array_equal(together, est.transform(X_missing)[40:50])
        if noise_scale:  # the documented dependence: a different noise draw
            assert 0 < np.max(np.abs(together - alone)) < noise_scale
        else:
            np.testing.assert_array_equal(together, alone)


def test_trained_networks_are_public_after_fit():
    _, X_missing, _ = _correlated(n=40)
    with pytest.raises(NotFittedError):
        GAINImputer().discriminator_
    plain = GAINImputer(max_epochs=1, random_state=0).fit(X_missing)
    assert plain.discriminator_ is None and isinstance(plain.generator_, torch.nn.Module)
    gan = GAINImputer(adversarial=True, max_epochs=1, random_state=0).fit(X_missing)
    assert isinstance(gan.discriminator_, torch.nn.Module)
    assert gan.discriminator_ is not gan.generator_


def _low_rank(n=200, d=8, rate=0.2, seed=0):
    """A small table of rank 3 plus noise, where a linear imputer is strong."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 3) @ rng.rand(3, d) + 0.05 * rng.randn(n, d)
    hidden = rng.rand(n, d) < rate
    X_missing = np.where(hidden, np.nan, X)
    return X, X_missing, hidden


def test_blend_beats_the_network_alone_on_a_small_linear_table():
    X, X_missing, hidden = _low_rank()
    errors = {}
    for blend in ("auto", None):
        imputer = GAINImputer(max_epochs=40, blend_estimator=blend, random_state=0)
        out = imputer.fit_transform(X_missing)
        assert np.array_equal(out[~hidden], X[~hidden])
        errors[blend] = np.sqrt(np.mean((out[hidden] - X[hidden]) ** 2))
        if blend == "auto":
            assert imputer.blend_.weights_.shape == (8, 3)
            assert np.all((imputer.blend_.weights_ >= 0) & (imputer.blend_.weights_ <= 1))
            np.testing.assert_allclose(imputer.blend_.weights_.sum(axis=1), 1.0)
        else:
            assert imputer.blend_ is None
    # Measured: 0.0859 blended against 0.1300 for the network alone.
    assert errors["auto"] < 0.95 * errors[None]


def test_blend_weights_mix_the_imputations():
    X, X_missing, hidden = _low_rank()
    imputer = GAINImputer(max_epochs=5, random_state=0).fit(X_missing)
    scaled = (X_missing - imputer.data_min_) / imputer.data_range_
    linear, trees = [estimator.transform(scaled) for estimator in imputer.blend_.estimators_]
    # The blend is kept within a quarter of the fitted range beyond it.
    expected = np.clip(0.25 * linear + 0.75 * trees, -0.25, 1.25)
    expected = expected * imputer.data_range_ + imputer.data_min_
    imputer.blend_.weights_ = np.tile([0.0, 0.25, 0.75], (8, 1))
    np.testing.assert_allclose(imputer.transform(X_missing), expected, rtol=1e-12)
    imputer.blend_.weights_ = np.tile([1.0, 0.0, 0.0], (8, 1))
    blended = imputer.transform(X_missing)
    imputer.blend_ = None  # the network alone
    np.testing.assert_allclose(blended, imputer.transform(X_missing), rtol=1e-12)


def test_blend_extrapolates_a_hidden_extreme_within_a_quarter_range():
    rng = np.random.RandomState(0)
    x = rng.rand(150)
    X = np.column_stack([x, 2 * x + 0.01 * rng.randn(150), rng.rand(150)])
    X_missing = np.where(rng.rand(150, 3) < 0.1, np.nan, X)
    top = np.argsort(x)[-8:]  # the largest values of the second column are never observed
    X_missing[top, 0], X_missing[top, 1] = X[top, 0], np.nan
    imputer = GAINImputer(max_epochs=5, random_state=0).fit(X_missing)
    imputer.blend_.weights_ = np.tile([0.0, 1.0, 0.0], (3, 1))  # the linear imputer's values
    out = imputer.transform(X_missing)
    observed_max = np.nanmax(X_missing[:, 1])
    span = observed_max - np.nanmin(X_missing[:, 1])
    # The linear relation goes on past the observed maximum, and the blend with it
    # (clipped at the fitted range, all eight stopped at the maximum).
    assert np.all(out[top, 1] > observed_max)
    assert np.sqrt(np.mean((out[top, 1] - X[top, 1]) ** 2)) < 0.02
    # A wild extrapolation stops a quarter of the observed range beyond it.
    far = imputer.transform(np.array([[10.0, np.nan, 0.5]]))[0, 1]
    np.testing.assert_allclose(far, observed_max + 0.25 * span, rtol=1e-9)


def test_a_given_blend_estimator_is_fitted_on_a_clone():
    from sklearn.impute import KNNImputer

    X, X_missing, hidden = _low_rank(n=120)
    given = KNNImputer(n_neighbors=3)
    imputer = GAINImputer(max_epochs=3, blend_estimator=given, random_state=0).fit(X_missing)
    (fitted,) = imputer.blend_.estimators_
    assert isinstance(fitted, KNNImputer)
    assert fitted is not given and not hasattr(given, "n_features_in_")
    out = imputer.transform(X_missing)
    assert np.array_equal(out[~hidden], X[~hidden]) and not np.isnan(out).any()


def test_blend_estimators_are_refitted_on_every_observed_entry():
    X, X_missing, hidden = _low_rank(n=120)
    CountingMeanFill.nan_counts = []
    imputer = GAINImputer(max_epochs=2, blend_estimator=CountingMeanFill(),
                          validation_fraction=0.1, random_state=0).fit(X_missing)
    n_missing = int(hidden.sum())
    n_held_out = int(round(0.1 * (X.size - n_missing)))
    # Weighed with the held-out entries hidden, then refitted with them.
    assert CountingMeanFill.nan_counts == [n_missing + n_held_out, n_missing]
    (fitted,) = imputer.blend_.estimators_
    np.testing.assert_allclose(fitted.means, np.nanmean(
        (X_missing - imputer.data_min_) / imputer.data_range_, axis=0))


def test_a_list_of_blend_estimators_gets_one_weight_column_each():
    from sklearn.impute import KNNImputer, SimpleImputer

    X, X_missing, hidden = _low_rank(n=120)
    given = [KNNImputer(n_neighbors=3), SimpleImputer()]
    imputer = GAINImputer(max_epochs=3, blend_estimator=given, random_state=0).fit(X_missing)
    assert [type(e) for e in imputer.blend_.estimators_] == [KNNImputer, SimpleImputer]
    assert imputer.blend_.weights_.shape == (8, 3)
    out = imputer.transform(X_missing)
    assert np.array_equal(out[~hidden], X[~hidden]) and not np.isnan(out).any()
    with pytest.raises(ValueError, match="blend_estimator is an empty list"):
        GAINImputer(max_epochs=2, blend_estimator=[]).fit(X_missing)


def test_blend_needs_held_out_entries_and_the_whole_table():
    from sklearn.impute import KNNImputer

    _, X_missing, _ = _low_rank(n=120)
    with pytest.raises(ValueError, match="blend_estimator needs held-out entries"):
        GAINImputer(max_epochs=2, blend_estimator=KNNImputer(),
                    validation_fraction=0).fit(X_missing)
    with pytest.raises(ValueError, match="partial_fit cannot fit blend_estimator"):
        GAINImputer(blend_estimator=KNNImputer()).partial_fit(X_missing)
    # "auto" cannot weigh the two without held-out entries, nor stream.
    alone = GAINImputer(max_epochs=2, validation_fraction=0, random_state=0).fit(X_missing)
    streamed = GAINImputer(random_state=0).partial_fit(X_missing)
    assert alone.blend_ is None and streamed.blend_ is None


class _NaNSpy(IterativeImputer):
    """A linear iterative imputer that records where its last ``transform`` input held NaN."""

    def transform(self, X):
        self.last_nan_ = np.isnan(X)
        return super().transform(X)


def test_score_scores_what_transform_returns_blend_included():
    # issue 32: score scored the network alone while transform returned the blend.
    X, _, _ = _correlated(n=200, d=6)
    imputer = GAINImputer(max_epochs=3, blend_estimator=_NaNSpy(), random_state=0).fit(X)
    assert np.all(imputer.blend_.weights_[:, 1] > 0)  # the partner counts in transform
    score = imputer.score(X)
    hidden = imputer.blend_.estimators_[0].last_nan_  # X had no NaN: these were hidden
    assert 0.15 < hidden.mean() < 0.25
    completed = imputer.transform(np.where(hidden, np.nan, X))
    error = ((completed - X) / imputer.data_range_)[hidden]
    assert score == pytest.approx(-np.sqrt(np.mean(error**2)), rel=1e-12)


@pytest.mark.parametrize("params, match", [
    ({"n_frequencies": 10**6}, "n_frequencies"),
    ({"hidden_dim": 10**6}, "hidden_dim"),
    ({"n_blocks": 10**4}, "n_blocks"),
    ({"blend_estimator": SimpleImputer}, "not classes.*SimpleImputer\\(\\)"),
])
def test_sizes_beyond_their_bound_and_classes_are_clear_errors(params, match):
    _, X_missing, _ = _correlated(n=40, d=4)
    with pytest.raises(ValueError, match=match):
        GAINImputer(max_epochs=1, **params).fit(X_missing)


def test_first_layer_too_large_names_both_parameters():
    X = np.random.RandomState(0).rand(8, 2000)
    with pytest.raises(ValueError, match="n_frequencies=256 and hidden_dim=8192"):
        GAINImputer(n_frequencies=256, hidden_dim=8192, max_epochs=1).fit(X)


def test_learning_rate_grows_with_the_rows_a_step_uses_not_the_batch_asked():
    _, X_missing, _ = _correlated(n=40, d=4)
    huge = GAINImputer(batch_size=10**9, max_epochs=2, blend_estimator=None,
                       random_state=0).fit(X_missing)
    assert huge.learning_rate_ == pytest.approx(3e-3)  # 40 rows: the base rate
    assert GAINImputer(batch_size=1024, max_epochs=1, validation_fraction=0,
                       random_state=0).fit(
        np.random.RandomState(0).rand(2000, 3)).learning_rate_ == pytest.approx(6e-3)


def test_a_partner_worse_than_the_column_means_gets_no_weight():
    X, X_missing, hidden = _correlated(n=300, d=6)
    wild = SimpleImputer(strategy="constant", fill_value=1e9)
    imputer = GAINImputer(max_epochs=20, blend_estimator=[wild, SimpleImputer()],
                          random_state=0).fit(X_missing)
    assert np.all(imputer.blend_.weights_[:, 1] == 0)
    assert np.allclose(imputer.blend_.weights_.sum(axis=1), 1)
    completed = imputer.transform(X_missing)
    assert np.abs(completed[hidden]).max() < 2 * np.abs(X).max()


def test_one_unused_adversarial_parameter_is_named_in_the_singular():
    _, X_missing, _ = _correlated(n=40, d=4)
    with pytest.warns(UserWarning, match="alpha acts only on the adversarial loss and has no "
                                         "effect with adversarial=False; set adversarial=True "
                                         "to use it"):
        GAINImputer(alpha=3, max_epochs=1, blend_estimator=None).fit(X_missing)
