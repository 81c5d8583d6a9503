import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests read real data through the data home, pointed at ../shared/data.
os.environ.setdefault("SKGAIN_DATA", str(SHARED_DATA))

# The test networks are tiny: a second thread only adds synchronisation, and
# on a CPU shared with other jobs torch's spinning threads slow tests down 10x.
torch.set_num_threads(1)


@pytest.fixture
def data_home():
    path = Path(os.environ["SKGAIN_DATA"])
    if not path.is_dir():
        pytest.skip(f"data home {path} is not there")
    return path
