"""Shared pytest fixtures: the local AWS emulator (tests/emulator/README.md).

One emulator server per pytest process (so one per pytest-xdist worker), started on first use and stopped
at the end of the session; the function-scoped ``emulator`` fixture resets all of its state before each test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))


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
