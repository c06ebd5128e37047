# Setup and checks. `make demo` and `make test` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean test-spark

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadrules check rulesets/
	$(BIN)/leadrules fmt --check rulesets/
	$(BIN)/python benchmarks/gen_leads.py 2000 benchmarks/data/demo_leads.jsonl
	$(BIN)/leadrules eval rulesets/fit_engagement.rules benchmarks/data/demo_leads.jsonl \
		--as-of 2026-11-22T00:00:00Z --format csv -o benchmarks/data/demo_results.csv --summary || test $$? -eq 3

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy src/leadrules

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

# The generated Spark SQL and `eval --engine spark` on a local pyspark session (Java 17+); installs the `spark` extra.
test-spark: $(STAMP)
	$(BIN)/pip install --quiet -e '.[spark]'
	LEADRULES_SPARK_TESTS=required $(BIN)/pytest tests/sql/test_spark.py tests/sql/test_spark_engine.py
