"""Shared pytest fixtures: the local AWS emulator (tests/emulator/README.md).

One emulator server per pytest process (so one per pytest-xdist worker), started on first use and stopped
at the end of the session; the function-scoped ``emulator`` fixture resets all of its state before each test.

It also makes ``ansible_collections.accountguard.aws`` importable for plain pytest runs: ``ansible-test units``
runs from a real ansible_collections/accountguard/aws tree and needs nothing, while a checkout is reached
through the ``make collection-link`` symlink under .build/collections, created here when missing. amazon.aws
comes from the virtual environment's ansible_collections (a namespace package), so both halves import side
by side.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent
COLLECTIONS = ROOT / ".build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "accountguard" / "aws"

if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from emulator.environ import scrub_os_environ  # after the sys.path entry above

# The tests are AWS clients of the emulator only: a developer's AWS_PROFILE, keys, region or endpoint must
# neither break them nor leak into them. Every subprocess gets an environment built explicitly as well
# (helpers.ansible_run.ansible_env, the emulator's own process).
scrub_os_environ()


def _collection_importable() -> bool:
    try:
        return importlib.util.find_spec("ansible_collections.accountguard.aws") is not None
    except ModuleNotFoundError:
        return False


if not _collection_importable():
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(ROOT, target_is_directory=True)
    # A namespace package recomputes its __path__ when sys.path changes, so an already imported
    # `ansible_collections` (amazon.aws) picks this entry up too.
    sys.path.insert(0, str(COLLECTIONS))


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    """The emulator of this pytest process (or xdist worker). Prefer ``emulator``, which resets it."""
    from emulator import Emulator

    log_file = tmp_path_factory.getbasetemp() / "emulator.log"
    with Emulator(log_file=log_file) as server:
        yield server


@pytest.fixture
def emulator(emulator_server):
    """The emulator with empty AWS state, default root state and an empty request log."""
    emulator_server.reset()
    yield emulator_server
