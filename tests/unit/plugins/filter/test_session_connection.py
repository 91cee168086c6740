"""The session_connection filter without AWS: when it renews, what it returns, and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.filter import session_connection as plugin

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"
OLD = {"access_key": "ASIAOLD", "secret_key": "old-secret", "session_token": "old-token"}


def session(expires_in: int | None, renewal: bool = True) -> dict:
    expiration = None if expires_in is None else (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat()
    return {
        "ok": True,
        "expiration": expiration,
        "aws_connection": dict(OLD),
        "renewal": {
            "account_id": ACCOUNT,
            "role_arn": ROLE,
            "role_session_name": "accountguard",
            "duration_seconds": 900,
            "external_id": None,
            "profile": None,
            "endpoint_url": None,
            "region": None,
        }
        if renewal
        else None,
    }


@pytest.fixture
def sts(monkeypatch):
    calls = []

    def assume(renewal):
        calls.append(renewal)
        account = renewal.get("answer_account", ACCOUNT)
        return {
            "AssumedRoleUser": {"Arn": f"arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/x"},
            "Credentials": {
                "AccessKeyId": f"ASIANEW{len(calls)}",
                "SecretAccessKey": "new-secret",
                "SessionToken": "new-token",
                "Expiration": datetime.now(UTC) + timedelta(seconds=900),
            },
        }

    monkeypatch.setattr(plugin, "_assume", assume)
    monkeypatch.setattr(plugin, "_RENEWED", {})
    return calls


@pytest.mark.parametrize(
    ("expires_in", "margin", "has_role", "renewed"),
    [
        (3600, 600, True, False),
        (300, 600, True, True),
        (-10, 600, True, True),
        (3600, 100000, True, True),
        (300, 600, False, False),  # no role: nothing to renew
        (None, 600, True, False),
    ],
)
def test_renews_only_inside_the_margin(sts, expires_in, margin, has_role, renewed):
    got = plugin.session_connection(session(expires_in, has_role), margin)
    assert len(sts) == int(renewed)
    if renewed:
        assert got == {"access_key": "ASIANEW1", "secret_key": "new-secret", "session_token": "new-token"}
    else:
        assert got == OLD


def test_one_task_templating_twice_costs_one_renewal(sts):
    first = plugin.session_connection(session(300), 100000)
    second = plugin.session_connection(session(300), 100000)
    assert first == second and len(sts) == 1


def test_a_renewal_in_another_account_is_refused(sts):
    data = session(300)
    data["renewal"]["answer_account"] = "222222222222"
    with pytest.raises(AnsibleFilterError, match="account guard") as error:
        plugin.session_connection(data, 600)
    assert "new-secret" not in str(error.value) and "new-token" not in str(error.value)


@pytest.mark.parametrize(
    ("value", "margin", "message"),
    [("not a session", 600, "registered result"), ({}, -1, "must not be negative"), ({}, "soon", "integer")],
)
def test_bad_input(sts, value, margin, message):
    with pytest.raises(AnsibleFilterError, match=message):
        plugin.session_connection(value, margin)
    assert sts == []
