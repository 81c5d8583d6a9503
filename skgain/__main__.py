"""Demo: ``python -m skgain`` imputes scikit-learn's digits with 20% of pixels hidden.

The 1797 digits (8x8 images, one per row of 64 grey levels from 0 to 16)
lose 20% of their pixels at random. Each imputer is fitted on 80% of the
images and then completes the other 20%, images it never saw, as a
``Pipeline`` or ``cross_val_score`` would use it. Two numbers per imputer,
both the root mean squared error over the hidden pixels on the 0-1 scale
(grey levels divided by 16; lower is better, 0 is perfect):

* ``fit_transform``: the hidden pixels of the images it was fitted on;
* ``unseen rows``: the hidden pixels of the held-out images (``transform``).

With matplotlib installed, a figure of a few held-out digits (original,
masked, each imputer's fill) is saved to ``--figure PATH`` (default
``skgain_demo.png`` in the current directory); ``--no-figure`` skips it.
Every imputer runs with its default settings and ``random_state=0``.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA, SpatialGAINImputer

HIDDEN_FRACTION = 0.2
TRAIN_FRACTION = 0.8
N_FIGURE_DIGITS = 6


def make_imputers():
    """The imputers shown, with their default settings."""
    return {
        "SimpleImputer(mean)": SimpleImputer(),
        "SoftImputeFISTA": SoftImputeFISTA(random_state=0),
        # verbose=1: a progress bar of the epochs while the networks train.
        "GAINImputer": GAINImputer(random_state=0, verbose=1),
        # The 64 columns are 8x8 images: SpatialGAIN infers the square shape.
        "SpatialGAINImputer": SpatialGAINImputer(random_state=0, verbose=1),
    }


def rmse(X_imputed, X, hidden):
    """RMSE over the ``hidden`` pixels, on the 0-1 scale (grey levels / 16)."""
    return float(np.sqrt(np.mean(((X_imputed - X) / 16.0)[hidden] ** 2)))


def run(imputers, X, hidden, train, report=None):
    """Fit each imputer on the ``train`` rows and complete the others.

    ``report(name, result)``, when given, is called as soon as each imputer's
    result is known.

    Returns
    -------
    results : dict
        Per imputer name: ``fit_transform`` and ``unseen`` RMSE, ``seconds``
        (fit plus both imputations) and ``filled`` (the completed test rows).
    """
    X_missing = np.where(hidden, np.nan, X)
    test = ~train
    results = {}
    for name, imputer in imputers.items():
        start = time.perf_counter()
        X_fitted = imputer.fit_transform(X_missing[train])
        X_unseen = imputer.transform(X_missing[test])
        results[name] = {
            "fit_transform": rmse(X_fitted, X[train], hidden[train]),
            "unseen": rmse(X_unseen, X[test], hidden[test]),
            "seconds": time.perf_counter() - start,
            "filled": X_unseen,
        }
        if report is not None:
            report(name, results[name])
    return results


def print_header(n_train, n_test):
    """Print what the numbers mean and the table's header."""
    print(
        f"RMSE over the hidden pixels on the 0-1 scale (grey levels / 16); lower is better.\n"
        f"fit_transform: the {n_train} images each imputer was fitted on; "
        f"unseen rows: {n_test} held-out images completed by transform.\n"
        f"{'imputer':22s} {'fit_transform':>13s} {'unseen rows':>12s} {'seconds':>8s}",
        flush=True,
    )


def print_row(name, result):
    """Print one imputer's line of the table, at once (also into a file)."""
    print(f"{name:22s} {result['fit_transform']:13.4f} {result['unseen']:12.4f} "
          f"{result['seconds']:8.1f}", flush=True)


def save_figure(path, X_test, hidden_test, results, n_digits=N_FIGURE_DIGITS):
    """Save a grid of digits: original, masked, then each imputer's fill.

    Returns
    -------
    saved : bool
        False when matplotlib is not installed (nothing is written).
    """
    try:
        # The object-oriented API needs no GUI backend and leaves pyplot alone.
        from matplotlib import colormaps
        from matplotlib.figure import Figure
    except ImportError:
        return False
    # Hidden pixels (NaN, "bad" to matplotlib) show in red in the masked row.
    cmap = colormaps["gray_r"].with_extremes(bad="red")
    rows = {"original": X_test, "masked": np.where(hidden_test, np.nan, X_test)}
    rows.update({name: result["filled"] for name, result in results.items()})
    figure = Figure(figsize=(1.0 + 0.9 * n_digits, 0.9 * len(rows)), layout="constrained")
    axes = figure.subplots(len(rows), n_digits, squeeze=False)
    for row, (label, images) in zip(axes, rows.items()):
        for digit, ax in enumerate(row):
            ax.imshow(images[digit].reshape(8, 8), cmap=cmap, vmin=0, vmax=16)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    figure.suptitle(f"held-out digits: {HIDDEN_FRACTION:.0%} of the pixels hidden (red), "
                    "then each imputer's fill", fontsize=9)
    figure.savefig(path, dpi=100)
    return True


def main(argv=None):
    """Run the demo; ``argv`` as for :mod:`argparse` (None reads the command line)."""
    parser = argparse.ArgumentParser(prog="python -m skgain", description=__doc__.split("\n")[0])
    parser.add_argument("--figure", default="skgain_demo.png",
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--no-figure", action="store_true", help="do not save the figure")
    args = parser.parse_args(argv)

    X = load_digits().data
    rng = np.random.RandomState(0)
    hidden = rng.rand(*X.shape) < HIDDEN_FRACTION
    train = np.zeros(len(X), dtype=bool)
    train[rng.permutation(len(X))[: int(TRAIN_FRACTION * len(X))]] = True
    print(f"digits: {len(X)} images of 8x8 pixels, {HIDDEN_FRACTION:.0%} of the pixels hidden; "
          f"fit on {train.sum()} images, transform the other {(~train).sum()}")
    print_header(int(train.sum()), int((~train).sum()))
    results = run(make_imputers(), X, hidden, train, report=print_row)
    if args.no_figure:
        return
    if save_figure(args.figure, X[~train], hidden[~train], results):
        print(f"figure of {N_FIGURE_DIGITS} held-out digits saved to {args.figure}")
    else:
        print('figure skipped: matplotlib is not installed (pip install "skgain[demo]")')


if __name__ == "__main__":
    main()
