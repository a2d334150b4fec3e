"""Page weights of the built site, measured in a real browser (make bench).

For every page: its own bytes (the HTML plus every image, script or data file that only this page loads) and
its first-visit bytes (everything a reader with an empty cache downloads, the theme's shared ``_static`` assets
included), and the size of the whole site. Targets (issue 7): own ≤ 1.5 MB, first visit ≤ 4 MB, site ≤ 30 MB.
Needs the built site (``make book``) and Debian's Chromium.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
MB = 1024 * 1024
TARGET_OWN, TARGET_FIRST, TARGET_SITE = 1.5 * MB, 4 * MB, 30 * MB


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def measure() -> int:
    from playwright.sync_api import sync_playwright

    if not (SITE / "index.html").exists():
        print(f"no built site at {SITE}: run `make book` first", file=sys.stderr)
        return 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = ["intro.html", *sorted(f"chapters/{p.name}" for p in (SITE / "chapters").glob("*.html"))]
    loads: dict[str, dict[str, int]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        for page_path in pages:
            context = browser.new_context()
            page = context.new_page()
            sizes: dict[str, int] = {}

            def on_response(response, sizes=sizes):
                url = response.url
                if url.startswith(base):
                    try:
                        sizes[url[len(base) :].split("?")[0]] = len(response.body())
                    except Exception:  # noqa: BLE001 - redirects and aborted loads have no body
                        pass

            page.on("response", on_response)
            page.goto(base + page_path, wait_until="networkidle")
            # MathJax fetches its fonts only when it typesets: wait for it so they are counted
            page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
            page.wait_for_load_state("networkidle")
            loads[page_path] = sizes
            context.close()
        browser.close()
    server.shutdown()

    users: dict[str, int] = defaultdict(int)
    for sizes in loads.values():
        for url in sizes:
            users[url] += 1
    site_bytes = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file())
    print(f"{'page':<36} {'own kB':>9} {'first visit kB':>15}")
    worst_own = worst_first = 0
    for page_path, sizes in loads.items():
        own = sum(n for url, n in sizes.items() if users[url] == 1 or url == page_path)
        first = sum(sizes.values())
        worst_own, worst_first = max(worst_own, own), max(worst_first, first)
        print(f"{page_path:<36} {own / 1024:>9.0f} {first / 1024:>15.0f}")
    print(
        f"{'whole site':<36} {site_bytes / 1024:>9.0f} kB in {sum(1 for f in SITE.rglob('*') if f.is_file())} files"
    )
    ok = worst_own <= TARGET_OWN and worst_first <= TARGET_FIRST and site_bytes <= TARGET_SITE
    print(
        f"targets: own ≤ {TARGET_OWN / MB:.1f} MB (worst {worst_own / MB:.2f}), first visit ≤ {TARGET_FIRST / MB:.0f} MB"
        f" (worst {worst_first / MB:.2f}), site ≤ {TARGET_SITE / MB:.0f} MB ({site_bytes / MB:.1f}): "
        + ("met" if ok else "NOT met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(measure())
