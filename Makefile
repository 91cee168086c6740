# accountguard.aws — the two commands a user needs:
#   make demo   set everything up, run the baseline against the local AWS emulator, tear it down
#   make test   run the whole test suite (lint, sanity, unit, integration, molecule, quick bench)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .build/collections/ansible_collections/accountguard/aws
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONPATH := $(CURDIR)/tests$(if $(PYTHONPATH),:$(PYTHONPATH))
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv collection-link demo test lint sanity units integration molecule bench bench-quick build changelog clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed  ## create .venv with everything the collection and its tests need

collection-link:  ## make the checkout visible to Ansible as accountguard.aws
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)

demo: venv collection-link  ## emulator up, demo Organization seeded, baseline drift/apply/verify, emulator down
	$(BIN)/python scripts/demo.py

test: venv collection-link lint sanity units integration molecule bench-quick  ## the whole test suite

lint: venv  ## ruff and ansible-lint (production profile)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint --profile production

sanity: venv  ## ansible-test sanity, offline, in a copy at ansible_collections/accountguard/aws
	scripts/ansible-test.sh sanity

units: venv collection-link  ## unit tests of plugins/module_utils and plugins (pytest)
	$(BIN)/python -m pytest tests/unit -q

integration: venv collection-link  ## modules, roles and playbooks against the local AWS emulator
	$(BIN)/python -m pytest tests/integration -q

molecule: venv collection-link  ## molecule scenarios of the roles (default driver, local connection)
	scripts/molecule.sh

bench: venv collection-link  ## the full benchmark (slow); writes bench/results/
	$(BIN)/python bench/run.py

bench-quick: venv collection-link  ## a small benchmark run without timing assertions, so it cannot rot
	$(BIN)/python bench/run.py --quick

build: venv  ## build the Galaxy artifact
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist .

clean:  ## remove build outputs (keeps .venv)
	rm -rf .build tests/output reports .pytest_cache .ruff_cache
