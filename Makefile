# TradingOps: `make run` starts the whole stack on embedded defaults, `make test` tests it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The demo runs market time 12x faster than the wall clock (a 1-minute bar every 5 s) and
# schedules ingest and trading every 5 s. The anchor is kept in var/ so restarts continue.
# Its synthetic feed prints a bar every minute, so its equities trade on exchange-calendars'
# always-open "24/7" calendar: nights and weekends trade too, and a feed that stops at night
# is stale at once (on XNYS the demo's bars at night counted for nothing).
# Its fills cost DEMO_COST_BPS a side (paper broker, simulator and the training backtest alike),
# what a $10,000 market order in AAPL, MSFT or SPY costs, not the generic default of 5: the
# baseline model trades a random walk whose one-minute moves are 8-12 bps, so at 5 bps a side
# most trades lost (from about half to three in four, by window) and the losing-streak cooldown
# (5 losses) kept halting the demo's strategy. The risk limits stay the production defaults.
VAR := $(or $(TRADINGOPS_VAR_DIR),var)
DEMO_COST_BPS ?= 1
DEMO_ENV = TRADINGOPS_CLOCK_SPEED=12 TRADINGOPS_CLOCK_ANCHOR=$$(cat $(VAR)/clock_anchor) \
	MARKETDATA_EQUITY_CALENDAR=24/7 \
	SCHEDULE_INGEST_SECONDS=5 SCHEDULE_TRADE_SECONDS=5 PROMETHEUS_MULTIPROC_DIR=$(VAR)/prometheus \
	PAPER_BROKER_SLIPPAGE_BPS=$(DEMO_COST_BPS) ALPACA_SIMULATOR_SLIPPAGE_BPS=$(DEMO_COST_BPS) \
	MODELS_BACKTEST_COST_BPS=$(DEMO_COST_BPS)

# `make run EXECUTION_BROKER=alpaca` trades through the Alpaca protocol against the local
# simulator (Procfile.alpaca-sim adds it and the trade stream); ALPACA_SIMULATOR=0 keeps the
# ALPACA_* variables of the environment instead (a real paper account, see docs/staging.md).
EXECUTION_BROKER ?= paper
ALPACA_SIMULATOR ?= 1
ALPACA_SIMULATOR_PORT ?= 18100
ifeq ($(EXECUTION_BROKER),alpaca)
ifeq ($(ALPACA_SIMULATOR),1)
PROCFILE := Procfile.alpaca-sim
BROKER_ENV = EXECUTION_BROKER=alpaca ALPACA_SIMULATOR_PORT=$(ALPACA_SIMULATOR_PORT) \
	ALPACA_API_KEY_ID=simulator-key ALPACA_API_SECRET_KEY=simulator-secret \
	ALPACA_TRADING_BASE_URL=http://127.0.0.1:$(ALPACA_SIMULATOR_PORT) \
	ALPACA_TRADING_STREAM_URL=ws://127.0.0.1:$(ALPACA_SIMULATOR_PORT)/stream
else
PROCFILE := Procfile.alpaca
BROKER_ENV = EXECUTION_BROKER=alpaca
endif
else
PROCFILE := Procfile
BROKER_ENV = EXECUTION_BROKER=$(EXECUTION_BROKER)
endif

.PHONY: run test lint bench-smoke format requirements ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

run: $(INSTALLED)
	mkdir -p $(VAR)
	test -s $(VAR)/clock_anchor || date +%s > $(VAR)/clock_anchor
	rm -rf $(VAR)/prometheus && mkdir -p $(VAR)/prometheus
	export $(DEMO_ENV) $(BROKER_ENV); \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py seed && \
	echo "Admin: http://127.0.0.1:$${WEB_PORT:-8000}/admin/  API docs: /api/docs/" && \
	echo "Broker: $(EXECUTION_BROKER) ($(PROCFILE))" && \
	exec $(BIN)/honcho start -f $(PROCFILE)

test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The layers (import-linter contracts and no imports of another module's _private names),
# types (mypy with the Django and DRF plugins) and dead code (vulture) are checked with the
# style, so the map in docs/architecture.md and the code cannot drift apart.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/python scripts/check_private_imports.py
	$(BIN)/python scripts/check_module_names.py
	$(BIN)/mypy
	$(BIN)/vulture
	DJANGO_SETTINGS_MODULE=tradingops.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

# Every benchmark at a tiny size (BENCH_SMOKE=1), each checked for its JSON figures; the
# PostgreSQL + Redis ones use BENCH_SMOKE_ARGS (--database-url, --broker-url, --redis-url).
bench-smoke: $(INSTALLED)
	$(BIN)/python scripts/bench_smoke.py $(BENCH_SMOKE_ARGS)

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

requirements: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	for f in base dev production; do \
		$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
			-o requirements/$$f.txt requirements/$$f.in; done

ci:
	bash .ci/run

clean:
	rm -rf var
