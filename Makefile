# liaison: the two set-up commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install db demo translations clean-demo node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Node test tools from the project's own package.json / package-lock.json: ical.js (Thunderbird's
# iCalendar parser) reads the calendar feeds in the tests. Without npm the ical.js test is skipped.
node_modules/.installed: package.json $(wildcard package-lock.json)
	@if command -v npm >/dev/null 2>&1; then \
		if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi && touch $@; \
	else echo "npm not found: tests that need Node tools will be skipped"; fi

node: node_modules/.installed

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed --demo

## make run: the app with demo data on SQLite at http://127.0.0.1:5000, the notification scheduler,
## and a debugging SMTP server on 127.0.0.1:$(SMTP_PORT) that prints every mail here (nothing is delivered).
## Ctrl-C stops all three; if one of them ends, the others are stopped too.
SMTP_PORT ?= 8025
run: demo
	@echo "liaison: http://$(HOST):$(PORT)/  (demo logins: admin@example.jp, secretariat@example.jp, member01@example.jp … / password liaison-demo)"
	@echo "liaison: mails go to the debugging SMTP server below and are printed, not sent."
	@trap 'kill $$smtp $$scheduler $$web 2>/dev/null; wait' INT TERM EXIT; \
	$(BIN)/python -m liaison.notify.debug_smtp --host 127.0.0.1 --port $(SMTP_PORT) & smtp=$$!; \
	SMTP_HOST=127.0.0.1 SMTP_PORT=$(SMTP_PORT) SMTP_STARTTLS=0 SMTP_USER= $(FLASK) scheduler run & scheduler=$$!; \
	SMTP_HOST=127.0.0.1 SMTP_PORT=$(SMTP_PORT) $(FLASK) run --host $(HOST) --port $(PORT) & web=$$!; \
	wait -n

## make test: the whole suite, on SQLite and on PostgreSQL (skipped, and said so, when PostgreSQL is absent)
PYTEST_ARGS ?= -n 2
test: install node
	$(BIN)/pytest $(PYTEST_ARGS)

## make translations: refresh the message catalogue after changing UI text
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o liaison/translations/messages.pot .
	$(BIN)/pybabel update -i liaison/translations/messages.pot -d liaison/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d liaison/translations
