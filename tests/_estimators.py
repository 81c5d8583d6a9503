"""Fast configurations of the public imputers, shared by the test files."""

import numpy as np
from sklearn.impute import KNNImputer, SimpleImputer

from skgain import (
    BlendImputer,
    GAINImputer,
    SoftImputeFISTA,
    SpatialGAINImputer,
    ZeroShotSpatialImputer,
)

# The network ZeroShotSpatialImputer trains with estimator=None, as its
# docstring spells it out (test_zero_shot checks both).
ZERO_SHOT_NETWORK = {
    "architecture": "unet", "channels": None, "initial_fill": "biharmonic",
    "adversarial": False, "alpha": 10, "hint_rate": 0.9, "learning_rate": 1e-3,
    "lr_schedule": "constant", "batch_size": 8, "max_epochs": 4, "validation_fraction": 0.1,
    "n_iter_no_change": 5, "inference_precision": "float32",
}


def table_imputers():
    """Imputers that take (n_samples, n_features) tables, in test-sized settings."""
    return [
        GAINImputer(max_epochs=3, batch_size=16, random_state=0),
        SoftImputeFISTA(max_iter=30, random_state=0),
        # A table is reshaped into small images (zero-padded to a square).
        SpatialGAINImputer(max_epochs=2, batch_size=8, random_state=0),
    ]


def learning_table_imputers():
    """Row-wise imputers with just enough training to learn a small real table."""
    return [
        GAINImputer(max_epochs=150, hidden_dim=64, n_blocks=2, batch_size=64, random_state=0),
        SoftImputeFISTA(random_state=0),
        SpatialGAINImputer(max_epochs=15, random_state=0),
    ]


def zero_shot_network(**params):
    """ZeroShotSpatialImputer's default network (``estimator=None``), changed by ``params``."""
    return SpatialGAINImputer(**{**ZERO_SHOT_NETWORK, **params})


def blend_imputer():
    """A BlendImputer of two fast scikit-learn imputers."""
    return BlendImputer([KNNImputer(n_neighbors=3), SimpleImputer()], random_state=0)


def all_estimators():
    """Every public estimator, in test-sized settings."""
    # ZeroShotSpatialImputer takes one image, not a table of samples. The
    # checks' tables of 1 or 2 columns are images whose crops are 2 pixels
    # wide: pooled once, one pixel, whose group norm needs 16 channels.
    zero_shot = ZeroShotSpatialImputer(
        estimator=zero_shot_network(max_epochs=1, channels=(4, 16)), min_crops=1, random_state=0
    )
    return table_imputers() + [zero_shot, blend_imputer()]


class CountingMeanFill:
    """A column-mean imputer that records how many NaN each of its fits saw
    (copies share the list: reset ``CountingMeanFill.nan_counts`` first)."""

    nan_counts = []

    def fit(self, X):
        self.nan_counts.append(int(np.isnan(X).sum()))
        self.means = np.nanmean(X, axis=0)
        return self

    def transform(self, X):
        return np.where(np.isnan(X), self.means, X)
