"""Sphinx configuration of the skgain documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are
errors). Two pages are written here at build time, so they always follow the
code and the committed results (both are git-ignored):

* ``api.rst``: an autosummary entry for every name in ``__all__`` of
  ``skgain`` and of each public subpackage (``skgain.datasets``, ...);
* ``generated/results/``: one page per
  ``benchmarks/results/<experiment>/<name>.md``, with the PNG figures of
  its folder beside it.
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(DOCS))

import skgain  # noqa: E402
from _generate import api_page, results_pages, write_if_changed  # noqa: E402
from numpydoc.xref import DEFAULT_LINKS  # noqa: E402

# ----------------------------------------------------------------- project
project = "skgain"
author = "skgain developers"
copyright = "2026, skgain developers"
release = skgain.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "examples"]
html_theme = "pydata_sphinx_theme"
html_title = f"skgain {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False

# No network while building: no intersphinx, and references to scikit-learn
# objects in docstrings render as plain code.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Types are parsed so that names like ``n_features_in_`` in shapes stay text
# (a trailing underscore is a reference in reStructuredText).
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
# numpydoc's default aliases point into the Python and NumPy docs through
# intersphinx, which needs the network; keep the names as plain references.
numpydoc_xref_aliases = {name: name for name in DEFAULT_LINKS}
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skgain",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skgain": None},
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
}

# -------------------------------------------------- generated pages
write_if_changed(DOCS / "api.rst", api_page())
RESULT_NAMES = results_pages()

# Benchmark tables are markdown written by the experiments; their heading
# levels are not ours to fix.
suppress_warnings = ["myst.header"]

# ------------------------------------------------------ docstring types
# Shapes such as ``(n_features_in_,)`` in a parameter's type would be read as
# reStructuredText references (trailing underscore); scikit-learn writes
# them in backquotes. Escape the underscore so either spelling renders.
_PARAM_LINE = re.compile(r"^(\s*\*{0,2}\w+\s+:\s+)(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*?)_(?=[,)\s]|$)")


def escape_type_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match:
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(2))


def setup(app):
    # Before numpydoc (priority 500) turns the docstring into reST.
    app.connect("autodoc-process-docstring", escape_type_underscores, priority=100)


os.environ.setdefault("SKGAIN_DATA", str(REPO.parent / "shared" / "data"))
