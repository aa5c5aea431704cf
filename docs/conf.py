"""Sphinx configuration for sklogloss."""

import inspect
import os
import sys

from sphinx.pycode import ModuleAnalyzer

sys.path.insert(0, os.path.abspath(".."))

import sklogloss  # noqa: E402

project = "sklogloss"
author = "The sklogloss developers"
copyright = "2026, The sklogloss developers"
version = release = sklogloss.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_signature": False,
}

templates_path = ["_templates"]
exclude_patterns = ["_build"]

# The navigation bar lists the root toctree of index.rst: User guide, API, Gallery,
# Performance, Architecture (all five shown, none folded into a "More" menu).
html_theme = "pydata_sphinx_theme"
html_title = f"sklogloss {release}"
html_theme_options = {
    "header_links_before_dropdown": 5,
    "navbar_align": "left",
    "show_nav_level": 2,
    "navigation_depth": 3,
    "show_toc_level": 2,
    # The landing page has no right-hand column, so that its feature table has the width.
    "secondary_sidebar_items": {"**": ["page-toc", "sourcelink"], "index": []},
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "api": [], "performance": [], "architecture": []}
html_show_sourcelink = True


def _reexported_constant_doc(app, what, name, obj, options, lines):
    """Give a constant re-exported from a private submodule the ``#:`` comment it has there.

    autodoc reads ``#:`` comments only in the module it documents, so ``sklogloss.solvers.X``
    imported from ``sklogloss.solvers._policy`` would show the docstring of ``int``.
    """
    if what != "data" or "\n".join(lines).strip() != inspect.cleandoc(type(obj).__doc__ or ""):
        return
    package, attr = name.rsplit(".", 1)
    for modname, module in list(sys.modules.items()):
        if modname.startswith(package + ".") and vars(module).get(attr) is obj:
            doc = ModuleAnalyzer.for_module(modname).find_attr_docs().get(("", attr))
            if doc:
                lines[:] = list(doc)
                return


def setup(app):
    # Before numpydoc reformats the docstring.
    app.connect("autodoc-process-docstring", _reexported_constant_doc, priority=100)
