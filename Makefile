# liaison: the two set-up commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install system-packages db demo translations clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the minutes' PDF export needs (WeasyPrint: Pango; Japanese fonts: Noto CJK).
# Installed when missing and make runs as root; otherwise make says what to install.
SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "liaison: installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "liaison: the PDF export of minutes needs these Debian packages: $$missing"; \
		echo "         install them with: sudo apt-get install -y $$missing"; fi

install: system-packages $(VENV)/.installed

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
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## make translations: refresh the message catalogue after changing UI text
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o liaison/translations/messages.pot .
	$(BIN)/pybabel update -i liaison/translations/messages.pot -d liaison/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d liaison/translations
