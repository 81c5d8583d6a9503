"""Tests of the test-time training helpers: the views and the adapted copy."""

import numpy as np
import pytest
import torch

from skgain._test_time import adapted_copy, from_view, symmetries, to_view


@pytest.mark.parametrize("square, n_views", [(True, 8), (False, 4)])
def test_views_are_distinct_and_inverted(square, n_views):
    views = symmetries(square)
    assert len(views) == n_views == len(set(views))
    shape = (1, 1, 4, 4) if square else (1, 1, 4, 6)
    image = torch.arange(float(np.prod(shape))).reshape(shape)
    seen = set()
    for turns, flip in views:
        turned = to_view(image, turns, flip)
        assert turned.shape == image.shape  # no view changes a rectangle's shape
        seen.add(tuple(turned.flatten().tolist()))
        torch.testing.assert_close(from_view(turned, turns, flip), image, rtol=0, atol=0)
    assert len(seen) == n_views


def _regression_objective(target):
    def objective(net, values, mask):
        return ((net(values) - target) ** 2).mean()

    return objective


def test_adapted_copy_learns_and_leaves_the_original_alone():
    net = torch.nn.Conv2d(1, 1, 3, padding=1)
    with torch.no_grad():  # a known start instead of torch's global seed
        net.weight.fill_(0.1)
        net.bias.zero_()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    values = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(values)
    objective = _regression_objective(2 * values)
    adapted = adapted_copy(net, values, mask, objective, steps=50, learning_rate=1e-2,
                           views=[(0, False)])
    with torch.no_grad():
        assert objective(adapted, values, mask) < 0.5 * objective(net, values, mask)
    assert not adapted.training
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)


def test_adapted_copy_goes_through_the_views_in_turn():
    seen = []

    def objective(net, values, mask):
        seen.append(values.clone())
        return net(values).sum()

    values = torch.arange(16.0).reshape(1, 1, 4, 4)
    views = symmetries(True)
    adapted_copy(torch.nn.Conv2d(1, 1, 1), values, torch.ones_like(values), objective,
                 steps=10, learning_rate=1e-3, views=views)
    expected = [to_view(values, *views[step % 8]) for step in range(10)]
    for got, want in zip(seen, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        assert got.is_contiguous()


@pytest.mark.parametrize("square", [True, False])
def test_augmentation_views_of_each_setting(square):
    from skgain._test_time import augmentation_views

    assert augmentation_views(False, square) == [(0, False)]
    assert augmentation_views("flip", square) == [(0, False), (0, True)]
    every = augmentation_views(True, square)
    assert every == symmetries(square) and len(every) == (8 if square else 4)
    assert every[:2] == [(0, False), (0, True)]  # the mirror's views come first
