# The few commands people type. `make help` lists them.
PY ?= python3

.PHONY: help install app check format test test-all retrain evaluate bench

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

install:  ## install the package with the dev tools (editable)
	$(PY) -m pip install -e ".[dev]"

app:  ## start the web app on http://127.0.0.1:7860
	$(PY) app.py

check:  ## lint and format check (ruff), as CI runs them
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:  ## fix what ruff can fix, then format
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test:  ## the default test run (fast; doctests of nlp/ included)
	$(PY) -m pytest

test-all:  ## every test, the slow ones too (real models, browser, full data)
	$(PY) -m pytest -m "slow or not slow"

evaluate:  ## score the shipped models (classifier harness and summariser sets)
	$(PY) -m nlp evaluate --variants

bench:  ## the speed benchmarks
	$(PY) benchmarks/bench_segment.py
	$(PY) benchmarks/bench_classifier.py
	$(PY) benchmarks/bench_summarizer.py

retrain:  ## data -> pack -> train -> export, with the presets of the shipped runs
	$(PY) -m training.prepare_summaries
	$(PY) -m training.build_dataset
	$(PY) -m training.pack --out .pack
	$(PY) -m training.train_classifier --config training/configs/classifier.json --pack .pack --out runs/classifier
	$(PY) -m training.train_summarizer --config training/configs/summarizer.json --pack .pack --out runs/summarizer
	$(PY) -m training.export classifier runs/classifier
	$(PY) -m training.export summarizer runs/summarizer --pack .pack
	@echo "now score with 'make evaluate' and commit a model only if it beats the shipped one"
