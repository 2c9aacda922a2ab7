# One entry point: `make run` sets everything up and serves; `make test` runs the suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup system-deps venv player lock migrate demo test test-fast lint clean

run: setup migrate demo
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

setup: system-deps venv player

# ffmpeg/ffprobe and Python's venv module come from Debian's packages.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing system packages. Install them with:"; \
	    echo "    sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

venv: $(VENV)/.installed

# Exactly the locked versions, each checked against its hash; then the project itself.
$(VENV)/.installed: pyproject.toml requirements-dev.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# The admin preview player's hls.js, from the npm registry as player/package-lock.json pins it
# (player/vendor.py). Without npm or the registry, setup says so in one sentence and goes on:
# everything else works, and the admin page says the player is unavailable.
PLAYER_JS := player/static/vendor/hls.js/hls.min.js
player: $(PLAYER_JS)
$(PLAYER_JS): player/package.json player/package-lock.json player/vendor.py
	@python3 player/vendor.py || true

# Re-resolve both locks to the newest versions pyproject.toml allows (uv is itself locked).
# requirements.lock (the image's) is constrained by the dev lock, so both pin the same versions.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --upgrade --custom-compile-command "make lock" --quiet
lock: venv
	$(LOCK) --extra dev -o requirements-dev.lock
	$(LOCK) --constraint requirements-dev.lock -o requirements.lock

migrate: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

# Demo data of the embedded mode: an active demo account and a short generated film.
demo: migrate
	$(PY) manage.py create_demo_user
	$(PY) manage.py import_sample_video

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# The edit-test loop: everything but the tests marked `slow` (long encodes, real processes).
test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Containerfile deploy/objectstore/Containerfile

clean:
	rm -rf $(VENV) var staticfiles media .pytest_cache .ruff_cache player/node_modules player/static
