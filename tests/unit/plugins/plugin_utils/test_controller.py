"""Pure parts of the controller front end (plugins/plugin_utils/_controller.py): when a task keeps the module
process, how the option is read, what is censored, and how an AWS error becomes a failure."""

from __future__ import annotations

import os
import sys

import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError

from ansible_collections.accountguard.aws.plugins.plugin_utils import _controller as controller

ON_CONTROLLER = {
    "setting": True,
    "transport": "local",
    "async_val": 0,
    "become": False,
    "interpreter": None,
    "libraries": True,
}
OTHER_PYTHON = "/opt/other/python3"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"interpreter": sys.executable}, None),
        ({"setting": False}, "accountguard_controller_execution is off"),
        ({"transport": "ssh"}, "connection 'ssh' is not local"),
        ({"async_val": 30}, "the task is async"),
        ({"become": True}, "the task uses become"),
        ({"libraries": False}, "boto3/botocore are not importable on the controller"),
        ({"interpreter": OTHER_PYTHON}, f"ansible_python_interpreter {OTHER_PYTHON} is not the controller's Python"),
    ],
)
def test_module_process_reason(change, reason):
    assert controller.module_process_reason(**{**ON_CONTROLLER, **change}) == reason


@pytest.mark.parametrize(
    ("task_vars", "env", "ini", "expected"),
    [
        ({}, None, None, True),
        ({}, "false", None, False),
        ({}, None, "no", False),
        ({}, "true", "no", True),  # the environment wins over ansible.cfg
        ({"accountguard_controller_execution": True}, "false", None, True),  # a variable wins over both
        ({"accountguard_controller_execution": "off"}, None, None, False),
        ({"accountguard_direct_execution": False}, None, None, False),  # the earlier releases' variable
    ],
)
def test_controller_execution_setting_precedence(monkeypatch, tmp_path, task_vars, env, ini, expected):
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(f"[accountguard]\ncontroller_execution = {ini}\n" if ini else "[defaults]\n")
    monkeypatch.setattr(controller.C, "CONFIG_FILE", str(cfg))
    if env is None:
        monkeypatch.delenv(controller.OPTION_ENV, raising=False)
    else:
        monkeypatch.setenv(controller.OPTION_ENV, env)
    assert controller.controller_execution_setting(task_vars) is expected


def test_no_log_values_walk_suboptions():
    spec = {
        "secret_key": {"no_log": True},
        "profile": {},
        "users": {"type": "list", "options": {"name": {}, "initial_password": {"no_log": True}}},
        "guard": {"type": "dict", "options": {"token": {"no_log": True}}},
    }
    params = {
        "secret_key": "S3CRET",
        "profile": "p",
        "users": [{"name": "alice", "initial_password": "pw-alice"}, {"name": "bob", "initial_password": None}],
        "guard": {"token": "tok"},
    }
    assert controller.no_log_values(spec, params) == {"S3CRET", "pw-alice", "tok"}


def test_aws_failure_carries_code_and_message_like_fail_json_aws():
    cause = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not allowed"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
        "GetAccountSummary",
    )
    failure = controller.aws_failure(AnsibleIAMError(message="Failed to get the account summary", exception=cause))
    assert failure["failed"] is True
    assert failure["msg"].startswith("Failed to get the account summary: An error occurred (AccessDenied)")
    assert failure["error"] == {"code": "AccessDenied", "message": "not allowed"}
    assert failure["response_metadata"]["http_status_code"] == 403
    assert "botocore_version" in failure
    assert "ClientError" in failure["exception"]


def test_aws_failure_without_cause_is_the_message():
    assert controller.aws_failure(AnsibleIAMError(message="plain")) == {"failed": True, "msg": "plain"}


def test_task_environment_is_restored():
    before = dict(os.environ)
    with controller._task_environment({"ACCOUNTGUARD_TEST_VAR": 1}):
        assert os.environ["ACCOUNTGUARD_TEST_VAR"] == "1"
    assert dict(os.environ) == before
