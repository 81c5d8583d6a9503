"""
=================================
Imputing a table: GAIN and others
=================================

We hide 20% of the entries of scikit-learn's wine data completely at random,
impute them with :class:`~skgain.GAINImputer`, :class:`~skgain.SoftImputeFISTA`
and three scikit-learn imputers, and compare the root mean squared error on
the hidden entries after min-max scaling (so every feature counts alike; this
is the GAIN paper's metric).

The networks are trained for a few hundred small epochs only, so that the
gallery builds fast; which method wins on a 178-row table says little about
larger data (see the benchmark page for the paper's tables).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA

X = load_wine().data
rng = np.random.RandomState(0)
hidden = rng.rand(*X.shape) < 0.2
X_missing = X.copy()
X_missing[hidden] = np.nan
print(f"{X.shape[0]} rows, {X.shape[1]} features, {hidden.mean():.0%} hidden")

# %%
# Fit every imputer and score it on the hidden entries
# ----------------------------------------------------
# The RMSE is computed on the [0, 1] scale given by the complete data's
# per-feature range.

data_min, data_range = X.min(axis=0), np.ptp(X, axis=0)


def scaled_rmse(X_imputed):
    error = (X_imputed - X) / data_range
    return np.sqrt(np.mean(error[hidden] ** 2))


imputers = {
    "GAIN": GAINImputer(batch_size=32, max_epochs=200, random_state=0),
    "SoftImpute-FISTA": SoftImputeFISTA(random_state=0),
    "mean": SimpleImputer(),
    "5-NN": KNNImputer(),
    "iterative": IterativeImputer(random_state=0),
}
scores = {}
for name, imputer in imputers.items():
    X_imputed = imputer.fit_transform(X_missing)
    # Observed entries are never changed by a skgain imputer.
    assert np.array_equal(X_imputed[~hidden], X[~hidden])
    scores[name] = scaled_rmse(X_imputed)
    print(f"{name:>17}: RMSE {scores[name]:.4f}")

# %%
# GAIN trains with early stopping on held-out observed entries: its
# ``history_`` records the losses and the validation RMSE of every epoch.

gain = imputers["GAIN"]
print(f"GAIN ran {gain.n_iter_} epochs and kept epoch {gain.best_epoch_}")

fig, (ax_scores, ax_history) = plt.subplots(1, 2, figsize=(10, 3.5))
names = list(scores)
ax_scores.barh(names, [scores[n] for n in names], color="tab:blue")
ax_scores.invert_yaxis()
ax_scores.set_xlabel("RMSE on hidden entries (scaled; lower is better)")
ax_history.plot(gain.history_["val_rmse"], label="validation RMSE")
ax_history.plot(np.sqrt(gain.history_["mse"]), label="training RMSE (observed)")
ax_history.axvline(gain.best_epoch_ - 1, color="gray", linestyle=":", label="kept epoch")
ax_history.set_xlabel("epoch")
ax_history.legend()
fig.tight_layout()
plt.show()
