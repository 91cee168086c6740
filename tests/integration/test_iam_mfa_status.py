"""accountguard.aws.iam_mfa_status against the local AWS emulator.

Users get real MFA devices in the emulator: a virtual device (CreateVirtualMFADevice + EnableMFADevice),
a hardware token (EnableMFADevice with a token serial) and a FIDO key (a u2f ARN serial). The API-call
budget is read from the emulator's request log.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest
import yaml
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.iam_mfa_status"
ACCOUNT = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
CODES = {"AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}

# name: (console password, MFA kind)
PEOPLE = {
    "alice": (True, "virtual"),
    "bob": (True, None),
    "carol": (True, "hardware"),
    "dave": (False, None),
    "erin": (False, "fido"),
}


def run(emulator, args=None, check=True):
    return run_module(MODULE, args or {}, check=check, env=emulator.env() | LOCAL_PYTHON)


def add_user(iam, name, console, mfa):
    iam.create_user(UserName=name)
    if console:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    if mfa == "virtual":
        # the device name says nothing about its owner or type: ownership and type come from the API
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-u2f-yubikey")["VirtualMFADevice"][
            "SerialNumber"
        ]
    elif mfa == "hardware":
        serial = f"GAHT-{name.upper()}-0001"
    elif mfa == "fido":
        serial = f"arn:aws:iam::{ACCOUNT}:u2f/user/{name}/securitykey-ABCDEFGHIJKLMNOP"
    else:
        return
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, **CODES)


@pytest.fixture
def people(emulator):
    iam = emulator.client("iam")
    for name, (console, mfa) in PEOPLE.items():
        add_user(iam, name, console, mfa)
    emulator.set_root(ACCOUNT, mfa="virtual")
    emulator.clear_requests()
    return iam


def by_name(result):
    return {user["user_name"]: user for user in result["users"]}


def test_console_users_with_and_without_mfa(emulator, people):
    result = run(emulator)
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert result["compliant"] is False
    assert result["users_without_mfa"] == ["bob"]

    users = by_name(result)
    assert sorted(users) == sorted(PEOPLE)
    for name, (console, mfa) in PEOPLE.items():
        assert users[name]["console_access"] is console, name
        assert users[name]["mfa_active"] is (mfa is not None), name
        assert [d["type"] for d in users[name]["mfa_devices"]] == ([mfa] if mfa else []), name
        assert users[name]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"

    # console users are in scope; dave (no console, no MFA) is not a finding
    user_findings = {f["resource"].rsplit("/", 1)[1]: f["status"] for f in result["findings"] if f["id"] == "user_mfa"}
    assert user_findings == {"alice": "pass", "bob": "fail", "carol": "pass"}
    assert result["root"] == {"mfa_enabled": True, "mfa_type": "virtual"}
    assert result["summary"]["users"] == 5
    assert result["summary"]["console_users"] == 3
    assert result["summary"]["users_without_mfa"] == 1
    assert (
        result["summary"]["virtual_mfa_devices"],
        result["summary"]["hardware_mfa_devices"],
        result["summary"]["fido_mfa_devices"],
    ) == (1, 1, 1)

    calls = Counter(r["action"] for r in emulator.requests())
    # one call per user with non-virtual MFA (carol, erin), none for anyone else
    assert calls["ListMFADevices"] == 2
    assert calls["GetLoginProfile"] == 0
    assert sum(calls.values()) - calls["GenerateCredentialReport"] <= 8
    assert result["summary"]["per_user_calls"] == 2
    assert emulator.requests(writes_only=True) == []


def test_all_users_and_the_users_filter(emulator, people):
    result = run(emulator, {"require_mfa_for": "all_users", "users": ["bob", "dave", "erin", "zed"]})
    assert result["users_without_mfa"] == ["bob", "dave"]
    assert sorted(by_name(result)) == ["bob", "dave", "erin"]
    assert result["summary"]["users_not_found"] == ["zed"]
    assert any("zed" in w for w in result.get("warnings", []))
    calls = Counter(r["action"] for r in emulator.requests())
    assert calls["ListMFADevices"] == 1  # erin only; the filter keeps carol out


def test_lookup_devices_for_limits_the_calls_per_user(emulator, people):
    result = run(emulator, {"lookup_devices_for": ["CAROL", "alice"]})
    assert result["_rc"] == 0, result.get("msg")
    users = by_name(result)
    assert [d["type"] for d in users["carol"]["mfa_devices"]] == ["hardware"]
    # erin's FIDO key is not listed: MFA, not virtual, type unknown; she is not in the device counts.
    assert users["erin"]["mfa_active"] is True
    assert users["erin"]["mfa_devices"] == [{"serial_number": None, "type": "unknown"}]
    assert result["summary"]["users_with_unlisted_mfa"] == 1
    assert result["summary"]["fido_mfa_devices"] == 0
    assert result["summary"]["per_user_calls"] == 1
    assert Counter(r["action"] for r in emulator.requests())["ListMFADevices"] == 1
    # Compliance does not depend on the device type.
    assert result["users_without_mfa"] == ["bob"]


def test_api_calls_do_not_grow_with_unmanaged_hardware_mfa_users(emulator):
    """Issue 6: 5 or 50 users with hardware MFA that are not named cost the same calls."""
    emulator.set_root(ACCOUNT, mfa="hardware")
    counts = {}
    for total, prefix, added in ((5, "a", 5), (50, "b", 45)):
        emulator.create_users(
            ACCOUNT, [{"name": f"{prefix}{i:03d}", "console": True, "mfa": "hardware"} for i in range(added)]
        )
        emulator.clear_requests()
        result = run(emulator, {"lookup_devices_for": ["a000"], "require_hardware_mfa_for_root": True})
        assert result["_rc"] == 0, result.get("msg")
        assert result["compliant"] is True
        assert result["root"] == {"mfa_enabled": True, "mfa_type": "hardware"}
        assert result["summary"]["users_with_mfa"] == total
        assert result["summary"]["users_with_unlisted_mfa"] == total - 1
        calls = Counter(r["action"] for r in emulator.requests())
        # Polling for the report depends on whether AWS has a fresh one, not on users.
        assert 1 <= calls.pop("GenerateCredentialReport") <= 2
        counts[total] = calls
    assert counts[5] == counts[50]
    assert counts[50]["ListMFADevices"] == 1


def test_an_empty_users_list_checks_no_user_and_adds_no_user_finding(emulator, people):
    result = run(emulator, {"users": []})
    assert result["users"] == [] and result["users_without_mfa"] == []
    # only root is judged: no user_mfa pass that --tags root_mfa could mistake for a checked control
    assert [f["id"] for f in result["findings"]] == ["root_mfa"]
    assert result["findings"][0]["status"] == "pass"


@pytest.mark.parametrize(
    ("mfa", "require_hardware", "mfa_type", "status"),
    [("none", False, "none", "fail"), ("virtual", True, "virtual", "fail"), ("hardware", True, "hardware", "pass")],
)
def test_root_mfa(emulator, mfa, require_hardware, mfa_type, status):
    emulator.set_root(ACCOUNT, mfa=mfa)
    result = run(emulator, {"require_hardware_mfa_for_root": require_hardware})
    assert result["root"] == {"mfa_enabled": mfa != "none", "mfa_type": mfa_type}
    root_finding = next(f for f in result["findings"] if f["id"] == "root_mfa")
    assert root_finding["status"] == status
    assert root_finding["resource"] == ROOT_ARN
    # no users at all: one account-level pass for user_mfa
    assert [f["status"] for f in result["findings"] if f["id"] == "user_mfa"] == ["pass"]
    assert result["compliant"] is (status == "pass")


def test_without_root_and_fail_on_noncompliance(emulator, people):
    result = run(emulator, {"include_root": False, "fail_on_noncompliance": True}, check=False)
    assert result["failed"] is True
    assert "bob has no MFA" in result["msg"]
    assert result["root"] is None
    assert all(f["id"] == "user_mfa" for f in result["findings"])
    assert "GetAccountSummary" not in {r["action"] for r in emulator.requests()}


BAD_INPUTS = [
    ({"require_mfa_for": "everyone"}, "require_mfa_for"),
    ({"report_max_wait": 0}, "report_max_wait must be between 1 and 900"),
    ({"users": ["alice", ""]}, "users must be a list of non-empty IAM user names"),
    ({"lookup_devices_for": [" "]}, "lookup_devices_for must be a list of non-empty IAM user names"),
    ({"include_root": "maybe"}, "include_root"),
]


def test_bad_input_fails_before_any_api_call(emulator, tmp_path):
    tasks = [{"name": f"bad {i}", MODULE: args, "ignore_errors": True} for i, (args, _message) in enumerate(BAD_INPUTS)]
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
    playbook = tmp_path / "bad_inputs.yml"
    playbook.write_text(yaml.safe_dump([play]))
    outcomes = run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON).task_results()
    assert len(outcomes) == len(BAD_INPUTS)
    for outcome, (args, message) in zip(outcomes, BAD_INPUTS, strict=True):
        assert outcome.get("failed") is True, args
        assert message in outcome["msg"], (args, outcome["msg"])
    assert emulator.requests() == []
