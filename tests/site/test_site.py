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


@pytest.mark.parametrize("path", PAGES)
def test_page_is_self_contained_and_readable(page, site_url, path):
    _open(page, site_url, path)
    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    assert page.console_errors == [], f"console errors: {page.console_errors}"
    text = page.inner_text("main")
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), "no Japanese text"
    for bad in ("Traceback", "Error", "Warning:", "RuntimeWarning"):
        assert bad not in text, f"{bad!r} shown on {path}"
    math_nodes = page.locator("main .math").count()
    typeset = page.locator("main .math mjx-container").count()
    assert typeset == math_nodes, f"{math_nodes - typeset} formulas not typeset on {path}"
    broken = page.evaluate(
        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"
    )
    assert broken == [], f"images not loaded: {broken}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (path.replace("/", "_").replace(".html", ".png"))), full_page=True)


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
