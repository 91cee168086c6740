"""The checking backends with account_sources and a scripted IAM client: which calls they make, what they return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import botocore.exceptions
import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _policies as pol
from ansible_collections.accountguard.aws.plugins.module_utils import _sources
from ansible_collections.accountguard.aws.plugins.module_utils._backends import access_keys, mfa_status, root_key_check
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import Context, ControlFailure

HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service"
)
OLD = datetime.now(UTC) - timedelta(days=400)


def user_row(name, password="false", mfa="false", key_rotated=None):
    key = f"true,{key_rotated.isoformat()},N/A,N/A,N/A" if key_rotated else "false,N/A,N/A,N/A,N/A"
    return (
        f"{name},arn:aws:iam::123456789012:user/{name},{OLD.isoformat()},{password},N/A,N/A,N/A,{mfa},{key},"
        "false,N/A,N/A,N/A,N/A"
    )


def root_row():
    return (
        "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,no_information,"
        "not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A"
    )


def sources(*rows):
    return {
        "credential_report": {"generated_time": "2024-05-02T00:00:00+00:00", "content": "\n".join([HEADER, *rows])},
        "account_summary": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0},
        "virtual_mfa_devices": [],
    }


class FakeIAM:
    """Answers the per-user and live calls; any read of a shared source fails the test."""

    def __init__(self, users=(), keys=None, fail_update=()):
        self.users = list(users)
        self.keys = keys or {}
        self.fail_update = set(fail_update)
        self.calls = []

    def __getattr__(self, name):
        raise AssertionError(f"unexpected call {name}")

    def can_paginate(self, operation):
        return True

    def get_paginator(self, operation):
        """Listings go through botocore paginators (amazon.aws's paginated query): one page here."""
        method = getattr(self, operation)

        class Paginator:
            def paginate(self, PaginationConfig=None, **params):
                class Result:
                    def build_full_result(self):
                        return method(aws_retry=True, **params)

                return Result()

        return Paginator()

    def list_users(self, aws_retry=False, **_request):
        self.calls.append("ListUsers")
        return {"Users": [{"UserName": n, "Arn": f"arn:aws:iam::123456789012:user/{n}"} for n in self.users]}

    def list_access_keys(self, aws_retry=False, UserName=None):
        self.calls.append("ListAccessKeys")
        return {"AccessKeyMetadata": self.keys[UserName]}

    def update_access_key(self, aws_retry=False, UserName=None, AccessKeyId=None, Status=None):
        self.calls.append("UpdateAccessKey")
        if UserName in self.fail_update:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "denied"}}, "UpdateAccessKey"
            )


def context(params, client, spec, check_mode=False):
    full = {name: option.get("default") for name, option in spec.argument_spec.items()}
    full.update(params)
    return Context(full, check_mode=check_mode, diff_mode=False, connect=lambda: lambda service: client)


def test_access_keys_failure_after_a_deactivation_says_what_was_done():
    keys = {
        "ann": [{"AccessKeyId": "AKIAANN", "Status": "Active", "CreateDate": OLD}],
        "zed": [{"AccessKeyId": "AKIAZED", "Status": "Active", "CreateDate": OLD}],
    }
    client = FakeIAM(keys=keys, fail_update={"zed"})
    report = sources(root_row(), user_row("ann", key_rotated=OLD), user_row("zed", key_rotated=OLD))
    ctx = context({"deactivate_stale": True, "account_sources": report}, client, access_keys.SPEC)
    with pytest.raises(ControlFailure) as failure:
        access_keys.run(ctx)
    assert failure.value.msg.startswith("Failed to deactivate an access key")
    assert failure.value.result["changed"] is True
    assert [d["access_key_id"] for d in failure.value.result["deactivated"]] == ["AKIAANN"]
    assert failure.value.result["error"]["code"] == "AccessDenied"
    assert client.calls == ["ListAccessKeys", "ListAccessKeys", "UpdateAccessKey", "UpdateAccessKey"]


def test_access_keys_check_with_sources_makes_no_call():
    client = FakeIAM()
    report = sources(root_row(), user_row("ann", key_rotated=OLD))
    ctx = context({"deactivate_stale": True, "account_sources": report}, client, access_keys.SPEC, check_mode=True)
    result = access_keys.run(ctx)
    assert result["changed"] is True
    assert [d["access_key_id"] for d in result["deactivated"]] == [None]
    assert client.calls == []


def test_root_key_check_with_sources_makes_no_call():
    client = FakeIAM()
    result = root_key_check.run(context({"account_sources": sources(root_row())}, client, root_key_check.SPEC))
    assert result["compliant"] is True
    assert client.calls == []


@pytest.mark.parametrize(
    ("created", "live", "message"),
    [
        # check mode: the apply would create newbie
        (["newbie"], ["ann"], "console user newbie created in this run, MFA not enrolled yet"),
        # apply: newbie exists, created after the report
        (["newbie"], ["ann", "newbie"], "console user newbie created in this run, MFA not enrolled yet"),
    ],
)
def test_mfa_status_reports_a_created_user_without_mfa(created, live, message):
    client = FakeIAM(users=live)
    client.get_login_profile = lambda aws_retry=False, UserName=None: {"LoginProfile": {}}
    client.list_mfa_devices = lambda aws_retry=False, UserName=None: {"MFADevices": []}
    report = sources(root_row(), user_row("ann"))  # no console password: out of scope
    ctx = context({"created_users": created, "account_sources": report}, client, mfa_status.SPEC)
    result = mfa_status.run(ctx)
    failing = [f for f in result["findings"] if f["status"] == "fail" and f["id"] == "user_mfa"]
    assert [(f["resource"], f["message"]) for f in failing] == [("arn:aws:iam::123456789012:user/newbie", message)]
    assert result["users_without_mfa"] == ["newbie"]
    assert result["summary"]["users_not_found"] == []


class FakeDetailsIAM(FakeIAM):
    """One account's GetAccountAuthorizationDetails: a user in a group with a policy of its own, and a role."""

    def get_account_authorization_details(self, aws_retry=False, Filter=None):
        self.calls.append("GetAccountAuthorizationDetails")
        return {
            "UserDetailList": [
                {
                    "UserName": "alice",
                    "Arn": "arn:aws:iam::123456789012:user/ops/alice",
                    "Path": "/ops/",
                    "Tags": [{"Key": "team", "Value": "sec"}],
                    "GroupList": ["Cloudadmin"],
                    "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": {"Statement": []}}],
                }
            ],
            "RoleDetailList": [{"RoleName": "deploy", "Arn": "arn:aws:iam::123456789012:role/deploy"}],
        }


def test_authorization_details_travel_as_one_string_and_are_read_decoded():
    """The session returns the details packed as one JSON text (Ansible walks a nested value item by item in
    every task it travels through); a task handed them reads the decoded details and makes no call."""
    client = FakeDetailsIAM()
    session = _sources.AccountSources(context({}, client, access_keys.SPEC))
    packed = session.read_all([_sources.AUTHORIZATION_DETAILS])[_sources.AUTHORIZATION_DETAILS]
    assert client.calls == ["GetAccountAuthorizationDetails"]
    assert set(packed) == {"format", "content"} and isinstance(packed["content"], str)

    later = FakeIAM()  # any call fails the test
    handed = _sources.AccountSources(
        context({"account_sources": {"authorization_details": packed}}, later, access_keys.SPEC)
    )
    decoded = handed.get(_sources.AUTHORIZATION_DETAILS)
    assert [(p["kind"], p["name"]) for p in decoded["principals"]] == [("user", "alice"), ("role", "deploy")]
    assert pol.user_details(decoded)[0]["GroupList"] == ["Cloudadmin"]
    assert pol.user_details(decoded)[0]["UserPolicyList"] == [{"PolicyName": "own"}]
    # an unpacked source (a hand-made one) is read as it is
    plain = _sources.AccountSources(
        context({"account_sources": {"authorization_details": decoded}}, later, access_keys.SPEC)
    )
    assert plain.get(_sources.AUTHORIZATION_DETAILS) == decoded
    assert later.calls == []
