"""The ``>>>`` examples of the documentation pages run as doctests (as the docstrings' do)."""

import doctest
import pathlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(path for path in DOCS.glob("*.rst") if ">>>" in path.read_text())


@pytest.mark.parametrize("page", PAGES, ids=[path.name for path in PAGES])
def test_documentation_examples_run(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {page.name} failed"
