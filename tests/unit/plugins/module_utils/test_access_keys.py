"""Access-key rotation rules of accountguard.aws.iam_access_keys over credential-report rows (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _access_keys as ak

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(days):
    return None if days is None else NOW - timedelta(days=days)


def row(user="alice", k1=None, k2=None):
    """A parsed credential-report row; k1/k2 = (active, rotated_days_ago, used_days_ago) or None."""
    out = {"user": user, "arn": f"arn:aws:iam::123456789012:user/{user}"}
    for slot, spec in ((1, k1), (2, k2)):
        p = f"access_key_{slot}_"
        if spec is None:
            out.update({p + "active": False, p + "last_rotated": None, p + "last_used_date": None})
            out[p + "last_used_service"] = None
        else:
            active, rotated, used = spec
            out.update({p + "active": active, p + "last_rotated": ago(rotated), p + "last_used_date": ago(used)})
            out[p + "last_used_service"] = "s3" if used is not None else None
    return out


def evaluate(rows, users=None, max_age=90, max_unused=45, max_active=1):
    return ak.evaluate(ak.keys_from_rows(rows, users), NOW, max_age, max_unused, max_active)


RULES = [
    pytest.param(row(k1=(True, 10, 1)), [[]], id="young-and-used"),
    pytest.param(row(k1=(True, 90, 1)), [[]], id="exactly-90-days-is-allowed"),
    pytest.param(row(k1=(True, 91, 1)), [["too_old"]], id="91-days-too-old"),
    pytest.param(row(k1=(True, 10, 44)), [[]], id="unused-44-days-ok"),
    pytest.param(row(k1=(True, 60, 45)), [["unused"]], id="unused-45-days"),
    pytest.param(row(k1=(True, 44, None)), [[]], id="never-used-young-key-ok"),
    pytest.param(row(k1=(True, 45, None)), [["unused"]], id="never-used-falls-back-to-rotation-date"),
    pytest.param(row(k1=(True, 200, None)), [["too_old", "unused"]], id="old-and-never-used"),
    pytest.param(row(k1=(False, 400, None)), [[]], id="inactive-keys-never-offend"),
    pytest.param(
        row(k1=(True, 10, 1), k2=(True, 5, 1)), [["too_many_active_keys"], ["too_many_active_keys"]], id="two-active"
    ),
    pytest.param(row(k1=(True, 10, 1), k2=(False, 5, None)), [[], []], id="one-active-one-inactive"),
    pytest.param(row(k1=None, k2=(True, 100, 2)), [["too_old"]], id="only-slot-2"),
    pytest.param(row(), [], id="no-keys"),
]


@pytest.mark.parametrize(("report_row", "reasons"), RULES)
def test_rules(report_row, reasons):
    keys = evaluate([report_row])
    assert [k["stale_reasons"] for k in keys] == reasons


def test_limits_are_options():
    keys = evaluate([row(k1=(True, 31, 20), k2=(True, 2, 1))], max_age=30, max_unused=20, max_active=2)
    assert [k["stale_reasons"] for k in keys] == [["too_old", "unused"], []]


def test_ages_are_whole_days_and_unused_counts_from_last_use():
    (key,) = evaluate([row(k1=(True, 100, 3))])
    assert (key["age_days"], key["unused_days"]) == (100, 3)


def test_root_row_is_skipped_and_users_filter_ignores_case():
    rows = [row("<root_account>", k1=(True, 999, None)), row("alice", k1=(True, 1, 1)), row("bob", k1=(True, 1, 1))]
    assert [k["user_name"] for k in ak.keys_from_rows(rows)] == ["alice", "bob"]
    assert [k["user_name"] for k in ak.keys_from_rows(rows, ["BOB"])] == ["bob"]
    assert ak.keys_from_rows(rows, []) == []


@pytest.mark.parametrize(
    ("report_row", "reasons"),
    [
        pytest.param(row(k1=(True, 100, 1)), [["too_old"]], id="too-old"),
        pytest.param(row(k1=(True, 60, 50)), [["unused"]], id="unused"),
        pytest.param(row(k1=(True, 100, 1), k2=(True, 5, 1)), [["too_old"], []], id="too-many-alone-never"),
        pytest.param(row(k1=(True, 10, 1), k2=(True, 5, 1)), [[], []], id="young-pair-left-to-the-owner"),
        pytest.param(row(k1=(False, 400, None)), [[]], id="inactive"),
    ],
)
def test_deactivation_reasons(report_row, reasons):
    assert [ak.deactivation_reasons(k) for k in evaluate([report_row])] == reasons


def test_users_to_deactivate_in_order_without_duplicates():
    keys = evaluate(
        [
            row("a", k1=(True, 1, 1)),
            row("b", k1=(True, 100, 1), k2=(True, 100, 1)),
            row("pair", k1=(True, 5, 1), k2=(True, 3, 1)),
            row("c", k1=(True, 99, 1)),
            row("gone", k1=(False, 300, None)),
        ]
    )
    # "pair" offends (two active keys) but no key of theirs is deactivated, so they are not listed.
    assert ak.users_to_deactivate(keys) == ["b", "c"]


def test_users_to_deactivate_does_not_grow_with_offenders_that_are_only_checked():
    """Many users with two young keys (a finding, not a deactivation) add no one to list."""
    many = [row(f"u{i}", k1=(True, 5, 1), k2=(True, 3, 1)) for i in range(50)]
    assert ak.users_to_deactivate(evaluate(many)) == []


def meta(key_id, days, status="Active"):
    return {"AccessKeyId": key_id, "CreateDate": ago(days), "Status": status, "UserName": "alice"}


def test_match_by_creation_date_regardless_of_order():
    keys = evaluate([row(k1=(True, 100, 1), k2=(True, 5, 1))])
    matched = ak.match_key_ids(keys, [meta("AKIANEW", 5), meta("AKIAOLD", 100)])
    assert [(k["slot"], k["access_key_id"]) for k in matched] == [(1, "AKIAOLD"), (2, "AKIANEW")]


def test_match_takes_live_status_over_a_stale_report():
    keys = evaluate([row(k1=(True, 100, 1))])
    (matched,) = ak.match_key_ids(keys, [meta("AKIA1", 100, status="Inactive")])
    assert matched["active"] is False


def test_match_falls_back_to_creation_order_when_counts_agree():
    keys = evaluate([row(k1=(True, 100, 1), k2=(True, 50, 1))])
    # Dates far from the report's (e.g. clock skew), same number of keys: pair by creation order.
    matched = ak.match_key_ids(keys, [meta("AKIAB", 10), meta("AKIAA", 20)])
    assert [k["access_key_id"] for k in matched] == ["AKIAA", "AKIAB"]


def test_unmatched_slot_keeps_no_id():
    keys = evaluate([row(k1=(True, 100, 1), k2=(True, 50, 1))])
    matched = ak.match_key_ids(keys, [meta("AKIAA", 100)])  # key 2 deleted since the report
    assert [k["access_key_id"] for k in matched] == ["AKIAA", None]


def test_match_does_not_mutate_input():
    keys = evaluate([row(k1=(True, 100, 1))])
    ak.match_key_ids(keys, [meta("AKIA1", 100, status="Inactive")])
    assert keys[0]["access_key_id"] is None and keys[0]["active"] is True


@pytest.mark.parametrize(
    ("report_row", "fragments"),
    [
        (row(k1=(True, 100, 1)), ["access key 1 of alice", "is 100 days old (max 90)"]),
        (row(k1=(True, 50, None)), ["never used in the 50 days since it was created (max 45)"]),
        (row(k1=(True, 10, 60)), ["last used 60 days ago (max 45)"]),
        (row(k1=(True, 1, 1), k2=(True, 1, 1)), ["more than 1 active keys"]),
        (row(k1=(True, 1, 1)), ["complies with the rotation rules"]),
    ],
)
def test_describe(report_row, fragments):
    key = evaluate([report_row])[0]
    text = ak.describe(key, 90, 45, 1)
    for fragment in fragments:
        assert fragment in text


def test_to_result_shape():
    key = ak.match_key_ids(evaluate([row(k1=(True, 100, 3))]), [meta("AKIA1", 100)])[0]
    assert ak.to_result(key) == {
        "user_name": "alice",
        "key_slot": 1,
        "access_key_id": "AKIA1",
        "active": True,
        "age_days": 100,
        "unused_days": 3,
        "last_rotated": ago(100).isoformat(),
        "last_used_date": ago(3).isoformat(),
        "last_used_service": "s3",
        "stale_reasons": ["too_old"],
    }


def test_to_result_names_an_unlisted_key_by_slot():
    second = evaluate([row(k1=None, k2=(True, 100, 1))])[0]
    result = ak.to_result(second)
    assert (result["key_slot"], result["access_key_id"]) == (2, None)
    assert ak.describe(second, 90, 45, 1).startswith("access key 2 of alice ")
