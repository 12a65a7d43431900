# Spasibot: the two commands are `make run` and `make test`; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench migrate check-content format clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m bot

# on SQLite and PostgreSQL (tests/pg.py starts its own server; without one the header says
# why its variants are skipped); in 4 processes: the tests mostly wait, on timers and sockets
test: $(STAMP)
	$(PY) -m pytest -q -n 4 --dist worksteal

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy bot storage content handlers

bench: $(STAMP)
	$(PY) -m bench

migrate: $(STAMP)
	$(PY) -m bot migrate

check-content: $(STAMP)
	$(PY) -m bot check-content

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
