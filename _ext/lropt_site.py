"""Local Sphinx extension: keep the book's pages self-contained and free of console errors.

* Live code (thebe) is off in this book, yet sphinx-thebe still injects its configuration script — twice, which
  throws "Identifier 'THEBE_JS_URL' has already been declared" on every page — plus a loader that points at a
  CDN. Both are dropped from every page.
* Script entries that appear twice are kept once.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _is_thebe(script: Any) -> bool:
    body = getattr(script, "attributes", {}).get("body", "") or ""
    return "THEBE_JS_URL" in body or str(script).endswith("sphinx-thebe.js")


def _clean_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in scripts:
        key = (str(script), getattr(script, "attributes", {}).get("body", "") or "")
        if _is_thebe(script) or key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
