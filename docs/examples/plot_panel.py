"""
=============================================
Imputing the missing outcomes of a panel
=============================================

In a causal panel study the outcomes of treated units after treatment are
missing: they are the counterfactuals to impute. We simulate a panel with
:func:`~skgain.datasets.make_panel`,
``Y[i, t] = rho * Y[i, t-1] + delta[i] + gamma[t] + eps[i, t]``, hide the
last periods of 20% of the units with
:func:`~skgain.datasets.make_panel_mask`, and impute them with skgain's and
scikit-learn's imputers. Units are rows and periods are columns, so an
imputer can borrow from the control units observed in the same periods.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA
from skgain.datasets import make_panel, make_panel_mask

Y = make_panel(n_units=200, n_periods=30, rho=0.7, random_state=0)
missing = make_panel_mask(200, 30, treated_fraction=0.2, missing_periods=6, random_state=0)
Y_missing = np.where(missing, np.nan, Y)
print(f"{missing.any(axis=1).sum()} treated units miss their last {missing.sum(axis=1).max()} "
      "periods")

imputers = {
    "GAIN": GAINImputer(batch_size=32, max_epochs=100, random_state=0),
    "SoftImpute-FISTA": SoftImputeFISTA(random_state=0),
    "iterative": IterativeImputer(max_iter=30, random_state=0),
    "period mean": SimpleImputer(),
}
completed = {}
for name, imputer in imputers.items():
    completed[name] = imputer.fit_transform(Y_missing)
    rmse = np.sqrt(np.mean((completed[name] - Y)[missing] ** 2))
    # The noise eps has standard deviation 1 and cannot be predicted, so no
    # method can bring the RMSE much below 1.
    print(f"{name:>17}: RMSE on the missing outcomes {rmse:.3f}")

# %%
# One treated unit: its observed path, the hidden truth and the imputations.

unit = np.flatnonzero(missing.any(axis=1))[0]
periods = np.arange(Y.shape[1])
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(periods, Y[unit], color="black", label="truth")
ax.plot(periods[~missing[unit]], Y[unit, ~missing[unit]], "o", color="black", ms=3,
        label="observed")
for name, values in completed.items():
    ax.plot(periods[missing[unit]], values[unit, missing[unit]], "o-", ms=3, label=name)
ax.axvline(periods[missing[unit]][0] - 0.5, color="gray", linestyle=":")
ax.set_xlabel("period")
ax.set_ylabel("Y")
ax.set_title(f"unit {unit}")
ax.legend(fontsize=8, ncol=3)
fig.tight_layout()
plt.show()
