# GAUSS Studio: `make run` starts the dashboard on the bundled model, `make test` runs the whole suite.
# Both create .venv and install everything the product needs (Debian packages when apt is available).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8501
MODEL_OUT ?= checkpoints/gauss2_default.pt
DEB_PACKAGES := openmolcas xtb
DEB_TEST_PACKAGES := chromium chromium-driver slurm-wlm munge

.PHONY: run test test-fast lint setup setup-test system-deps system-test-deps bench model clean-venv

run: setup
	@# Encode the bundled set with the bundled model once (about a minute on 2 idle cores; cached in .gauss/).
	$(VENV)/bin/gauss map --checkpoint $(MODEL_OUT)
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# CI (.ci/run) runs `make test`: the quality gate first, then the whole suite.
test: lint
	OMP_NUM_THREADS=1 $(PY) -m pytest -ra tests

# Inner loop: everything but the slow (QC programs, training) and browser tests.
test-fast: setup-test
	OMP_NUM_THREADS=1 $(PY) -m pytest -ra -m "not slow and not browser" tests

# ruff (rules and 120 columns in pyproject.toml) and mypy (gauss_core and gauss_app, same file).
lint: setup-test
	$(VENV)/bin/ruff check .
	$(PY) -m mypy

setup: $(VENV)/.installed system-deps

setup-test: setup $(VENV)/.installed-test system-test-deps

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade --quiet pip
	$(PIP) install --quiet -r requirements.txt
	# molSimplify pulls TensorFlow through its own metadata; its Dy builder needs only what requirements.txt lists.
	$(PIP) install --quiet --no-deps molSimplify==2.0.0
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

system-deps:
	@bash scripts/system_deps.sh $(DEB_PACKAGES)

system-test-deps:
	@bash scripts/system_deps.sh $(DEB_TEST_PACKAGES)

# Reproduce the bundled model from scratch (hours on 2 CPU cores; CUDA is used when present).
# Resumable: run it again after an interruption and it continues from the last epoch.
model: setup
	@# Resuming reads the splits stored in the checkpoint, which the full set contains; a fresh run draws
	@# its 121k training file (all labelled ligands + seeded random others) first.
	if [ -f $(MODEL_OUT) ]; then \
	  $(PY) -m gauss_core train --ligands assets/ligands/ligands.csv.gz --labels assets/labels/proxy_xtb.csv.gz \
	    --out $(MODEL_OUT) --resume; \
	else \
	  $(PY) scripts/make_training_set.py --total 121000 --seed 0 --out .gauss/train/ligands_train.csv.gz && \
	  $(PY) -m gauss_core train --ligands .gauss/train/ligands_train.csv.gz --labels assets/labels/proxy_xtb.csv.gz \
	    --n-train 114000 --n-test 7000 --label-fraction 1.0 --seed 0 --tiny-factor 32 --spelling-weight 0.1 \
	    --out $(MODEL_OUT); \
	fi

bench: setup
	for b in bench/*.py; do OMP_NUM_THREADS=1 $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
