"""SoftImputeFISTA: nuclear-norm matrix completion solved with FISTA."""

import math
import numbers

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._base import BaseImputer, batch_slices, draw_seed, torch_generator

# Ridge floor added to the per-component penalty of ``transform`` so that
# shrinkage=0 still gives every row a unique, stable solution.
_RIDGE = 1e-9
# The path stops once this many shrinkage values in a row failed to improve
# the held-out error: past the minimum, smaller values only overfit (and cost
# the most iterations).
_PATH_PATIENCE = 3
# A held-out error must drop by this relative amount to count as better, so
# that the path keeps the largest (most regularised) shrinkage on a plateau.
_MIN_IMPROVEMENT = 1e-3


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
    # Values within rounding of the threshold (e.g. the top one at the
    # smallest shrinkage that zeroes the solution) are zero, not rank.
    floor = torch.finfo(s.dtype).eps * (s[0].item() if s.numel() else 0.0)
    s = torch.clamp(s - threshold, min=0.0)
    keep = s > floor
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


def fista(X, mask, shrinkage, prox, Z0=None, max_iter=500, tol=1e-5, accelerated=True,
          callback=None):
    """Minimise ``1/2 ||P_obs(X - Z)||_F^2 + shrinkage * ||Z||_*`` from ``Z0``.

    ``prox(A, shrinkage)`` is the singular-value threshold. Returns
    ``(Z, s, Vh, objective, n_iter)``; ``callback(n_iter, value)`` is called
    after every iteration.
    """
    # Step 1/L with L = 1, the Lipschitz constant of the masked gradient.
    Y = torch.zeros_like(X) if Z0 is None else Z0
    Z, _, s, Vh = prox(Y - mask * (Y - X), shrinkage)
    objective = [soft_impute_objective(Z, X, mask, shrinkage, s)]
    t = 1.0
    Y = Z
    n_iter = 1
    for n_iter in range(2, max_iter + 1):
        Z_new, _, s, Vh = prox(Y - mask * (Y - X), shrinkage)
        value = soft_impute_objective(Z_new, X, mask, shrinkage, s)
        if accelerated and value > objective[-1]:
            # Adaptive restart: drop the momentum and take a plain step from Z.
            t = 1.0
            Z_new, _, s, Vh = prox(Z - mask * (Z - X), shrinkage)
            value = soft_impute_objective(Z_new, X, mask, shrinkage, s)
        objective.append(value)
        if callback is not None:
            callback(n_iter, value)
        change = torch.linalg.norm(Z_new - Z).item() / max(torch.linalg.norm(Z).item(), 1e-12)
        if accelerated:
            t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            Y = Z_new + ((t - 1.0) / t_new) * (Z_new - Z)
            t = t_new
        else:
            Y = Z_new
        Z = Z_new
        if change < tol:
            break
    return Z, s, Vh, objective, n_iter


def _column_means(X, mask):
    """Per-column mean of the observed entries (0 for a column with none)."""
    counts = mask.sum(dim=0)
    return (mask * X).sum(dim=0) / counts.clamp(min=1.0)


def split_observed(mask, fraction, generator):
    """Split the observed entries of ``mask`` into a training and a held-out mask.

    A seeded ``fraction`` of the observed entries (at least one, and never all)
    is held out.
    """
    rows, cols = torch.nonzero(mask > 0, as_tuple=True)
    n_held = min(max(1, int(round(fraction * rows.numel()))), rows.numel() - 1)
    order = torch.randperm(rows.numel(), generator=generator, device=mask.device)[:n_held]
    held = torch.zeros_like(mask)
    held[rows[order], cols[order]] = 1.0
    return mask - held, held


class SoftImputeFISTA(BaseImputer):
    """Nuclear-norm matrix completion solved with FISTA.

    Finds the completion ``Z`` minimising
    ``1/2 ||P_obs(X - Z)||_F^2 + shrinkage * ||Z||_*`` where ``P_obs`` keeps
    the observed entries. Features are min-max scaled with the observed values
    seen in ``fit`` and centred on their observed means, which are not
    penalised. Each iteration takes a gradient step on the observed entries,
    applies singular-value soft-thresholding (the proximal operator of the
    nuclear norm) and extrapolates with Nesterov momentum (FISTA, Beck and
    Teboulle, 2009 [1]_); momentum is reset whenever the objective goes up
    (adaptive restart, O'Donoghue and Candes, 2015 [3]_). ``accelerated=False``
    gives plain proximal gradient, which with step 1 is Soft-Impute
    (Mazumder, Hastie and Tibshirani, 2010 [2]_).

    With ``shrinkage=None`` (the default) the shrinkage is chosen as
    Soft-Impute is tuned in practice [2]_: a seeded ``validation_fraction`` of
    the observed entries is held out, the problem is solved along a
    warm-started path of ``n_shrinkages`` decreasing values (from the smallest
    value that gives the zero completion down to 1e-4 times it; the path stops
    early once the held-out error has not improved for 3 values), and the
    value with the lowest held-out RMSE is kept (a smaller value must lower
    it by more than 0.1% to be preferred, so that a plateau keeps the most
    regularised model). It is then rescaled to the
    number of observed entries and the model is refitted on all observed
    entries, warm-started from the path's solution.

    ``fit_transform(X)`` returns the solver's completion of ``X``. ``transform``
    completes each row ``x`` from the fitted model ``Z = U diag(s) V^T``: it
    solves the ridge problem
    ``min_w 1/2 ||P_obs(x - mean - V w)||^2 + shrinkage/2 * sum_k w_k^2 / s_k``,
    which is the nuclear-norm objective restricted to the new row (the row
    step of softImpute-ALS, Hastie et al., 2015 [4]_; write
    ``Z = A B^T`` with ``B = V diag(s)^(1/2)``; ``||Z||_*`` is the minimum of
    ``(||A||^2 + ||B||^2) / 2``). On a row of the fitted matrix its solution
    is the fitted row itself, so ``transform`` of the training rows agrees
    with ``fit_transform`` up to the solver's tolerance, and weak components
    are shrunk hardest on rows with few observed entries. Observed entries
    are returned unchanged.

    Memory: ``fit`` works on the whole matrix in float64, keeping a few
    dense n_samples x n_features matrices at once (the scaled data, the
    mask, the iterate, its momentum and the gradient step), so its peak is
    linear in the input, and higher with the default shrinkage path (which
    also keeps the training and held-out masks and the best solution so far)
    than with a fixed ``shrinkage`` (the user guide's :ref:`big_tables`
    gives measured peaks). ``max_rank`` keeps each singular-value step at
    O(n_samples x max_rank) beyond those matrices; without it the full SVD
    adds about two more. ``transform`` works in blocks of rows: its peak is
    the output plus blocks of ``batch_size`` rows. For tables that do not
    fit this budget, use :class:`GAINImputer`, whose memory is bounded by
    its batches (and ``partial_fit``).

    Parameters
    ----------
    shrinkage : float or None, default=None
        Weight of the nuclear norm, on the min-max scaled, centred data.
        None chooses it on held-out observed entries (see above).
    n_shrinkages : int, default=20
        Number of shrinkage values on the path (``shrinkage=None`` only).
    validation_fraction : float, default=0.1
        Fraction of the observed entries held out to choose the shrinkage
        (``shrinkage=None`` only); strictly between 0 and 1.
    max_iter : int, default=500
        Maximum number of iterations of each solve (every point of the path
        and the final fit).
    tol : float, default=1e-5
        Stop a solve when the relative change
        ``||Z_k - Z_{k-1}||_F / ||Z_{k-1}||_F`` falls below ``tol``.
    max_rank : int or None, default=None
        When set, each proximal step uses a seeded randomised SVD of this
        rank instead of a full SVD (faster on large matrices; the rank of the
        solution is then at most ``max_rank``).
    accelerated : bool, default=True
        Use FISTA momentum with adaptive restart; False gives plain proximal
        gradient (Soft-Impute).
    batch_size : int, default=1024
        Rows per step of ``transform``.
    verbose : int, default=0
        0 is silent; 1 prints one line per point of the shrinkage path and
        one for the final fit; 2 also prints the objective at every iteration.
    missing_values : float, default=np.nan
        The placeholder of missing values.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` to the output.
    keep_empty_features : bool, default=False
        Keep features with no observed value in ``fit`` (set to 0).
    device : str, default="auto"
        Torch device for the SVDs: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    n_jobs : int or None, default=None
        CPU threads of torch, BLAS and OpenMP during ``fit``, ``transform`` and
        ``score``: None is one thread, which is safe on a machine shared with
        other jobs (there, several threads spin waiting for each other and can
        slow a fit many times); -1 uses every core. The caller's thread counts
        are restored afterwards. The same ``random_state`` gives the same
        output at the same ``n_jobs`` on the same hardware; another thread
        count changes the order of floating-point sums, and training can carry
        such last-digit differences into the imputations (user guide:
        :ref:`threads`).
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out entries of the path, the randomised SVD (with
        ``max_rank``) and ``score``.

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
    mean_ : ndarray of shape (n_features_in_,)
        Per-feature mean of the observed values in scaled units, the unpenalised
        centre of the low-rank model.
    shrinkage_ : float
        The nuclear-norm weight of the final fit.
    shrinkage_path_ : ndarray of shape (n_path,) or None
        Shrinkage values tried on the path, largest first, on the scale of the
        held-out split (``shrinkage_`` is the chosen one times the ratio of
        observed to training entries). None when ``shrinkage`` is given.
    validation_rmse_path_ : ndarray of shape (n_path,) or None
        Held-out RMSE (scaled units) at each value of ``shrinkage_path_``.
        None when ``shrinkage`` is given.
    components_ : ndarray of shape (rank_, n_features_in_)
        Right singular vectors of the fitted low-rank part (scaled units).
    singular_values_ : ndarray of shape (rank_,)
        Singular values of the fitted low-rank part.
    rank_ : int
        Rank of the fitted low-rank part.
    n_iter_ : int
        Number of iterations of the final fit.
    objective_ : list of float
        Objective value after every iteration of the final fit.
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
       Algorithms for Learning Large Incomplete Matrices", JMLR 11, 2010.
    .. [3] B. O'Donoghue and E. Candes, "Adaptive Restart for Accelerated
       Gradient Schemes", Found. Comput. Math., 2015.
    .. [4] T. Hastie, R. Mazumder, J. Lee and R. Zadeh, "Matrix Completion and
       Low-Rank SVD via Fast Alternating Least Squares", JMLR 16, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import SoftImputeFISTA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(40, 2) @ rng.rand(2, 8)
    >>> X_missing = X.copy()
    >>> X_missing[rng.rand(*X.shape) < 0.2] = np.nan
    >>> imputer = SoftImputeFISTA(random_state=0).fit(X_missing[:30])
    >>> len(imputer.shrinkage_path_) == len(imputer.validation_rmse_path_)
    True
    >>> bool(imputer.shrinkage_ > 0)
    True
    >>> X_new = imputer.transform(X_missing[30:])
    >>> bool(np.abs(X_new - X[30:]).max() < 0.05)
    True
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left"), None],
        "n_shrinkages": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "accelerated": ["boolean"],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        shrinkage=None,
        n_shrinkages=20,
        validation_fraction=0.1,
        max_iter=500,
        tol=1e-5,
        max_rank=None,
        accelerated=True,
        batch_size=1024,
        verbose=0,
        missing_values=np.nan,
        add_indicator=False,
        keep_empty_features=False,
        device="auto",
        n_jobs=None,
        random_state=None,
    ):
        self.shrinkage = shrinkage
        self.n_shrinkages = n_shrinkages
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.tol = tol
        self.max_rank = max_rank
        self.accelerated = accelerated
        self.batch_size = batch_size
        self.verbose = verbose
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ---------------------------------------------------------------- fitting
    def _fit_scaled(self, X, mask, rng):
        device = self.device_
        X_t = torch.as_tensor(X, dtype=torch.float64, device=device)
        M_t = torch.as_tensor(mask, dtype=torch.float64, device=device)
        svd_generator = torch_generator(draw_seed(rng), device)
        split_generator = torch_generator(draw_seed(rng), device)

        def prox(A, shrinkage):
            return singular_value_threshold(A, shrinkage, self.max_rank, svd_generator)

        self.shrinkage_path_ = self.validation_rmse_path_ = None
        Z0, self.shrinkage_ = self._choose_shrinkage(X_t, M_t, prox, split_generator)
        mean = _column_means(X_t, M_t)
        Z, s, Vh, objective, n_iter = self._solve(
            M_t * (X_t - mean), M_t, self.shrinkage_, prox, Z0
        )
        self._log(1, f"fit: shrinkage={self.shrinkage_:.4g}, rank={s.numel()}, "
                     f"{n_iter} iterations, objective={objective[-1]:.6g}")
        self.mean_ = mean.cpu().numpy()
        self.n_iter_ = n_iter
        self.objective_ = objective
        self.rank_ = int(s.numel())
        self.components_ = Vh.cpu().numpy()
        self.singular_values_ = s.cpu().numpy()
        return (Z + mean).cpu().numpy()

    def _choose_shrinkage(self, X, mask, prox, generator):
        """Return ``(warm start or None, shrinkage)`` for the final fit."""
        if self.shrinkage is not None:
            return None, float(self.shrinkage)
        if mask.sum().item() < 2:
            # Nothing to hold out: the largest shrinkage, i.e. the column means.
            return None, float(torch.linalg.matrix_norm(mask * X, ord=2).item())
        return self._shrinkage_path(X, mask, prox, generator)

    def _shrinkage_path(self, X, mask, prox, generator):
        """Warm-started path of decreasing shrinkage scored on held-out entries."""
        train, held = split_observed(mask, self.validation_fraction, generator)
        centred = mask * (X - _column_means(X, train))
        # The smallest shrinkage whose solution is zero: the top singular value.
        largest = torch.linalg.matrix_norm(train * centred, ord=2).item()
        grid = largest * np.logspace(0.0, -4.0, self.n_shrinkages)
        Z, errors, best = None, [], 0
        for k, shrinkage in enumerate(grid):
            Z, s, _, _, n_iter = self._solve(centred, train, shrinkage, prox, Z)
            residual = held * (Z - centred)
            errors.append(math.sqrt((residual**2).sum().item() / held.sum().item()))
            self._log(1, f"path {k + 1}/{len(grid)}: shrinkage={shrinkage:.4g}, "
                         f"validation RMSE={errors[-1]:.5f}, rank={s.numel()}, "
                         f"{n_iter} iterations")
            if k == 0 or errors[-1] < errors[best] * (1.0 - _MIN_IMPROVEMENT):
                best, Z_best = k, Z
            elif k - best >= _PATH_PATIENCE:
                break
        self.shrinkage_path_ = grid[: len(errors)]
        self.validation_rmse_path_ = np.asarray(errors)
        # The data term sums over entries: keep the balance with the penalty
        # when refitting on all observed entries instead of the training ones.
        scale = mask.sum().item() / train.sum().item()
        self._log(1, f"chose shrinkage {grid[best]:.4g} (path point {best + 1}); "
                     f"refitting on all observed entries with {grid[best] * scale:.4g}")
        return Z_best, float(grid[best] * scale)

    def _solve(self, X, mask, shrinkage, prox, Z0):
        def callback(n_iter, value):
            self._log(2, f"  iteration {n_iter}: objective={value:.8g}")

        return fista(X, mask, shrinkage, prox, Z0, self.max_iter, self.tol, self.accelerated,
                     callback if self.verbose >= 2 else None)

    def _log(self, level, message):
        if self.verbose >= level:
            print(f"[{type(self).__name__}] {message}", flush=True)

    # --------------------------------------------------------------- imputing
    @property
    def _block_multiple(self):
        # Rows are imputed independently: transform works block by block.
        return self.batch_size

    def _impute_scaled(self, X, mask):
        device = self.device_
        mean = torch.as_tensor(self.mean_, dtype=torch.float64, device=device)
        V = torch.as_tensor(self.components_.T, dtype=torch.float64, device=device)
        s = torch.as_tensor(self.singular_values_, dtype=torch.float64, device=device)
        # Per-component ridge weight shrinkage / s_k: the nuclear norm's
        # penalty on a new row of Z = A B^T with B = V diag(s)^(1/2) fixed.
        penalty = torch.diag(self.shrinkage_ / s + _RIDGE)
        out = np.empty_like(X, dtype=np.float64)
        if V.shape[1] == 0:
            out[:] = self.mean_
            return out
        for batch in batch_slices(X.shape[0], self.batch_size):
            x = torch.as_tensor(X[batch], dtype=torch.float64, device=device)
            m = torch.as_tensor(mask[batch], dtype=torch.float64, device=device)
            gram = torch.einsum("dr,bd,ds->brs", V, m, V) + penalty
            rhs = (m * (x - mean)) @ V
            weights = torch.linalg.solve(gram, rhs.unsqueeze(-1)).squeeze(-1)
            out[batch] = (mean + weights @ V.T).cpu().numpy()
        return out
