from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _session

ROLE = "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"


@pytest.mark.parametrize(
    ("account_id", "role_arn", "session_name", "duration", "expected"),
    [
        ("111111111111", ROLE, "accountguard", 3600, []),
        ("011111111111", None, "accountguard", 3600, []),
        (None, None, "ag", 900, []),
        ("111111111111", "arn:aws:iam::111111111111:role/path/to/Admin", "a@b.c-d_e", 43200, []),
        ("111111111111", "arn:aws-us-gov:iam::111111111111:role/Admin", "accountguard", 3600, []),
        ("11111111111", None, "accountguard", 3600, ["account_id must be a 12-digit string"]),
        ("11111111111a", None, "accountguard", 3600, ["account_id must be a 12-digit string"]),
        ("111111111111", "arn:aws:iam::111111111111:user/alice", "accountguard", 3600, ["role_arn must look like"]),
        ("111111111111", "OrganizationAccountAccessRole", "accountguard", 3600, ["role_arn must look like"]),
        ("222222222222", ROLE, "accountguard", 3600, ["belongs to account 111111111111, not to account_id"]),
        ("111111111111", ROLE, "a", 3600, ["role_session_name must be 2-64"]),
        ("111111111111", ROLE, "has space", 3600, ["role_session_name must be 2-64"]),
        ("111111111111", ROLE, "accountguard", 899, ["duration_seconds must be between 900 and 43200"]),
        ("111111111111", ROLE, "accountguard", 43201, ["duration_seconds must be between 900 and 43200"]),
        ("1", "nope", "x", 0, ["account_id", "role_arn", "role_session_name", "duration_seconds"]),
    ],
)
def test_validate(account_id, role_arn, session_name, duration, expected):
    errors = _session.validate(account_id, role_arn, session_name, duration)
    assert len(errors) == len(expected)
    for error, fragment in zip(errors, expected, strict=True):
        assert fragment in error


IDENTITY = _session.Identity.from_api(
    {"Account": "222222222222", "Arn": "arn:aws:sts::222222222222:assumed-role/R/accountguard", "UserId": "x"}
)


@pytest.mark.parametrize(
    ("expected_account", "role_arn", "fragments"),
    [
        ("222222222222", ROLE, None),
        (None, None, None),
        ("111111111111", None, ["act in account 222222222222", "this host is account 111111111111"]),
        ("111111111111", ROLE, [f"after assuming {ROLE}", "nothing was changed"]),
    ],
)
def test_guard_error(expected_account, role_arn, fragments):
    message = _session.guard_error(expected_account, IDENTITY, role_arn)
    if fragments is None:
        assert message is None
    else:
        for fragment in fragments:
            assert fragment in message


@pytest.mark.parametrize(
    ("role_arn", "expected"),
    [
        (ROLE, "111111111111"),
        ("arn:aws-cn:iam::222222222222:role/path/Admin", "222222222222"),
        ("arn:aws:iam::111111111111:user/alice", None),
        ("arn:aws:iam::11111111111:role/Admin", None),
        ("arn:aws:sts::111111111111:assumed-role/R/s", None),
        ("arn:aws:iam::111111111111:role/", None),
        ("OrganizationAccountAccessRole", None),
    ],
)
def test_role_account(role_arn, expected):
    assert _session.role_account(role_arn) == expected


@pytest.mark.parametrize(
    ("names", "known", "fragments"),
    [
        ([], {"password_policy": None}, []),
        (["password_policy"], {"password_policy": None}, []),
        (
            ["credential_report", "password_policy"],
            {"password_policy": None},
            ["credential_report", "known: password_policy"],
        ),
        (["x"], {}, ["unknown source(s) x", "known: none"]),
    ],
)
def test_source_errors(names, known, fragments):
    errors = _session.source_errors(names, known)
    assert len(errors) == (1 if fragments else 0)
    for fragment in fragments:
        assert fragment in errors[0]


def test_identity_as_result():
    assert IDENTITY.as_result() == {
        "account_id": "222222222222",
        "arn": "arn:aws:sts::222222222222:assumed-role/R/accountguard",
        "user_id": "x",
    }
