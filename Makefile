.PHONY: help run test venv lock bench lint format docs messages

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run:  ## set up everything and run PostgreSQL, Redis, web, worker, beat, the mail catcher and the demo
	bash scripts/run.sh

test:  ## lint, import contracts, types, migrations check, then the whole suite on PostgreSQL, Redis and Celery
	bash scripts/test.sh

venv:  ## create .venv with the pinned development requirements
	bash -c 'source scripts/lib.sh && ensure_venv requirements-dev.txt'

lock:  ## compile requirements*.in into the locked requirements*.txt (with hashes, for Python 3.11.2 and newer)
	bash -c 'source scripts/lib.sh && ensure_venv requirements-dev.txt'
	.venv/bin/uv pip compile requirements.in -o requirements.txt $(LOCK_FLAGS)
	.venv/bin/uv pip compile requirements-dev.in -o requirements-dev.txt $(LOCK_FLAGS)

LOCK_FLAGS = --quiet --generate-hashes --no-strip-extras --python-version 3.11.2 --custom-compile-command "make lock"

lint:  ## ruff (lint and format check), the import contracts and mypy, without running the tests
	bash -c 'source scripts/lib.sh && ensure_venv requirements-dev.txt'
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache
	.venv/bin/mypy

docs:  ## build the documentation site (MkDocs) into var/site, every internal link checked
	bash -c 'source scripts/lib.sh && ensure_venv requirements-dev.txt'
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet
	@echo "Open var/site/index.html"

messages:  ## extract every marked string into the catalogs in locale/ (translations kept)
	bash scripts/messages.sh

format:  ## format the code and apply ruff's safe fixes
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:  ## benchmarks (never run by the test suite); see bench/run.sh for the choices
	bash bench/run.sh
