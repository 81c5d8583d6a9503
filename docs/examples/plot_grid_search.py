"""
==============================================
Choosing alpha and hint_rate with GridSearchCV
==============================================

Every skgain imputer has a ``score`` method (minus the RMSE on a seeded 20%
of the observed entries it hides), so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` can tune GAIN without any
labels. Here we search ``alpha`` and ``hint_rate`` of
:class:`~skgain.GAINImputer` on the diabetes data shipped with
scikit-learn, with 20% of the entries missing.

The grid and the epochs are kept small so that this runs in seconds.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV

from skgain import GAINImputer

X = load_diabetes().data
rng = np.random.RandomState(0)
hidden = rng.rand(*X.shape) < 0.2
X_missing = np.where(hidden, np.nan, X)

alphas = [1, 10, 100]
hint_rates = [0.5, 0.9]
search = GridSearchCV(
    # An integer random_state makes every candidate hide the same entries
    # of each validation fold when it is scored.
    # alpha and hint_rate act on the adversarial loss: adversarial=True.
    GAINImputer(adversarial=True, batch_size=64, max_epochs=20, random_state=0),
    param_grid={"alpha": alphas, "hint_rate": hint_rates},
    cv=3,
)
search.fit(X_missing)
print("best parameters:", search.best_params_)
print(f"best cross-validated score (minus RMSE): {search.best_score_:.4f}")

# %%
# The scores of the grid. ``best_estimator_`` has been refitted on all the
# data; we also check it on the entries we hid ourselves.

scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(hint_rates))
fig, ax = plt.subplots(figsize=(4.5, 3.5))
image = ax.imshow(-scores, cmap="viridis_r")
ax.set_xticks(range(len(hint_rates)), [str(h) for h in hint_rates])
ax.set_yticks(range(len(alphas)), [str(a) for a in alphas])
ax.set_xlabel("hint_rate")
ax.set_ylabel("alpha")
for i in range(len(alphas)):
    for j in range(len(hint_rates)):
        ax.text(j, i, f"{-scores[i, j]:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, label="validation RMSE (scaled)")
ax.set_title("GridSearchCV over GAINImputer")
fig.tight_layout()

X_imputed = search.transform(X_missing)
data_range = np.ptp(X, axis=0)
rmse = np.sqrt(np.mean(((X_imputed - X) / data_range)[hidden] ** 2))
print(f"RMSE of the refitted best imputer on the hidden entries: {rmse:.4f}")
plt.show()
