"""The demo, ``python -m skgain``: rows printed as they come, the figure, the defaults."""

import numpy as np
import pytest
from sklearn.impute import SimpleImputer

from skgain import GAINImputer
from skgain import __main__ as demo


def _cheap_imputers():
    return {"SimpleImputer(mean)": SimpleImputer(),
            "GAINImputer": GAINImputer(max_epochs=2, blend_estimator=None, random_state=0)}


def test_each_result_is_reported_as_soon_as_it_is_known(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.randint(0, 17, size=(60, 64)).astype(float)
    hidden = rng.rand(*X.shape) < 0.2
    train = np.arange(60) < 48
    reported = []
    results = demo.run(_cheap_imputers(), X, hidden, train,
                       report=lambda name, result: reported.append((name, dict(result))))
    assert [name for name, _ in reported] == ["SimpleImputer(mean)", "GAINImputer"]
    for name, result in reported:
        assert result["fit_transform"] == results[name]["fit_transform"] > 0
        assert result["filled"].shape == (12, 64)
        assert not np.isnan(result["filled"]).any()


def test_main_prints_the_header_first_and_one_row_per_imputer(monkeypatch, capsys):
    monkeypatch.setattr(demo, "make_imputers", _cheap_imputers)
    demo.main(["--no-figure"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("digits: 1797 images")
    header = next(i for i, line in enumerate(lines) if line.startswith("imputer"))
    rows = [line.split() for line in lines[header + 1:]]
    assert [row[0] for row in rows] == ["SimpleImputer(mean)", "GAINImputer"]
    mean_unseen = float(rows[0][2])
    assert 0.1 < mean_unseen < 0.5  # digits' mean imputation, on the 0-1 scale


def test_figure_is_saved(monkeypatch, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(demo, "make_imputers", _cheap_imputers)
    path = tmp_path / "demo.png"
    demo.main(["--figure", str(path)])
    assert path.stat().st_size > 1000
    assert f"saved to {path}" in capsys.readouterr().out


@pytest.mark.slow
def test_the_demo_defaults_beat_mean_imputation(capsys):
    demo.main(["--no-figure"])
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("imputer"))
    unseen = {line.split()[0]: float(line.split()[2]) for line in lines[header + 1:]}
    for name in ("SoftImputeFISTA", "GAINImputer", "SpatialGAINImputer"):
        assert unseen[name] < 0.8 * unseen["SimpleImputer(mean)"]
