"""Pure parts of plugins/plugin_utils/_direct_execution.py: which module an action stands for, when a task
must keep the module process, and that a run in the worker leaves no global state behind."""

from __future__ import annotations

import os
import sys

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.accountguard.aws.plugins.plugin_utils import _direct_execution as direct


@pytest.mark.parametrize(
    ("action", "module"),
    [
        (
            "ansible_collections.accountguard.aws.plugins.action.iam_users",
            "ansible_collections.accountguard.aws.plugins.modules.iam_users",
        ),
        ("ansible_collections.other.coll.plugins.action.x", "ansible_collections.other.coll.plugins.modules.x"),
        ("ansible.plugins.action.normal", None),
        ("ansible_collections.accountguard.aws.plugins.action.", None),
        ("some_module", None),
    ],
)
def test_module_import_name(action, module):
    assert direct.module_import_name(action) == module


ELIGIBLE = {"transport": "local", "async_val": 0, "become": False, "switch": True, "libraries_found": True}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"switch": False}, "accountguard_direct_execution is false"),
        ({"transport": "ssh"}, "connection 'ssh' is not local"),
        ({"async_val": 30}, "the task is async"),
        ({"become": True}, "the task uses become"),
        ({"libraries_found": False}, "boto3/botocore are not importable on the controller"),
    ],
)
def test_ineligibility(change, reason):
    assert direct.ineligibility(**(ELIGIBLE | change)) == reason


def _process_globals():
    return basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, dict(os.environ), os.getcwd(), sys.stdout, sys.stderr


def test_module_state_is_given_and_taken_back(tmp_path):
    before = _process_globals()
    module_warnings.warn("a warning of the controller's own")
    controller_warnings = dict(module_warnings._global_warnings)

    with direct._module_process_state(b'{"ANSIBLE_MODULE_ARGS": {}}') as (stdout, stderr):
        assert (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE) == (b'{"ANSIBLE_MODULE_ARGS": {}}', "legacy")
        assert module_warnings._global_warnings == {}  # a module starts with no warnings, as in its own process
        module_warnings.warn("a warning of the module")
        os.environ["ACCOUNTGUARD_TEST_LEAK"] = "1"
        os.chdir(tmp_path)
        print("module output")
        print("a library's warning", file=sys.stderr)

    assert stdout.getvalue() == "module output\n"
    assert stderr.getvalue().endswith("a library's warning\n")
    assert _process_globals() == before
    assert module_warnings._global_warnings == controller_warnings
    module_warnings._global_warnings.clear()


def _loader_of_new_session():
    import boto3

    return boto3.session.Session(region_name="us-east-1")._session.get_component("data_loader")


def test_sessions_share_the_warm_loader_only_while_a_module_runs(monkeypatch):
    assert direct._SHARED_LOADER is not None, "the IAM and STS models could not be loaded"
    paths = list(direct._SHARED_LOADER.search_paths)
    with direct._shared_botocore_loader():
        assert _loader_of_new_session() is direct._SHARED_LOADER
        assert _loader_of_new_session() is direct._SHARED_LOADER
        # AWS_DATA_PATH (a user's own models) keeps its own loader
        monkeypatch.setenv("AWS_DATA_PATH", "/nonexistent")
        assert _loader_of_new_session() is not direct._SHARED_LOADER
    monkeypatch.delenv("AWS_DATA_PATH")
    assert _loader_of_new_session() is not direct._SHARED_LOADER
    assert direct._SHARED_LOADER.search_paths == paths
