from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


CREDENTIALS = {"AccessKeyId": "ASIAX", "SecretAccessKey": "s3cr3t", "SessionToken": "tok", "Expiration": None}


@pytest.mark.parametrize(
    ("credentials", "profile", "expected"),
    [
        (CREDENTIALS, None, {"access_key": "ASIAX", "secret_key": "s3cr3t", "session_token": "tok"}),
        # amazon.aws refuses a profile next to keys: the assumed role's keys replace the profile
        (CREDENTIALS, "ops", {"access_key": "ASIAX", "secret_key": "s3cr3t", "session_token": "tok"}),
        (None, "ops", {"profile": "ops"}),
        (None, None, {}),
    ],
)
def test_connection_options(credentials, profile, expected):
    assert _session.connection_options(credentials, profile) == expected


IDENTITY = {"account": "222222222222", "arn": "arn:aws:sts::222222222222:assumed-role/R/accountguard", "user_id": "x"}


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


NOW = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expiration", "margin", "expected"),
    [
        (None, 600, False),  # a profile or ambient credentials: nothing to renew
        ("", 600, False),
        ("2026-11-28T00:00:00+00:00", 600, False),  # an hour left
        ("2026-11-27T23:10:01+00:00", 600, False),  # just outside the margin
        ("2026-11-27T23:10:00+00:00", 600, True),  # exactly at the margin
        ("2026-11-27T23:05:00+00:00", 600, True),
        ("2026-11-27T22:59:00+00:00", 600, True),  # already expired
        ("2026-11-27T23:15:00Z", 600, False),  # Z suffix
        ("2026-11-27T23:15:00", 600, False),  # naive means UTC
        ("2026-11-28T00:00:00+00:00", 7200, True),  # margin larger than the duration: always
        ("2026-11-28T00:00:00+01:00", 600, True),  # 23:00 UTC, other offset
        (datetime(2026, 11, 27, 23, 30, tzinfo=UTC), 600, False),
        ("2026-11-27T23:00:00+00:00", 0, True),
    ],
)
def test_needs_renewal(expiration, margin, expected):
    assert _session.needs_renewal(expiration, NOW, margin) is expected


@pytest.mark.parametrize(
    ("issued_ago", "expires_in", "margin", "expected"),
    [
        (5, 900, 7200, True),  # renewed a moment ago in this task: reused despite the margin
        (120, 900, 7200, False),  # older and inside the margin: renew again
        (120, 3600, 600, True),  # older but well outside the margin
        (5, -1, 600, False),  # expired: never reused
    ],
)
def test_reuse_renewal(issued_ago, expires_in, margin, expected):
    issued = NOW - timedelta(seconds=issued_ago)
    expiration = NOW + timedelta(seconds=expires_in)
    assert _session.reuse_renewal(issued, expiration, NOW, margin) is expected


def test_assume_role_request_and_renewal_parameters():
    assert _session.assume_role_request(ROLE, "ag", 900, None) == {
        "RoleArn": ROLE,
        "RoleSessionName": "ag",
        "DurationSeconds": 900,
    }
    assert _session.assume_role_request(ROLE, "ag", 900, "ext")["ExternalId"] == "ext"
    params = {
        "role_arn": ROLE,
        "role_session_name": "ag",
        "duration_seconds": 900,
        "external_id": None,
        "profile": "p",
        "endpoint_url": "http://127.0.0.1:5000",
        "region": "eu-west-1",
        "account_id": None,
        "secret_key": "must-not-leak",
        "session_token": "must-not-leak",
        "access_key": "AKIA",
    }
    renewal = _session.renewal_parameters(params, "111111111111")
    assert renewal["account_id"] == "111111111111"
    assert set(renewal) == {
        "account_id",
        "role_arn",
        "role_session_name",
        "duration_seconds",
        "external_id",
        "profile",
        "endpoint_url",
        "region",
    }
    assert "must-not-leak" not in renewal.values()
    assert _session.renewal_parameters({**params, "role_arn": None}, "111111111111") is None


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRole/accountguard", "111111111111"),
        ("arn:aws:sts::11111111111:assumed-role/R/s", None),
        ("nonsense", None),
        (None, None),
    ],
)
def test_assumed_account(arn, expected):
    assert _session.assumed_account(arn) == expected
