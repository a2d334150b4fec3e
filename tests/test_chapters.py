"""The chapters as files: clean notebooks, the book's structure, and no drift between quoted code and lropt."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
LIBRARY = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "code" / "lropt").rglob("*.py")))
LIBRARY_LINES = {line.strip() for line in LIBRARY.splitlines()}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _markdown(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


def test_there_are_chapters():
    assert CHAPTERS, "chapters/ holds no notebook"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} of {path.name} has outputs"
            assert cell["execution_count"] is None, f"cell {i} of {path.name} has an execution count"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_valid_nbformat(path):
    """Valid for nbformat as stored (from format 4.5 on, every cell has an id); no repair warning on reading."""
    import warnings

    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_in_the_table_of_contents(path):
    assert f"chapters/{path.stem}" in _toc_files()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_quoted_library_lines_exist_verbatim(path):
    """Every line of a ```python block in the prose is a quote of lropt and must appear there verbatim."""
    blocks = re.findall(r"```python\n(.*?)```", _markdown(path), flags=re.S)
    for block in blocks:
        for line in block.splitlines():
            code = line.split("  #")[0].strip()
            if code:
                assert code in LIBRARY_LINES, f"{path.name} quotes a line that is not in code/lropt: {code!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebooks_do_not_reimplement_optimizers(path):
    code = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    assert not re.search(r"^class \w+", code, flags=re.M) or path.stem.endswith("quiz"), (
        f"{path.name} defines a class: optimizers live in lropt"
    )


@pytest.mark.parametrize("path", [p for p in CHAPTERS if not p.stem.endswith("quiz")], ids=lambda p: p.name)
def test_chapter_has_the_house_sections(path):
    text = _markdown(path)
    assert text.lstrip().startswith("# "), "a chapter starts with its title"
    for heading in ("まとめ", "確認問題"):
        assert re.search(rf"^##+ .*{heading}", text, flags=re.M), f"{path.name} lacks a {heading} section"


def test_drift_check_catches_a_changed_line():
    assert "params[key] -= self.learning_rate * grad[key]" in LIBRARY_LINES
    assert "params[key] -= self.learning_rate * grad[key] * 2" not in LIBRARY_LINES


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_visible_code_lines_fit_the_page_column(path):
    """Code the page shows keeps lines ≤ 80 characters (CONTRIBUTING); hidden claim cells may be longer."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        for line in "".join(cell["source"]).splitlines():
            assert len(line) <= 80, f"cell {i} of {path.name}: {len(line)} characters: {line}"
