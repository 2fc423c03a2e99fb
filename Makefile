# Every target uses the project's own virtualenv in .venv (created by `make install`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SPEC ?= ../shared/openapi/openapi-2026-08-21.yaml

.PHONY: install schema generate check-generated lint typecheck test docs check bench demo clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,speech]'
	touch $@

install: $(VENV)/.installed

schema: install  ## extract every Realtime protocol (+ schema/overlay.json): make schema SPEC=path/to/openapi.yaml
	$(PY) -m codegen.extract $(SPEC) schema/realtime.schema.json

generate: install  ## schema/ -> realtime_sdk/_generated/
	$(PY) -m codegen.generate

check-generated: install  ## fail when the committed generated code differs from a fresh run
	$(PY) -m codegen.generate --check

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy

test: install  ## the whole suite
	$(PY) -m pytest -q

docs: install  ## the guides and the API reference into site/; any warning fails
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

check: lint typecheck check-generated test docs

bench: install  ## decode, audio path, end to end over loopback (a few minutes); e2e.py --quick for less
	$(PY) benchmarks/decode.py
	$(PY) benchmarks/audio.py
	$(PY) benchmarks/e2e.py

demo: install  ## a spoken conversation from one WAV: local server (offline speech) unless OPENAI_API_KEY is set
	$(VENV)/bin/realtime-sdk talk realtime_sdk/data/hello.wav --out reply.wav --speech on

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
