"""Tests of skgain.datasets: the data home, the fetchers (real files and a local
download server) and the panel generator."""

import hashlib
import http.server
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skgain.datasets import (
    fetch_imagenette,
    fetch_letter,
    fetch_spambase,
    get_data_home,
    make_panel,
    make_panel_mask,
)
from skgain.datasets import _base


# ------------------------------------------------------------------ data home
def test_get_data_home_order(tmp_path, monkeypatch):
    monkeypatch.setenv("SKGAIN_DATA", str(tmp_path / "from_env"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # The argument wins over the environment variable.
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert (tmp_path / "arg").is_dir()
    # Then the environment variable.
    assert get_data_home() == str(tmp_path / "from_env")
    assert (tmp_path / "from_env").is_dir()
    # Then ~/skgain_data, with ~ expanded.
    monkeypatch.delenv("SKGAIN_DATA")
    assert get_data_home() == str(tmp_path / "home" / "skgain_data")
    assert get_data_home("~/elsewhere") == str(tmp_path / "home" / "elsewhere")
    with pytest.raises(ValueError, match="data_home"):
        get_data_home(3)


# ----------------------------------------------------------------- real files
def test_fetch_spambase(data_home):
    spam = fetch_spambase(data_home=data_home, download_if_missing=False)
    assert spam.data.shape == (4601, 57)
    assert spam.data.dtype == np.float64
    assert spam.feature_names[0] == "Cont 1" and spam.feature_names[-1] == "Cont 57"
    assert spam.data.min() == 0.0 and spam.data.max() == 15841.0
    assert not np.isnan(spam.data).any()
    assert spam.target is None and spam.frame is None
    assert "CC BY 4.0" in spam.DESCR and "jsyoon0823/GAIN" in spam.DESCR
    # The first data row of the file.
    first = np.loadtxt(data_home / "spam.csv", delimiter=",", skiprows=1, max_rows=1)
    np.testing.assert_array_equal(spam.data[0], first)

    X, y = fetch_spambase(data_home=data_home, return_X_y=True)
    assert y is None
    np.testing.assert_array_equal(X, spam.data)


def test_fetch_letter_as_frame(data_home):
    letter = fetch_letter(data_home=data_home, as_frame=True)
    assert isinstance(letter.data, pd.DataFrame) and letter.frame is letter.data
    assert letter.data.shape == (20000, 16)
    # The file's "Cat 2 " header is stripped.
    assert letter.feature_names == [f"Cat {i}" for i in range(1, 17)]
    assert list(letter.data.columns) == letter.feature_names
    values = letter.data.to_numpy()
    assert values.min() == 0 and values.max() == 15
    np.testing.assert_array_equal(values, np.round(values))
    assert "Letter Recognition" in letter.DESCR and "CC BY 4.0" in letter.DESCR
    X, y = fetch_letter(data_home=data_home, return_X_y=True, as_frame=True)
    assert y is None and isinstance(X, pd.DataFrame)


def test_fetch_imagenette_160(data_home):
    train = fetch_imagenette(data_home=data_home)
    val = fetch_imagenette(size=160, split="val", category="n01440764", data_home=data_home)
    both = fetch_imagenette(split="all", category="Tench", data_home=data_home)
    assert train.images.shape == (963, 160, 160) and train.images.dtype == np.uint8
    assert val.images.shape == (387, 160, 160)
    np.testing.assert_array_equal(both.images, np.concatenate([train.images, val.images]))
    assert list(both.filenames) == list(train.filenames) + list(val.filenames)
    assert len(train.filenames) == 963 and list(train.filenames) == sorted(train.filenames)
    assert str(val.filenames[0]).endswith(".JPEG")
    # data is the flattened view of images, with one pixel name per column.
    assert val.data.shape == (387, 25600)
    np.testing.assert_array_equal(val.data[5].reshape(160, 160), val.images[5])
    assert len(val.feature_names) == 25600
    assert val.feature_names[1] == "pixel_0_1" and val.feature_names[-1] == "pixel_159_159"
    assert (val.category, val.synset, val.size, val.split) == ("tench", "n01440764", 160, "val")
    assert "Apache-2.0" in val.DESCR and "ImageNet" in val.DESCR
    # Real photographs, not blank arrays.
    assert 30 < train.images.mean() < 220 and train.images.std() > 20


def test_fetch_imagenette_320(data_home):
    tench = fetch_imagenette(size=320, data_home=data_home)
    assert tench.images.shape == (1, 320, 320)
    assert list(tench.filenames) == ["n01440764_96.JPEG"]
    assert list(tench.source_files) == ["n01440764_tench.JPEG"]
    church = fetch_imagenette(size=320, category="church", split="all", data_home=data_home)
    assert church.images.shape == (1, 320, 320) and church.synset == "n03028079"
    assert list(church.filenames) == ["n03028079_church.JPEG"]
    horn = fetch_imagenette(size=320, category="french_horn", split="all", data_home=data_home)
    assert not np.array_equal(horn.images, church.images)
    assert "LANCZOS" in church.DESCR


@pytest.mark.parametrize(
    "params, match",
    [
        ({"color": True}, "grayscale images only"),
        ({"category": "cat"}, "not an Imagenette class"),
        ({"category": "church"}, "not available at size=160"),
        ({"size": 320, "category": "golf ball", "split": "all"}, "not available at size=320"),
        ({"size": 320, "split": "val"}, "from the train split"),
        ({"size": 320, "category": "parachute"}, "split of this photo was not recorded"),
        ({"size": 224}, "size"),
        ({"split": "test"}, "split"),
    ],
)
def test_fetch_imagenette_rejects_what_the_data_cannot_provide(params, match, tmp_path):
    # Checked before any file is touched: the empty data home does not matter.
    with pytest.raises(ValueError, match=match):
        fetch_imagenette(data_home=tmp_path, **params)
    assert list(tmp_path.iterdir()) == []


def test_fetch_imagenette_missing_file_says_what_to_put_where(tmp_path):
    with pytest.raises(OSError) as info:
        fetch_imagenette(data_home=tmp_path)
    message = str(info.value)
    assert "imagenette_tench_160.npz" in message
    assert str(tmp_path / "imagenette_tench_160.npz") in message
    assert "no public home" in message and "convert('L')" in message
    assert "0dbdf7e8684e57022866e39cf7fa44aa5546f6de882cfc58e2639d9f4af23869" in message


def test_fetch_imagenette_rejects_wrong_checksum(tmp_path):
    np.savez(tmp_path / "imagenette_tench_320.npz", images=np.zeros((1, 320, 320), np.uint8))
    with pytest.raises(ValueError, match="sha256"):
        fetch_imagenette(size=320, data_home=tmp_path)


# ------------------------------------------------------- downloads (local server)
class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "served"``, as the GAIN home."""
    served = tmp_path / "served"
    served.mkdir()
    requests_seen = []

    class Handler(_Handler):
        def do_GET(self):
            requests_seen.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(served))
    )
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    monkeypatch.setitem(_base.BASE_URLS, "gain", f"http://127.0.0.1:{httpd.server_port}/")
    # A proxy setting must not route the local download elsewhere.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield served, requests_seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_download_verifies_and_caches(server, data_home, tmp_path):
    served, seen = server
    shutil.copy(data_home / "spam.csv", served / "spam.csv")
    home = tmp_path / "home"
    spam = fetch_spambase(data_home=home)
    assert seen == ["/spam.csv"]
    assert spam.data.shape == (4601, 57)
    assert sorted(p.name for p in home.iterdir()) == ["spam.csv"]
    assert _sha256(home / "spam.csv") == _sha256(data_home / "spam.csv")
    assert spam.filename == str(home / "spam.csv")
    # A second fetch reads the verified copy: no new request.
    fetch_spambase(data_home=home)
    assert seen == ["/spam.csv"]


def test_corrupted_download_is_rejected_and_removed(server, data_home, tmp_path):
    served, seen = server
    content = bytearray((data_home / "letter.csv").read_bytes())
    content[100] ^= 1  # one flipped bit
    (served / "letter.csv").write_bytes(bytes(content))
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="rejected: its sha256 does not match"):
        fetch_letter(data_home=home)
    assert seen == ["/letter.csv"]
    # Nothing is left behind: neither the file nor pooch's temporary file.
    assert list(home.iterdir()) == []


def test_failed_download_says_what_to_put_where(server, tmp_path):
    home = tmp_path / "home"
    with pytest.raises(OSError, match="Put the file 'spam.csv'") as info:
        fetch_spambase(data_home=home)  # the server has no spam.csv: 404
    assert str(home / "spam.csv") in str(info.value)
    assert list(home.iterdir()) == []


def test_download_if_missing_false_does_not_download(server, data_home, tmp_path):
    served, seen = server
    shutil.copy(data_home / "spam.csv", served / "spam.csv")
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_spambase(data_home=tmp_path / "home", download_if_missing=False)
    assert seen == []


def test_corrupted_local_file_is_refused_or_replaced(server, data_home, tmp_path):
    served, seen = server
    shutil.copy(data_home / "spam.csv", served / "spam.csv")
    home = tmp_path / "home"
    home.mkdir()
    (home / "spam.csv").write_text("Cont 1\n1.0\n")
    with pytest.raises(ValueError, match="corrupted or a different version"):
        fetch_spambase(data_home=home, download_if_missing=False)
    assert seen == []
    # Allowed to download, the bad copy is replaced by a verified one.
    spam = fetch_spambase(data_home=home)
    assert seen == ["/spam.csv"] and spam.data.shape == (4601, 57)
    assert _sha256(home / "spam.csv") == _sha256(data_home / "spam.csv")


# ------------------------------------------------------------------ make_panel
def test_make_panel_follows_the_recursion():
    rho = 0.7
    Y, parts = make_panel(12, 9, rho=rho, return_components=True, random_state=3)
    assert Y.shape == (12, 9)
    assert parts.unit_effects.shape == (12,) and parts.time_effects.shape == (9,)
    assert parts.noise.shape == (12, 9) and parts.initial.shape == (12,)
    previous = np.column_stack([parts.initial, Y[:, :-1]])
    expected = (
        rho * previous + parts.unit_effects[:, None] + parts.time_effects[None, :] + parts.noise
    )
    np.testing.assert_allclose(Y, expected, rtol=0, atol=1e-12)
    # The initial value comes from the burn-in: not zero by default...
    assert np.abs(parts.initial).min() > 0
    # ...and zero without burn-in.
    _, parts0 = make_panel(12, 9, burn_in=0, return_components=True, random_state=3)
    np.testing.assert_array_equal(parts0.initial, 0.0)


def test_make_panel_is_seeded():
    first = make_panel(5, 6, random_state=1)
    np.testing.assert_array_equal(first, make_panel(5, 6, random_state=1))
    assert not np.allclose(make_panel(5, 6, random_state=1), make_panel(5, 6, random_state=2))
    rng = np.random.RandomState(0)
    assert isinstance(make_panel(3, 4, random_state=rng), np.ndarray)


def test_make_panel_moments():
    # Without effects, after burn-in the AR(1) is stationary: variance
    # noise_std**2 / (1 - rho**2) and lag-1 autocorrelation rho.
    rho, sigma = 0.8, 2.0
    Y = make_panel(4000, 20, rho=rho, unit_effect_std=0, time_effect_std=0, noise_std=sigma,
                   random_state=0)
    assert Y.var() == pytest.approx(sigma**2 / (1 - rho**2), rel=0.05)
    first_period = Y[:, 0]
    assert first_period.var() == pytest.approx(sigma**2 / (1 - rho**2), rel=0.08)
    lag = np.corrcoef(Y[:, 1:].ravel(), Y[:, :-1].ravel())[0, 1]
    assert lag == pytest.approx(rho, abs=0.02)
    # Unit effects shift each unit's mean to delta / (1 - rho).
    Y, parts = make_panel(300, 400, rho=0.5, unit_effect_std=3, time_effect_std=0, noise_std=0.1,
                          return_components=True, random_state=0)
    np.testing.assert_allclose(Y.mean(axis=1), parts.unit_effects / 0.5, atol=0.05)
    # Time effects are shared by all units: the cross-section mean follows them.
    Y, parts = make_panel(3000, 10, rho=0.0, unit_effect_std=0, time_effect_std=2, noise_std=1,
                          return_components=True, random_state=0)
    np.testing.assert_allclose(Y.mean(axis=0), parts.time_effects, atol=0.1)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"rho": 1.5}, "rho"),
        ({"n_units": 0}, "n_units"),
        ({"noise_std": -1.0}, "noise_std"),
        ({"burn_in": -1}, "burn_in"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_make_panel_validates(params, name):
    with pytest.raises(ValueError, match=name):
        make_panel(**params)


def test_make_panel_mask_block():
    missing = make_panel_mask(20, 10, treated_fraction=0.25, missing_periods=3, random_state=0)
    assert missing.shape == (20, 10) and missing.dtype == bool
    treated = missing.any(axis=1)
    assert treated.sum() == 5
    # Treated units miss exactly the last 3 periods; controls are complete.
    np.testing.assert_array_equal(missing[treated], np.tile([False] * 7 + [True] * 3, (5, 1)))
    assert not missing[~treated].any()
    np.testing.assert_array_equal(
        missing,
        make_panel_mask(20, 10, treated_fraction=0.25, missing_periods=3, random_state=0),
    )
    # A fraction of the periods, rounded: 0.25 * 10 -> 2 (at least 1).
    fraction = make_panel_mask(20, 10, missing_periods=0.25, random_state=0)
    assert fraction.sum(axis=1).max() == 2
    assert make_panel_mask(20, 10, missing_periods=0.01, random_state=0).sum(axis=1).max() == 1


def test_make_panel_mask_staggered():
    missing = make_panel_mask(200, 12, treated_fraction=0.5, missing_periods=4, staggered=True,
                              random_state=0)
    treated = missing.any(axis=1)
    assert treated.sum() == 100
    lengths = missing[treated].sum(axis=1)
    # Each treated unit misses a suffix, from its own adoption time on.
    for row, length in zip(missing[treated], lengths):
        np.testing.assert_array_equal(row, np.arange(12) >= 12 - length)
    assert set(lengths) == {1, 2, 3, 4}
    # Every period keeps an observed value.
    assert (~missing).any(axis=0).all()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"treated_fraction": 0.01}, "at least 1"),
        ({"n_units": 3, "treated_fraction": 0.9}, "control unit"),
        ({"missing_periods": 10}, "first period"),
        ({"treated_fraction": 1.0}, "treated_fraction"),
        ({"missing_periods": 1.5}, "missing_periods"),
        ({"n_units": 1}, "n_units"),
    ],
)
def test_make_panel_mask_validates(params, match):
    kwargs = {"n_units": 10, "n_periods": 10, **params}
    with pytest.raises(ValueError, match=match):
        make_panel_mask(**kwargs)
