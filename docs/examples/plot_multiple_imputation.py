"""
=================================================
Multiple imputation and Rubin's rules: a regression
=================================================

A statistician's use of an imputer: fit a regression on a table with holes,
and report coefficients with honest confidence intervals. We take
scikit-learn's diabetes data (442 patients, in their original units), and
regress disease progression after one year on age, body mass index, blood
pressure, HDL cholesterol (``s3``) and log triglycerides (``s5``) by
ordinary least squares. On the complete table that regression gives the
coefficients that every analysis of the incomplete table should recover.

We then hide 20% of the entries of the ten baseline variables completely at
random (the response stays observed), ``N_MASKS`` times, and analyse each
incomplete table five ways:

* **complete cases**: drop every row with a hole in the model's columns;
* **single imputation**: complete the table once with
  :class:`~skgain.GAINImputer` and fit the regression as if nothing had been
  missing;
* **multiple imputation with GAIN**: draw ``N_DRAWS`` completions with
  :meth:`GAINImputer.sample <skgain.GAINImputer.sample>`, fit the
  regression on each and pool them with Rubin's rules;
* **multiple imputation with IterativeImputer**: the same with
  ``N_DRAWS`` seeds of scikit-learn's
  ``IterativeImputer(sample_posterior=True)``, the usual chained-equations
  (MICE-style) imputer.

Every imputer sees the whole table, the response and the five baseline
variables outside the model included: a variable left out of the imputation
model would be imputed as unrelated to it.

Over the masks we count how often each 95% interval covers the complete
data's coefficient. The only randomness is which entries are hidden (and the
imputers' draws), so an interval that also carries the sampling uncertainty
of the data, as a confidence interval does, should cover the complete-data
coefficient *more* than 95% of the times. A sharper check of the draws is
the interval of the imputation error alone,
``pooled estimate +/- t * sqrt((1 + 1/m) * B)`` with ``B`` the variance of the
estimate between the ``m`` draws: if the draws spread as much as the
missing entries are uncertain, it covers the complete-data coefficient about
95% of the times; if they agree too much, far less.

The masks are few (``N_MASKS``), so that this example runs in a couple of
minutes on one CPU core: the coverages below are shares of a handful of
masks, a rough reading, not a precise estimate.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.datasets import load_diabetes
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

from skgain import GAINImputer

N_MASKS = 4  # R: how many times 20% of the baseline variables are hidden
N_DRAWS = 20  # m: completions per multiple imputation
MISSING_RATE = 0.2
LEVEL = 0.95

start = time.perf_counter()
diabetes = load_diabetes(scaled=False, as_frame=True)
table = diabetes.frame  # ten baseline variables, then "target"
response = "target"
covariates = ["age", "bmi", "bp", "s3", "s5"]
names = ["intercept", *covariates]
baseline = [column for column in table.columns if column != response]
print(f"{len(table)} patients; progression ~ {' + '.join(covariates)}")

# %%
# Least squares, and Rubin's rules
# --------------------------------
# ``ols`` returns the coefficients, their squared standard errors and the
# residual degrees of freedom. ``rubin_pool`` combines ``m`` such fits of
# imputed tables (Rubin, 1987): the pooled estimate is the mean of the
# estimates, its variance ``T = W + (1 + 1/m) B`` adds to the mean
# within-imputation variance ``W`` the variance ``B`` between the
# imputations, and the t interval takes the small-sample degrees of freedom
# of Barnard and Rubin (1999), which never exceed those of the complete data.


def ols(frame):
    """OLS of the response on the covariates: (coef, squared SE, df)."""
    design = np.column_stack([np.ones(len(frame)), frame[covariates].to_numpy()])
    y = frame[response].to_numpy()
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    df = len(y) - design.shape[1]
    sigma2 = np.sum((y - design @ coef) ** 2) / df
    variance = sigma2 * np.diag(np.linalg.inv(design.T @ design))
    return coef, variance, df


def t_interval(estimate, variance, df, level=LEVEL):
    half_width = stats.t.ppf(0.5 + level / 2, df) * np.sqrt(variance)
    return estimate - half_width, estimate + half_width


def rubin_pool(estimates, variances, df_complete, level=LEVEL):
    """Pool m fits with Rubin's rules.

    estimates, variances: arrays of shape (m, p), the coefficients of each
    imputed table and their squared standard errors. df_complete: the
    residual degrees of freedom the complete data would have had.
    """
    estimates, variances = np.asarray(estimates), np.asarray(variances)
    m = len(estimates)
    estimate = estimates.mean(axis=0)
    within = variances.mean(axis=0)  # W
    between = estimates.var(axis=0, ddof=1)  # B
    total = within + (1 + 1 / m) * between  # T
    # Share of the variance due to the missing entries (lambda), then
    # Barnard and Rubin's degrees of freedom: 1/df = 1/df_old + 1/df_obs.
    missing_share = (1 + 1 / m) * between / total
    df_observed = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - missing_share)
    with np.errstate(divide="ignore"):
        df_old = (m - 1) / missing_share**2  # infinite when the draws agree
    df = 1 / (1 / df_old + 1 / df_observed)
    lower, upper = t_interval(estimate, total, df, level)
    # The interval of the imputation error alone: pooled estimate against
    # the complete-data estimate, with B estimated on m - 1 df.
    error_lower, error_upper = t_interval(estimate, (1 + 1 / m) * between, m - 1, level)
    return {"estimate": estimate, "lower": lower, "upper": upper, "df": df,
            "missing_share": missing_share,
            "error_lower": error_lower, "error_upper": error_upper}


def pool_tables(tables):
    fits = [ols(frame) for frame in tables]
    df_complete = fits[0][2]
    return rubin_pool([f[0] for f in fits], [f[1] for f in fits], df_complete)


complete_coef, complete_var, complete_df = ols(table)
complete_lower, complete_upper = t_interval(complete_coef, complete_var, complete_df)
print(pd.DataFrame({"coef": complete_coef, "se": np.sqrt(complete_var),
                    "lower": complete_lower, "upper": complete_upper},
                   index=names).round(3).to_string())

# %%
# Hide, impute, fit, pool
# -----------------------
# One GAINImputer is fitted per mask: ``transform`` gives the single
# imputation, ``sample`` the draws (an array of shape
# ``(N_DRAWS, n_samples, n_features)``).

METHODS = ["complete cases", "GAIN single", "GAIN multiple", "Iterative multiple"]
results = {method: [] for method in METHODS}


def as_frame(values):
    return pd.DataFrame(values, columns=table.columns)


rng = np.random.RandomState(0)
for mask_index in range(N_MASKS):
    incomplete = table.copy()
    hidden = rng.rand(len(table), len(baseline)) < MISSING_RATE
    incomplete[baseline] = incomplete[baseline].mask(hidden)
    X = incomplete.to_numpy()

    complete_cases = incomplete.dropna(subset=covariates)
    coef, variance, df = ols(complete_cases)
    lower, upper = t_interval(coef, variance, df)
    results["complete cases"].append({"estimate": coef, "lower": lower, "upper": upper})

    gain = GAINImputer(random_state=mask_index, n_jobs=1).fit(X)
    coef, variance, df = ols(as_frame(gain.transform(X)))
    lower, upper = t_interval(coef, variance, df)
    results["GAIN single"].append({"estimate": coef, "lower": lower, "upper": upper})

    draws = gain.sample(X, n_draws=N_DRAWS, random_state=mask_index)
    results["GAIN multiple"].append(pool_tables([as_frame(draw) for draw in draws]))

    iterative = [IterativeImputer(sample_posterior=True, random_state=N_DRAWS * mask_index + seed)
                 .fit_transform(X) for seed in range(N_DRAWS)]
    results["Iterative multiple"].append(pool_tables([as_frame(draw) for draw in iterative]))
    print(f"mask {mask_index + 1}/{N_MASKS}: {hidden.mean():.0%} of the baseline entries hidden, "
          f"{len(complete_cases)} complete cases, {time.perf_counter() - start:.0f} s")

# %%
# Coverage and width
# ------------------
# For each method and coefficient: the root mean square distance of the
# estimate from the complete-data coefficient and the mean width of the 95%
# interval, both in units of the complete data's standard error; the share of masks in which
# the interval covers the complete-data coefficient; and, for the multiple
# imputations, the same share for the interval of the imputation error
# alone, and the share of the pooled variance due to the missing entries,
# ``(1 + 1/m) B / T`` (close to the fraction of missing information). The
# complete data's own interval is 2 x 1.97 = 3.9 standard errors wide.


def stacked(method, key):
    return np.array([result[key] for result in results[method]])  # (N_MASKS, p)


complete_se = np.sqrt(complete_var)
rows = []
for method in METHODS:
    estimate, lower, upper = (stacked(method, key) for key in ("estimate", "lower", "upper"))
    covered = (lower <= complete_coef) & (complete_coef <= upper)
    error_covered = np.full(covered.shape, np.nan)
    missing_share = np.full(covered.shape, np.nan)
    if "multiple" in method:
        missing_share = stacked(method, "missing_share")
        error_lower, error_upper = stacked(method, "error_lower"), stacked(method, "error_upper")
        error_covered = (error_lower <= complete_coef) & (complete_coef <= error_upper)
    for j, name in enumerate(names):
        rows.append({
            "method": method, "coefficient": name,
            "error / se": np.sqrt(np.mean((estimate[:, j] - complete_coef[j]) ** 2))
            / complete_se[j],
            "width / se": np.mean(upper[:, j] - lower[:, j]) / complete_se[j],
            "covered": covered[:, j].mean(),
            "error interval covered": error_covered[:, j].mean(),
            "missing share": missing_share[:, j].mean(),
        })
summary = pd.DataFrame(rows).set_index(["method", "coefficient"])
pd.set_option("display.width", 120)
print(f"{N_MASKS} masks, {N_DRAWS} draws, {LEVEL:.0%} intervals, "
      "complete-data coefficient as the target")
print(summary.round(2).to_string())

slopes = summary.drop(index="intercept", level="coefficient")
overall = slopes.groupby(level="method", sort=False).mean()
print("\nAveraged over the five slopes:")
print(overall.round(2).to_string())
print(f"\nran in {time.perf_counter() - start:.0f} s")

# %%
# The first mask's intervals, in units of the complete data's standard error
# around its coefficient (the grey band is the complete data's own interval),
# and the coverages over all masks.

colors = dict(zip(METHODS, ["tab:gray", "tab:red", "tab:blue", "tab:green"]))
fig, (ax_forest, ax_cover) = plt.subplots(1, 2, figsize=(11, 4.5),
                                          gridspec_kw={"width_ratios": [1.3, 1]})
half = stats.t.ppf(0.5 + LEVEL / 2, complete_df)
ax_forest.axvspan(-half, half, color="0.9", label="complete data")
ax_forest.axvline(0, color="k", linewidth=0.8)
for k, method in enumerate(METHODS):
    first = results[method][0]
    position = np.arange(len(covariates)) + 0.18 * (k - 1.5)
    centre = (first["estimate"][1:] - complete_coef[1:]) / complete_se[1:]
    low = (first["lower"][1:] - complete_coef[1:]) / complete_se[1:]
    high = (first["upper"][1:] - complete_coef[1:]) / complete_se[1:]
    ax_forest.errorbar(centre, position, xerr=[centre - low, high - centre], fmt="o",
                       color=colors[method], label=method, capsize=2)
ax_forest.set_yticks(range(len(covariates)), covariates)
ax_forest.invert_yaxis()
ax_forest.set_xlabel("(coefficient - complete-data coefficient) / complete-data SE")
ax_forest.set_title("first mask: 95% intervals")
ax_forest.legend(fontsize="small", loc="lower right")

x = np.arange(len(METHODS))
ax_cover.bar(x - 0.2, overall["covered"], width=0.4, color=[colors[m] for m in METHODS],
             label="95% interval")
multiple = [k for k, method in enumerate(METHODS) if "multiple" in method]
ax_cover.bar(x[multiple] + 0.2, overall["error interval covered"].iloc[multiple], width=0.4,
             color=[colors[METHODS[k]] for k in multiple], alpha=0.45, hatch="//",
             label="imputation-error interval")
ax_cover.axhline(LEVEL, color="k", linestyle=":", linewidth=1)
ax_cover.set_xticks(x, [m.replace(" ", "\n", 1) for m in METHODS], fontsize="small")
ax_cover.set_ylim(0, 1.05)
ax_cover.set_ylabel(f"share of {N_MASKS} masks x {len(covariates)} slopes covered")
ax_cover.set_title("covers the complete-data coefficient")
ax_cover.legend(fontsize="small", loc="lower left")
fig.tight_layout()
plt.show()
