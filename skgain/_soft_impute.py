"""SoftImputeFISTA: nuclear-norm matrix completion solved with FISTA."""

import math
import numbers

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._base import BaseImputer, batch_slices, draw_seed, torch_generator

# Ridge added to the normal equations of ``transform`` so rows with fewer
# observed entries than the rank still get a unique, stable solution.
_RIDGE = 1e-6


def singular_value_threshold(A, threshold, max_rank=None, generator=None, n_power_iter=4):
    """Proximal operator of ``threshold * ||.||_*`` at ``A``.

    Returns ``(Z, U, s, Vh)`` with ``Z = U diag(s) Vh`` and the singular values
    ``s`` soft-thresholded (zeros dropped). With ``max_rank`` a seeded
    randomised SVD (Halko, Martinsson and Tropp, 2011) of that rank is used.
    """
    if max_rank is None or max_rank >= min(A.shape):
        U, s, Vh = torch.linalg.svd(A, full_matrices=False)
    else:
        U, s, Vh = _randomized_svd(A, max_rank, generator, n_power_iter)
    s = torch.clamp(s - threshold, min=0.0)
    keep = s > 0
    U, s, Vh = U[:, keep], s[keep], Vh[keep]
    return (U * s) @ Vh, U, s, Vh


def _randomized_svd(A, rank, generator, n_power_iter, oversample=10):
    n_cols = min(rank + oversample, min(A.shape))
    omega = torch.randn(A.shape[1], n_cols, generator=generator, device=A.device, dtype=A.dtype)
    Q, _ = torch.linalg.qr(A @ omega)
    for _ in range(n_power_iter):
        Q, _ = torch.linalg.qr(A.T @ Q)
        Q, _ = torch.linalg.qr(A @ Q)
    Ub, s, Vh = torch.linalg.svd(Q.T @ A, full_matrices=False)
    return (Q @ Ub)[:, :rank], s[:rank], Vh[:rank]


def soft_impute_objective(Z, X, mask, shrinkage, singular_values):
    """1/2 ||P_obs(X - Z)||_F^2 + shrinkage * ||Z||_*."""
    residual = mask * (X - Z)
    return float(0.5 * (residual**2).sum() + shrinkage * singular_values.sum())


class SoftImputeFISTA(BaseImputer):
    """Nuclear-norm matrix completion solved with FISTA.

    Finds the completion ``Z`` minimising
    ``1/2 ||P_obs(X - Z)||_F^2 + shrinkage * ||Z||_*`` where ``P_obs`` keeps
    the observed entries. Each iteration takes a gradient step on the
    observed entries, applies singular-value soft-thresholding (the proximal
    operator of the nuclear norm) and extrapolates with Nesterov momentum
    (FISTA, Beck and Teboulle, 2009). Momentum is reset whenever the
    objective goes up (adaptive restart, O'Donoghue and Candes, 2015).
    ``accelerated=False`` gives plain proximal gradient, which with step 1 is
    Soft-Impute (Mazumder, Hastie and Tibshirani, 2010).

    Features are min-max scaled with the observed values seen in ``fit``.
    ``fit_transform(X)`` returns the completion of ``X``; ``transform`` of new
    rows solves, row by row, a least-squares fit of the row's observed entries
    on the fitted right singular vectors. Observed entries are returned
    unchanged.

    Parameters
    ----------
    shrinkage : float or None, default=None
        Weight of the nuclear norm, on the min-max scaled data. None uses
        ``shrinkage_fraction`` times the largest singular value of the
        zero-filled scaled matrix.
    shrinkage_fraction : float, default=0.02
        The fraction used when ``shrinkage`` is None.
    max_iter : int, default=500
        Maximum number of iterations.
    tol : float, default=1e-5
        Stop when the relative change ``||Z_k - Z_{k-1}||_F / ||Z_{k-1}||_F``
        falls below ``tol``.
    max_rank : int or None, default=None
        When set, each proximal step uses a seeded randomised SVD of this
        rank instead of a full SVD (faster on large matrices; the rank of the
        solution is then at most ``max_rank``).
    accelerated : bool, default=True
        Use FISTA momentum with adaptive restart; False gives plain proximal
        gradient (Soft-Impute).
    batch_size : int, default=1024
        Rows per step of ``transform``.
    missing_values : float, default=np.nan
        The placeholder of missing values.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` to the output.
    keep_empty_features : bool, default=False
        Keep features with no observed value in ``fit`` (set to 0).
    device : str, default="auto"
        Torch device for the SVDs: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    random_state : int, RandomState instance or None, default=None
        Seeds the randomised SVD (with ``max_rank``) and ``score``.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when X has string column names.
    data_min_ : ndarray of shape (n_features_in_,)
        Per-feature minimum of the observed values.
    data_range_ : ndarray of shape (n_features_in_,)
        Per-feature range of the observed values (1 for constant features).
    shrinkage_ : float
        The nuclear-norm weight used.
    components_ : ndarray of shape (rank_, n_features_in_)
        Right singular vectors of the fitted completion (scaled units).
    singular_values_ : ndarray of shape (rank_,)
        Singular values of the fitted completion.
    rank_ : int
        Rank of the fitted completion.
    n_iter_ : int
        Number of iterations run.
    objective_ : list of float
        Objective value after every iteration.
    device_ : str
        The torch device used.
    indicator_ : MissingIndicator or None
        The fitted indicator when ``add_indicator=True``.

    See Also
    --------
    GAINImputer : Adversarial imputation for tables.

    References
    ----------
    .. [1] A. Beck and M. Teboulle, "A Fast Iterative Shrinkage-Thresholding
       Algorithm for Linear Inverse Problems", SIAM J. Imaging Sci., 2009.
    .. [2] R. Mazumder, T. Hastie and R. Tibshirani, "Spectral Regularization
       Algorithms for Learning Large Incomplete Matrices", JMLR, 2010.
    .. [3] B. O'Donoghue and E. Candes, "Adaptive Restart for Accelerated
       Gradient Schemes", Found. Comput. Math., 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import SoftImputeFISTA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(30, 2) @ rng.rand(2, 8)
    >>> X_missing = X.copy()
    >>> X_missing[rng.rand(*X.shape) < 0.2] = np.nan
    >>> imputer = SoftImputeFISTA(shrinkage=0.01, random_state=0)
    >>> X_completed = imputer.fit_transform(X_missing)
    >>> bool(np.abs(X_completed - X).max() < 0.1)
    True
    >>> imputer.rank_ <= 8
    True
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left"), None],
        "shrinkage_fraction": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "accelerated": ["boolean"],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        shrinkage=None,
        shrinkage_fraction=0.02,
        max_iter=500,
        tol=1e-5,
        max_rank=None,
        accelerated=True,
        batch_size=1024,
        missing_values=np.nan,
        add_indicator=False,
        keep_empty_features=False,
        device="auto",
        random_state=None,
    ):
        self.shrinkage = shrinkage
        self.shrinkage_fraction = shrinkage_fraction
        self.max_iter = max_iter
        self.tol = tol
        self.max_rank = max_rank
        self.accelerated = accelerated
        self.batch_size = batch_size
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.device = device
        self.random_state = random_state

    def _fit_scaled(self, X, mask, rng):
        device = self.device_
        X_t = torch.as_tensor(X, dtype=torch.float64, device=device)
        M_t = torch.as_tensor(mask, dtype=torch.float64, device=device)
        generator = torch_generator(draw_seed(rng), device)
        if self.shrinkage is None:
            sigma_max = torch.linalg.matrix_norm(X_t * M_t, ord=2).item()
            self.shrinkage_ = float(self.shrinkage_fraction * sigma_max)
        else:
            self.shrinkage_ = float(self.shrinkage)

        def prox(A):
            return singular_value_threshold(A, self.shrinkage_, self.max_rank, generator)

        # Step 1/L with L = 1, the Lipschitz constant of the masked gradient.
        Z, U, s, Vh = prox(M_t * X_t)
        objective = [soft_impute_objective(Z, X_t, M_t, self.shrinkage_, s)]
        Y, t = Z, 1.0
        n_iter = 1
        for n_iter in range(2, self.max_iter + 1):
            Z_new, U, s, Vh = prox(Y - M_t * (Y - X_t))
            value = soft_impute_objective(Z_new, X_t, M_t, self.shrinkage_, s)
            if self.accelerated and value > objective[-1]:
                # Adaptive restart: drop the momentum and take a plain step from Z.
                t = 1.0
                Z_new, U, s, Vh = prox(Z - M_t * (Z - X_t))
                value = soft_impute_objective(Z_new, X_t, M_t, self.shrinkage_, s)
            objective.append(value)
            change = torch.linalg.norm(Z_new - Z) / max(torch.linalg.norm(Z).item(), 1e-12)
            if self.accelerated:
                t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
                Y = Z_new + ((t - 1.0) / t_new) * (Z_new - Z)
                t = t_new
            else:
                Y = Z_new
            Z = Z_new
            if change.item() < self.tol:
                break
        self.n_iter_ = n_iter
        self.objective_ = objective
        self.rank_ = int(s.numel())
        self.components_ = Vh.cpu().numpy()
        self.singular_values_ = s.cpu().numpy()
        return Z.cpu().numpy()

    def _impute_scaled(self, X, mask):
        V = torch.as_tensor(self.components_.T, dtype=torch.float64, device=self.device_)
        out = np.empty_like(X, dtype=np.float64)
        if V.shape[1] == 0:
            out[:] = 0.0
            return out
        eye = torch.eye(V.shape[1], dtype=torch.float64, device=self.device_)
        for batch in batch_slices(X.shape[0], self.batch_size):
            x = torch.as_tensor(X[batch], dtype=torch.float64, device=self.device_)
            m = torch.as_tensor(mask[batch], dtype=torch.float64, device=self.device_)
            # Normal equations per row: (V^T diag(m) V + ridge I) w = V^T (m * x).
            gram = torch.einsum("dr,bd,ds->brs", V, m, V) + _RIDGE * eye
            rhs = (m * x) @ V
            weights = torch.linalg.solve(gram, rhs.unsqueeze(-1)).squeeze(-1)
            out[batch] = (weights @ V.T).cpu().numpy()
        return out
