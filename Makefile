# The two commands of the README: `make book` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# jupyter-book build, reading (and executing) the chapters on every core: _ext/build_book.py
JB     := $(BIN)/python _ext/build_book.py
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# matplotlib: kernels choose their own backend (an inherited MPLBACKEND changes outputs, DESIGN §9)
unexport MPLBACKEND

.PHONY: install bytecode book preview test lint unit nbval build-strict site repro lab bench clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || { $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	  || { echo "Python 3.11 以上が必要です（$(PYTHON) は古いか見つかりません）。例: make PYTHON=python3.12 $(MAKECMDGOALS)"; exit 1; }; \
	  $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo ".venv の Python が 3.11 より古いです。rm -rf .venv をしてから make PYTHON=python3.12 $(MAKECMDGOALS) を実行してください"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# lropt's bytecode, compiled once: where PYTHONDONTWRITEBYTECODE is set (as on this project's machines) Python never
# writes it, and every notebook kernel would compile lropt's sources again (about 0.15 s each)
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q code/lropt

# --all: Sphinx only re-reads changed pages, so without it a change in code/lropt left stale outputs.
# A fresh _build/html: Sphinx never deletes files, so the figures of earlier builds piled up in _images
book: $(STAMP) bytecode
	rm -rf _build/html
	$(JB) build . --builder html --all
	@echo "本が完成しました / book built: $(CURDIR)/_build/html/index.html"

# the author's edit loop: like make book, but a chapter whose code cells (and code/lropt, requirements.txt) are
# unchanged is not executed again: its outputs come from _build/.jupyter_cache (_ext/build_book.py)
preview: $(STAMP) bytecode
	rm -rf _build/html
	$(JB) build . --builder html --all --execute-cache
	@echo "本が完成しました（変更のない章はキャッシュの出力） / book built from the cache: $(CURDIR)/_build/html/index.html"

# the reproducibility check builds once more and compares with build-strict's build (make repro builds twice)
test: lint unit nbval build-strict site
	$(BIN)/python bench/check_reproducible.py --against _build/jupyter_execute
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check code tests bench _ext
	$(BIN)/ruff format --check code tests bench _ext

unit: $(STAMP) bytecode
	$(BIN)/python -m pytest tests --ignore=tests/site

nbval: $(STAMP) bytecode
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env chapters

build-strict: $(STAMP) bytecode
	rm -rf _build/html _build/.doctrees
	$(JB) build . --builder html --warningiserror --nitpick --keep-going

# the built site in a real Chromium (Debian's /usr/bin/chromium); skipped loudly when absent, fails under CI
site: $(STAMP)
	$(BIN)/python -m pytest tests/site -rs

# two builds of the same commit must give identical notebook outputs
repro: $(STAMP) bytecode
	$(BIN)/python bench/check_reproducible.py

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

# prints numbers only (no pass/fail): optimizer speed, build speed against its floor, page weights
bench: $(STAMP) bytecode
	$(BIN)/python bench/bench_optimizers.py
	$(BIN)/python bench/bench_build.py
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python bench/bench_site.py

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
