# accountguard.aws — the two commands a user needs:
#   make demo   set everything up, run the baseline against the local AWS emulator, tear it down
#   make test   run the whole test suite (lint, sanity, unit, integration, molecule, quick bench)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# pytest-xdist workers for the integration suites; the machine CI runs on has 2 cores.
JOBS ?= 2
VENV ?= .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .build/collections/ansible_collections/accountguard/aws
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONPATH := $(CURDIR)/tests$(if $(PYTHONPATH),:$(PYTHONPATH))
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv collection-link demo test lint sanity units integration molecule bench bench-quick build changelog clean
.PHONY: units-quick changelog-lint changelog-release build-roundtrip ee venv-newest test-newest units-newest sanity-newest integration-newest
.PHONY: venv-pre test-pre units-pre sanity-pre integration-pre test-home

# Test tools keep state under $HOME and the XDG directories (ansible-test's sanity virtual environments and
# get-pip cache in ~/.ansible/test, Ansible's ~/.ansible/tmp, molecule's and ansible-lint's ~/.cache, boto3's
# ~/.aws, Chromium's profile under ~/.config): these targets use .build/home instead, and .build/tmp for
# temporary files, so they write nothing outside the checkout and read no AWS file of the user. Only pip's user
# configuration (the package index to use) is still read where the user keeps it, through PIP_CONFIG_FILE.
REAL_HOME := $(HOME)
USER_PIP_CONFIG := $(or $(PIP_CONFIG_FILE),$(firstword $(wildcard \
	$(or $(XDG_CONFIG_HOME),$(REAL_HOME)/.config)/pip/pip.conf $(REAL_HOME)/.pip/pip.conf)))
TEST_HOME := $(CURDIR)/.build/home
TEST_TMP := $(CURDIR)/.build/tmp
TEST_TARGETS := demo test lint sanity units units-quick integration molecule bench-quick build-roundtrip \
	test-newest units-newest sanity-newest integration-newest test-pre units-pre sanity-pre integration-pre
$(TEST_TARGETS): test-home
$(TEST_TARGETS): export PIP_CONFIG_FILE := $(USER_PIP_CONFIG)
$(TEST_TARGETS): export HOME := $(TEST_HOME)
$(TEST_TARGETS): export XDG_CONFIG_HOME := $(TEST_HOME)/.config
$(TEST_TARGETS): export XDG_CACHE_HOME := $(TEST_HOME)/.cache
$(TEST_TARGETS): export XDG_DATA_HOME := $(TEST_HOME)/.local/share
$(TEST_TARGETS): export XDG_STATE_HOME := $(TEST_HOME)/.local/state
$(TEST_TARGETS): export TMPDIR := $(TEST_TMP)

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed  ## create .venv with everything the collection and its tests need

test-home:
	@mkdir -p $(TEST_HOME) $(TEST_TMP)

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

# Not offline: ansible-test builds a virtual environment per sanity test and per Python version (in
# .build/home/.ansible/test/venv, reused by later runs) and pip-installs its pinned tools there from the
# configured package index. scripts/ansible-test.sh only replaces the get-pip download, which is unreachable.
sanity: venv  ## ansible-test sanity in a copy at ansible_collections/accountguard/aws, every claimed Python installed
	scripts/ansible-test.sh sanity

units: venv  ## ansible-test units (pytest of tests/unit under ansible-test's collection loader)
	scripts/ansible-test.sh units

units-quick: venv collection-link  ## the same unit tests with plain pytest, for a fast edit-test loop
	$(BIN)/python -m pytest tests/unit -q

integration: venv collection-link  ## modules, roles and playbooks against the local AWS emulator
	$(BIN)/python -m pytest tests/integration -q -n $(JOBS)

molecule: venv collection-link  ## molecule scenarios of the roles (default driver, local connection)
	scripts/molecule.sh

bench: venv collection-link  ## the full benchmark (slow); writes bench/results/
	$(BIN)/python bench/run.py

bench-quick: venv collection-link  ## a small benchmark run without timing assertions, so it cannot rot; results in .build/bench-quick
	$(BIN)/python bench/run.py --quick --out .build/bench-quick

build: venv  ## the Galaxy artifact of the tracked files in .build/dist (its CHANGELOG.md generated; the checkout untouched)
	scripts/build.sh .build/dist

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

# The CI matrix (.ci/run): units, sanity and the whole integration suite on three ansible-core versions.
#   oldest supported  .venv         ansible-core 2.19 (requires_ansible), Python 3.11   make test
#   newest release    .venv-newest  ansible-core 2.21 (ansible 14), Python 3.12          make test-newest
#   newest pre-release .venv-pre    whatever `pip index versions ansible-core --pre` serves (Python 3.13)
#                                                                                       make test-pre
# Newer ansible-core releases need a newer Python than .venv's, hence one venv each. `make -k test-newest`
# (and test-pre) run all three steps even when one fails.
define find_python
$(shell for p in "$$(pyenv prefix $(1) 2>/dev/null)/bin/python$(1)" python$(1); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(1)".split("."))))' >/dev/null 2>&1 \
	&& { command -v "$$p"; break; }; done)
endef
version_of = $(1)/bin/python -c "import ansible.release as r, sys; print('ansible-core', r.__version__, 'on Python', sys.version.split()[0])"

NEWEST_PYTHON ?= $(call find_python,3.12)
NEWEST_VENV ?= .venv-newest
PRE_PYTHON ?= $(call find_python,3.13)
PRE_VENV ?= .venv-pre

$(NEWEST_VENV)/.installed: requirements.txt tests/requirements-test.txt tests/requirements-newest.txt
	@test -n "$(NEWEST_PYTHON)" || { echo "no Python 3.12 found; set NEWEST_PYTHON=/path/to/python3.12"; exit 1; }
	$(NEWEST_PYTHON) -m venv $(NEWEST_VENV)
	$(NEWEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NEWEST_VENV)/bin/python -m pip install --quiet -r tests/requirements-newest.txt
	touch $@

venv-newest: $(NEWEST_VENV)/.installed  ## second venv: the newest ansible-core release (Python 3.12)

$(PRE_VENV)/.installed: requirements.txt tests/requirements-test.txt
	@test -n "$(PRE_PYTHON)" || { echo "no Python 3.13 found; set PRE_PYTHON=/path/to/python3.13"; exit 1; }
	$(PRE_PYTHON) -m venv $(PRE_VENV)
	$(PRE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PRE_VENV)/bin/python -m pip install --quiet -r tests/requirements-test.txt
	touch $@

# amazon.aws comes with the PyPI `ansible` package, which pins a released ansible-core: the newest `ansible`
# without its dependencies (ansible-core is its only one), then the newest ansible-core the index serves,
# pre-releases included, pinned exactly so that its own dependencies stay releases. Run on every use, so a
# new release candidate is picked up without rebuilding the venv.
venv-pre: $(PRE_VENV)/.installed  ## third venv: the newest ansible-core pre-release (Python 3.13)
	$(PRE_VENV)/bin/python -m pip install --quiet --upgrade --no-deps ansible
	@core=$$($(PRE_VENV)/bin/python -m pip index versions ansible-core --pre 2>/dev/null \
		| sed -n 's/^ansible-core (\(.*\))$$/\1/p'); \
	test -n "$$core" || { echo "pip index versions ansible-core --pre found no version"; exit 1; }; \
	echo "$(PRE_VENV): ansible-core $$core"; \
	$(PRE_VENV)/bin/python -m pip install --quiet "ansible-core==$$core"

test-newest: units-newest sanity-newest integration-newest  ## units, sanity, whole integration suite on the newest release
test-pre: units-pre sanity-pre integration-pre  ## units, sanity, whole integration suite on the newest pre-release

units-newest: venv-newest
	@$(call version_of,$(NEWEST_VENV))
	VENV=$(NEWEST_VENV) scripts/ansible-test.sh units

sanity-newest: venv-newest
	VENV=$(NEWEST_VENV) scripts/ansible-test.sh sanity

integration-newest: venv-newest collection-link
	PATH=$(CURDIR)/$(NEWEST_VENV)/bin:$$PATH $(NEWEST_VENV)/bin/python -m pytest -q -n $(JOBS) tests/integration

units-pre: venv-pre
	@$(call version_of,$(PRE_VENV))
	VENV=$(PRE_VENV) scripts/ansible-test.sh units

sanity-pre: venv-pre
	VENV=$(PRE_VENV) scripts/ansible-test.sh sanity

integration-pre: venv-pre collection-link
	PATH=$(CURDIR)/$(PRE_VENV)/bin:$$PATH $(PRE_VENV)/bin/python -m pytest -q -n $(JOBS) tests/integration

clean:  ## remove build outputs, ansible-test's environments and the test HOME in .build (keeps the venvs)
	rm -rf .build tests/output reports .pytest_cache .ruff_cache
