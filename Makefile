# ConvStudio — `make run` opens the app, `make test` runs lint and the whole test suite.
# Both set up .venv first, and refresh it only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)
export TF_CPP_MIN_LOG_LEVEL ?= 2

# Qt's runtime libraries (offscreen and X11), a font, and Fashion-MNIST for the training tab.
APT_PACKAGES := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
                libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core dataset-fashion-mnist \
                desktop-file-utils

.PHONY: run test lint bench setup system-deps install-desktop screenshot clean

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python -m convstudio

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n auto --maxprocesses=4

bench: setup
	$(BIN)/python -m benchmarks

# Per-user launcher: menu entry, icon and the .convstudio file type, pointing at this checkout.
DESKTOP_DIR := $(HOME)/.local/share/applications
ICON_DIR    := $(HOME)/.local/share/icons/hicolor/scalable/apps
MIME_DIR    := $(HOME)/.local/share/mime
install-desktop: setup
	@mkdir -p $(DESKTOP_DIR) $(ICON_DIR) $(MIME_DIR)/packages
	sed 's|^Exec=convstudio|Exec=$(abspath $(BIN))/convstudio|' resources/convstudio.desktop \
	  > $(DESKTOP_DIR)/convstudio.desktop
	cp resources/convstudio.svg $(ICON_DIR)/convstudio.svg
	cp resources/convstudio-mime.xml $(MIME_DIR)/packages/convstudio.xml
	-command -v update-mime-database >/dev/null && update-mime-database $(MIME_DIR)
	-command -v update-desktop-database >/dev/null && update-desktop-database $(DESKTOP_DIR)
	@echo "installed: $(DESKTOP_DIR)/convstudio.desktop (menu: Education ▸ ConvStudio)"

screenshot: setup
	$(BIN)/python -m convstudio --screenshot resources/screenshot.png --size 1600x1000

# Installs the Debian packages above when running as root with apt; otherwise prints the
# command and carries on (the app and most tests work without the dataset).
system-deps:
	@command -v dpkg >/dev/null || { echo "note: not Debian/Ubuntu; install Qt's runtime libraries yourself"; exit 0; }; \
	missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | xargs); \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages: $$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) \
	    || echo "warning: apt-get failed; run: sudo apt-get install $$missing"; \
	else \
	  echo "ConvStudio also wants these Debian packages; please run:"; \
	  echo "  sudo apt-get install $$missing"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
