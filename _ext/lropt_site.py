"""Local Sphinx extension: keep the book's pages self-contained and free of console errors.

* Live code (thebe) is off in this book, yet sphinx-thebe still injects its configuration script — twice, which
  throws "Identifier 'THEBE_JS_URL' has already been declared" on every page — plus a loader that points at a
  CDN, a stylesheet and a kernel configuration naming a Binder repository. All are dropped from every page.
* Script entries that appear twice are kept once.
* myst-nb copies the notebook's saved ipywidgets state (every slider's model, up to 0.8 MB on a page) into a
  script tag for the ipywidgets HTML manager. This book loads no widget manager (``nb_ipywidgets_js: {}``):
  each slider and quiz carries its own kernel-free HTML and JS. The unused state is dropped from every page.
* The theme loads Font Awesome twice: as a web font through its CSS, and as a 1.5 MB script that replaces the
  icons with SVG. The CSS alone draws the same icons, so the script tag is removed from every page after the
  build (the heaviest file a first visit downloaded).
* The figures that matplotlib draws in the notebooks are saved as full-colour PNG (up to 0.4 MB each; the
  comparison chapter had 2 MB of them). After the build, each is re-saved with a palette of at most 256 colours
  (Pillow's octree quantiser, no dithering): line plots and contour maps use few colours, so the pictures look
  the same at a fifth of the bytes. The notebooks keep the original images.
* Japanese search finds compound words (学習率, 勾配降下法): see ``_japanese_search_language``.
* Figures get alt text: lropt.plotting writes a description of each inline figure (its titles) into the PNG;
  myst-nb would otherwise give the image its file name, which a screen reader reads out as a hash. Each such
  figure also links to its own PNG (on a phone a tap shows it alone, to zoom). See ``_describe_figures``.
* The whole book as one download (``lropt-book.zip`` next to index.html; the intro links to it): a reader of the
  website gets the notebooks, the library and the Makefile to run ``make lab``. See ``_write_source_archive``.
* Japanese line breaking (禁則処理) around inline formulas: browsers may break a line on either side of a
  formula, even before 「、」 or after 「（」, so a line could start with 、 or ） (seen in every chapter, at
  phone and desktop widths). Each inline formula is kept on one line with the punctuation that touches it:
  see ``_keep_punctuation_with_math``.
* No stray spaces in Japanese sentences: the chapters wrap their Markdown lines, and Chromium draws each line
  break inside a paragraph as a space (「ので、 長い坂」「ます。 覚えている」, about 350 in the book). A line break
  between two Japanese characters, or after Japanese punctuation, is removed: see ``_join_japanese_lines``.
* A cell's printed text shows the same in every build: see ``merge_streams``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx


def _is_thebe(asset: Any) -> bool:
    """sphinx-thebe's configuration script, its loader (sphinx-thebe.js) or its stylesheet."""
    body = getattr(asset, "attributes", {}).get("body", "") or ""
    filename = str(getattr(asset, "filename", asset) or "")
    return "THEBE_JS_URL" in body or filename.endswith(("sphinx-thebe.js", "sphinx-thebe.css"))


def _drop_thebe_config(app: Sphinx, doctree: Any, docname: str) -> None:
    """sphinx-thebe appends its kernel configuration (a Binder repository) to every page's doctree."""
    from docutils import nodes

    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "text/x-thebe-config" in text or text.startswith("<script>kernelName ="):
            node.parent.remove(node)


_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _clean_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        key = (str(script), attributes.get("body", "") or "")
        if _is_thebe(script) or attributes.get("type") == _WIDGET_STATE or key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept
    styles = context.get("css_files")
    if styles:
        styles[:] = [style for style in styles if not _is_thebe(style)]


_FONTAWESOME_JS = re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')


def _drop_fontawesome_js(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = _FONTAWESOME_JS.sub("", text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


def _palette_png(path: Path) -> bool:
    """Re-save one PNG with a ≤ 256-colour palette when that is smaller; True if the file changed."""
    import io

    from PIL import Image

    with Image.open(path) as image:
        if image.mode == "P":
            return False  # already a palette image (e.g. quantised on an earlier build)
        has_alpha = image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] < 255
        rgb = image.convert("RGBA" if has_alpha else "RGB")
    method = Image.Quantize.FASTOCTREE
    quantised = rgb.quantize(colors=256, method=method, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    quantised.save(buffer, format="PNG", optimize=True)
    if buffer.tell() >= path.stat().st_size:
        return False
    path.write_bytes(buffer.getvalue())
    return True


def _compact_images(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    # Pillow releases the GIL while it quantises and compresses: one thread per core halves the ~3 s this
    # takes for the book's figures (optimize=True is zlib's slowest level); the files are the same
    from concurrent.futures import ThreadPoolExecutor

    paths = sorted((Path(app.outdir) / "_images").glob("*.png"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_palette_png, paths))


# ------------------------------------------------------------------------------------------ Japanese search
# Sphinx indexes Japanese text by segmenting it with TinySegmenter (sphinx.search.ja.DefaultSplitter), but the
# search box splits the reader's query only at spaces and punctuation, so a compound such as 学習率 or 勾配降下法
# is looked up as one word that the index never contains. The class below gives the browser the *same*
# segmenter — the Python splitter's own tables, serialised at build time — and the same filter (words of one
# character are not indexed), so the query is cut exactly like the text was.

_SEGMENTER_JS = r"""
var splitQuery = (function () {
  var T = __TABLES__;
  var P = __PATTERNS__.map(function (p) { return [new RegExp(p[0], "u"), p[1]]; });
  function ctype(c) {
    for (var k = 0; k < P.length; k++) { if (P[k][0].test(c)) return P[k][1]; }
    return "O";
  }
  function ts(d, key) { return (d && Object.prototype.hasOwnProperty.call(d, key)) ? d[key] : 0; }
  function segment(input) {
    if (!input) return [];
    var chars = Array.from(input), result = [];
    var seg = ["B3", "B2", "B1"].concat(chars, ["E1", "E2", "E3"]);
    var ct = ["O", "O", "O"].concat(chars.map(ctype), ["O", "O", "O"]);
    var word = seg[3], p1 = "U", p2 = "U", p3 = "U";
    for (var i = 4; i < seg.length - 3; i++) {
      var s = T.BIAS;
      var w1 = seg[i-3], w2 = seg[i-2], w3 = seg[i-1], w4 = seg[i], w5 = seg[i+1], w6 = seg[i+2];
      var c1 = ct[i-3], c2 = ct[i-2], c3 = ct[i-1], c4 = ct[i], c5 = ct[i+1], c6 = ct[i+2];
      s += ts(T.UP1, p1) + ts(T.UP2, p2) + ts(T.UP3, p3) + ts(T.BP1, p1 + p2) + ts(T.BP2, p2 + p3);
      s += ts(T.UW1, w1) + ts(T.UW2, w2) + ts(T.UW3, w3) + ts(T.UW4, w4) + ts(T.UW5, w5) + ts(T.UW6, w6);
      s += ts(T.BW1, w2 + w3) + ts(T.BW2, w3 + w4) + ts(T.BW3, w4 + w5);
      s += ts(T.TW1, w1 + w2 + w3) + ts(T.TW2, w2 + w3 + w4) + ts(T.TW3, w3 + w4 + w5) + ts(T.TW4, w4 + w5 + w6);
      s += ts(T.UC1, c1) + ts(T.UC2, c2) + ts(T.UC3, c3) + ts(T.UC4, c4) + ts(T.UC5, c5) + ts(T.UC6, c6);
      s += ts(T.BC1, c2 + c3) + ts(T.BC2, c3 + c4) + ts(T.BC3, c4 + c5);
      s += ts(T.TC1, c1 + c2 + c3) + ts(T.TC2, c2 + c3 + c4) + ts(T.TC3, c3 + c4 + c5) + ts(T.TC4, c4 + c5 + c6);
      s += ts(T.UQ1, p1 + c1) + ts(T.UQ2, p2 + c2) + ts(T.UQ1, p3 + c3);
      s += ts(T.BQ1, p2 + c2 + c3) + ts(T.BQ2, p2 + c3 + c4) + ts(T.BQ3, p3 + c2 + c3) + ts(T.BQ4, p3 + c3 + c4);
      s += ts(T.TQ1, p2 + c1 + c2 + c3) + ts(T.TQ2, p2 + c2 + c3 + c4);
      s += ts(T.TQ3, p3 + c1 + c2 + c3) + ts(T.TQ4, p3 + c2 + c3 + c4);
      var p = "O";
      if (s > 0) { result.push(word.trim()); word = ""; p = "B"; }
      p1 = p2; p2 = p3; p3 = p;
      word += seg[i];
    }
    result.push(word.trim());
    return result;
  }
  return function (query) {
    var out = [];
    query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).forEach(function (chunk) {
      if (!chunk) return;
      segment(chunk).forEach(function (w) { if (Array.from(w).length > 1) out.push(w); });
    });
    if (!out.length && query.trim()) out.push(query.trim());  // a lone one-character query still searches
    return out;
  };
})();
"""


def _japanese_search_language() -> type:
    import json

    from sphinx.search.ja import DefaultSplitter, SearchJapanese

    tables = {
        name[:-2]: value
        for name, value in vars(DefaultSplitter).items()
        if name.endswith("__") and not name.startswith("_") and isinstance(value, dict | int)
    }
    patterns = [[pattern.pattern, value] for pattern, value in DefaultSplitter.patterns_.items()]
    code = _SEGMENTER_JS.replace("__TABLES__", json.dumps(tables, ensure_ascii=False)).replace(
        "__PATTERNS__", json.dumps(patterns, ensure_ascii=False)
    )

    class SegmentedJapanese(SearchJapanese):
        """Sphinx's Japanese search with the same TinySegmenter in the browser's query splitter."""

        js_splitter_code = code

    return SegmentedJapanese


# punctuation that must not start a line (after a formula) or end one (before a formula)
_CLOSING = "、。，．,.）)」』】〕：；！？:;!?"
_OPENING = "（(「『【〔"


def _keep_punctuation_with_math(app: Sphinx, doctree: Any, docname: str) -> None:
    """Wrap an inline formula and the punctuation directly before or after it in ``<span class="lropt-nobr">``
    (``white-space: nowrap`` in lropt.css), so that no line starts with 、 or ） or ends with （."""
    from docutils import nodes

    for math in list(doctree.findall(nodes.math)):
        parent = math.parent
        index = parent.index(math)
        after = parent[index + 1] if index + 1 < len(parent) else None
        before = parent[index - 1] if index > 0 else None
        tail = head = ""
        if isinstance(after, nodes.Text):
            text = str(after)
            tail = text[: len(text) - len(text.lstrip(_CLOSING))]
        if isinstance(before, nodes.Text):
            text = str(before)
            head = text[len(text.rstrip(_OPENING)) :]
        if not (tail or head):
            continue
        group = nodes.inline(classes=["lropt-nobr"])
        if tail:
            parent[index + 1] = nodes.Text(str(after)[len(tail) :])
        if head:
            parent[index - 1] = nodes.Text(str(before)[: -len(head)])
            group += nodes.Text(head)
        parent.remove(math)
        group += math
        if tail:
            group += nodes.Text(tail)
        parent.insert(index, group)


_JAPANESE = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60"  # kana, kanji, 、。「」（）…
_PUNCTUATION = "、。，．！？）」』】〕"
# a line break between Japanese characters or after Japanese punctuation; a space after Japanese punctuation
# before Japanese text (CommonMark needs one after 「**…。**」 to close the bold)
_INNER_BREAK = re.compile(
    f"(?<=[{_JAPANESE}])\n(?=[{_JAPANESE}])|(?<=[{_PUNCTUATION}])\n|(?<=[{_PUNCTUATION}]) (?=[{_JAPANESE}])"
)
_KEEP_TEXT = ("literal", "literal_block", "doctest_block", "math", "math_block", "raw", "comment")


def _join_japanese_lines(app: Sphinx, doctree: Any, docname: str) -> None:
    """Remove the line breaks of the Markdown source that fall between two Japanese characters (also across
    an inline element such as ``**強調**``), or after Japanese punctuation: a browser would show each as a
    space; also the space after 「**…。**」 that CommonMark needs to close the bold. Breaks next to Latin
    words, formulas and inline code stay spaces (「RMSProp は」); code blocks and outputs are untouched.
    myst-parser gives each soft line break its own Text node ("\\n")."""
    from docutils import nodes

    def edge(node: Any, end: int) -> str:
        if isinstance(node, (nodes.math, nodes.literal)):
            return ""
        text = node.astext()
        return text[end] if text and text[end] != "\n" else ""

    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        value = str(text)
        if (
            not ("\n" in value or " " in value)
            or parent is None
            or any(a.tagname in _KEEP_TEXT for a in _ancestors(parent))
        ):
            continue
        index = _position(parent, text)
        siblings = parent.children
        # the nearest sibling with text on each side (myst-parser leaves empty Text nodes before inline markup)
        left = next((edge(c, -1) for c in reversed(siblings[:index]) if c.astext()), "")
        right = next((edge(c, 0) for c in siblings[index + 1 :] if c.astext()), "")
        joined = _INNER_BREAK.sub("", left + value + right)
        joined = joined[len(left) : len(joined) - len(right)]
        if joined != value:
            parent[index] = nodes.Text(joined)


def _position(parent: Any, child: Any) -> int:
    """``child``'s index in ``parent`` by identity: ``Element.index`` compares with ``==``, and Text nodes are
    strings, so it finds the first equal one (the first "\\n" of a paragraph)."""
    return next(i for i, c in enumerate(parent.children) if c is child)


def _ancestors(node: Any) -> Any:
    while node is not None:
        yield node
        node = node.parent


def _describe_figures(app: Sphinx, doctree: Any, docname: str) -> None:
    """Set the ``alt`` of every notebook figure without one to the PNG's ``Description`` text chunk, and link
    the figure to its own PNG."""
    from docutils import nodes
    from PIL import Image

    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        source = image.get("candidates", {}).get("*") or image["uri"]
        path = Path(app.srcdir) / source
        if path.suffix != ".png" or not path.is_file():
            continue
        with Image.open(path) as png:
            description = png.text.get("Description") if hasattr(png, "text") else None
        if description:
            image["alt"] = description
            _link_to_itself(app, image, source, docname)


def _link_to_itself(app: Sphinx, image: Any, source: str, docname: str) -> None:
    """Wrap a notebook figure in a link to its own PNG: on a phone, a tap shows the figure alone, full width,
    where it can be zoomed without the page around it."""
    import posixpath

    from docutils import nodes

    entry = app.env.images.get(source)
    if entry is None or isinstance(image.parent, nodes.reference):
        return
    target = posixpath.relpath(f"{app.builder.imagedir}/{entry[1]}", posixpath.dirname(docname) or ".")
    link = nodes.reference("", "", refuri=target, classes=["lropt-figure-link"])
    image.replace_self(link)
    link += image


ARCHIVE = "lropt-book.zip"
_NOT_SHIPPED = {".git", ".venv", "_build", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}


def _source_files(root: Path) -> list[Path]:
    """The book's files: what git tracks, or, outside a git checkout (e.g. an unpacked archive), every file
    except virtual environments, builds and caches."""
    import subprocess

    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=30
        ).stdout.decode()
        files = [root / name for name in listed.split("\0") if name]
        if not files:  # an unpacked copy inside somebody's other repository: nothing tracked here
            raise FileNotFoundError(root)
    except (OSError, subprocess.SubprocessError):
        files = [
            path
            for path in root.rglob("*")
            if path.is_file()
            and not _NOT_SHIPPED.intersection(path.relative_to(root).parts)
            and not any(part.endswith(".egg-info") for part in path.parts)
        ]
    return sorted(path for path in files if path.is_file())


def _write_source_archive(app: Sphinx) -> None:
    """Write ``lropt-book.zip`` (the book's sources under a folder ``lropt-book/``) into the HTML output.

    Entries are sorted and dated 1980-01-01, so two builds of the same sources give the same bytes.
    """
    import zipfile

    if app.builder.format != "html":
        return
    root = Path(app.srcdir)
    out = Path(app.outdir)
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out / ARCHIVE, "w") as archive:  # each entry sets its own compression
        for path in _source_files(root):
            info = zipfile.ZipInfo(
                f"lropt-book/{path.relative_to(root).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)


def merge_streams(outputs: list[Any]) -> list[Any]:
    """A cell's outputs with each stream's pieces joined exactly as the kernel sent them, then tidied by myst-nb's
    own ``coalesce_streams`` (``nb_merge_streams: true``): backspaces and carriage returns, one final newline,
    stderr after stdout. The outputs passed in are not changed (myst-nb's function edits them in place, and
    they are the notebook written to ``jupyter_execute``).

    How the kernel cuts printed text into pieces depends on timing: it sends what is buffered every few tenths
    of a second, sometimes between ``print``'s text and its newline. myst-nb's function strips every piece's
    trailing whitespace and adds one newline after it, so ``"a"`` then ``"\nb\n"`` showed as ``"a\n\nb\n"``
    with a blank line that one piece ``"a\nb\n"`` does not have (05_adam cell 14 differed between two builds
    of the same commit). Joined first, the page shows what JupyterLab shows, however the text was cut.
    """
    from myst_nb.core.utils import coalesce_streams

    joined: list[Any] = []
    streams: dict[str, Any] = {}
    for output in outputs:
        if output.get("output_type") == "stream":
            name = output["name"]
            if name in streams:
                streams[name]["text"] += output["text"]
                continue
            output = streams[name] = type(output)(output)  # a copy, with the same class (NotebookNode)
        joined.append(output)
    return coalesce_streams(joined)


def _merge_streams_exactly() -> None:
    """Make myst-nb's renderer (the only caller of ``coalesce_streams``) use :func:`merge_streams`."""
    from myst_nb.core import render

    render.coalesce_streams = merge_streams


def _mark_parallel_safe(app: Sphinx) -> None:
    """Let Sphinx read the pages in parallel (``_ext/build_book.py``) although sphinx-multitoc-numbering, which
    sphinx-external-toc always loads, does not say whether that is safe. It is: it only replaces
    ``TocTreeCollector.assign_section_numbers`` when it is set up, and Sphinx numbers the sections in the main
    process after merging what the workers read."""
    multitoc = app.extensions.get("sphinx_multitoc_numbering")
    if multitoc is not None and multitoc.parallel_read_safe is None:
        multitoc.parallel_read_safe = True


def setup(app: Sphinx) -> dict[str, Any]:
    _mark_parallel_safe(app)
    _merge_streams_exactly()
    app.connect("builder-inited", _write_source_archive)
    app.connect("doctree-resolved", _describe_figures)
    app.connect("doctree-resolved", _join_japanese_lines)
    app.connect("doctree-resolved", _keep_punctuation_with_math)
    app.add_css_file("lropt.css")
    app.connect("html-page-context", _clean_scripts, priority=900)
    app.connect("doctree-resolved", _drop_thebe_config, priority=900)  # after sphinx-thebe's own handler
    app.add_search_language(_japanese_search_language())
    app.connect("build-finished", _drop_fontawesome_js)
    app.connect("build-finished", _compact_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
