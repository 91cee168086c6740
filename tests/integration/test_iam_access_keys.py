"""accountguard.aws.iam_access_keys against the local AWS emulator (back-dated keys)."""

from __future__ import annotations

import sys
from collections import Counter

import pytest
import yaml
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.iam_access_keys"
ACCOUNT = "123456789012"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}


def run(emulator, check=False, **args):
    return run_module(MODULE, args, check=check, env=emulator.env() | LOCAL_PYTHON)


def statuses(iam, user):
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


@pytest.fixture
def keys(emulator):
    """Users whose keys break each rule once, plus a compliant one; returns {user: [key ids]}."""
    iam = emulator.client("iam")
    # user -> [(created_days_ago, last_used_days_ago)] per key
    layout = {
        "fresh": [(10, 1)],
        "old": [(120, 1)],
        "idle": [(60, 50)],
        "never-used": [(50, None)],
        "two-keys": [(5, 1), (3, 1)],
        "inactive-old": [(400, None)],
    }
    ids = {}
    for user, specs in layout.items():
        iam.create_user(UserName=user)
        ids[user] = []
        for created, used in specs:
            key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
            emulator.backdate_access_key(
                ACCOUNT,
                user,
                key_id,
                created_days_ago=created,
                last_used_days_ago=used,
                last_used_service="s3" if used is not None else None,
            )
            ids[user].append(key_id)
    iam.update_access_key(UserName="inactive-old", AccessKeyId=ids["inactive-old"][0], Status="Inactive")
    emulator.clear_requests()
    return ids


def fails(result):
    return sorted((f["resource"].rsplit("/", 1)[-1], f["message"]) for f in result["findings"] if f["status"] == "fail")


def slots(result, user):
    return [k["key_slot"] for k in result["access_keys"] if k["user_name"] == user]


def test_findings_check_mode_deactivation_and_idempotence(emulator, keys):
    iam = emulator.client("iam")
    predicted = run(emulator, check=True, deactivate_stale=True)
    assert predicted["_rc"] == 0, predicted.get("msg")
    # Nothing written under --check, and the keys are untouched.
    assert emulator.requests(writes_only=True) == []
    assert set(statuses(iam, "old").values()) == {"Active"}
    assert predicted["changed"] is True
    assert predicted["compliant"] is False

    by_user = {}
    for key in predicted["access_keys"]:
        by_user.setdefault(key["user_name"], []).append(key)
    # Under --check no key is looked up: every key is named by user and report slot, none by id.
    assert {k["access_key_id"] for k in predicted["access_keys"]} == {None}
    assert slots(predicted, "two-keys") == [1, 2]
    assert by_user["fresh"][0]["stale_reasons"] == []
    assert by_user["old"][0]["stale_reasons"] == ["too_old"]
    assert by_user["old"][0]["age_days"] == 120
    assert by_user["idle"][0]["stale_reasons"] == ["unused"]
    # Never used: counts from creation (Prowler would pass it).
    assert by_user["never-used"][0]["stale_reasons"] == ["unused"]
    assert by_user["never-used"][0]["last_used_date"] is None
    assert [k["stale_reasons"] for k in by_user["two-keys"]] == [["too_many_active_keys"]] * 2
    assert by_user["inactive-old"][0]["stale_reasons"] == []

    failing = fails(predicted)
    assert [user for user, _message in failing] == ["idle", "never-used", "old", "two-keys", "two-keys"]
    assert ("old", "access key 1 of old is 120 days old (max 90)") in failing
    cis = {f["resource"].rsplit("/", 1)[-1]: f["cis"] for f in predicted["findings"] if f["status"] == "fail"}
    assert cis["old"] == [
        "cis-aws-3.0:1.14",
        "cis-aws-4.0.1:1.14",
        "cis-aws-5.0:1.13",
        "cis-aws-6.0:2.13",
        "cis-aws-7.0:2.12",
    ]
    assert cis["idle"] == [
        "cis-aws-3.0:1.12",
        "cis-aws-4.0.1:1.12",
        "cis-aws-5.0:1.11",
        "cis-aws-6.0:2.11",
        "cis-aws-7.0:2.11",
    ]
    passing = [f["resource"].rsplit("/", 1)[-1] for f in predicted["findings"] if f["status"] == "pass"]
    assert sorted(passing) == ["fresh", "inactive-old"]
    assert sorted((d["user_name"], d["key_slot"], d["access_key_id"]) for d in predicted["deactivated"]) == [
        ("idle", 1, None),
        ("never-used", 1, None),
        ("old", 1, None),
    ]
    # The credential report answers everything under --check: no call per user.
    calls = [r["action"] for r in emulator.requests() if r["service"] == "iam"]
    assert "ListAccessKeys" not in calls
    assert "GetCredentialReport" in calls

    emulator.clear_requests()
    applied = run(emulator, deactivate_stale=True)
    assert applied["_rc"] == 0, applied.get("msg")
    assert applied["changed"] is True
    # Keys are listed for the users with a key to deactivate only; two-keys has none (the spare is the owner's call).
    listed = Counter(r["action"] for r in emulator.requests())["ListAccessKeys"]
    assert listed == 3
    writes = emulator.requests(writes_only=True)
    assert sorted(w["action"] for w in writes) == ["UpdateAccessKey"] * 3
    assert sorted((d["user_name"], d["access_key_id"]) for d in applied["deactivated"]) == sorted(
        (user, keys[user][0]) for user in ("idle", "never-used", "old")
    )
    for user in ("old", "idle", "never-used"):
        assert set(statuses(iam, user).values()) == {"Inactive"}  # deactivated, never deleted
    assert set(statuses(iam, "two-keys").values()) == {"Active"}
    assert set(statuses(iam, "fresh").values()) == {"Active"}
    assert [user for user, _message in fails(applied)] == ["two-keys", "two-keys"]

    emulator.clear_requests()
    again = run(emulator, deactivate_stale=True)
    assert again["_rc"] == 0, again.get("msg")
    assert again["changed"] is False
    assert again["deactivated"] == []
    assert emulator.requests(writes_only=True) == []


def test_a_stale_report_is_reported_as_it_is_and_live_status_wins_when_deactivating(emulator, keys):
    """AWS serves a credential report up to four hours old: a check says what it shows (documented), and a
    deactivating run lists the keys it acts on, so a key deactivated since the report is left alone."""
    iam = emulator.client("iam")
    emulator.freeze_credential_report(ACCOUNT, hours_ago=2)
    iam.update_access_key(UserName="old", AccessKeyId=keys["old"][0], Status="Inactive")
    emulator.clear_requests()

    checked = run(emulator, check=True, deactivate_stale=True)
    assert checked["_rc"] == 0, checked.get("msg")
    assert "old" in [user for user, _message in fails(checked)]
    assert checked["credential_report"]["generated_time"]

    emulator.clear_requests()
    applied = run(emulator, deactivate_stale=True)
    assert applied["_rc"] == 0, applied.get("msg")
    assert sorted(d["user_name"] for d in applied["deactivated"]) == ["idle", "never-used"]
    updated = [w for w in emulator.requests(writes_only=True) if w["action"] == "UpdateAccessKey"]
    assert len(updated) == 2
    assert "old" not in [user for user, _message in fails(applied)]
    assert set(statuses(iam, "old").values()) == {"Inactive"}


def offenders(prefix, count):
    """Unmanaged users whose keys break each rule: too old, unused, two active keys (cycling)."""
    layouts = [
        [{"created_days_ago": 200, "last_used_days_ago": 1, "last_used_service": "s3"}],
        [{"created_days_ago": 60, "last_used_days_ago": 50, "last_used_service": "s3"}],
        [{"created_days_ago": 5, "last_used_days_ago": 1}, {"created_days_ago": 3, "last_used_days_ago": 1}],
    ]
    return [{"name": f"{prefix}{i:03d}", "access_keys": layouts[i % len(layouts)]} for i in range(count)]


def test_api_calls_do_not_grow_with_offending_users(emulator):
    """Issue 6: a check costs the same calls for 5 or 50 users with offending keys (no call per user)."""
    counts = {}
    # 5 offenders, then 45 more in the same account: 50.
    for total, added in ((5, offenders("a", 5)), (50, offenders("b", 45))):
        emulator.create_users(ACCOUNT, added)
        for check, args in ((True, {"deactivate_stale": True}), (False, {})):
            emulator.clear_requests()
            result = run(emulator, check=check, **args)
            assert result["_rc"] == 0, result.get("msg")
            assert len({user for user, _message in fails(result)}) == total
            assert emulator.requests(writes_only=True) == []
            calls = Counter(r["action"] for r in emulator.requests())
            # Polling for the report depends on whether AWS has a fresh one (the account's first run polls
            # twice), not on users.
            assert 1 <= calls.pop("GenerateCredentialReport") <= 2
            counts[total, check] = calls
    for check in (True, False):
        assert counts[5, check] == counts[50, check], check
        assert "ListAccessKeys" not in counts[50, check]


def test_users_filter_limits_and_fail_on_noncompliance(emulator, keys):
    result = run(emulator, users=["OLD", "fresh", "ghost"], max_age_days=100, fail_on_noncompliance=True)
    assert result["_rc"] != 0
    assert result["failed"] is True
    assert "Not compliant" in result["msg"] and "old is 120 days old (max 100)" in result["msg"]
    assert sorted(k["user_name"] for k in result["access_keys"]) == ["fresh", "old"]
    assert "ghost" in " ".join(result.get("warnings", []))
    assert emulator.requests(writes_only=True) == []


BAD_INPUT = [
    ({"max_age_days": 0}, "max_age_days must be between 1 and 3650"),
    ({"max_active_keys": 3, "max_unused_days": -1}, "max_unused_days must be between 1 and 3650"),
    ({"max_active_keys": 3}, "max_active_keys must be between 0 and 2"),
]


def test_bad_input_fails_before_any_request(emulator, tmp_path):
    # One playbook, one task per case (ignore_errors so every case runs): one ansible start instead of three.
    tasks = [{"name": f"case {i}", MODULE: case[0], "ignore_errors": True} for i, case in enumerate(BAD_INPUT)]
    playbook = tmp_path / "bad.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]),
        encoding="utf-8",
    )
    emulator.clear_requests()
    results = run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON).task_results()
    assert len(results) == len(BAD_INPUT)
    for result, (_args, fragment) in zip(results, BAD_INPUT, strict=True):
        assert result.get("failed") is True, result
        assert fragment in result["msg"]
    assert emulator.requests() == []
