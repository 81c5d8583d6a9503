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


# --------------------------------------------------------------------------
# Convolutional networks of SpatialGAINImputer. Every one maps an image batch
# of values (n, C, H, W) and a same-shaped side input (the mask for the
# generator, the hint for the discriminator) to (n, C, H, W).


def _conv_lrelu_gn(in_channels, out_channels):
    # Group norm behaves the same in training and in eval mode and works on a
    # single image: no running statistics that lag behind a short training.
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.GroupNorm(min(8, out_channels), out_channels),
    ]


def _conv_lrelu_bn(in_channels, out_channels):
    # The paper's block order: Conv, LeakyReLU, BatchNorm.
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.BatchNorm2d(out_channels),
    ]


class SpatialStandardCNN(nn.Module):
    """The SpatialGAIN paper's ``"standard"`` network.

    input, [Conv-LeakyReLU-BN] x len(channels), Conv, Sigmoid; all 3x3
    convolutions with padding 1, so the output has the input's size.

    Parameters
    ----------
    n_channels : int
        Channels C of the images.
    channels : sequence of int
        Inner channels, (64, 32, 16) in the paper.
    """

    def __init__(self, n_channels, channels):
        super().__init__()
        layers, previous = [], 2 * n_channels
        for width in channels:
            layers += _conv_lrelu_bn(previous, width)
            previous = width
        layers += [nn.Conv2d(previous, n_channels, 3, padding=1), nn.Sigmoid()]
        self.layers = nn.Sequential(*layers)

    def forward(self, values, side):
        return self.layers(torch.cat([values, side], dim=1))


class SpatialUpDownCNN(nn.Module):
    """The SpatialGAIN paper's ``"updown"`` network.

    input, [Conv-LeakyReLU-BN], [Conv-LeakyReLU-MaxPool-BN], [Conv-LeakyReLU-BN],
    [ConvTranspose-BN], Conv, Sigmoid. Odd sizes are pooled with ``ceil_mode``
    and the upsampled map is cropped back, so any image size works.

    Parameters
    ----------
    n_channels : int
        Channels C of the images.
    channels : sequence of three int
        Inner channels, (64, 32, 16) in the paper.
    """

    def __init__(self, n_channels, channels):
        super().__init__()
        c1, c2, c3 = channels
        self.first = nn.Sequential(*_conv_lrelu_bn(2 * n_channels, c1))
        self.down = nn.Sequential(
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.BatchNorm2d(c2),
        )
        self.middle = nn.Sequential(*_conv_lrelu_bn(c2, c3))
        self.up = nn.ConvTranspose2d(c3, c3, 2, stride=2)
        self.up_bn = nn.BatchNorm2d(c3)
        self.head = nn.Sequential(nn.Conv2d(c3, n_channels, 3, padding=1), nn.Sigmoid())

    def forward(self, values, side):
        height, width = values.shape[-2:]
        x = self.middle(self.down(self.first(torch.cat([values, side], dim=1))))
        x = self.up_bn(self.up(x)[..., :height, :width])
        return self.head(x)


class SpatialUNet(nn.Module):
    """A small U-Net (Ronneberger et al., 2015) with skip connections.

    Each level is two [Conv-LeakyReLU-GroupNorm] blocks; levels are joined by 2x2
    max pooling on the way down and a 2x2 transposed convolution on the way
    up, whose output is concatenated with the skip of the same level. Inputs
    are zero-padded to a multiple of ``2 ** (len(channels) - 1)`` and the
    output cropped back.

    Parameters
    ----------
    n_channels : int
        Channels C of the images.
    channels : sequence of int
        Width of each level, from full resolution down.
    residual : bool
        True: return ``values + head(features)`` (the generator refines its
        input, an initial fill, and learns a residual). False: return
        ``sigmoid(head(features))`` (a per-cell probability, for the
        discriminator).
    """

    def __init__(self, n_channels, channels, residual):
        super().__init__()
        self.residual = residual
        self.encoders = nn.ModuleList()
        previous = 2 * n_channels
        for width in channels:
            self.encoders.append(
                nn.Sequential(*_conv_lrelu_gn(previous, width), *_conv_lrelu_gn(width, width))
            )
            previous = width
        self.pool = nn.MaxPool2d(2)
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for level in reversed(range(len(channels) - 1)):
            self.ups.append(nn.ConvTranspose2d(channels[level + 1], channels[level], 2, stride=2))
            self.decoders.append(
                nn.Sequential(
                    *_conv_lrelu_gn(2 * channels[level], channels[level]),
                    *_conv_lrelu_gn(channels[level], channels[level]),
                )
            )
        self.head = nn.Conv2d(channels[0], n_channels, 1)

    def forward(self, values, side):
        height, width = values.shape[-2:]
        factor = 2 ** (len(self.encoders) - 1)
        pad_h, pad_w = (-height) % factor, (-width) % factor
        x = torch.cat([values, side], dim=1)
        if pad_h or pad_w:
            x = nn.functional.pad(x, (0, pad_w, 0, pad_h))
        skips = []
        for level, encoder in enumerate(self.encoders):
            if level:
                x = self.pool(x)
            x = encoder(x)
            skips.append(x)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips[:-1])):
            x = decoder(torch.cat([up(x), skip], dim=1))
        out = self.head(x)[..., :height, :width]
        if self.residual:
            return values + out
        return torch.sigmoid(out)


class ResidualBlock(nn.Module):
    """Pre-norm residual block: ``x + W2 relu(W1 LayerNorm(x))``."""

    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.inner = nn.Linear(width, width)
        self.outer = nn.Linear(width, width)

    def forward(self, x):
        return x + self.outer(torch.relu(self.inner(self.norm(x))))


class PeriodicEmbedding(nn.Module):
    """Periodic features of each value: ``sin`` and ``cos`` of ``2 pi c_jk x_j``.

    Learned frequencies ``c_jk`` (``n_frequencies`` per feature, drawn from
    N(0, scale^2)) let a perceptron fit functions of a value that change
    quickly with it, which plain inputs learn slowly (Gorishniy, Rubachev and
    Babenko, 2022). Entries where ``mask`` is 0 give zero features.
    """

    def __init__(self, n_features, n_frequencies, scale):
        super().__init__()
        self.scale = scale
        self.frequencies = nn.Parameter(torch.zeros(n_features, n_frequencies))

    def reset_parameters(self, generator):
        with torch.no_grad():
            self.frequencies.copy_(
                torch.randn(self.frequencies.shape, generator=generator) * self.scale
            )

    def forward(self, values, mask):
        angles = 2 * torch.pi * values[..., None] * self.frequencies
        features = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
        return (features * mask[..., None]).flatten(1)


class ResidualMLP(nn.Module):
    """A residual perceptron for rows: GAINImputer's default generator.

    input (values, side, periodic features of the values) -> Linear -> ReLU
    -> ``n_blocks`` pre-norm residual blocks -> LayerNorm -> Linear. The
    output is unconstrained (the imputer clips it to the fitted range). Depth
    with normalisation and skips, and the periodic features, train faster
    per FLOP than widening GAIN's three layers
    (``benchmarks/results/gain_ablation/gain_ablation.md``).

    Parameters
    ----------
    n_features : int
        Width of the data vector and of the output.
    hidden_dim : int
        Width of the hidden layers.
    n_blocks : int
        Number of residual blocks (two linear layers each).
    n_frequencies : int, default=0
        Periodic features per input value (0: none).
    frequency_scale : float, default=1.0
        Standard deviation of the initial frequencies.
    """

    def __init__(self, n_features, hidden_dim, n_blocks, n_frequencies=0, frequency_scale=1.0):
        super().__init__()
        self.periodic = None
        if n_frequencies:
            self.periodic = PeriodicEmbedding(n_features, n_frequencies, frequency_scale)
        self.embed = nn.Linear((2 + 2 * n_frequencies) * n_features, hidden_dim)
        self.blocks = nn.Sequential(*[ResidualBlock(hidden_dim) for _ in range(n_blocks)])
        self.head = nn.Sequential(nn.LayerNorm(hidden_dim), nn.Linear(hidden_dim, n_features))

    def forward(self, values, side):
        inputs = [values, side]
        if self.periodic is not None:
            inputs.append(self.periodic(values, side))
        hidden = torch.relu(self.embed(torch.cat(inputs, dim=1)))
        return self.head(self.blocks(hidden))
