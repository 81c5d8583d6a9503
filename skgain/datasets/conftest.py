"""Doctests of the fetchers read the project's shared data; they never download.

The data home defaults to ``../shared/data`` beside the checkout (as in
tests/conftest.py) so ``pytest skgain/`` alone finds it; when the files are
not there the fetcher doctests are skipped instead of reaching the internet.
"""

import os
from pathlib import Path

import pytest

from skgain.datasets._fetchers import IMAGENETTE_160, IMAGENETTE_320, LETTER, SPAM

_SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(autouse=True)
def _shared_data_home(request, monkeypatch):
    if type(request.node).__name__ != "DoctestItem":
        return
    if not os.environ.get("SKGAIN_DATA"):
        monkeypatch.setenv("SKGAIN_DATA", str(_SHARED_DATA))
    home = Path(os.environ["SKGAIN_DATA"])
    needed = [SPAM, LETTER, IMAGENETTE_160, IMAGENETTE_320]
    if "fetch_" in request.node.name and not all(
        (home / entry.filename).is_file() for entry in needed
    ):
        pytest.skip(f"the data files are not in the data home {home}")
