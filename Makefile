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
.PHONY: units-quick changelog-lint changelog-release build-roundtrip ee venv-newest test-newest units-newest sanity-newest integration-newest

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

units: venv  ## ansible-test units (pytest of tests/unit under ansible-test's collection loader)
	scripts/ansible-test.sh units

units-quick: venv collection-link  ## the same unit tests with plain pytest, for a fast edit-test loop
	$(BIN)/python -m pytest tests/unit -q

integration: venv collection-link  ## modules, roles and playbooks against the local AWS emulator
	$(BIN)/python -m pytest tests/integration -q

molecule: venv collection-link  ## molecule scenarios of the roles (default driver, local connection)
	scripts/molecule.sh

bench: venv collection-link  ## the full benchmark (slow); writes bench/results/
	$(BIN)/python bench/run.py

bench-quick: venv collection-link  ## a small benchmark run without timing assertions, so it cannot rot
	$(BIN)/python bench/run.py --quick

build: venv changelog  ## build the Galaxy artifact into .build/dist (CHANGELOG.md regenerated first)
	rm -rf .build/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist .

build-roundtrip: venv collection-link  ## build, install from the tarball, run against the emulator; ansible-builder create
	$(BIN)/python -m pytest -q tests/integration/test_packaging.py

ee: build  ## ansible-builder context for the execution environment in .build/ee (podman/docker builds it)
	rm -rf .build/ee
	$(BIN)/ansible-builder create --file execution-environment.yml --context .build/ee

changelog: venv  ## lint changelogs/fragments and write CHANGELOG.md (pending fragments shown as unreleased)
	scripts/changelog.sh preview

changelog-lint: venv  ## lint changelogs/fragments only
	scripts/changelog.sh lint

changelog-release: venv  ## release the galaxy.yml version: fragments -> changelogs/changelog.yaml, CHANGELOG.md
	scripts/changelog.sh release

# The newest ansible-core this machine can install (2.21, ansible 14) needs Python 3.12+: a second venv runs
# ansible-test units and sanity plus the module integration tests there, so both ends of requires_ansible
# are tested.
NEWEST_PYTHON ?= $(shell for p in "$$(pyenv prefix 3.12 2>/dev/null)/bin/python" python3.12 python3.13; do \
	"$$p" -V >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
NEWEST_VENV ?= .venv-newest
NEWEST_INTEGRATION ?= $(wildcard $(addprefix tests/integration/test_, \
	iam_password_policy.py root_key_check.py iam_mfa_status.py packaging.py direct_execution.py))

$(NEWEST_VENV)/.installed: requirements.txt tests/requirements-newest.txt
	@test -n "$(NEWEST_PYTHON)" || { echo "no Python 3.12/3.13 found; set NEWEST_PYTHON=/path/to/python3.12"; exit 1; }
	$(NEWEST_PYTHON) -m venv $(NEWEST_VENV)
	$(NEWEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NEWEST_VENV)/bin/python -m pip install --quiet -r tests/requirements-newest.txt
	touch $@

venv-newest: $(NEWEST_VENV)/.installed  ## second venv with the newest ansible-core (Python 3.12)

# Separate targets so `make -k test-newest` (CI) runs all three even when one fails.
test-newest: units-newest sanity-newest integration-newest  ## units, sanity, module integration on the newest ansible-core

units-newest: venv-newest
	@$(NEWEST_VENV)/bin/python -c "import ansible.release as r, sys; print('ansible-core', r.__version__, 'on Python', sys.version.split()[0])"
	VENV=$(NEWEST_VENV) scripts/ansible-test.sh units

sanity-newest: venv-newest
	VENV=$(NEWEST_VENV) scripts/ansible-test.sh sanity

integration-newest: venv-newest collection-link
	PATH=$(CURDIR)/$(NEWEST_VENV)/bin:$$PATH $(NEWEST_VENV)/bin/python -m pytest -q -n 2 $(NEWEST_INTEGRATION)

clean:  ## remove build outputs (keeps .venv)
	rm -rf .build tests/output reports .pytest_cache .ruff_cache
