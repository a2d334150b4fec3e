"""_ext/build_book.py (make book's command): how many chapters it builds at once, and the extension that must
be vouched for so that Sphinx reads in parallel at all."""

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

_EXT = Path(__file__).resolve().parents[1] / "_ext"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, _EXT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so that worker processes can find its functions by name
    spec.loader.exec_module(module)
    return module


build_book = _load("build_book")
lropt_site = _load("lropt_site")


def test_jobs_default_to_the_usable_cores_and_can_be_set(monkeypatch):
    monkeypatch.delenv("LROPT_BUILD_JOBS", raising=False)
    assert build_book.jobs() == len(__import__("os").sched_getaffinity(0))
    monkeypatch.setenv("LROPT_BUILD_JOBS", "3")
    assert build_book.jobs() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("LROPT_BUILD_JOBS", bad)
        with pytest.raises(SystemExit, match="LROPT_BUILD_JOBS"):
            build_book.jobs()


def test_multitoc_numbering_is_vouched_for_and_nothing_else_changes():
    undeclared = SimpleNamespace(parallel_read_safe=None)
    declared_unsafe = SimpleNamespace(parallel_read_safe=False)
    app = SimpleNamespace(extensions={"sphinx_multitoc_numbering": undeclared, "other": declared_unsafe})
    lropt_site._mark_parallel_safe(app)
    assert undeclared.parallel_read_safe is True
    assert declared_unsafe.parallel_read_safe is False
    lropt_site._mark_parallel_safe(SimpleNamespace(extensions={}))  # not loaded: nothing to do


def test_the_pdf_only_latex_extension_stays_off():
    """Its setup declares nothing, which would make Sphinx read (and execute) the chapters one at a time."""
    config = (_EXT.parent / "_config.yml").read_text(encoding="utf-8")
    assert "use_jupyterbook_latex: false" in config


def test_the_build_skips_rfc3987_syntax_and_still_validates_the_config():
    """jsonschema treats the blocked package as absent; Jupyter Book's config validation is unchanged."""
    import subprocess

    code = (
        "import sys; sys.path.insert(0, '_ext'); import build_book; build_book.skip_slow_optional_imports()\n"
        "from pathlib import Path; import jsonschema; from jupyter_book.config import get_final_config\n"
        "config, _ = get_final_config(user_yaml=Path('_config.yml'), sourcedir=Path('.'),"
        " cli_config={'latex_individualpages': False}, raise_on_invalid=True)\n"
        "assert config['nb_execution_mode'] == 'force', config['nb_execution_mode']\n"
        "assert 'rfc3987_syntax' not in {m for m in sys.modules if sys.modules[m] is not None}\n"
        "print('ok')"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=_EXT.parent, capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
