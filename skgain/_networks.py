"""Torch modules used by the skgain imputers."""

import torch
from torch import nn


def xavier_init(module, generator):
    """Xavier-normal weights drawn from ``generator``, zero biases."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
            std = (2.0 / (fan_in + fan_out)) ** 0.5
            with torch.no_grad():
                layer.weight.copy_(
                    torch.randn(layer.weight.shape, generator=generator) * std
                )
                if layer.bias is not None:
                    layer.bias.zero_()
    return module


class GAINMLP(nn.Module):
    """The three-layer perceptron of GAIN's generator and discriminator.

    It maps the concatenation of a data vector and a mask-like vector (the
    mask for the generator, the hint for the discriminator) to values in
    (0, 1): imputations for the generator, probabilities of being observed
    for the discriminator.

    Parameters
    ----------
    n_features : int
        Width of the data vector and of the output.
    hidden_dim : int
        Width of the two hidden layers.
    """

    def __init__(self, n_features, hidden_dim):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(2 * n_features, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, n_features),
            nn.Sigmoid(),
        )

    def forward(self, values, side):
        return self.layers(torch.cat([values, side], dim=1))
