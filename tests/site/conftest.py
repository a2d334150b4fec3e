"""Browser tests of the built site: a real Chromium (Debian's) driven by Playwright, on 127.0.0.1 only."""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def serve_dir():
    """``serve_dir(folder) -> base URL``: serve a folder on 127.0.0.1 until the end of the session."""
    servers = []

    def serve(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="session")
def site_url(serve_dir):
    if not (SITE / "index.html").exists():
        pytest.fail(f"the built site is missing ({SITE}); run `make build-strict` first")
    return serve_dir(SITE)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def _fontconfig(folder: Path) -> Path:
    """A fontconfig file: the system's fonts plus IPAexGothic from the matplotlib-fontja wheel.

    The site leaves Japanese text to the reader's own fonts (every system a Japanese reader uses has them;
    shipping a CJK web font would weigh megabytes). A bare Debian (CI) has none, and Chromium would draw every
    kanji as an empty box in the screenshots meant for a human to look at; the figures' font fills the gap.
    """
    import matplotlib_fontja

    fonts = Path(matplotlib_fontja.__file__).parent / "fonts"
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    exe = _chromium()
    if exe is None:
        message = "Chromium not found: browser tests of the site were NOT run (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        print(f"\n!!! {message} !!!\n")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path_factory.mktemp("fonts")))}
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()


@pytest.fixture
def guarded_page(browser):
    """``guarded_page(base_url, width)``: a page that blocks and records every request not to ``base_url``."""
    contexts = []

    def open_page(base_url: str, width: int = 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
        contexts.append(context)
        pg = context.new_page()
        pg.external_requests = []
        pg.console_errors = []

        def route(r):
            if r.request.url.startswith(base_url) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                pg.external_requests.append(r.request.url)
                r.abort()

        pg.route("**/*", route)
        pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
        pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
        return pg

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(guarded_page, site_url):
    """A page of the built site; requests to other hosts are blocked and recorded."""
    return guarded_page(site_url)
