# Two commands set everything up on a fresh machine: `make demo` runs the service, `make test` runs the tests.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements-nodeps.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# scale: Ray Data, so the catalog embedding job's tests (tests/test_embed_job.py) run on every check, not skip
	$(BIN)/pip install -q -e '.[dev,scale]'
	$(BIN)/pip install -q --no-deps -r requirements-nodeps.txt
	$(BIN)/atelier prepare  # ONNX exports happen here once, not in the first `make demo`
	touch $(STAMP)

demo: venv
	$(BIN)/atelier serve --demo-shop

test: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python bench/encoder_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache
