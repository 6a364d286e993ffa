# The two commands of the quick start: `make run` and `make test`. Each creates .venv and
# installs the project from requirements.lock (exact versions) before it runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench clean

# `make run` builds every example company; `make run EXAMPLES=examples/techco` one of them.
EXAMPLES ?= examples/softcart examples/techco

run: $(VENV)/.installed-run
	@for example in $(EXAMPLES); do \
	  echo "== armazem --project $$example run"; \
	  $(BIN)/armazem --project $$example run || exit 1; \
	done

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

format: $(VENV)/.installed-test
	$(BIN)/ruff format src tests bench examples
	$(BIN)/ruff check --fix src tests bench examples

bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test,bench]"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) examples/*/data build src/*.egg-info .pytest_cache .ruff_cache

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "armazem needs Python >= 3.11: set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: $(VENV)/bin/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[spark]"
	touch $@

$(VENV)/.installed-test: $(VENV)/bin/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	@$(MAKE) --no-print-directory jdbc $(VENV)/node/.installed
	touch $@ $(VENV)/.installed-run

# configurable-http-proxy, the proxy of `armazem notebook --hub`, from npm at the versions locked
# in node/package-lock.json, into .venv/node (armazem finds it there).
$(VENV)/node/.installed: node/package.json node/package-lock.json
	@if command -v npm >/dev/null; then \
	  mkdir -p $(VENV)/node && cp node/package.json node/package-lock.json $(VENV)/node/ && \
	  npm ci --prefix $(VENV)/node --omit=dev --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm is missing, so \`armazem notebook --hub\` has no proxy: apt-get install nodejs npm"; \
	fi

# The JDBC drivers Spark reads PostgreSQL and MariaDB with, from Debian's packages.
JDBC_PACKAGES := libpostgresql-jdbc-java libmariadb-java
.PHONY: jdbc
jdbc:
	@if [ ! -f /usr/share/java/postgresql.jar ] || [ ! -f /usr/share/java/mariadb-java-client.jar ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -q $(JDBC_PACKAGES) >/dev/null || echo "could not install $(JDBC_PACKAGES): Spark's JDBC tests will say so"; \
	  else \
	    echo "Spark's JDBC drivers are missing: sudo apt-get install $(JDBC_PACKAGES)"; \
	  fi; \
	fi
