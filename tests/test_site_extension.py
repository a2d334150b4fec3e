"""The book's Sphinx extension (_ext/lropt_site.py): Japanese line breaking around inline formulas."""

import importlib.util
from pathlib import Path

from docutils import nodes

_SPEC = importlib.util.spec_from_file_location(
    "lropt_site", Path(__file__).resolve().parents[1] / "_ext" / "lropt_site.py"
)
lropt_site = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(lropt_site)


def _paragraph(*parts):
    para = nodes.paragraph()
    for part in parts:
        para += nodes.math(part[1:-1], part[1:-1]) if part.startswith("$") else nodes.Text(part)
    doc = nodes.document(None, None)
    doc += para
    return doc, para


def _shape(node):
    """Text as str, a formula as $…$, a no-break group as a list."""
    if isinstance(node, nodes.Text):
        return str(node)
    if isinstance(node, nodes.math):
        return f"${node.astext()}$"
    assert "lropt-nobr" in node["classes"]
    return [_shape(child) for child in node.children]


def test_punctuation_stays_with_the_formula():
    doc, para = _paragraph("学習率（", "$\\eta$", "）、次に ", "$\\mu$", "。")
    lropt_site._keep_punctuation_with_math(None, doc, "page")
    shape = [s for s in map(_shape, para.children) if s != ""]
    assert shape == ["学習率", ["（", "$\\eta$", "）、"], "次に ", ["$\\mu$", "。"]]
    assert para.astext() == "学習率（\\eta）、次に \\mu。"  # the text itself is unchanged


def test_formulas_without_touching_punctuation_are_left_alone():
    doc, para = _paragraph("値 ", "$a$", " と ", "$b$", " です")
    lropt_site._keep_punctuation_with_math(None, doc, "page")
    assert [_shape(c) for c in para.children] == ["値 ", "$a$", " と ", "$b$", " です"]


def test_two_formulas_share_the_punctuation_between_them():
    doc, para = _paragraph("$a$", "、", "$b$", "）（", "$c$")
    lropt_site._keep_punctuation_with_math(None, doc, "page")
    shape = [s for s in map(_shape, para.children) if s != ""]
    assert shape == [["$a$", "、"], ["$b$", "）"], ["（", "$c$"]]
