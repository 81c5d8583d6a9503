"""Data sets of the GAIN and SpatialGAIN papers, and a panel-data generator.

The fetchers read a file from the data home (see :func:`get_data_home`),
download it from its public home when it is missing and possible, and check
its sha256 before reading it.
"""

from ._base import get_data_home
from ._fetchers import fetch_imagenette, fetch_letter, fetch_spambase
from ._panel import make_panel, make_panel_mask

__all__ = [
    "fetch_imagenette",
    "fetch_letter",
    "fetch_spambase",
    "get_data_home",
    "make_panel",
    "make_panel_mask",
]
