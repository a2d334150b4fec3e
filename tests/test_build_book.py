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


# ----------------------------------------------------------------- make preview: outputs from jupyter-cache


def _fake_book(root):
    (root / "code" / "lropt" / "explorers").mkdir(parents=True)
    (root / "code" / "lropt" / "__init__.py").write_text("x = 1\n")
    (root / "code" / "lropt" / "explorers" / "a.py").write_text("y = 2\n")
    (root / "requirements.txt").write_text("numpy==2.4.6\n")
    return root


def test_the_cache_key_follows_lropt_and_the_pinned_packages(tmp_path):
    root = _fake_book(tmp_path)
    key = build_book.kernel_inputs_key(root)
    assert build_book.kernel_inputs_key(root) == key
    cache = root / "code" / "lropt" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"compiled")  # compiled files do not count
    assert build_book.kernel_inputs_key(root) == key
    (root / "code" / "lropt" / "explorers" / "a.py").write_text("y = 3\n")  # a nested source changed
    changed = build_book.kernel_inputs_key(root)
    assert changed != key
    (root / "requirements.txt").write_text("numpy==2.4.7\n")
    assert build_book.kernel_inputs_key(root) not in (key, changed)
    (root / "code" / "lropt" / "explorers" / "a.py").rename(
        root / "code" / "lropt" / "b.py"
    )  # same bytes, moved
    moved = build_book.kernel_inputs_key(root)
    (root / "code" / "lropt" / "b.py").rename(root / "code" / "lropt" / "explorers" / "a.py")
    assert moved != build_book.kernel_inputs_key(root)


def test_the_cache_folder_of_other_keys_is_removed(tmp_path):
    root = _fake_book(tmp_path)
    caches = root / "_build" / ".jupyter_cache"
    (caches / "lropt-0123456789abcdef").mkdir(parents=True)
    (caches / "something-else").mkdir()
    current = build_book.cache_path(root)
    assert current == caches / f"lropt-{build_book.kernel_inputs_key(root)}"
    current.mkdir()
    assert build_book.cache_path(root) == current
    assert sorted(p.name for p in caches.iterdir()) == sorted([current.name, "something-else"])


def test_without_the_option_the_arguments_and_settings_are_unchanged(monkeypatch):
    monkeypatch.setenv("LROPT_BUILD_JOBS", "2")
    argv = ["build", ".", "--builder", "html", "--all"]
    assert build_book.build_options(argv) == (argv, {}, 2)


def test_the_option_switches_to_the_cache_and_reads_one_page_at_a_time(monkeypatch):
    monkeypatch.setenv("LROPT_BUILD_JOBS", "2")
    calls = []
    monkeypatch.setattr(build_book, "prefill_cache", lambda *a: calls.append(a))
    args, overrides, jobs = build_book.build_options(["build", ".", "--execute-cache", "--all"])
    assert args == ["build", ".", "--all"]
    assert jobs == 1
    assert overrides["nb_execution_mode"] == "cache"
    folder = Path(overrides["nb_execution_cache_path"])
    assert folder.name == f"lropt-{build_book.kernel_inputs_key()}"
    # the chapters are executed first, two at a time, with _config.yml's timeout
    [(cache_dir, notebooks, job_count, timeout)] = calls
    assert cache_dir == folder and job_count == 2 and timeout == 300
    assert notebooks == build_book.toc_notebooks()


def test_the_toc_notebooks_are_the_chapters_in_order():
    names = [p.name for p in build_book.toc_notebooks()]
    assert names == sorted(p.name for p in (_EXT.parent / "chapters").glob("*.ipynb"))
    assert len(names) == 7


def test_prefilled_notebooks_are_what_myst_nb_finds_in_the_cache(tmp_path):
    """The contract with myst-nb's cache mode: it looks a notebook up with ``match_cache_notebook`` on the
    notebook as read from disk; a failing notebook is not cached (the build runs it again and reports it)."""
    import nbformat
    from jupyter_cache import get_cache

    def notebook(name, source):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# 見出し"), nbformat.v4.new_code_cell(source)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    good = notebook("good.ipynb", "import os\nprint(os.getcwd())")
    bad = notebook("bad.ipynb", "1 / 0")
    folder = tmp_path / "cache"
    assert build_book.prefill_cache(folder, [good, bad], 2, 60) == [good]
    cache = get_cache(str(folder))
    _, merged = cache.merge_match_into_notebook(nbformat.read(good, as_version=4))
    [output] = merged.cells[1].outputs
    assert output["text"].strip() == str(tmp_path)  # run in the notebook's own folder, as myst-nb does
    with pytest.raises(KeyError):
        cache.match_cache_notebook(nbformat.read(bad, as_version=4))
    # nothing to do the second time; a changed code cell is executed again
    assert build_book.prefill_cache(folder, [good], 2, 60) == []
    nb = nbformat.read(good, as_version=4)
    nb.cells[1].source = "print('changed')"
    nbformat.write(nb, good)
    assert build_book.prefill_cache(folder, [good], 2, 60) == [good]


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


@pytest.mark.filterwarnings(
    "ignore:'BaseCommand' is deprecated:DeprecationWarning"
)  # jupyter_book's CLI, click
def test_the_build_stops_each_kernel_at_once(monkeypatch):
    """main() switches nbclient to an immediate kernel shutdown before Jupyter Book starts executing."""
    import jupyter_book.cli.main
    from nbclient import NotebookClient

    trait = NotebookClient.class_traits()["shutdown_kernel"]
    monkeypatch.setattr(trait, "default_value", "graceful")  # restored after the test
    seen = []

    def fake_jupyter_book(args, prog_name):
        seen.append((args, NotebookClient(__import__("nbformat").v4.new_notebook()).shutdown_kernel))
        return 0

    monkeypatch.setattr(jupyter_book.cli.main, "main", fake_jupyter_book)
    monkeypatch.setattr(build_book, "skip_slow_optional_imports", lambda: None)  # not this process's business
    monkeypatch.setattr(sys, "argv", ["build_book.py", "build", ".", "--all"])
    assert build_book.main() == 0
    assert seen == [(["build", ".", "--all"], "immediate")]
