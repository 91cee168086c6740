from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _root

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
RESOURCE = "arn:aws:iam::123456789012:root"
GENERATED = NOW - timedelta(hours=2)


def days_ago(days):
    return NOW - timedelta(days=days)


def root_row(keys=(), mfa=False, password_last_used=None):
    """A parsed <root_account> row; keys: (active, last_rotated, last_used) per slot."""
    row = {"user": "<root_account>", "arn": RESOURCE, "mfa_active": mfa, "password_last_used": password_last_used}
    for slot in (1, 2):
        key = keys[slot - 1] if len(keys) >= slot else None
        row[f"access_key_{slot}_active"] = key[0] if key else False
        row[f"access_key_{slot}_last_rotated"] = key[1] if key else None
        row[f"access_key_{slot}_last_used_date"] = key[2] if key else None
        row[f"access_key_{slot}_last_used_region"] = "us-east-1" if key and key[2] else None
        row[f"access_key_{slot}_last_used_service"] = "s3" if key and key[2] else None
    return row


def summary(keys, mfa=False):
    return {"AccountAccessKeysPresent": int(keys), "AccountMFAEnabled": int(mfa)}


def assess(summary_map, row, **kwargs):
    kwargs.setdefault("usage_days", 0)
    return _root.assess_root(summary_map, row, resource=RESOURCE, generated_time=GENERATED, now=NOW, **kwargs)


ACTIVE = (True, days_ago(400), None)
INACTIVE = (False, days_ago(300), days_ago(200))


@pytest.mark.parametrize(
    ("keys", "allow_inactive", "status", "active", "inactive"),
    [
        ((), False, "pass", 0, 0),
        ((ACTIVE,), False, "fail", 1, 0),
        ((ACTIVE,), True, "fail", 1, 0),
        ((INACTIVE,), False, "fail", 0, 1),
        ((INACTIVE,), True, "pass", 0, 1),
        ((ACTIVE, INACTIVE), True, "fail", 1, 1),
        ((INACTIVE, INACTIVE), True, "pass", 0, 2),
    ],
)
def test_root_keys(keys, allow_inactive, status, active, inactive):
    result = assess(summary(bool(keys)), root_row(keys), allow_inactive_keys=allow_inactive)
    assert [f["id"] for f in result["findings"]] == ["root_access_keys"]
    assert result["findings"][0]["status"] == status
    assert result["findings"][0]["cis"] == [
        "cis-aws-3.0:1.4",
        "cis-aws-4.0.1:1.4",
        "cis-aws-5.0:1.3",
        "cis-aws-6.0:2.3",
        "cis-aws-7.0:2.4",
    ]
    assert result["compliant"] is (status == "pass")
    assert result["root"]["access_keys_present"] is bool(keys)
    assert (result["root"]["active_access_keys"], result["root"]["inactive_access_keys"]) == (active, inactive)
    assert len(result["root"]["access_keys"]) == active + inactive
    assert result["credential_report"]["consistent_with_summary"] is True
    assert result["warnings"] == []


def test_access_key_details_are_iso_strings():
    result = assess(summary(True), root_row((INACTIVE,)))
    assert result["root"]["access_keys"] == [
        {
            "active": False,
            "last_rotated": days_ago(300).isoformat(),
            "last_used_date": days_ago(200).isoformat(),
            "last_used_service": "s3",
        }
    ]


def test_stale_report_without_keys_the_summary_sees():
    result = assess(summary(True), root_row(()), allow_inactive_keys=True)
    assert result["findings"][0]["status"] == "fail"
    assert "does not show yet" in result["findings"][0]["message"]
    assert result["root"]["access_keys_present"] is True
    assert result["credential_report"]["consistent_with_summary"] is False
    assert any("stale" in w for w in result["warnings"])


def test_stale_report_with_keys_the_summary_no_longer_has():
    result = assess(summary(False), root_row((ACTIVE,)))
    assert result["findings"][0]["status"] == "pass"
    assert result["root"]["access_keys_present"] is False
    assert result["root"]["active_access_keys"] == 0
    assert result["root"]["access_keys"] == []
    assert result["credential_report"]["consistent_with_summary"] is False
    assert any("deleted after it" in w for w in result["warnings"])


def test_mfa_disagreement_trusts_summary_and_warns():
    result = assess(summary(False, mfa=True), root_row((), mfa=False))
    assert result["root"]["mfa_active"] is True
    assert result["credential_report"]["consistent_with_summary"] is False
    assert any("root MFA is on" in w for w in result["warnings"])


def test_no_root_row():
    result = assess(summary(True), None, allow_inactive_keys=True)
    assert result["findings"][0]["status"] == "fail"
    assert "no root row" in result["findings"][0]["message"]
    assert result["credential_report"]["has_root_row"] is False
    assert result["root"]["password_last_used"] is None


@pytest.mark.parametrize(
    ("row", "usage_days", "status"),
    [
        (root_row(()), 1, "pass"),
        (root_row((), password_last_used=days_ago(0.5)), 1, "fail"),
        (root_row((), password_last_used=days_ago(3)), 1, "pass"),
        (root_row((), password_last_used=days_ago(3)), 7, "fail"),
        (root_row(((True, days_ago(10), days_ago(0.1)),)), 1, "fail"),
        (root_row(((True, days_ago(10), days_ago(5)),)), 1, "pass"),
        (None, 1, "fail"),
    ],
)
def test_root_usage(row, usage_days, status):
    keys = bool(row) and any(row.get(f"access_key_{s}_last_rotated") for s in (1, 2))
    result = assess(summary(keys), row, usage_days=usage_days)
    usage = [f for f in result["findings"] if f["id"] == "root_usage"]
    assert len(usage) == 1
    assert usage[0]["status"] == status
    assert usage[0]["cis"] == [
        "cis-aws-3.0:1.7",
        "cis-aws-4.0.1:1.7",
        "cis-aws-5.0:1.6",
        "cis-aws-6.0:2.6",
        "cis-aws-7.0:2.7",
    ]


def test_usage_check_off():
    result = assess(summary(False), root_row((), password_last_used=NOW), usage_days=0)
    assert [f["id"] for f in result["findings"]] == ["root_access_keys"]
    assert result["root"]["password_last_used"] == NOW.isoformat()
