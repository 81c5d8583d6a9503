"""Demo: ``python -m skgain`` imputes scikit-learn's digits with 20% of pixels hidden.

It prints the RMSE (on the 0-16 pixel scale divided by 16) over the hidden
pixels for mean imputation and for skgain's imputers, with fit seconds.
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA, SpatialGAINImputer


def main():
    X = load_digits().data
    rng = np.random.RandomState(0)
    hidden = rng.rand(*X.shape) < 0.2
    X_missing = X.copy()
    X_missing[hidden] = np.nan
    imputers = {
        "SimpleImputer(mean)": SimpleImputer(),
        "SoftImputeFISTA": SoftImputeFISTA(random_state=0),
        "GAINImputer": GAINImputer(random_state=0),
        # The 64 columns are 8x8 images: SpatialGAIN infers the square shape.
        "SpatialGAINImputer": SpatialGAINImputer(random_state=0),
    }
    print(f"digits: {X.shape[0]} images of 8x8 pixels, 20% of the pixels hidden")
    print(f"{'imputer':28s} {'RMSE':>8s} {'seconds':>8s}")
    for name, imputer in imputers.items():
        start = time.perf_counter()
        X_imputed = imputer.fit_transform(X_missing)
        seconds = time.perf_counter() - start
        rmse = np.sqrt(np.mean(((X_imputed - X) / 16.0)[hidden] ** 2))
        print(f"{name:28s} {rmse:8.4f} {seconds:8.1f}")


if __name__ == "__main__":
    main()
