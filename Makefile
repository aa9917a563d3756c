# liaison: the two set-up commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test install system-packages node-packages pdfjs db demo translations clean-demo screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the minutes' PDF export needs (WeasyPrint: Pango, HarfBuzz subsetting; Japanese fonts: Noto CJK).
# Installed when missing and make runs as root; otherwise make says what to install.
SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "liaison: installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "liaison: the PDF export of minutes needs these Debian packages: $$missing"; \
		echo "         install them with: sudo apt-get install -y $$missing"; fi

install: system-packages $(VENV)/.installed pdfjs

# Node test tools from the project's own package.json / package-lock.json: ical.js (Thunderbird's
# iCalendar parser) reads the calendar feeds, axe-core checks accessibility in the browser journeys.
# `npm ci` installs exactly package-lock.json: after editing package.json run `npm install` and commit both.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	else echo "make: npm not found: the ical.js test and the browser journeys will be SKIPPED (apt-get install npm)"; fi

node-packages: node_modules/.package-lock.json

# Mozilla's pdf.js (pdfjs-dist in package.json, the legacy build for older tablets) shows 資料 inside the
# page: copied from node_modules into static/vendor/pdfjs/ (git-ignored), the app serves it itself (no CDN).
# Without npm the viewer page says so and offers the download.
PDFJS_SOURCE := node_modules/pdfjs-dist
PDFJS := static/vendor/pdfjs
$(PDFJS)/.copied: node_modules/.package-lock.json
	@if [ -f $(PDFJS_SOURCE)/legacy/build/pdf.min.mjs ]; then \
		rm -rf $(PDFJS) && mkdir -p $(PDFJS) && \
		cp $(PDFJS_SOURCE)/legacy/build/pdf.min.mjs $(PDFJS_SOURCE)/legacy/build/pdf.worker.min.mjs $(PDFJS_SOURCE)/LICENSE $(PDFJS)/ && \
		cp -r $(PDFJS_SOURCE)/cmaps $(PDFJS_SOURCE)/standard_fonts $(PDFJS)/ && touch $@; \
	else echo "make: pdf.js not installed (npm ci): 資料 will be offered as downloads only"; fi

pdfjs: $(PDFJS)/.copied

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed --demo

## make run: the app with demo data on SQLite at http://$(HOST):$(PORT), the notification scheduler,
## and a debugging SMTP server on 127.0.0.1:$(SMTP_PORT) that prints one line per mail here (nothing is delivered).
## HOST, PORT and SMTP_PORT can be set (`PORT=6100 make run`); the links in mails and feeds follow PORT
## unless BASE_URL is set. Ctrl-C stops all three; if one of them ends, the others are stopped too.
SMTP_PORT ?= 8025
run: demo
	@echo "liaison: http://$(HOST):$(PORT)/  (demo logins: admin@example.jp, secretariat@example.jp, member01@example.jp … / password liaison-demo)"
	@echo "liaison: mails go to the debugging SMTP server on 127.0.0.1:$(SMTP_PORT): one line each below, nothing is sent."
	@trap 'kill $$smtp $$scheduler $$web 2>/dev/null; wait' INT TERM EXIT; \
	$(BIN)/python -m liaison.notify.debug_smtp --host 127.0.0.1 --port $(SMTP_PORT) & smtp=$$!; \
	HOST=$(HOST) PORT=$(PORT) SMTP_HOST=127.0.0.1 SMTP_PORT=$(SMTP_PORT) SMTP_STARTTLS=0 SMTP_USER= $(FLASK) scheduler run & scheduler=$$!; \
	HOST=$(HOST) PORT=$(PORT) SMTP_HOST=127.0.0.1 SMTP_PORT=$(SMTP_PORT) $(FLASK) run --host $(HOST) --port $(PORT) & web=$$!; \
	wait -n

## make test: the whole suite, on SQLite and on PostgreSQL (skipped, and said so, when PostgreSQL is absent),
## and the browser journeys in headless Chromium (skipped, and said so, when $(CHROMIUM) is absent)
PYTEST_ARGS ?= -n 2
test: install node-packages
	@if [ -x $(CHROMIUM) ]; then echo "make test: browser journeys (tests/e2e) run in $(CHROMIUM)"; \
	else echo "make test: $(CHROMIUM) not found: the browser journeys (tests/e2e) will be SKIPPED (apt-get install chromium)"; fi
	LIAISON_CHROMIUM=$(CHROMIUM) $(BIN)/pytest $(PYTEST_ARGS)

## make screenshots: PNGs of the main pages from the demo data, into docs/screenshots/ (needs Chromium)
screenshots: install node-packages
	LIAISON_CHROMIUM=$(CHROMIUM) $(BIN)/python -m tests.e2e.screenshots $(SHOTS)

## make translations: refresh the message catalogue after changing UI text
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o liaison/translations/messages.pot .
	$(BIN)/pybabel update -i liaison/translations/messages.pot -d liaison/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d liaison/translations
