"""Simulated panel data and the causal-panel missing pattern."""

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_units": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_periods": [Interval(numbers.Integral, 1, None, closed="left")],
        "rho": [Interval(numbers.Real, -1, 1, closed="both")],
        "unit_effect_std": [Interval(numbers.Real, 0, None, closed="left")],
        "time_effect_std": [Interval(numbers.Real, 0, None, closed="left")],
        "noise_std": [Interval(numbers.Real, 0, None, closed="left")],
        "burn_in": [Interval(numbers.Integral, 0, None, closed="left")],
        "return_components": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_panel(
    n_units=100,
    n_periods=50,
    *,
    rho=0.5,
    unit_effect_std=1.0,
    time_effect_std=1.0,
    noise_std=1.0,
    burn_in=50,
    return_components=False,
    random_state=None,
):
    """Generate a dynamic panel with unit and time fixed effects.

    ``Y[i, t] = rho * Y[i, t-1] + delta[i] + gamma[t] + eps[i, t]`` for
    ``n_units`` units (rows) and ``n_periods`` periods (columns): an AR(1)
    in time with a unit effect ``delta[i] ~ N(0, unit_effect_std**2)``, a time effect shared
    by all units ``gamma[t] ~ N(0, time_effect_std**2)`` and idiosyncratic
    noise ``eps[i, t] ~ N(0, noise_std**2)``, all independent.

    The recursion starts from ``Y[i, -burn_in - 1] = 0`` and the first
    ``burn_in`` periods are dropped, so that for ``|rho| < 1`` the returned
    panel is close to its stationary state; ``components.initial`` holds the
    value before the first returned period, so the recursion holds exactly
    for every returned entry.

    Parameters
    ----------
    n_units : int, default=100
        Number of units (rows of ``Y``).
    n_periods : int, default=50
        Number of periods (columns of ``Y``).
    rho : float in [-1, 1], default=0.5
        Autoregressive coefficient. ``rho=1`` gives a random walk with a
        unit-specific drift ``delta[i]``.
    unit_effect_std : float, default=1.0
        Standard deviation of the unit effects ``delta``.
    time_effect_std : float, default=1.0
        Standard deviation of the time effects ``gamma``.
    noise_std : float, default=1.0
        Standard deviation of the noise ``eps``.
    burn_in : int, default=50
        Number of simulated periods dropped before the first returned one.
    return_components : bool, default=False
        Also return the effects and the noise that built ``Y``.
    random_state : int, RandomState instance or None, default=None
        Seeds the effects and the noise. The same seed gives the same panel.

    Returns
    -------
    Y : ndarray of shape (n_units, n_periods)
        The panel, one row per unit.
    components : :class:`~sklearn.utils.Bunch`
        Only when ``return_components=True``, with ``unit_effects`` (delta,
        shape (n_units,)), ``time_effects`` (gamma, shape (n_periods,)),
        ``noise`` (eps, shape (n_units, n_periods)) and ``initial`` (the
        value of each unit before the first returned period, shape
        (n_units,)).

    See Also
    --------
    make_panel_mask : The causal-panel missing pattern for such a panel.

    References
    ----------
    .. [1] S. Athey, M. Bayati, N. Doudchenko, G. Imbens and K. Khosravi,
       "Matrix Completion Methods for Causal Panel Data Models", JASA, 2021.

    Examples
    --------
    >>> from skgain.datasets import make_panel
    >>> Y, parts = make_panel(5, 8, rho=0.8, return_components=True, random_state=0)
    >>> Y.shape
    (5, 8)
    >>> import numpy as np
    >>> expected = 0.8 * Y[:, 2] + parts.unit_effects + parts.time_effects[3] + parts.noise[:, 3]
    >>> bool(np.allclose(Y[:, 3], expected))
    True
    """
    rng = check_random_state(random_state)
    n_total = burn_in + n_periods
    unit_effects = rng.normal(0.0, unit_effect_std, size=n_units)
    time_effects = rng.normal(0.0, time_effect_std, size=n_total)
    noise = rng.normal(0.0, noise_std, size=(n_units, n_total))
    # One shock per unit and period: the recursion adds the shared parts once.
    shocks = unit_effects[:, None] + time_effects[None, :] + noise
    Y = np.empty((n_units, n_total))
    previous = np.zeros(n_units)
    for t in range(n_total):
        Y[:, t] = rho * previous + shocks[:, t]
        previous = Y[:, t]
    initial = Y[:, burn_in - 1].copy() if burn_in > 0 else np.zeros(n_units)
    Y = Y[:, burn_in:]
    if not return_components:
        return Y
    return Y, Bunch(
        unit_effects=unit_effects,
        time_effects=time_effects[burn_in:],
        noise=noise[:, burn_in:],
        initial=initial,
    )


@validate_params(
    {
        "n_units": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_periods": [Interval(numbers.Integral, 2, None, closed="left")],
        "treated_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "missing_periods": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
        ],
        "staggered": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_panel_mask(
    n_units,
    n_periods,
    *,
    treated_fraction=0.2,
    missing_periods=0.2,
    staggered=False,
    random_state=None,
):
    """The causal-panel missing pattern: the last periods of some units.

    In a causal panel study the outcomes of treated units after treatment
    are the missing potential outcomes to impute, while control units are
    observed throughout. A random ``treated_fraction`` of the units is
    treated; with ``staggered=False`` (block design) each treated unit misses
    the last ``missing_periods`` periods; with ``staggered=True`` (staggered
    adoption) each treated unit misses every period from its own adoption
    time on, drawn uniformly among the last ``missing_periods`` periods.

    At least one unit stays fully observed and at least the first period is
    observed for every unit, so every period and every unit keeps an
    observed value.

    Parameters
    ----------
    n_units : int
        Number of units (rows), at least 2.
    n_periods : int
        Number of periods (columns), at least 2.
    treated_fraction : float in (0, 1), default=0.2
        Fraction of treated units, rounded to a whole number between 1 and
        ``n_units - 1``.
    missing_periods : int or float in (0, 1), default=0.2
        Number of final periods that are missing for treated units (the most
        for staggered adoption), or that fraction of ``n_periods``, rounded
        to at least 1. Must leave at least one period observed.
    staggered : bool, default=False
        Staggered adoption instead of a common treatment time.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of treated units and adoption times.

    Returns
    -------
    missing : ndarray of bool, shape (n_units, n_periods)
        True where the entry is missing (treated unit, treated period).

    See Also
    --------
    make_panel : A panel to apply this pattern to.

    References
    ----------
    .. [1] S. Athey, M. Bayati, N. Doudchenko, G. Imbens and K. Khosravi,
       "Matrix Completion Methods for Causal Panel Data Models", JASA, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain.datasets import make_panel, make_panel_mask
    >>> Y = make_panel(6, 5, random_state=0)
    >>> missing = make_panel_mask(6, 5, treated_fraction=0.5, missing_periods=2,
    ...                           random_state=0)
    >>> missing.astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 0, 0, 1, 1],
           [0, 0, 0, 1, 1],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 1, 1]])
    >>> Y_missing = np.where(missing, np.nan, Y)
    """
    rng = check_random_state(random_state)
    n_treated = int(round(treated_fraction * n_units))
    if not 1 <= n_treated < n_units:
        raise ValueError(
            f"treated_fraction={treated_fraction} gives {n_treated} treated units out of "
            f"{n_units}; it must give at least 1 and leave at least 1 control unit."
        )
    if isinstance(missing_periods, numbers.Integral):
        n_missing = int(missing_periods)
    else:
        n_missing = max(1, int(round(missing_periods * n_periods)))
    if n_missing >= n_periods:
        raise ValueError(
            f"missing_periods={missing_periods} hides {n_missing} of {n_periods} periods; at "
            "least the first period must stay observed."
        )
    treated = rng.choice(n_units, size=n_treated, replace=False)
    if staggered:
        start = rng.randint(n_periods - n_missing, n_periods, size=n_treated)
    else:
        start = np.full(n_treated, n_periods - n_missing)
    missing = np.zeros((n_units, n_periods), dtype=bool)
    periods = np.arange(n_periods)
    missing[treated] = periods[None, :] >= start[:, None]
    return missing
