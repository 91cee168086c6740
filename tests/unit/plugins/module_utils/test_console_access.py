"""console_access_unused and initial_access_keys over credential-report rows (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _console_access as ca
from ansible_collections.accountguard.aws.plugins.module_utils._credential_report import parse_credential_report

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date"
)


def ago(days):
    return None if days is None else NOW - timedelta(days=days)


def cell(days, empty="N/A"):
    return empty if days is None else ago(days).isoformat()


def csv_row(user, password, used=None, changed=None, created=400, k1=None, k2=None, used_empty="N/A"):
    """One report line; password: "true"/"false"/"not_supported"; k1/k2 = (active, rotated_days, used_days)."""
    keys = []
    for spec in (k1, k2):
        if spec is None:
            keys += ["false", "N/A", "N/A"]
        else:
            active, rotated, key_used = spec
            keys += ["true" if active else "false", cell(rotated), cell(key_used)]
    fields = [user, f"arn:aws:iam::123456789012:user/{user}", cell(created), password, cell(used, used_empty)]
    fields += [cell(changed), "N/A", "false", *keys]
    return ",".join(fields)


def rows(*lines):
    return parse_credential_report("\n".join([HEADER, *lines]) + "\n")


def verdict(line, max_unused=45):
    found = ca.console_users(rows(line), NOW, max_unused)
    return [(e["unused"], e["unused_days"], e["unused_since"]) for e in found]


CONSOLE = [
    pytest.param(csv_row("a", "true", used=1, changed=300), [(False, 1, "last_used")], id="used-yesterday"),
    pytest.param(csv_row("a", "true", used=44, changed=300), [(False, 44, "last_used")], id="44-days-passes"),
    pytest.param(csv_row("a", "true", used=45, changed=300), [(True, 45, "last_used")], id="exactly-45-days-fails"),
    pytest.param(csv_row("a", "true", used=90, changed=10), [(True, 90, "last_used")], id="last-use-wins-over-reset"),
    pytest.param(
        csv_row("a", "true", used=None, changed=44), [(False, 44, "password_last_changed")], id="never-used-young"
    ),
    pytest.param(
        csv_row("a", "true", used=None, changed=45, created=900),
        [(True, 45, "password_last_changed")],
        id="never-used-counts-from-password-set-not-user-creation",
    ),
    pytest.param(
        csv_row("a", "true", used=None, changed=10, created=900),
        [(False, 10, "password_last_changed")],
        id="old-user-new-password",
    ),
    pytest.param(
        csv_row("a", "true", used=None, changed=60, used_empty="no_information"),
        [(True, 60, "password_last_changed")],
        id="no-information-counts-from-password-set",
    ),
    pytest.param(
        csv_row("a", "true", used=None, changed=None, created=50),
        [(True, 50, "user_creation_time")],
        id="no-password-date-falls-back-to-creation",
    ),
    pytest.param(
        csv_row("a", "true", used=None, changed=None, created=None), [(False, None, None)], id="no-date-at-all"
    ),
    pytest.param(csv_row("a", "false", used=200, changed=200), [], id="no-password-not-checked"),
    pytest.param(csv_row("a", "not_supported", used=200), [], id="not-supported-is-not-a-password"),
    pytest.param(csv_row("<root_account>", "true", used=300), [], id="root-row-skipped"),
]


@pytest.mark.parametrize(("line", "expected"), CONSOLE)
def test_console_password_unused(line, expected):
    assert verdict(line) == expected


def test_threshold_and_users_filter():
    report = rows(csv_row("Alice", "true", used=20), csv_row("bob", "true", used=100))
    assert [e["unused"] for e in ca.console_users(report, NOW, 10)] == [True, True]
    assert [e["user_name"] for e in ca.console_users(report, NOW, 45, users=["alice"])] == ["Alice"]
    assert ca.console_users(report, NOW, 45, users=[]) == []


REMOVABLE = [
    pytest.param([], ["alice", "bob"], id="nothing-kept"),
    pytest.param(["ALICE"], ["bob"], id="kept-case-insensitively"),
    pytest.param(["alice", "bob"], [], id="all-kept"),
    pytest.param(None, ["alice", "bob"], id="keep-unset"),
]


@pytest.mark.parametrize(("keep", "expected"), REMOVABLE)
def test_removable_never_names_kept_or_used_users(keep, expected):
    report = rows(
        csv_row("alice", "true", used=60), csv_row("bob", "true", used=None, changed=50), csv_row("carol", "true", 3)
    )
    entries = ca.console_users(report, NOW, 45)
    assert [e["user_name"] for e in ca.removable(entries, keep)] == expected


LIVE = [
    pytest.param(60, None, True, id="no-live-sign-in"),
    pytest.param(60, 60, True, id="same-as-report"),
    pytest.param(60, 2, False, id="signed-in-since-the-report"),
    pytest.param(None, 50, True, id="never-used-in-report-old-live-use"),
    pytest.param(None, 1, False, id="never-used-in-report-signed-in-since"),
    pytest.param(60, 45, True, id="live-use-still-45-days-old"),
]


@pytest.mark.parametrize(("report_used", "live_used", "expected"), LIVE)
def test_live_sign_in_only_spares(report_used, live_used, expected):
    entry = ca.console_users(rows(csv_row("a", "true", used=report_used, changed=100)), NOW, 45)[0]
    assert entry["unused"] is True
    assert ca.still_unused(entry, ago(live_used), NOW, 45) is expected


def test_console_messages():
    entries = ca.console_users(
        rows(
            csv_row("a", "true", used=50),
            csv_row("b", "true", used=None, changed=60),
            csv_row("c", "true", used=None, changed=None, created=70),
            csv_row("d", "true", used=3),
        ),
        NOW,
        45,
    )
    assert [ca.describe_console(e, 45) for e in entries] == [
        "a last signed in to the console 50 days ago (max 45)",
        "b never signed in with the console password set 60 days ago (max 45)",
        "c never signed in with the console password of a user created 70 days ago (max 45)",
        "d last signed in to the console 3 days ago (within 45)",
    ]


INITIAL = [
    pytest.param(csv_row("a", "true", used=1, k1=(True, 10, None)), [1], id="console-user-never-used-key"),
    pytest.param(csv_row("a", "true", used=1, k1=(True, 10, 2)), [], id="used-key"),
    pytest.param(csv_row("a", "true", used=1, k1=(False, 10, None)), [], id="inactive-never-used-key"),
    pytest.param(csv_row("a", "false", k1=(True, 10, None)), [], id="no-console-password"),
    pytest.param(csv_row("a", "true", used=1, k1=(True, 10, 1), k2=(True, 5, None)), [2], id="second-slot"),
    pytest.param(csv_row("a", "true", used=None, k1=(True, 0, None), k2=(True, 0, None)), [1, 2], id="both"),
    pytest.param(csv_row("a", "true", used=1), [], id="no-keys"),
    pytest.param(csv_row("<root_account>", "true", k1=(True, 10, None)), [], id="root-row-skipped"),
]


@pytest.mark.parametrize(("line", "slots"), INITIAL)
def test_initial_access_keys(line, slots):
    offending, checked = ca.initial_keys(rows(line))
    assert [k["key_slot"] for k in offending] == slots
    console = "true" in line.split(",")[3] and not line.startswith("<root")
    assert [c["user_name"] for c in checked] == (["a"] if console else [])


def test_initial_key_message_and_users_filter():
    report = rows(csv_row("a", "true", k1=(True, 12, None)), csv_row("b", "true", k1=(True, 3, None)))
    offending, _checked = ca.initial_keys(report, users=["A"])
    assert [ca.describe_initial_key(k, NOW) for k in offending] == [
        "access key 1 of console user a is active, created 12 days ago, and was never used "
        "(CIS: no access keys at a console user's set-up)"
    ]
