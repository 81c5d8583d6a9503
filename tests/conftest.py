import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests read real data through the data home, pointed at ../shared/data.
os.environ.setdefault("SKGAIN_DATA", str(SHARED_DATA))


@pytest.fixture
def data_home():
    path = Path(os.environ["SKGAIN_DATA"])
    if not path.is_dir():
        pytest.skip(f"data home {path} is not there")
    return path
