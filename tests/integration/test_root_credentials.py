"""accountguard.aws.root_credentials against the emulator: the live root audit of a member account through
sts:AssumeRoot, the opt-in removal, and the refusals.

Ground truth: the emulator's root state (emulator.root_state) and its request log.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

import pytest
import yaml
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.root_credentials"
MANAGEMENT = "123456789012"
TASK = "arn:aws:iam::aws:policy/root-task/"
AUDIT = TASK + "IAMAuditRootUserCredentials"
DELETE = TASK + "IAMDeleteRootUserCredentials"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
FULL = {
    "access_keys": [{"active": True, "age_days": 30, "last_used_days_ago": 2, "last_used_service": "s3"}, {}],
    "mfa": "virtual",
    "password": True,
    "password_last_used_days_ago": 40,
    "signing_certificates": [{"active": True, "age_days": 5}],
}


def organization(emulator, members: int = 2, features=("RootCredentialsManagement", "RootSessions")) -> list[str]:
    """An Organization in the default account (the management account) with member accounts."""
    org = emulator.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(members)
    ]
    if features:
        emulator.enable_root_access(features=features)
    return ids


def run(emulator, args, check=False, diff=False):
    return run_module(MODULE, args, check=check, diff=diff, env=emulator.env() | LOCAL_PYTHON)


def by_id(result):
    return {f["id"]: f for f in result["findings"]}


def assume_root_calls(emulator):
    return [c for c in emulator.requests() if c["action"] == "AssumeRoot"]


def test_audit_reads_the_live_root_state_through_an_audit_session(emulator):
    member, other = organization(emulator)
    emulator.set_root(member, **FULL)
    state = emulator.root_state(member)

    result = run(emulator, {"account_id": member})

    assert result["_rc"] == 0, result["_stdout"][-2000:]
    assert result["changed"] is False and result["removals"] == []
    found = by_id(result)
    assert found["root_access_keys"]["status"] == "fail"
    for key in state["access_keys"]:
        assert key["access_key_id"] in found["root_access_keys"]["message"]
    assert found["root_mfa"]["status"] == "pass" and "virtual" in found["root_mfa"]["message"]
    assert found["root_usage"]["status"] == "pass"
    assert found["root_access_keys"]["resource"] == f"arn:aws:iam::{member}:root"
    root = result["root"]
    assert {k["access_key_id"] for k in root["access_keys"]} == {k["access_key_id"] for k in state["access_keys"]}
    assert root["login_profile"] is True
    assert [c["certificate_id"] for c in root["signing_certificates"]] == [
        c["certificate_id"] for c in state["signing_certificates"]
    ]
    assert [d["serial_number"] for d in root["mfa_devices"]] == [state["mfa_serial"]]
    # One audit session into the member, nothing else targeted, no credential report, no write.
    sessions = assume_root_calls(emulator)
    assert [(c["task_policy_arn"], c["target_principal"], c["account_id"]) for c in sessions] == [
        (AUDIT, member, MANAGEMENT)
    ]
    calls = emulator.requests()
    assert not [c for c in calls if c["action"] in ("GetCredentialReport", "GenerateCredentialReport")]
    assert not [c for c in calls if c["write"]]
    in_session = Counter(c["action"] for c in calls if c.get("root_session") == AUDIT)
    assert in_session == Counter(
        ListAccessKeys=1,
        GetAccessKeyLastUsed=2,
        GetLoginProfile=1,
        GetUser=1,
        ListMFADevices=1,
        ListSigningCertificates=1,
    )
    assert {c["account_id"] for c in calls if c.get("root_session")} == {member}
    assert emulator.root_state(other)["access_keys"] == []


def test_a_root_without_credentials_is_compliant_in_at_most_six_calls(emulator):
    (member,) = organization(emulator, members=1)
    emulator.set_root(member, mfa="none")

    result = run(emulator, {"account_id": member})

    assert result["_rc"] == 0, result["_stdout"][-2000:]
    found = by_id(result)
    assert {cid: f["status"] for cid, f in found.items()} == dict.fromkeys(
        ("root_access_keys", "root_mfa", "root_usage"), "pass"
    )
    assert "neither possible nor needed" in found["root_mfa"]["message"]
    assert len(emulator.requests()) <= 6


def test_check_diff_names_every_credential_that_would_go_and_writes_nothing(emulator):
    (member,) = organization(emulator, members=1)
    emulator.set_root(member, **FULL)
    before = emulator.root_state(member)
    kinds = ["access_keys", "signing_certificates", "login_profile", "mfa_devices"]

    result = run(emulator, {"account_id": member, "remove": kinds}, check=True, diff=True)

    assert result["_rc"] == 0, result["_stdout"][-2000:]
    assert result["changed"] is True
    assert emulator.requests(writes_only=True) == []
    assert [c["task_policy_arn"] for c in assume_root_calls(emulator)] == [AUDIT]
    assert emulator.root_state(member) == before
    named = {(item["kind"], item["id"]) for item in result["removals"]}
    assert named == {
        *(("access_keys", k["access_key_id"]) for k in before["access_keys"]),
        *(("signing_certificates", c["certificate_id"]) for c in before["signing_certificates"]),
        ("login_profile", "console password"),
        ("mfa_devices", before["mfa_serial"]),
    }
    diff_text = result["_stdout"]
    for key in before["access_keys"]:
        assert key["access_key_id"] in diff_text
    assert before["mfa_serial"] in diff_text
    assert by_id(result)["root_access_keys"]["status"] == "fail"
    # the root session's credentials never leave the task
    (issued,) = emulator.issued_root_sessions()
    for secret in (issued["access_key_id"], issued["secret_access_key"], issued["session_token"]):
        assert secret not in result["_stdout"] and secret not in result["_stderr"]


@pytest.mark.parametrize(
    ("kinds", "gone"),
    [
        (["access_keys"], {"access_keys"}),
        (["signing_certificates", "login_profile"], {"signing_certificates", "password"}),
        (["mfa_devices"], {"mfa"}),
    ],
    ids=["keys", "certificates-and-password", "mfa"],
)
def test_removal_deletes_exactly_the_listed_kinds(emulator, kinds, gone):
    member, other = organization(emulator)
    for account in (member, other):
        emulator.set_root(account, **FULL)
    untouched = emulator.root_state(other)
    before = emulator.root_state(member)

    result = run(emulator, {"account_id": member, "remove": kinds})

    assert result["_rc"] == 0, result["_stdout"][-2000:]
    assert result["changed"] is True
    after = emulator.root_state(member)
    expected = {
        "access_keys": [] if "access_keys" in gone else before["access_keys"],
        "signing_certificates": [] if "signing_certificates" in gone else before["signing_certificates"],
        "password": False if "password" in gone else before["password"],
        "mfa": "none" if "mfa" in gone else before["mfa"],
    }
    assert {name: after[name] for name in expected} == expected
    assert emulator.root_state(other) == untouched
    policies = [c["task_policy_arn"] for c in assume_root_calls(emulator)]
    assert policies == [AUDIT, DELETE]
    assert {c["target_principal"] for c in assume_root_calls(emulator)} == {member}
    writes = emulator.requests(writes_only=True)
    assert writes and all(c.get("root_session") == DELETE and c["account_id"] == member for c in writes)
    # Idempotent: a second run removes nothing more.
    again = run(emulator, {"account_id": member, "remove": kinds})
    assert again["changed"] is False and again["removals"] == []


def test_removing_everything_makes_the_member_compliant(emulator):
    (member,) = organization(emulator, members=1)
    emulator.set_root(member, **FULL)

    kinds = ["access_keys", "signing_certificates", "login_profile", "mfa_devices"]
    result = run(emulator, {"account_id": member, "remove": kinds})

    assert result["_rc"] == 0, result["_stdout"][-2000:]
    assert result["compliant"] is True
    state = emulator.root_state(member)
    held = (state["access_keys"], state["signing_certificates"], state["password"], state["mfa"])
    assert held == ([], [], False, "none")
    # The virtual device is deleted as well, not only deactivated.
    devices = emulator.client("iam", member).list_virtual_mfa_devices()["VirtualMFADevices"]
    assert devices == []


@pytest.mark.parametrize(
    ("arrange", "cause"),
    [
        ("features_off", "RootSessions"),
        ("management_target", "management account"),
        ("member_caller", "AccessDenied"),
    ],
)
def test_a_refused_session_fails_with_its_cause(emulator, arrange, cause):
    features = () if arrange == "features_off" else ("RootCredentialsManagement", "RootSessions")
    member, other = organization(emulator, features=features)
    target = MANAGEMENT if arrange == "management_target" else member
    env = emulator.env(other if arrange == "member_caller" else None) | LOCAL_PYTHON

    result = run_module(MODULE, {"account_id": target, "remove": ["access_keys"]}, env=env)

    assert result.get("failed") is True
    assert "sts:AssumeRoot" in result["msg"] and "AccessDenied" in result["msg"]
    assert cause in result["msg"]
    assert target in result["msg"]
    assert emulator.requests(writes_only=True) == []


def test_features_read_says_on_or_why_off(emulator):
    missing = run(emulator, {})
    assert missing["_rc"] == 0, missing["_stdout"][-2000:]
    assert missing["features"]["root_sessions"] is False and missing["features"]["error"]

    organization(emulator, members=1)
    found = run(emulator, {})
    assert found["features"]["root_sessions"] is True
    assert found["features"]["management_account_id"] == MANAGEMENT
    assert found["features"]["error"] is None
    assert emulator.requests(writes_only=True) == []


def test_bad_input_fails_before_any_call(emulator):
    result = run(emulator, {"account_id": "12345", "remove": ["access_keys"]})
    assert result.get("failed") is True and "12-digit" in result["msg"]
    bad_kind = run(emulator, {"account_id": "210987654321", "remove": ["passwords"]})
    assert bad_kind.get("failed") is True and "passwords" in bad_kind["msg"]
    assert emulator.requests() == []


# --- both front ends -------------------------------------------------------------------------------------------

FRONT_ENDS = {"controller": {}, "module": {"ACCOUNTGUARD_CONTROLLER_EXECUTION": "false"}}
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
VOLATILE = {"exception", "response_metadata", "credential_cache_dir"}


def comparable(value, ids: dict):
    if isinstance(value, dict):
        return {k: comparable(v, ids) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [comparable(v, ids) for v in value]
    if isinstance(value, str):
        for real, placeholder in ids.items():
            value = value.replace(real, placeholder)
        return ISO_TIME.sub("<time>", value)
    return value


def run_front_end(emulator, tmp_path, front_end: str):
    emulator.reset()
    (member,) = organization(emulator, members=1)
    emulator.set_root(member, **FULL)
    held = emulator.root_state(member)
    ids = {k["access_key_id"]: f"<key{i}>" for i, k in enumerate(held["access_keys"])}
    ids.update({c["certificate_id"]: f"<cert{i}>" for i, c in enumerate(held["signing_certificates"])})
    ids[emulator.client("organizations").describe_organization()["Organization"]["Id"]] = "<org>"
    tasks = [
        {"name": "predicted", MODULE: {"account_id": member, "remove": ["access_keys"]}, "check_mode": True},
        {"name": "removed", MODULE: {"account_id": member, "remove": ["access_keys", "signing_certificates"]}},
        {"name": "features", MODULE: {}},
        {"name": "refused", MODULE: {"account_id": MANAGEMENT}, "ignore_errors": True},
        {"name": "bad input", MODULE: {"account_id": "12345", "remove": ["access_keys"]}, "ignore_errors": True},
    ]
    path = tmp_path / f"{front_end}.yml"
    path.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}])
    )
    env = emulator.env() | LOCAL_PYTHON | FRONT_ENDS[front_end]
    results = run_playbook(path, diff=True, env=env).task_results()
    after = emulator.root_state(member)
    writes = [(c["action"], c.get("root_session")) for c in emulator.requests(writes_only=True)]
    return comparable(results, ids), after, writes


def test_front_ends_agree(emulator, tmp_path):
    controller = run_front_end(emulator, tmp_path, "controller")
    module = run_front_end(emulator, tmp_path, "module")

    for results, after, writes in (controller, module):
        by_name = {r["_task"]: r for r in results}
        assert by_name["predicted"]["changed"] is True and by_name["predicted"]["removals"][0]["id"] == "<key0>"
        assert by_name["removed"]["changed"] is True
        assert by_name["features"]["features"]["root_sessions"] is True
        assert by_name["refused"]["failed"] is True and "AccessDenied" in by_name["refused"]["msg"]
        assert by_name["bad input"]["failed"] is True and "12-digit" in by_name["bad input"]["msg"]
        assert (after["access_keys"], after["signing_certificates"], after["password"]) == ([], [], True)
        assert sorted(writes) == sorted(
            [("DeleteAccessKey", DELETE), ("DeleteAccessKey", DELETE), ("DeleteSigningCertificate", DELETE)]
        )
    assert controller[0] == module[0]
