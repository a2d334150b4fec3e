"""The book's Sphinx extension (_ext/lropt_site.py): Japanese line breaking around inline formulas, the source
archive, and printed text that shows the same however the kernel cut it."""

import importlib.util
from pathlib import Path

import nbformat
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


def test_source_archive_outside_git_skips_builds_and_caches(tmp_path):
    for name in ("Makefile", "chapters/01.ipynb", "code/lropt/a.py", ".ci/run"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    (tmp_path / ".ci/run").chmod(0o755)
    for name in (
        ".venv/bin/python",
        "_build/html/index.html",
        "code/lropt/__pycache__/a.pyc",
        "code/x.egg-info/P",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("not shipped")
    files = [p.relative_to(tmp_path).as_posix() for p in lropt_site._source_files(tmp_path)]
    assert files == [".ci/run", "Makefile", "chapters/01.ipynb", "code/lropt/a.py"]


def test_source_archive_is_the_same_bytes_every_build(tmp_path):
    import zipfile
    from types import SimpleNamespace

    source = tmp_path / "book"
    (source / "code").mkdir(parents=True)
    (source / "Makefile").write_text("book:\n")
    (source / "code" / "m.py").write_text("x = 1\n")
    archives = []
    for k in range(2):
        out = tmp_path / f"html{k}"
        app = SimpleNamespace(builder=SimpleNamespace(format="html"), srcdir=str(source), outdir=str(out))
        lropt_site._write_source_archive(app)
        archives.append((out / lropt_site.ARCHIVE).read_bytes())
    assert archives[0] == archives[1]
    with zipfile.ZipFile(tmp_path / "html0" / lropt_site.ARCHIVE) as archive:
        assert archive.namelist() == ["lropt-book/Makefile", "lropt-book/code/m.py"]
        assert archive.read("lropt-book/code/m.py") == b"x = 1\n"


def test_source_archive_of_an_untracked_copy_inside_another_repository(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "book" / "chapters").mkdir(parents=True)
    (tmp_path / "book" / "chapters" / "01.ipynb").write_text("{}")
    files = [p.relative_to(tmp_path / "book").as_posix() for p in lropt_site._source_files(tmp_path / "book")]
    assert files == ["chapters/01.ipynb"]


def _joined(*parts):
    """A paragraph of Text ('...'), strong ('**...**'), math ('$...$') and literal ('`...`') parts, after
    _join_japanese_lines, as the page would print it."""
    para = nodes.paragraph()
    for part in parts:
        if part.startswith("**"):
            para += nodes.strong(part[2:-2], part[2:-2])
        elif part.startswith("$"):
            para += nodes.math(part[1:-1], part[1:-1])
        elif part.startswith("`"):
            para += nodes.literal(part[1:-1], part[1:-1])
        else:
            para += nodes.Text(part)
    doc = nodes.document(None, None)
    doc += para
    lropt_site._join_japanese_lines(None, doc, "page")
    return para.astext()


def test_line_breaks_inside_japanese_sentences_are_removed():
    assert _joined("増える一方なので、\n長い坂では歩幅が\n縮みます。\n覚えている長さ") == (
        "増える一方なので、長い坂では歩幅が縮みます。覚えている長さ"
    )
    assert _joined("学習率の\n", "**減衰**", "\nを使います。") == "学習率の減衰を使います。"
    assert _joined("です。\nRMSProp は") == "です。RMSProp は"  # no space after 。
    # myst-parser's soft line break is a Text node of its own
    assert _joined("RMSProp", "\n", "は", "\n", "次へ") == "RMSProp\nは次へ"  # each break in its own place
    assert _joined("ではなく", "\n", "", "**減衰する平均**") == "ではなく減衰する平均"  # empty Text skipped
    assert _joined("**2/L は目安です。**", " 二次関数なら") == "2/L は目安です。二次関数なら"
    assert _joined("学習率、 慣性と", "**θ**", " を使う。 RMSProp") == "学習率、慣性とθ を使う。 RMSProp"
    assert _joined("一方なので、", "\n", "長い坂", "\n", "**減衰**") == "一方なので、長い坂減衰"
    assert _joined("ライブラリの", "\n", "RMSProp", "\n", "$x$", "\n", "で") == "ライブラリの\nRMSProp\nx\nで"


def test_line_breaks_next_to_latin_words_formulas_and_code_stay():
    assert _joined("ライブラリの\nRMSProp\nで") == "ライブラリの\nRMSProp\nで"
    assert _joined("重みは\n", "$\\rho$", "\nと") == "重みは\n\\rho\nと"
    assert _joined("関数\n", "`run`", "\nを") == "関数\nrun\nを"
    block = nodes.literal_block("", "print('一\n二')")
    doc = nodes.document(None, None)
    doc += block
    lropt_site._join_japanese_lines(None, doc, "page")
    assert block.astext() == "print('一\n二')"


# ----------------------------------------------------------------- printed text: the same however it was cut


def _stream(text, name="stdout"):
    return nbformat.from_dict({"output_type": "stream", "name": name, "text": text})


def test_printed_text_is_joined_as_sent_whatever_the_cut():
    from myst_nb.core.utils import coalesce_streams

    whole = lropt_site.merge_streams([_stream("a\nb\n")])
    cut = [_stream("a"), _stream("\nb\n")]  # a print's text and its newline sent apart
    assert lropt_site.merge_streams(cut) == whole
    assert whole[0]["text"] == "a\nb\n"
    assert cut[0]["text"] == "a"  # the notebook's own outputs are left as they were
    assert isinstance(lropt_site.merge_streams(cut)[0], nbformat.NotebookNode)
    assert coalesce_streams([_stream("a"), _stream("\nb\n")])[0]["text"] == "a\n\nb\n"  # myst-nb's blank line


def test_merged_text_keeps_myst_nbs_tidying():
    figure = nbformat.from_dict(
        {"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}}
    )
    merged = lropt_site.merge_streams(
        [_stream("x\n", "stderr"), _stream("10%\r"), figure, _stream("100%\n\n"), _stream("y", "stderr")]
    )
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "100%\n"),  # carriage return applied, one final newline, stdout before stderr
        ("stream", "stderr", "x\ny\n"),
        ("display_data", None, None),
    ]


def test_the_extension_makes_myst_nb_render_with_merge_streams():
    from myst_nb.core import render

    lropt_site._merge_streams_exactly()
    assert render.coalesce_streams is lropt_site.merge_streams
