"""The built book in a real browser: self-contained pages, typeset formulas, working static sliders."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"

PAGES = ["intro.html"] + sorted(f"chapters/{p.name}" for p in (SITE / "chapters").glob("*.html"))


def _open(page, site_url, path):
    page.goto(f"{site_url}/{path}", wait_until="load")
    if page.locator("main .math").count():
        # MathJax typesets asynchronously; its startup promise resolves when the page is done
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise.then(() => true)")


# Elements a reader cannot see whole: sticking out of the screen, or out of a box that cuts its content
# off (overflow hidden, e.g. an admonition). Inside a box the reader can scroll sideways (code, tables,
# display math) wider content is fine.
_CUT_OFF = """() => {
  const screen = {left: 0, right: document.documentElement.clientWidth};
  const sticksOut = (r, box) => r.right > box.right + 0.5 || r.left < box.left - 0.5;
  const cutOff = el => {
    const r = el.getBoundingClientRect();
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if (overflow === "auto" || overflow === "scroll") return false;
      if ((overflow === "hidden" || overflow === "clip") && sticksOut(r, p.getBoundingClientRect())) return true;
    }
    return sticksOut(r, screen);
  };
  const kinds = ["mjx-container", "img", "svg", "p", "li", "h1", "h2", "h3", "input", "button", ".lropt-explorer",
                 ".lropt-q"];
  return [...document.querySelectorAll(kinds.map(k => "article.bd-article " + k).join(", "))]
    .filter(el => !el.closest("mjx-assistive-mml") && el.getClientRects().length)
    .filter(el => el.getBoundingClientRect().width > 0 && cutOff(el))
    .map(el => `${el.tagName.toLowerCase()} ${Math.round(el.getBoundingClientRect().width)} px: `
                + (el.textContent || el.getAttribute("src") || "").trim().slice(0, 50));
}"""


# 禁則処理: closing punctuation right after an inline formula must not begin a line, nor opening punctuation
# right before one end a line (browsers may break on either side of a formula; _ext/lropt_site.py prevents it)
_BAD_LINE_BREAKS = r"""() => {
  const bad = [];
  const charBox = (node, at) => { const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + 1);
                                  return r.getBoundingClientRect(); };
  for (const math of document.querySelectorAll("article.bd-article span.math")) {
    const box = math.getBoundingClientRect();
    const next = math.nextSibling;
    if (next && next.nodeType === 3 && /^[、。，．）」』：；！？]/.test(next.textContent)) {
      const c = charBox(next, 0);
      if (c.width && c.top >= box.bottom - 2) bad.push(`line starts with ${next.textContent[0]} after ${math.textContent}`);
    }
    const prev = math.previousSibling;
    if (prev && prev.nodeType === 3 && /[（「『]$/.test(prev.textContent)) {
      const c = charBox(prev, prev.textContent.length - 1);
      if (c.width && c.bottom <= box.top + 2) bad.push(`line ends with ${prev.textContent.slice(-1)} before ${math.textContent}`);
    }
  }
  return bad;
}"""


def _assert_nothing_cut_off(page, where):
    cut = page.evaluate(_CUT_OFF)
    assert cut == [], f"cut off at the right edge of {where}: {cut}"
    breaks = page.evaluate(_BAD_LINE_BREAKS)
    assert breaks == [], f"line breaks against 禁則 on {where}: {breaks}"


def _screenshot(page, folder, path):
    """A full-page screenshot for a human to look at: chapters/02_momentum.html → chapters_02_momentum.png."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / path.replace("/", "_").replace(".html", ".png")), full_page=True)


_GLYPHS = """() => {
  const family = getComputedStyle(document.querySelector("main p")).fontFamily;
  return ["学", "習", "率"].map(ch => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const ctx = canvas.getContext("2d");
    ctx.font = `40px ${family}`;
    ctx.fillText(ch, 2, 40);
    return canvas.toDataURL();
  });
}"""


def test_screenshots_show_japanese_glyphs_not_empty_boxes(page, site_url):
    """Three different kanji in the text's own font draw three different pictures (a missing font draws the
    same empty box for each): the screenshots a human looks at are legible (tests/site/conftest.py)."""
    _open(page, site_url, "intro.html")
    pictures = page.evaluate(_GLYPHS)
    assert len(set(pictures)) == 3, "kanji are drawn as identical boxes: no Japanese font reached Chromium"


@pytest.mark.parametrize("path", PAGES)
def test_page_is_self_contained_and_readable(page, site_url, path):
    _open(page, site_url, path)
    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    assert page.console_errors == [], f"console errors: {page.console_errors}"
    text = page.inner_text("main")
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), "no Japanese text"
    assert "Traceback" not in text, f"a traceback is shown on {path}"
    # no space inside a Japanese sentence where the Markdown source wrapped a line (_join_japanese_lines):
    # textContent keeps the source's line breaks, which the browser would draw as spaces
    prose = page.evaluate(
        "() => [...document.querySelectorAll('article.bd-article p')].map(p => p.textContent)"
    )
    ja = "\u3040-\u30ff\u4e00-\u9fff"
    gap = re.compile(f"[{ja}]\n[{ja}]|[、。][ \n]+[{ja}]")
    gaps = [t[max(0, m.start() - 6) : m.end() + 3] for t in prose for m in gap.finditer(t)]
    assert gaps == [], f"spaces inside Japanese sentences on {path}: {gaps[:5]}"
    # what the code printed (outputs, stderr): no error or warning may reach the reader
    outputs = "\n".join(page.locator("main .cell_output").all_inner_texts())
    bad = re.search(r"\w*(Error|Warning)\b|Traceback|stderr", outputs)
    assert bad is None, f"{bad.group(0)!r} in the outputs of {path}"
    assert page.locator("main .output.stderr, main .output.traceback, main .output.error").count() == 0
    math_nodes = page.locator("main .math").count()
    typeset = page.locator("main .math mjx-container").count()
    assert typeset == math_nodes, f"{math_nodes - typeset} formulas not typeset on {path}"
    broken = page.evaluate(
        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"
    )
    assert broken == [], f"images not loaded: {broken}"
    # alt text for readers who cannot see the figure (a screen reader read the file name, a hash, before)
    alts = page.evaluate("() => [...document.querySelectorAll('article.bd-article img')].map(i => i.alt)")
    unnamed = [a for a in alts if not a.strip() or re.search(r"\.(png|svg|jpe?g)$|_images/", a)]
    assert unnamed == [], f"{len(unnamed)} of {len(alts)} images on {path} have no alt text: {unnamed[:3]}"
    # each figure links to its own PNG: on a phone a tap shows it alone, to zoom
    links = page.evaluate(
        """() => [...document.querySelectorAll("article.bd-article .cell_output img:not([src^='data:'])")]
                 .map(i => [i.src, i.closest("a") ? i.closest("a").href : null])"""
    )
    assert all(src == href for src, href in links), [link for link in links if link[0] != link[1]][:3]
    _assert_nothing_cut_off(page, path)
    _screenshot(page, SHOTS, path)


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone_screen(guarded_page, site_url, path):
    """At 360 px (a small phone) nothing is cut off at the right edge, answers opened: an inline formula
    cannot wrap, so a long one must be split; wide tables, code and display math scroll in their own box."""
    page = guarded_page(site_url, width=360)
    _open(page, site_url, path)
    for button in page.locator("article.bd-article button.toggle-button").all():
        button.click()  # open every answer (dropdown), as a reader checking the answers would
    _assert_nothing_cut_off(page, f"a 360 px screen on {path}")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    _screenshot(page, SHOTS / "phone", path)


def _explorers(page):
    return page.locator(".lropt-explorer")


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("chapters/")])
def test_static_sliders_change_the_figure(page, site_url, path):
    _open(page, site_url, path)
    count = _explorers(page).count()
    for k in range(count):
        ex = _explorers(page).nth(k)
        ex.scroll_into_view_if_needed()
        inputs = ex.locator(".lropt-controls input[type=range]")
        for j in range(inputs.count()):
            slider = inputs.nth(j)
            before = ex.locator("svg").inner_html() + ex.locator(".lropt-status").inner_text()
            for target in (slider.get_attribute("min"), slider.get_attribute("max")):
                slider.fill(target)  # fires input/change like a user drag
                after = ex.locator("svg").inner_html() + ex.locator(".lropt-status").inner_text()
                if after != before:
                    break
            assert after != before, f"slider {j} of figure {k} on {path} does not change the picture"
            assert ex.locator(".lropt-controls output").nth(j).inner_text().strip() != ""
    assert page.console_errors == []


def test_learning_rate_slider_shows_divergence(page, site_url):
    _open(page, site_url, "chapters/01_learning_rate.html")
    ex = _explorers(page).first
    slider = ex.locator("input[type=range]")
    slider.fill(slider.get_attribute("max"))
    assert "発散" in ex.locator(".lropt-status").inner_text()
    assert ex.locator("svg text", has_text="発散").count() == 1
    values = ex.locator("output")
    assert values.inner_text() == "1.10"
    slider.fill("18")  # η = 0.95
    assert values.inner_text() == "0.95"
    status = ex.locator(".lropt-status").inner_text()
    assert "発散" not in status and "η = 0.95" in status


SEARCHES = {
    "学習率": "chapters/01_learning_rate",
    "勾配降下法": "chapters/01_learning_rate",
    "安定条件": "chapters/01_learning_rate",
    "局所最適解": "chapters/01_learning_rate",
}


def _search_hits(page, site_url, query):
    page.goto(f"{site_url}/search.html?q={query}", wait_until="load")
    # Sphinx retitles the results "検索結果" (Search Results) once it has listed every hit
    page.wait_for_function(
        "() => { const h = document.querySelector('#search-results h2');"
        " return h && h.innerText.trim() === '検索結果'; }"
    )
    return page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")


@pytest.mark.parametrize(("query", "expected"), SEARCHES.items())
def test_japanese_search_finds_compound_words(page, site_url, query, expected):
    hits = _search_hits(page, site_url, query)
    assert any(expected in h for h in hits), f"search for {query} found {hits}"
    assert page.console_errors == []


def test_search_box_text_is_japanese(page, site_url):
    _open(page, site_url, "intro.html")
    placeholder = page.get_attribute("form.bd-search input[name=q]", "placeholder")
    assert placeholder == "本書を検索…"


def test_browser_splitter_matches_the_indexer(page, site_url):
    """The query splitter in the page cuts text exactly like Sphinx's Python indexer (TinySegmenter)."""
    from sphinx.search.ja import DefaultSplitter

    splitter = DefaultSplitter({})
    page.goto(f"{site_url}/search.html", wait_until="load")
    for text in [
        "学習率",
        "勾配降下法",
        "学習率の減衰",
        "慣性",
        "モメンタム",
        "鞍点問題",
        "確率的勾配降下法でパラメータを更新する",
    ]:
        expected = [w for w in splitter.split(text) if len(w) > 1]
        got = page.evaluate("t => splitQuery(t)", text)
        assert got == expected, (text, got, expected)


def _answer(question, q, right):
    """Answer one question of a built page: right (the book's answer) or wrong."""
    if q.kind == "choice":
        index = q.answer if right else (q.answer + 1) % len(q.choices)
        question.locator(f'input[type=radio][value="{index}"]').check()
    elif q.kind == "numeric":
        value = q.answer if right else q.answer + 10 * (q.tolerance or 1) + 1
        question.locator("input.lropt-q-input").fill(repr(float(value)))
    else:
        question.locator("input.lropt-q-input").fill(q.answers[0] if right else "x")


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("chapters/")])
def test_every_quiz_on_the_page_grades_a_click(page, site_url, path):
    from lropt.quiz import questions

    book = {q.id: q for q in questions()}
    _open(page, site_url, path)
    found = page.locator(".lropt-q")
    assert found.count() > 0, f"no quiz on {path}"
    assert page.locator(".lropt-quiz[data-ready]").count() == page.locator(".lropt-quiz").count()
    for k in range(found.count()):
        question = found.nth(k)
        question.scroll_into_view_if_needed()
        q = book[question.get_attribute("data-qid")]
        button = question.locator("button.lropt-q-check")
        feedback = question.locator(".lropt-q-feedback")
        for right, verdict in ((False, "ng"), (True, "ok")):
            _answer(question, q, right)
            button.click()
            assert question.get_attribute("data-verdict") == verdict, (path, q.id, right)
            assert ("正解です" if right else "不正解") in feedback.inner_text()
    assert page.console_errors == []


def test_pages_carry_no_widget_state_and_no_thebe():
    """The ipywidgets state (up to 0.8 MB a page) is for a widget manager the site does not load; live code
    (thebe) is off, so neither its configuration, nor its loader, nor its stylesheet belongs on a page."""
    for path in PAGES:
        html = (SITE / path).read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in html, path
        assert "sphinx-thebe" not in html and "THEBE_JS_URL" not in html, path


def test_figures_are_compact_palette_pngs():
    """_ext/lropt_site.py re-saves matplotlib's full-colour PNGs with a palette (a fifth of the bytes)."""
    from PIL import Image

    pngs = sorted((SITE / "_images").glob("*.png"))
    assert pngs, "no figures in _build/html/_images"
    for png in pngs:
        with Image.open(png) as image:
            assert image.mode == "P", f"{png.name} is {image.mode}, not a palette PNG"
        assert png.stat().st_size < 150_000, f"{png.name}: {png.stat().st_size} bytes"


def test_every_page_has_a_favicon_that_exists():
    """Without a favicon a browser asks for /favicon.ico, which the site does not have: a 404 in the console."""
    for path in PAGES:
        html = (SITE / path).read_text(encoding="utf-8")
        link = re.search(r'<link rel="icon" href="([^"]+)"', html)
        assert link, f"no favicon link on {path}"
        assert ((SITE / path).parent / link.group(1)).resolve().is_file(), link.group(1)


@pytest.mark.parametrize("path", ["chapters/04_rmsprop.html", "chapters/07_quiz.html"])
def test_sliders_and_quizzes_stay_light_in_dark_mode(page, site_url, path):
    """In dark mode the theme keeps outputs on a light panel; the native sliders and radio buttons must be drawn
    light too (dark unchecked radio buttons on that panel looked checked)."""
    page.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    _open(page, site_url, path)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("() => getComputedStyle(document.documentElement).colorScheme").startswith("dark")
    schemes = page.evaluate(
        """() => [...document.querySelectorAll(".lropt-explorer input, .lropt-quiz input, .lropt-quiz button")]
                 .map(el => getComputedStyle(el).colorScheme)"""
    )
    assert schemes and set(schemes) == {"light"}, set(schemes)
    page.locator(".lropt-explorer, .lropt-q").first.screenshot(
        path=str(SHOTS / f"dark_{path.split('/')[-1].replace('.html', '.png')}")
    )


def test_intro_offers_the_whole_book_as_one_download(page, site_url):
    """A reader of the website can get what `make lab` needs: notebooks, the library, the Makefile."""
    import io
    import zipfile

    _open(page, site_url, "intro.html")
    link = page.locator("article.bd-article a[href='lropt-book.zip']")
    assert link.count() == 1 and link.get_attribute("download") is not None
    reply = page.request.get(f"{site_url}/lropt-book.zip")
    assert reply.ok, reply.status
    names = set(zipfile.ZipFile(io.BytesIO(reply.body())).namelist())
    for needed in ("Makefile", "requirements.txt", "pyproject.toml", "chapters/02_momentum.ipynb",
                   "code/lropt/optimizers.py", "code/lropt/data/quiz.yaml", "_config.yml"):  # fmt: skip
        assert f"lropt-book/{needed}" in names, needed
    assert not any("/.venv/" in n or "/_build/" in n or "/.git/" in n for n in names)
