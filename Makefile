# motions: `make run` sets everything up and serves the demo meeting; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
# pytest-xdist workers, each with its own SQLite files, PostgreSQL database and browser: one more
# than the cores, since many tests wait (on a browser, a served app, the PostgreSQL server); on
# 2 cores the SQLite pass took 470 s with 3 workers against 495 s with 2
TEST_WORKERS ?= $(shell expr $$(nproc 2>/dev/null || echo 2) + 1)
PG_TEST_WORKERS ?= $(TEST_WORKERS)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install translations run serve test test-sqlite test-postgres bench tried clean extract-messages

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues are build output (not committed); the .po files are the source.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d motions/translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output --no-wrap \
	  --project motions --copyright-holder "motions contributors" -o motions/translations/messages.pot .
	$(BIN)/pybabel update -N --no-wrap -i motions/translations/messages.pot -d motions/translations

run: install
	$(BIN)/motions init-db
	$(BIN)/motions demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	MOTIONS_SECURE_COOKIES=0 $(BIN)/motions run --host $(HOST) --port $(PORT)

# Production: gunicorn, several workers with threads (gunicorn.conf.py), behind a TLS reverse proxy
# (docs/deployment.md). DATABASE_URL=postgresql://... for PostgreSQL; SQLite in instance/ otherwise.
serve: install
	$(BIN)/motions init-db
	@echo "Serving on http://$${HOST:-127.0.0.1}:$${PORT:-8000}/ for the reverse proxy (secure cookies: sign in through https)"
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install test-sqlite test-postgres

test-sqlite: install
	$(PY) -m pytest -n $(TEST_WORKERS)

# The same suite (all but the database-free unit tests) on PostgreSQL, when one answers.
# Under CI=true a missing PostgreSQL fails the run instead of skipping it.
test-postgres: install
	@if $(PY) -m tests.pg_ready "$(TEST_DATABASE_URL)"; then \
	  echo "== PostgreSQL run: $(TEST_DATABASE_URL)"; \
	  MOTIONS_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(PY) -m pytest -n $(PG_TEST_WORKERS) tests/integration tests/browser; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL at $(TEST_DATABASE_URL) does not answer; CI must run the PostgreSQL suite."; exit 1; \
	else \
	  echo "SKIPPED the PostgreSQL run: nothing answers at $(TEST_DATABASE_URL) (set TEST_DATABASE_URL)."; \
	fi

# the benches, the STV counts (bench/stv.py), then the load suite (bench/load.py: vote storm, browsing while proposing, 2,000 streams)
bench: install
	$(PY) -m bench
	$(PY) -m bench.stv
	$(PY) -m bench.load

# What the attack and fault suites try, in figures (docs/security.md): they run on both databases
# with MOTIONS_TRIED set, and the sums are printed as a table.
TRIED_SUITES = tests/integration/test_web_roles.py tests/integration/test_attack_xss.py \
  tests/integration/test_attack_csrf.py tests/integration/test_attack_session.py \
  tests/integration/test_sign_in_limits.py tests/integration/test_api_fuzz.py \
  tests/integration/test_secret_ballot.py tests/integration/test_election_secrecy.py tests/integration/test_fault_crash.py \
  tests/integration/test_fault_database.py tests/integration/test_fault_busy.py tests/integration/test_backup.py
tried: install
	mkdir -p instance
	rm -f instance/tried.jsonl
	MOTIONS_TRIED=$(CURDIR)/instance/tried.jsonl $(PY) -m pytest -q -n $(TEST_WORKERS) $(TRIED_SUITES)
	MOTIONS_TRIED=$(CURDIR)/instance/tried.jsonl MOTIONS_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" \
	  $(PY) -m pytest -q -n $(TEST_WORKERS) $(TRIED_SUITES)
	$(PY) -m tests.tried instance/tried.jsonl

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
