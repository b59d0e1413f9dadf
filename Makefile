.PHONY: run test venv bench lint format

run:  ## set up everything and run web, worker, beat and Redis with the demo organisation
	bash scripts/run.sh

test:  ## lint, migrations check, the whole suite on SQLite and on PostgreSQL
	bash scripts/test.sh

venv:
	bash -c 'source scripts/lib.sh && ensure_venv requirements-dev.txt'

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:  ## benchmarks (never run by the test suite); see bench/README.md
	bash bench/run.sh
