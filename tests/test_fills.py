"""The initial fills: normalised convolution, harmonic and biharmonic."""

import numpy as np
import pytest
import torch

# The stencils are private, tested directly; the fills are public (skgain.fills).
from skgain._fills import _laplacian, _laplacian_adjoint
from skgain.fills import biharmonic_fill, harmonic_fill, normalized_convolution


def _ramp_with_hole():
    ramp = torch.linspace(0, 1, 12).repeat(12, 1)[None, None]
    mask = torch.ones_like(ramp)
    mask[..., 4:8, 3:9] = 0
    return ramp, mask


def test_normalized_convolution_interpolates_observed_neighbours():
    values = torch.full((1, 1, 9, 9), 0.3)
    mask = torch.ones_like(values)
    mask[0, 0, 4, 4] = 0
    values[0, 0, 4, 4] = 0  # ignored: it is missing
    filled = normalized_convolution(values, mask)
    assert filled[0, 0, 4, 4].item() == pytest.approx(0.3, abs=1e-6)
    # A channel with nothing observed falls back to 0.5; a large hole is
    # reached by widening the kernel.
    mask2 = torch.zeros(1, 2, 20, 20)
    mask2[0, 0, 0, 0] = 1
    filled2 = normalized_convolution(torch.ones(1, 2, 20, 20), mask2)
    torch.testing.assert_close(filled2[0, 0], torch.ones(20, 20))
    torch.testing.assert_close(filled2[0, 1], torch.full((20, 20), 0.5))


def test_harmonic_fill_keeps_observed_and_solves_a_ramp():
    ramp, mask = _ramp_with_hole()
    filled = harmonic_fill(ramp * mask, mask, n_iter=500)
    assert torch.equal(filled[mask > 0], ramp[mask > 0])
    # A linear ramp is harmonic: the Laplace equation recovers it.
    torch.testing.assert_close(filled, ramp, atol=1e-4, rtol=0)


def test_biharmonic_fill_keeps_observed_and_solves_a_ramp():
    ramp, mask = _ramp_with_hole()
    filled = biharmonic_fill(ramp * mask, mask)
    assert torch.equal(filled[mask > 0], ramp[mask > 0])
    # A linear ramp has zero Laplacian inside: it is the smoothest surface.
    torch.testing.assert_close(filled, ramp, atol=1e-4, rtol=0)


def test_biharmonic_fill_beats_harmonic_on_a_curved_surface():
    # x**2 + y**2 is biharmonic but not harmonic: only the biharmonic fill
    # follows its curvature into the hole.
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16), indexing="ij")
    bowl = (xx**2 + yy**2)[None, None]
    mask = torch.ones_like(bowl)
    mask[..., 5:11, 5:11] = 0
    hole = mask == 0
    error_bi = (biharmonic_fill(bowl * mask, mask, reach=None) - bowl)[hole].abs().max()
    error_harmonic = (harmonic_fill(bowl * mask, mask, n_iter=500) - bowl)[hole].abs().max()
    assert error_bi < 1e-3 < error_harmonic


def test_biharmonic_fill_works_per_image_and_channel():
    rng = np.random.RandomState(0)
    values = torch.as_tensor(rng.rand(3, 2, 10, 10), dtype=torch.float32)
    mask = torch.as_tensor(rng.rand(3, 2, 10, 10) > 0.3, dtype=torch.float32)
    batch = biharmonic_fill(values * mask, mask, max_iter=500, tol=1e-6)
    one = biharmonic_fill(values[1:2, 1:2] * mask[1:2, 1:2], mask[1:2, 1:2], max_iter=500,
                          tol=1e-6)
    torch.testing.assert_close(batch[1:2, 1:2], one, atol=1e-5, rtol=0)


def test_biharmonic_fill_matches_scikit_image():
    restoration = pytest.importorskip("skimage.restoration")
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[:24, :24] / 24
    image = 0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy) + 0.02 * rng.rand(24, 24)
    hole = rng.rand(24, 24) < 0.2
    reference = restoration.inpaint_biharmonic(np.where(hole, 0, image), hole)
    values = torch.as_tensor(image, dtype=torch.float64)[None, None]
    mask = torch.as_tensor(~hole, dtype=torch.float64)[None, None]
    ours = biharmonic_fill(values * mask, mask)[0, 0].numpy()
    error = np.sqrt(np.mean((ours - image)[hole] ** 2))
    reference_error = np.sqrt(np.mean((reference - image)[hole] ** 2))
    # The same interpolation up to the border treatment.
    assert error == pytest.approx(reference_error, rel=0.05)
    assert np.abs(ours - reference)[hole].max() < 0.02


def test_biharmonic_fill_does_not_extrapolate_a_trend_far_from_the_data():
    # A rising series whose last 10 steps are missing: the smoothest surface
    # continues the slope past the data; beyond ``reach`` the fill is the
    # normalised convolution (a local mean) instead.
    series = torch.linspace(0, 1, 30)[None, None, None].repeat(1, 1, 3, 1)
    mask = torch.ones_like(series)
    mask[..., 20:] = 0
    last_observed = series[..., 19].max()
    filled = biharmonic_fill(series * mask, mask, reach=2)
    unbounded = biharmonic_fill(series * mask, mask, reach=None)
    local_mean = normalized_convolution(series * mask, mask, 0.5)
    assert unbounded[..., -1].min() > last_observed + 0.1  # the trend goes on
    torch.testing.assert_close(filled[..., 22:], local_mean[..., 22:])
    torch.testing.assert_close(filled[..., 20:22], unbounded[..., 20:22])
    assert filled[..., 22:].max() <= last_observed + 1e-6


def test_laplacian_adjoint_is_the_adjoint():
    # <L a, b> == <a, L^T b>: conjugate gradients need the exact adjoint.
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(2, 1, 7, 9, generator=generator, dtype=torch.float64)
    b = torch.randn(2, 1, 7, 9, generator=generator, dtype=torch.float64)
    left = (_laplacian(a) * b).sum()
    right = (a * _laplacian_adjoint(b)).sum()
    assert left.item() == pytest.approx(right.item(), rel=1e-12)


def test_biharmonic_fill_of_an_image_does_not_depend_on_its_batch():
    # A smooth image with scattered holes converges in a few iterations, a
    # rough one with a wide hole needs many: batched together, the smooth one
    # must stop where it would alone (a batch imputed by blocks, e.g. by
    # dask, gives the same pixels as the batch in one go). What remains is
    # float rounding of batched convolutions (a solve run on for the rough
    # image's sake moved the smooth one by 2e-4). That rounding depends on the
    # CPU's vector units: over the rough image's float32 iterations it reached
    # 1.8e-6 on an Intel Xeon with AVX-512, so the bound sits 10x below the
    # defect and well above rounding.
    rounding = 2e-5
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    smooth = torch.tensor(np.sin(2 * xx + yy), dtype=torch.float32)[None, None]
    rough = torch.tensor(rng.rand(16, 16), dtype=torch.float32)[None, None]
    smooth_mask = torch.tensor(rng.rand(16, 16) > 0.2, dtype=torch.float32)[None, None]
    rough_mask = torch.ones(1, 1, 16, 16)
    rough_mask[..., 4:12, 4:12] = 0
    alone = biharmonic_fill(smooth, smooth_mask)
    batched = biharmonic_fill(torch.cat([smooth, rough]), torch.cat([smooth_mask, rough_mask]))
    torch.testing.assert_close(batched[:1], alone, atol=rounding, rtol=0)
    torch.testing.assert_close(batched[1:], biharmonic_fill(rough, rough_mask), atol=rounding,
                               rtol=0)


@pytest.mark.parametrize("interval", [3, 8])
def test_biharmonic_fill_is_the_same_with_sparser_convergence_checks(monkeypatch, interval):
    # An accelerator checks convergence every few iterations (each check waits
    # for the device): iterations after every solve converged must not move it.
    import skgain._fills as fills  # white-box: the private check interval, patched

    rng = np.random.RandomState(1)
    values = torch.as_tensor(rng.rand(4, 1, 16, 16), dtype=torch.float32)
    mask = torch.as_tensor(rng.rand(4, 1, 16, 16) > 0.25, dtype=torch.float32)
    mask[2, :, 3:11, 3:11] = 0  # one wide hole: its solve runs long after the others
    every_iteration = biharmonic_fill(values * mask, mask)
    monkeypatch.setattr(fills, "_convergence_check_interval", lambda device: interval)
    assert torch.equal(biharmonic_fill(values * mask, mask), every_iteration)


def test_convergence_is_checked_every_iteration_on_a_cpu_only():
    from skgain._fills import _convergence_check_interval  # private, the unit under test

    assert _convergence_check_interval("cpu") == 1
    assert _convergence_check_interval(torch.device("cuda")) == 8


# ------------------------------------------------------------ public input
FILLS = [normalized_convolution, harmonic_fill, biharmonic_fill]


def _smooth_with_holes(seed=0):
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:8, :8] / 7
    image = np.sin(2 * xx + yy)
    mask = (rng.rand(8, 8) > 0.3).astype(np.float64)
    return image, mask


@pytest.mark.parametrize("fill", FILLS)
def test_nan_at_missing_entries_is_ignored(fill):
    # The mask says which entries are missing: NaN there must not poison
    # the output (it made all 64 pixels non-finite).
    image, mask = _smooth_with_holes()
    values = torch.as_tensor(image)[None, None]
    m = torch.as_tensor(mask)[None, None]
    zeros = fill(values * m, m)
    nans = fill(torch.where(m > 0, values, torch.tensor(float("nan"))), m)
    assert torch.isfinite(nans).all()
    torch.testing.assert_close(nans, zeros, rtol=0, atol=0)


@pytest.mark.parametrize("fill", FILLS)
def test_numpy_and_two_dimensional_input_give_the_tensor_result(fill):
    image, mask = _smooth_with_holes()
    expected = fill(torch.as_tensor(image * mask)[None, None], torch.as_tensor(mask)[None, None])
    out = fill(image, mask.astype(bool))  # (H, W) NumPy, boolean mask
    assert isinstance(out, np.ndarray) and out.shape == (8, 8) and out.dtype == np.float64
    np.testing.assert_allclose(out, expected[0, 0].numpy(), rtol=0, atol=1e-12)
    # Integer values are cast to float, in the result's kind.
    ints = fill(torch.ones(8, 8, dtype=torch.int64), torch.as_tensor(mask))
    assert ints.dtype == torch.float32 and torch.allclose(ints, torch.ones(8, 8))


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize(
    "values, mask, error, match",
    [
        (np.ones((8, 8)), np.ones((8, 7)), ValueError, "mask must have the shape"),
        (np.ones((2, 8, 8)), np.ones((2, 8, 8)), ValueError, r"\(n, C, H, W\) or \(H, W\)"),
        (np.ones((0, 1, 8, 8)), np.ones((0, 1, 8, 8)), ValueError, "no axis empty"),
        (np.ones((8, 8)), np.full((8, 8), 0.5), ValueError, "mask must hold 1"),
        (np.full((8, 8), np.nan), np.ones((8, 8)), ValueError, "finite where mask is 1"),
        (np.full((8, 8), np.inf), np.ones((8, 8)), ValueError, "finite where mask is 1"),
        (None, np.ones((8, 8)), TypeError, "values must be"),
        (np.ones((8, 8)), "mask", TypeError, "mask must be"),
        (np.ones((8, 8), dtype=complex), np.ones((8, 8)), TypeError, "real numbers"),
    ],
)
def test_bad_input_is_a_clear_error(fill, values, mask, error, match):
    with pytest.raises(error, match=match):
        fill(values, mask)


@pytest.mark.parametrize(
    "fill, kwargs, error, match",
    [
        (normalized_convolution, {"sigma": 0}, ValueError, r"sigma must be in \[0.01, 16\]"),
        (normalized_convolution, {"sigma": -1}, ValueError, "sigma"),
        (normalized_convolution, {"sigma": float("nan")}, ValueError, "sigma"),
        (normalized_convolution, {"sigma": 17}, ValueError, "sigma"),
        (normalized_convolution, {"sigma": True}, TypeError, "sigma"),
        (normalized_convolution, {"sigma": "1"}, TypeError, "sigma"),
        (harmonic_fill, {"n_iter": -1}, ValueError, "n_iter"),
        (harmonic_fill, {"n_iter": 2.5}, TypeError, "n_iter"),
        (biharmonic_fill, {"max_iter": -1}, ValueError, "max_iter"),
        (biharmonic_fill, {"max_iter": None}, TypeError, "max_iter"),
        (biharmonic_fill, {"tol": -1e-3}, ValueError, "tol"),
        (biharmonic_fill, {"tol": float("nan")}, ValueError, "tol"),
        (biharmonic_fill, {"reach": -1}, ValueError, "reach"),
        (biharmonic_fill, {"reach": 1.5}, TypeError, "reach"),
    ],
)
def test_bad_numbers_are_a_clear_error(fill, kwargs, error, match):
    image, mask = _smooth_with_holes()
    with pytest.raises(error, match=match):
        fill(image, mask, **kwargs)


def test_normalized_convolution_with_nothing_observed_returns_the_neutral_fill():
    # An all-missing image goes through every doubling of the width and stops
    # (the loop that doubled a sigma of 0 never returned).
    out = normalized_convolution(np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 6, 6)), sigma=0.01)
    np.testing.assert_array_equal(out, np.full((1, 1, 6, 6), 0.5))
