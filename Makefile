# Every target sets up what it needs on a fresh Debian/Ubuntu machine and is safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test check bench clean jemalloc

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv; \
	  rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf || { \
	  echo "installing DejaVu fonts: the Form 08 PDF needs a serif with every Vietnamese glyph"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-dejavu-extra; }
	@touch $(STAMP)

# Checked on every run, not only with a new venv: the embedded Valkey preloads it when present.
jemalloc:
	@/sbin/ldconfig -p 2>/dev/null | grep -q 'libjemalloc\.so\.2 ' || { \
	  echo "installing libjemalloc2: the embedded Valkey allocates with it (a quarter less CPU)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2; } || \
	  echo "libjemalloc2 not installed: the embedded Valkey allocates with glibc's malloc"; }

demo: $(STAMP) jemalloc
	$(BIN)/vigil demo

test: $(STAMP) jemalloc
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -x /lib/systemd/systemd-journal-remote -a -x /usr/bin/journalctl || { \
	  echo "installing systemd-journal-remote (and journalctl) to write journals for the journald tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd-journal-remote; }
	@test -e /usr/lib/softhsm/libsofthsm2.so || { \
	  echo "installing softhsm2: a PKCS#11 token for the Form 08 signing tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2; }
	$(BIN)/pytest -q

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) jemalloc
	@command -v fail2ban-regex >/dev/null || { apt-get update -qq && apt-get install -y -qq fail2ban; }
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
