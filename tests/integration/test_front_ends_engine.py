"""The engine's own promises, through both front ends (the controller's action plugin and the module process):
iam_password_policy gives the same result, diff, warning and failures; a no_log value reaches neither result nor
output; a backend bug fails both the same way."""

from __future__ import annotations

import json
import sys
from importlib.util import find_spec

import pytest
from ansible import constants as C
from helpers.ansible_run import run_module

LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
# ansible-core 2.21 and later: `invocation` is in a result only when the INJECT_INVOCATION setting asks
INJECT_INVOCATION_SETTING = "INJECT_INVOCATION" in C.config.get_configuration_definitions()
# what a module process shows for a no_log option: ansible-core 2.22 masks secrets with its own placeholder
NO_LOG_PLACEHOLDER = (
    "$REDACTED$" if find_spec("ansible.module_utils.secrets") else "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
)
MODULE = "accountguard.aws.iam_password_policy"
VOLATILE = {"_rc", "_stdout", "_stderr", "start", "end", "delta", "exception", "invocation"}
STRONG = {
    "minimum_password_length": 14,
    "require_symbols": True,
    "require_numbers": True,
    "require_uppercase": True,
    "require_lowercase": True,
    "max_password_age": 90,
    "password_reuse_prevention": 24,
}


def both(emulator, args, *, check=False, diff=True, env=None):
    """The task's result and the writes it sent, through the controller and then a module process, each from
    the same fresh state (a weak custom policy)."""
    runs = []
    for setting in ("true", "false"):
        emulator.reset()
        emulator.client("iam").update_account_password_policy(MinimumPasswordLength=8)
        emulator.clear_requests()
        run_env = emulator.env() | LOCAL_PYTHON | (env or {}) | {"ACCOUNTGUARD_CONTROLLER_EXECUTION": setting}
        result = run_module(MODULE, args, check=check, diff=diff, env=run_env)
        writes = [r["action"] for r in emulator.requests(writes_only=True)]
        runs.append((result, writes))
    return runs


def comparable(result: dict) -> dict:
    return {key: value for key, value in result.items() if key not in VOLATILE}


@pytest.mark.parametrize("check", [True, False], ids=["check", "apply"])
def test_same_result_changed_diff_and_writes(emulator, check):
    (controller, c_writes), (process, p_writes) = both(emulator, STRONG, check=check)
    assert controller["changed"] is True and "diff" in controller, controller
    assert comparable(controller) == comparable(process)
    assert c_writes == p_writes == ([] if check else ["UpdateAccountPasswordPolicy"])


def test_same_warning(emulator):
    (controller, _c), (process, _p) = both(emulator, {"state": "absent", "minimum_password_length": 14}, check=True)
    assert controller["warnings"] == process["warnings"]
    assert "ignoring minimum_password_length" in controller["warnings"][0]


def test_same_failure_of_bad_input_before_any_call(emulator):
    (controller, c_writes), (process, p_writes) = both(emulator, {"minimum_password_length": 5})
    assert controller["failed"] and process["failed"]
    assert controller["msg"] == process["msg"] == "minimum_password_length must be between 6 and 128 (inclusive), got 5"
    assert c_writes == p_writes == []


def test_same_failure_of_an_unsupported_option(emulator):
    (controller, _c), (process, _p) = both(emulator, {"minimum_length": 14})
    assert controller["failed"] and process["failed"]
    assert controller["msg"] == process["msg"]
    assert controller["msg"].startswith("Unsupported parameters for (accountguard.aws.iam_password_policy) module")


@pytest.mark.parametrize("inject", [True, False], ids=["invocation injected", "default"])
def test_a_no_log_value_is_censored_in_both(emulator, inject):
    token = "NOLOG-session-token-8c1f2e"
    # ansible-core 2.21 leaves `invocation` out of results unless this setting asks; earlier releases always
    # keep it and ignore the variable. Either way both front ends agree, and the token is censored.
    env = {"ANSIBLE_INJECT_INVOCATION": str(inject)}
    runs = both(emulator, {**STRONG, "session_token": token}, check=True, env=env)
    expect_invocation = inject or not INJECT_INVOCATION_SETTING
    for result, _writes in runs:
        assert token not in json.dumps(result) and token not in result["_stdout"] + result["_stderr"]
        assert ("invocation" in result) is expect_invocation
        if expect_invocation:
            assert result["invocation"]["module_args"]["session_token"] == NO_LOG_PLACEHOLDER
    assert comparable(runs[0][0]) == comparable(runs[1][0])


def test_a_backend_bug_fails_both_the_same_way(emulator):
    # A shared source of the wrong shape is a bug of the caller that the backend does not expect.
    (controller, _c), (process, _p) = both(emulator, {**STRONG, "account_sources": {"password_policy": "not a dict"}})
    assert controller["failed"] and process["failed"]
    assert controller["msg"] == process["msg"]
    assert controller["msg"].startswith("iam_password_policy raised TypeError")
    # both keep a traceback (ansible-core shows it only when its traceback display setting asks)
    assert controller["exception"] and process["exception"]
