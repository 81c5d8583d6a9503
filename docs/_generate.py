"""Pages that conf.py writes at build time, so that they follow the code.

* :func:`api_page`: the API reference, an autosummary entry for every name
  in ``__all__`` of ``skgain`` and of each public subpackage;
* :func:`results_pages`: one page per committed
  ``benchmarks/results/<experiment>/<name>.md``, with the figures beside it.

Kept apart from conf.py so that tests can call them without Sphinx.
"""

import importlib
import pkgutil
import shutil
from pathlib import Path

import skgain

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent

API_HEADER = """\
API reference
=============

Every public name of skgain, by module. The estimators follow scikit-learn's
API: parameters are set in the constructor, ``fit`` learns, ``transform``
imputes, and fitted attributes end with an underscore.
"""


def public_modules():
    """``skgain`` and each public subpackage or module that defines ``__all__``."""
    modules = [skgain]
    for info in pkgutil.iter_modules(skgain.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"skgain.{info.name}")
        if getattr(module, "__all__", None):
            modules.append(module)
    return modules


def _title(module):
    doc = (module.__doc__ or "").strip().splitlines()
    summary = doc[0].rstrip(".") if doc else ""
    # "skgain: what it is" would repeat the module name after it.
    prefix = module.__name__.rsplit(".", 1)[-1] + ":"
    if summary.startswith(prefix):
        summary = summary[len(prefix):].strip()
    return f":mod:`{module.__name__}`" + (f": {summary}" if summary else "")


def api_page():
    parts = [API_HEADER]
    for module in public_modules():
        names = [name for name in module.__all__ if not name.startswith("__")]
        title = _title(module)
        parts += [
            title,
            "-" * len(title),
            "",
            f".. automodule:: {module.__name__}",
            "   :no-members:",
            "   :no-inherited-members:",
            "",
            f".. currentmodule:: {module.__name__}",
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "   :nosignatures:",
            "",
            *[f"   {name}" for name in names],
            "",
        ]
    return "\n".join(parts)


# ------------------------------------------------------- benchmark results
RESULTS = REPO / "benchmarks" / "results"
RESULTS_COPY = DOCS / "generated" / "results"


def _figures_of(folder, stem):
    """The PNG figures of run ``stem`` in ``folder``: ``<stem>.png`` and
    ``<stem>_*.png``, except those of a run whose longer name they start with
    (``images_partial_gain_loss.png`` is ``images_partial_gain``'s, not
    ``images_partial``'s)."""
    runs = {path.stem for path in folder.glob("*.md")}
    longer = [run for run in runs if run.startswith(stem + "_")]
    return sorted(
        figure for figure in folder.glob("*.png")
        if (figure.stem == stem or figure.stem.startswith(stem + "_"))
        and not any(figure.stem == run or figure.stem.startswith(run + "_") for run in longer)
    )


def results_pages(results=RESULTS, destination=RESULTS_COPY):
    """Copy each experiment's folder of ``results`` into ``destination``, one page per table.

    ``results`` holds one folder per experiment (``<experiment>/<name>.md``,
    its JSON, figures and ``record.json``). A table without a top-level
    heading gets one (a page needs a title to appear in a table of contents),
    and figures of a run that its table does not show are appended to it.
    Returns the pages as ``"<experiment>/<name>"``.
    """
    results, destination = Path(results), Path(destination)
    if destination.exists():
        shutil.rmtree(destination)
    # Everything is copied (figures, JSON files and record.json a table links
    # to), so that relative links in the tables resolve.
    # Only the full results: quick smoke runs (results/quick/) are not published.
    shutil.copytree(results, destination, ignore=shutil.ignore_patterns("quick"))
    names = sorted(path.relative_to(results).with_suffix("").as_posix()
                   for path in results.glob("*/*.md") if path.parent.name != "quick")
    texts = {}
    for name in names:
        folder, stem = (results / name).parent, Path(name).name
        text = (folder / f"{stem}.md").read_text().lstrip()
        if not text.startswith("# "):
            text = f"# {stem.replace('_', ' ').capitalize()}\n\n{text}"
        for figure in _figures_of(folder, stem):
            if f"({figure.name})" not in text:
                text += f"\n\n![{figure.stem}]({figure.name})\n"
        texts[name] = text
    # Two tables with the same title (a partial run beside the full one, say)
    # would look alike in the table of contents: name their files.
    titles = [text.split("\n", 1)[0] for text in texts.values()]
    for name, text in texts.items():
        title, rest = (text.split("\n", 1) + [""])[:2]
        if titles.count(title) > 1:
            text = f"{title} ({Path(name).name}.md)\n{rest}"
        (destination / f"{name}.md").write_text(text)
    if not names:
        # Where the benchmarks page's glob (generated/results/*/*) finds it.
        (destination / "none").mkdir(parents=True, exist_ok=True)
        (destination / "none" / "none.md").write_text(
            "# No results yet\n\nNo table has been committed to `benchmarks/results/` yet.\n"
        )
    return names


def write_if_changed(path, text):
    # Rewriting an unchanged file would make Sphinx rebuild every page.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
