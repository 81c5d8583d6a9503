"""Checks of the documentation that need no Sphinx build.

The user guide's examples are run as doctests (so the guide cannot drift
from the code), and the generated pages are checked: the API page lists
every public name, and the benchmarks page picks up every committed table.
Building the whole site (with the gallery) is left to
``sphinx-build -W -b html docs docs/_build/html``.
"""

import doctest
import importlib.util
from pathlib import Path

import pytest
import torch

import skgain

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = sorted((DOCS / "user_guide").glob("*.rst"))


def _load_generate():
    spec = importlib.util.spec_from_file_location("_docs_generate", DOCS / "_generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def one_thread():
    # On a CPU shared with other jobs, extra torch threads only wait for each
    # other; the examples check numbers, not time.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDE, ids=[page.stem for page in GUIDE])
def test_user_guide_examples_run(page, one_thread):
    text = page.read_text()
    if "skimage" in text:
        pytest.importorskip("skimage")
    if "import dask" in text:  # the distributed extra (part of the test extra)
        pytest.importorskip("dask.array")
    result = doctest.testfile(
        str(page), module_relative=False, verbose=False, report=True,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0, f"{result.failed} example(s) of {page.name} failed"


def test_user_guide_pages_are_in_its_index():
    index = (DOCS / "user_guide" / "index.rst").read_text()
    for page in GUIDE:
        if page.stem != "index":
            assert f"   {page.stem}\n" in index


def test_api_page_lists_every_public_name():
    generate = _load_generate()
    page = generate.api_page()
    modules = generate.public_modules()
    assert skgain in modules
    names = {"skgain.datasets", "skgain.masks"} & {m.__name__ for m in modules}
    assert names == {m for m in ("skgain.datasets", "skgain.masks")
                     if importlib.util.find_spec(m) is not None}
    for module in modules:
        assert f".. currentmodule:: {module.__name__}\n" in page
        for name in module.__all__:
            if not name.startswith("__"):
                assert f"\n   {name}\n" in page, f"{module.__name__}.{name} missing"
    assert "__version__" not in page


def test_results_pages_copy_tables_and_figures(tmp_path):
    generate = _load_generate()
    results, out = tmp_path / "results", tmp_path / "out"
    # One folder per experiment: its tables, JSON, figures and record.json.
    (results / "alpha").mkdir(parents=True)
    (results / "beta").mkdir()
    (results / "alpha" / "alpha.md").write_text("| a |\n|---|\n| 1 |\n")
    (results / "beta" / "beta.md").write_text("# Beta\n\n![fig](beta.png)\n")
    (results / "beta" / "beta_long.md").write_text("# Beta long\n")
    (results / "alpha" / "alpha.png").write_bytes(b"png")
    (results / "beta" / "beta.png").write_bytes(b"png")
    (results / "beta" / "beta_long_loss.png").write_bytes(b"png")
    (results / "alpha" / "alpha.json").write_text("{}")
    (results / "alpha" / "record.json").write_text("{}")
    # Quick smoke runs live in results/quick/ and are not published.
    (results / "quick").mkdir()
    (results / "quick" / "alpha.md").write_text("quick\n")
    assert generate.results_pages(results, out) == ["alpha/alpha", "beta/beta", "beta/beta_long"]
    alpha = (out / "alpha" / "alpha.md").read_text()
    assert alpha.startswith("# Alpha\n")          # a title for the toctree
    assert "![alpha](alpha.png)" in alpha          # the figure it did not show
    beta = (out / "beta" / "beta.md").read_text()
    assert beta.count("beta.png") == 1
    # beta_long's figure goes with beta_long, not with beta.
    assert "beta_long_loss.png" not in beta
    assert "![beta_long_loss](beta_long_loss.png)" in (out / "beta" / "beta_long.md").read_text()
    copied = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert copied == ["alpha/alpha.json", "alpha/alpha.md", "alpha/alpha.png",
                      "alpha/record.json", "beta/beta.md", "beta/beta.png",
                      "beta/beta_long.md", "beta/beta_long_loss.png"]
    assert not (out / "quick").exists()
    # Tables with the same title get their file names in it.
    (results / "alpha" / "gamma.md").write_text("# Beta\n\nanother run\n")
    generate.results_pages(results, out)
    assert (out / "beta" / "beta.md").read_text().startswith("# Beta (beta.md)\n")
    assert (out / "alpha" / "gamma.md").read_text().startswith("# Beta (gamma.md)\n")
    (results / "alpha" / "gamma.md").unlink()
    # An empty results folder still gives the page something to show.
    for table in ("alpha/alpha.md", "beta/beta.md", "beta/beta_long.md"):
        (results / table).unlink()
    assert generate.results_pages(results, out) == []
    assert (out / "none" / "none.md").exists()


def _results_paths(text):
    # A path ends where the path characters do; "<experiment>" placeholders
    # stop it at their folder, and a sentence's full stop is not part of it.
    import re

    return {match.rstrip(".") for match in re.findall(r"benchmarks/results/[\w./-]*", text)}


def test_every_results_path_referenced_exists():
    repo = DOCS.parent
    sources = [repo / "README.md", *sorted((repo / "skgain").rglob("*.py")),
               *sorted((repo / "benchmarks").glob("*.py"))]
    sources += [path for pattern in ("*.rst", "*.md", "*.py") for path in DOCS.rglob(pattern)
                if not {"_build", "generated", "auto_examples"} & set(path.relative_to(DOCS).parts)]
    missing = []
    for source in sources:
        for path in sorted(_results_paths(source.read_text())):
            if not (repo / path).exists():
                missing.append(f"{source.relative_to(repo)}: {path}")
    assert not missing, "\n".join(missing)


def test_results_paths_are_found_in_text():
    text = ("see [spam](benchmarks/results/tabular/), ``benchmarks/results/tabular/tabular.md``"
            " and benchmarks/results/<experiment>/. Also benchmarks/results/gpu/gpu.md.")
    assert _results_paths(text) == {"benchmarks/results/tabular/",
                                    "benchmarks/results/tabular/tabular.md",
                                    "benchmarks/results/", "benchmarks/results/gpu/gpu.md"}
