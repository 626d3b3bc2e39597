# The few commands people type. `make help` lists them.
PY ?= python3

.PHONY: help install app check format test test-all retrain evaluate bench bench-scale

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

evaluate:  ## the full harnesses: classifier (with baselines) and summariser; write reports/
	$(PY) -m training.evaluate --variants
	$(PY) -m training.evaluate_summarizer --model --bulk --limit 1000

bench:  ## the speed benchmarks (bench-scale: memory, start-up and Ray, ~20 min more)
	$(PY) benchmarks/bench_segment.py
	$(PY) benchmarks/bench_classifier.py
	$(PY) benchmarks/bench_summarizer.py
	$(PY) -m benchmarks.bench_busy

bench-scale:  ## app and CLI memory and start-up against REF, Ray 1 vs 2 workers
	$(PY) -m benchmarks.bench_memory --ref $(or $(REF),HEAD~1)
	$(PY) -m benchmarks.bench_ray
	$(PY) -m benchmarks.bench_browser

retrain:  ## data -> pack -> train -> export with the presets of the shipped runs (hours on a CPU)
	$(PY) -m training.prepare_summaries
	$(PY) -m training.build_dataset
	$(PY) -m training.pack --config training/configs/pack.json --out .pack
	$(PY) -m training.train_classifier --config training/configs/classifier.json
	$(PY) -m training.train_summarizer --config training/configs/summarizer.json
	$(PY) -m training.train_summarizer --config training/configs/summarizer-resume.json
	$(PY) -m training.export classifier runs/classifier --config training/configs/export-classifier.json
	$(PY) -m training.export summarizer runs/summarizer --pack .pack
	$(PY) -m training.segmenter --config training/configs/segmenter.json --out runs/segmenter
	@echo "now score with 'make evaluate' and commit a model only if it beats the shipped one"
