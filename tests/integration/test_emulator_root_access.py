"""Centralized root access in the emulator: IAM's Organizations features, sts:AssumeRoot and the root-scoped
IAM calls its sessions make, on the same root state GetAccountSummary and the credential report show."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from emulator import DEFAULT_ACCOUNT_ID, EmulatorError

TASK = "arn:aws:iam::aws:policy/root-task/"
AUDIT = TASK + "IAMAuditRootUserCredentials"
DELETE = TASK + "IAMDeleteRootUserCredentials"
PASSWORD = TASK + "IAMCreateRootUserPassword"
BOTH = ("RootCredentialsManagement", "RootSessions")


def organization(emulator, members: int = 2, feature_set: str = "ALL", trusted: bool = True, features=BOTH):
    """An Organization in the default account with member accounts; trusted access for IAM and the features on."""
    org = emulator.client("organizations")
    org.create_organization(FeatureSet=feature_set)
    ids = [
        org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(members)
    ]
    if trusted:
        org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = emulator.client("iam")
    if "RootCredentialsManagement" in features:
        iam.enable_organizations_root_credentials_management()
    if "RootSessions" in features:
        iam.enable_organizations_root_sessions()
    return ids


def error_of(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def root_session(emulator, target: str, policy: str = AUDIT, caller: str | None = None, **kwargs) -> dict:
    sts = emulator.client("sts", caller, logged=True)
    return sts.assume_root(TargetPrincipal=target, TaskPolicyArn={"arn": policy}, **kwargs)["Credentials"]


def full_root(emulator, account_id: str) -> dict:
    emulator.set_root(
        account_id,
        access_keys=[{"active": True, "age_days": 30, "last_used_days_ago": 2, "last_used_service": "s3"}, {}],
        mfa="hardware",
        password=True,
        signing_certificates=[{"active": True, "age_days": 5}],
    )
    return emulator.root_state(account_id)


# ----- the Organizations features ----------------------------------------------------------------------------


def test_features_round_trip_in_the_management_account(emulator):
    organization(emulator, features=())
    iam = emulator.client("iam", logged=True)
    org_id = emulator.client("organizations").describe_organization()["Organization"]["Id"]
    assert iam.list_organizations_features()["EnabledFeatures"] == []
    answer = iam.enable_organizations_root_credentials_management()
    assert answer["OrganizationId"] == org_id
    assert answer["EnabledFeatures"] == ["RootCredentialsManagement"]
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == list(BOTH)
    assert iam.list_organizations_features()["EnabledFeatures"] == list(BOTH)
    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == ["RootCredentialsManagement"]
    assert iam.disable_organizations_root_credentials_management()["EnabledFeatures"] == []
    assert iam.list_organizations_features()["EnabledFeatures"] == []


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        ("no organization", "OrganizationNotFoundException"),
        ("consolidated billing", "OrganizationNotInAllFeaturesModeException"),
        ("no trusted access", "ServiceAccessNotEnabledException"),
    ],
)
@pytest.mark.parametrize(
    "action",
    [
        "list_organizations_features",
        "enable_organizations_root_credentials_management",
        "enable_organizations_root_sessions",
        "disable_organizations_root_credentials_management",
        "disable_organizations_root_sessions",
    ],
)
def test_feature_actions_refuse_an_organization_not_ready(emulator, arrange, code, action):
    if arrange == "consolidated billing":
        organization(emulator, feature_set="CONSOLIDATED_BILLING", trusted=False, features=())
    elif arrange == "no trusted access":
        organization(emulator, trusted=False, features=())
    iam = emulator.client("iam", logged=True)
    assert error_of(getattr(iam, action))[:2] == (code, 400)


def test_trusted_access_for_iam_is_listed_by_organizations(emulator):
    organization(emulator, features=())
    principals = emulator.client("organizations").list_aws_service_access_for_organization()
    assert [p["ServicePrincipal"] for p in principals["EnabledServicePrincipals"]] == ["iam.amazonaws.com"]


def test_member_account_can_neither_list_nor_enable(emulator):
    member, _members = organization(emulator, features=())
    iam = emulator.client("iam", member, logged=True)
    assert error_of(iam.list_organizations_features)[:2] == (
        "AccountNotManagementOrDelegatedAdministratorException",
        400,
    )
    assert error_of(iam.disable_organizations_root_sessions)[0] == (
        "AccountNotManagementOrDelegatedAdministratorException"
    )
    assert error_of(iam.enable_organizations_root_sessions)[:2] == ("CallerIsNotManagementAccountException", 400)


def test_iam_delegated_administrator_lists_and_assumes_root_but_cannot_enable(emulator):
    admin, other = organization(emulator)
    org = emulator.client("organizations")
    org.register_delegated_administrator(AccountId=admin, ServicePrincipal="iam.amazonaws.com")
    listed = org.list_delegated_administrators(ServicePrincipal="iam.amazonaws.com")["DelegatedAdministrators"]
    assert [a["Id"] for a in listed] == [admin]
    iam = emulator.client("iam", admin, logged=True)
    assert iam.list_organizations_features()["EnabledFeatures"] == list(BOTH)
    assert error_of(iam.enable_organizations_root_sessions)[0] == "CallerIsNotManagementAccountException"
    creds = root_session(emulator, other, caller=admin)
    assert emulator.session_client("sts", creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{other}:root"


# ----- sts:AssumeRoot ----------------------------------------------------------------------------------------


def test_assume_root_answers_short_term_credentials_acting_as_the_members_root(emulator):
    member, _members = organization(emulator)
    answer = emulator.client("sts", logged=True).assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT})
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
    left = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 880 <= left <= 905
    # No source identity was set by the caller, so none is passed on.
    assert "SourceIdentity" not in answer
    identity = emulator.session_client("sts", creds).get_caller_identity()
    assert identity["Account"] == member and identity["Arn"] == f"arn:aws:iam::{member}:root"
    sessions = emulator.issued_root_sessions()
    assert [(s["account_id"], s["task_policy_arn"], s["access_key_id"]) for s in sessions] == [
        (member, AUDIT, creds["AccessKeyId"])
    ]
    assert sessions[0]["secret_access_key"] == creds["SecretAccessKey"]


def test_assume_root_takes_a_root_arn_and_a_shorter_duration(emulator):
    member, _members = organization(emulator)
    creds = root_session(emulator, f"arn:aws:iam::{member}:root", DurationSeconds=300)
    assert 280 <= (creds["Expiration"] - datetime.now(UTC)).total_seconds() <= 305


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"DurationSeconds": 901}, "less than or equal to 900"),
        ({"TaskPolicyArn": {"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}}, "root-task"),
        ({"TargetPrincipal": "not-an-account"}, "12-digit"),
    ],
)
def test_assume_root_rejects_bad_input(emulator, kwargs, message):
    member, _members = organization(emulator)
    request = {"TargetPrincipal": member, "TaskPolicyArn": {"arn": AUDIT}, **kwargs}
    code, status, text = error_of(emulator.client("sts", logged=True).assume_root, **request)
    assert (code, status) == ("ValidationError", 400)
    assert message in text


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("management account as target", "management account"),
        ("account outside the organization", "not a member"),
        ("root sessions not enabled", "RootSessions"),
        ("trusted access disabled", "RootSessions"),
        ("member account as caller", "neither the management account nor a delegated administrator"),
        ("no organization", "not in an organization"),
    ],
)
def test_assume_root_refusals_are_access_denied(emulator, case, reason):
    target, caller = "111111111111", None
    if case == "no organization":
        pass
    elif case == "root sessions not enabled":
        organization(emulator, features=["RootCredentialsManagement"])
    else:
        member, other = organization(emulator)
        if case == "management account as target":
            target = DEFAULT_ACCOUNT_ID
        elif case == "account outside the organization":
            target = "999999999999"
        elif case == "trusted access disabled":
            emulator.client("organizations").disable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
        elif case == "member account as caller":
            target, caller = other, member
    sts = emulator.client("sts", caller, logged=True)
    code, status, message = error_of(sts.assume_root, TargetPrincipal=target, TaskPolicyArn={"arn": AUDIT})
    assert (code, status) == ("AccessDenied", 403)
    assert f"sts:AssumeRoot on resource: arn:aws:iam::{target}:root" in message
    assert reason in message
    assert emulator.issued_root_sessions() == []


def test_disabling_root_sessions_stops_new_sessions(emulator):
    member, _members = organization(emulator)
    assert root_session(emulator, member)["AccessKeyId"]
    emulator.client("iam").disable_organizations_root_sessions()
    sts = emulator.client("sts", logged=True)
    assert error_of(sts.assume_root, TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT})[0] == "AccessDenied"


def test_request_log_shows_assume_root_with_its_task_policy(emulator):
    member, _members = organization(emulator)
    creds = root_session(emulator, member)
    emulator.session_client("iam", creds).list_access_keys()
    log = emulator.requests()
    assert log[0] == {
        "account_id": DEFAULT_ACCOUNT_ID,
        "service": "sts",
        "action": "AssumeRoot",
        "write": False,
        "task_policy_arn": AUDIT,
        "target_principal": member,
    }
    assert log[1] == {
        "account_id": member,
        "service": "iam",
        "action": "ListAccessKeys",
        "write": False,
        "root_session": AUDIT,
    }


# ----- inside a root session ---------------------------------------------------------------------------------


def test_audit_session_reads_the_root_state(emulator):
    member, _members = organization(emulator)
    state = full_root(emulator, member)
    iam = emulator.session_client("iam", root_session(emulator, member, AUDIT))
    keys = iam.list_access_keys()["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [
        (k["access_key_id"], "Active") for k in state["access_keys"]
    ]
    used = iam.get_access_key_last_used(AccessKeyId=keys[0]["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("s3", "us-east-1") and used["LastUsedDate"]
    never = iam.get_access_key_last_used(AccessKeyId=keys[1]["AccessKeyId"])["AccessKeyLastUsed"]
    assert (never["ServiceName"], never["Region"], "LastUsedDate" in never) == ("N/A", "N/A", False)
    devices = iam.list_mfa_devices()["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [state["mfa_serial"]] and state["mfa_serial"].startswith("GAHT")
    certs = iam.list_signing_certificates()["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in certs] == [
        (state["signing_certificates"][0]["certificate_id"], "Active")
    ]
    assert iam.get_login_profile()["LoginProfile"]["CreateDate"]
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{member}:root"
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (1, 1)
    assert summary["AccountSigningCertificatesPresent"] == 1


def test_audit_session_cannot_delete_anything(emulator):
    member, _members = organization(emulator)
    state = full_root(emulator, member)
    iam = emulator.session_client("iam", root_session(emulator, member, AUDIT))
    attempts = [
        (iam.delete_access_key, {"AccessKeyId": state["access_keys"][0]["access_key_id"]}),
        (iam.delete_login_profile, {}),
        (iam.deactivate_mfa_device, {"SerialNumber": state["mfa_serial"]}),
        (iam.delete_signing_certificate, {"CertificateId": state["signing_certificates"][0]["certificate_id"]}),
        (iam.create_login_profile, {}),
        (iam.create_user, {"UserName": "intruder"}),
    ]
    for call, kwargs in attempts:
        code, status, message = error_of(call, **kwargs)
        assert (code, status) == ("AccessDenied", 403), call
        assert AUDIT in message
    assert emulator.root_state(member) == state
    assert emulator.client("iam", member).list_users()["Users"] == []


def test_root_session_cannot_reach_iam_users(emulator):
    member, _members = organization(emulator)
    emulator.client("iam", member).create_user(UserName="alice")
    iam = emulator.session_client("iam", root_session(emulator, member, DELETE))
    code, _status, message = error_of(iam.list_access_keys, UserName="alice")
    assert code == "AccessDenied" and f"arn:aws:iam::{member}:user/alice" in message


def test_delete_session_removes_root_credentials_and_every_view_agrees(emulator):
    member, _members = organization(emulator)
    state = full_root(emulator, member)
    iam = emulator.session_client("iam", root_session(emulator, member, DELETE))
    for key in iam.list_access_keys()["AccessKeyMetadata"]:
        iam.delete_access_key(AccessKeyId=key["AccessKeyId"])
    for cert in iam.list_signing_certificates()["Certificates"]:
        iam.delete_signing_certificate(CertificateId=cert["CertificateId"])
    iam.delete_login_profile()
    iam.deactivate_mfa_device(SerialNumber=state["mfa_serial"])

    assert iam.list_access_keys()["AccessKeyMetadata"] == []
    assert iam.list_signing_certificates()["Certificates"] == []
    assert iam.list_mfa_devices()["MFADevices"] == []
    assert error_of(iam.get_login_profile)[:2] == ("NoSuchEntity", 404)
    after = emulator.root_state(member)
    assert (after["access_keys"], after["signing_certificates"], after["password"], after["mfa"]) == (
        [],
        [],
        False,
        "none",
    )
    plain = emulator.client("iam", member)
    summary = plain.get_account_summary()["SummaryMap"]
    assert (summary["AccountAccessKeysPresent"], summary["AccountMFAEnabled"]) == (0, 0)
    assert summary["AccountSigningCertificatesPresent"] == 0
    plain.generate_credential_report()
    rows = list(csv.DictReader(io.StringIO(plain.get_credential_report()["Content"].decode())))
    root = rows[0]
    assert root["user"] == "<root_account>"
    assert (root["mfa_active"], root["access_key_1_active"], root["access_key_2_active"]) == ("false",) * 3
    assert (root["cert_1_active"], root["cert_1_last_rotated"]) == ("false", "N/A")
    # Deleting again finds nothing.
    missing = error_of(iam.delete_access_key, AccessKeyId=state["access_keys"][0]["access_key_id"])
    assert missing[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.deactivate_mfa_device, SerialNumber=state["mfa_serial"])[0] == "NoSuchEntity"


def test_delete_session_deletes_roots_virtual_mfa_device(emulator):
    member, _members = organization(emulator)
    emulator.set_root(member, mfa="virtual")
    iam = emulator.session_client("iam", root_session(emulator, member, DELETE))
    serial = f"arn:aws:iam::{member}:mfa/root-account-mfa-device"
    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == [serial]
    iam.deactivate_mfa_device(SerialNumber=serial)
    assert emulator.client("iam", member).list_virtual_mfa_devices()["VirtualMFADevices"] == []
    assert emulator.root_state(member)["mfa"] == "none"


def test_password_session_creates_a_root_password_that_must_be_reset(emulator):
    member, _members = organization(emulator)
    iam = emulator.session_client("iam", root_session(emulator, member, PASSWORD))
    assert error_of(iam.get_login_profile)[:2] == ("NoSuchEntity", 404)
    profile = iam.create_login_profile()["LoginProfile"]
    assert profile["PasswordResetRequired"] is True and profile["CreateDate"]
    assert iam.get_login_profile()["LoginProfile"]["CreateDate"] == profile["CreateDate"]
    assert emulator.root_state(member)["password"] is True
    assert error_of(iam.create_login_profile)[:2] == ("EntityAlreadyExists", 409)
    # This task creates a password; it does not list keys.
    assert error_of(iam.list_access_keys)[0] == "AccessDenied"


def test_expired_root_session_answers_expired_token(emulator):
    member, _members = organization(emulator)
    creds = root_session(emulator, member)
    iam = emulator.session_client("iam", creds)
    assert iam.list_access_keys()["AccessKeyMetadata"] == []
    assert emulator.expire_root_sessions(member) == 1
    assert error_of(iam.list_access_keys)[:2] == ("ExpiredToken", 403)
    assert error_of(emulator.session_client("sts", creds).get_caller_identity)[:2] == ("ExpiredTokenException", 400)


def test_root_session_cannot_start_another(emulator):
    member, other = organization(emulator)
    sts = emulator.session_client("sts", root_session(emulator, member))
    assert error_of(sts.assume_root, TargetPrincipal=other, TaskPolicyArn={"arn": AUDIT})[0] == "AccessDenied"


def test_set_root_rejects_bad_signing_certificates(emulator):
    with pytest.raises(EmulatorError, match="at most 2 signing certificates"):
        emulator.set_root("111111111111", signing_certificates=[{}, {}, {}])
    with pytest.raises(EmulatorError, match="unknown root signing certificate field"):
        emulator.set_root("111111111111", signing_certificates=[{"body": "x"}])


def test_set_root_defaults_the_password_to_whether_it_was_used(emulator):
    emulator.set_root("111111111111", password_last_used_days_ago=3)
    emulator.set_root("222222222222")
    emulator.set_root("333333333333", password_last_used_days_ago=3, password=False)
    assert [emulator.root_state(a)["password"] for a in ("111111111111", "222222222222", "333333333333")] == [
        True,
        False,
        False,
    ]


def test_enable_root_access_prepares_the_demo_organization(emulator):
    demo = emulator.seed_demo()
    answer = emulator.enable_root_access()
    assert answer == {"OrganizationId": demo["organization_id"], "EnabledFeatures": list(BOTH)}
    assert emulator.requests() == []
    prod = demo["accounts"][0]["id"]
    iam = emulator.session_client("iam", root_session(emulator, prod))
    # The demo's prod root: an active and an inactive key, no MFA, a password used 3 days ago.
    assert sorted(k["Status"] for k in iam.list_access_keys()["AccessKeyMetadata"]) == ["Active", "Inactive"]
    assert iam.list_mfa_devices()["MFADevices"] == []
    assert iam.get_login_profile()["LoginProfile"]["CreateDate"]


def test_rest_calls_in_a_root_session_act_in_the_target_account(emulator):
    member, _members = organization(emulator)
    emulator.client("s3", member).create_bucket(Bucket="member-bucket")
    s3 = emulator.session_client("s3", root_session(emulator, member, TASK + "S3UnlockBucketPolicy"))
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["member-bucket"]


def test_feature_actions_are_authorized_under_enforced_iam_authorization(emulator):
    """The least-privilege tests need the feature actions checked against the caller's policies, as moto
    checks its own actions; without enforcement they stay unchecked like every other call."""
    organization(emulator)
    iam = emulator.client("iam")
    iam.create_user(UserName="reader")
    allow = {"Effect": "Allow", "Action": "iam:ListOrganizationsFeatures", "Resource": "*"}
    iam.put_user_policy(
        UserName="reader",
        PolicyName="read",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = boto3.client(
        "iam",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    emulator.enforce_iam_authorization()
    assert sorted(reader.list_organizations_features()["EnabledFeatures"]) == list(BOTH)
    code, status, message = error_of(reader.disable_organizations_root_sessions)
    assert (code, status) == ("AccessDenied", 403)
    assert "is not authorized to perform: iam:DisableOrganizationsRootSessions" in message
    emulator.enforce_iam_authorization(False)
    assert sorted(iam.list_organizations_features()["EnabledFeatures"]) == list(BOTH), "nothing was disabled"


def test_reset_forgets_which_account_was_a_member(emulator):
    """moto's own reset kept member accounts mapped to their management account, so a former member's
    DescribeOrganization failed with HTTP 500 after a reset; it is standalone again, as in a fresh state."""
    (member,) = organization(emulator, members=1)
    emulator.reset()
    organizations = emulator.client("organizations", member)
    code, status, _message = error_of(organizations.describe_organization)
    assert (code, status) == ("AWSOrganizationsNotInUseException", 400)


# ----- enforced IAM authorization of sts:AssumeRoot and the feature actions ----------------------------------

ROOT_ACCESS_POLICY = Path(__file__).resolve().parents[2] / "docs" / "policies" / "accountguard-root-access.json"


def caller_with(emulator, policy: dict | None, name: str = "opener") -> dict:
    """An IAM user of the management account with only ``policy`` (inline), and ordinary clients with its keys."""
    iam = emulator.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    credentials = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    return {service: emulator.session_client(service, credentials) for service in ("sts", "iam")}


def published_policy() -> dict:
    return json.loads(ROOT_ACCESS_POLICY.read_text(encoding="utf-8"))


def assume_statement(**condition) -> dict:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRoot", "Resource": "arn:aws:iam::*:root"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def open_with(clients, target: str, policy: str):
    return clients["sts"].assume_root(TargetPrincipal=target, TaskPolicyArn={"arn": policy})["Credentials"]


@pytest.mark.parametrize("policy", [AUDIT, DELETE])
def test_enforced_the_published_policy_opens_the_two_task_policies(emulator, policy):
    member, _members = organization(emulator)
    clients = caller_with(emulator, published_policy())
    emulator.enforce_iam_authorization()
    credentials = open_with(clients, member, policy)
    assert credentials["AccessKeyId"] and credentials["SessionToken"]
    # and its features statement reads the Organization's features
    assert clients["iam"].list_organizations_features()["EnabledFeatures"] == list(BOTH)


@pytest.mark.parametrize("policy", [PASSWORD, TASK + "S3UnlockBucketPolicy", TASK + "SQSUnlockQueuePolicy"])
def test_enforced_the_published_policy_refuses_any_other_task_policy(emulator, policy):
    member, _members = organization(emulator)
    clients = caller_with(emulator, published_policy())
    emulator.enforce_iam_authorization()
    code, status, message = error_of(open_with, clients, member, policy)
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:AssumeRoot" in message and f"arn:aws:iam::{member}:root" in message and "user/opener" in message
    assert emulator.issued_root_sessions() == []


def test_enforced_without_the_statement_assume_root_is_denied_and_the_features_too(emulator):
    member, _members = organization(emulator)
    features_only = published_policy()
    features_only["Statement"] = [s for s in features_only["Statement"] if s["Action"] != "sts:AssumeRoot"]
    clients = caller_with(emulator, features_only, "reader")
    nothing = caller_with(emulator, None, "nobody")
    emulator.enforce_iam_authorization()
    code, _status, message = error_of(open_with, clients, member, AUDIT)
    assert code == "AccessDenied" and "no identity-based policy allows the sts:AssumeRoot action" in message
    assert clients["iam"].list_organizations_features()["EnabledFeatures"] == list(BOTH)
    code, _status, message = error_of(nothing["iam"].list_organizations_features)
    assert code == "AccessDenied" and "iam:ListOrganizationsFeatures" in message


def test_not_enforced_any_caller_opens_any_task_policy(emulator):
    member, _members = organization(emulator)
    clients = caller_with(emulator, None, "nobody")
    assert open_with(clients, member, PASSWORD)["AccessKeyId"]


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        # a condition on a key AssumeRoot sets, with wildcards
        (assume_statement(StringLike={"sts:TaskPolicyArn": TASK + "IAMAudit*"}), {AUDIT}),
        # negated: every task policy but the password one
        (assume_statement(StringNotEquals={"sts:TaskPolicyArn": PASSWORD}), {AUDIT, DELETE}),
        # a key AssumeRoot does not set: never equal, so nothing is allowed; with IfExists, everything
        (assume_statement(StringEquals={"aws:SourceVpc": "vpc-1"}), set()),
        (assume_statement(StringEqualsIfExists={"aws:SourceVpc": "vpc-1"}), {AUDIT, DELETE, PASSWORD}),
        # the resource is the target's root: another account's root is not it
        (
            {
                "Version": "2012-10-17",
                "Statement": [{**assume_statement()["Statement"][0], "Resource": "arn:aws:iam::999999999999:root"}],
            },
            set(),
        ),
        # an explicit deny wins over an allow
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    assume_statement()["Statement"][0],
                    {
                        "Effect": "Deny",
                        "Action": "sts:*",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"sts:TaskPolicyArn": DELETE}},
                    },
                ],
            },
            {AUDIT, PASSWORD},
        ),
        # two allows with different conditions: either one allows (a failing condition only does not apply)
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    assume_statement(StringEquals={"sts:TaskPolicyArn": AUDIT})["Statement"][0],
                    assume_statement(StringEquals={"sts:TaskPolicyArn": DELETE})["Statement"][0],
                ],
            },
            {AUDIT, DELETE},
        ),
    ],
)
def test_enforced_conditions_resources_and_deny_are_evaluated_as_iam_does(emulator, policy, allowed):
    member, _members = organization(emulator)
    clients = caller_with(emulator, policy)
    emulator.enforce_iam_authorization()
    opened = set()
    for task_policy in (AUDIT, DELETE, PASSWORD):
        try:
            open_with(clients, member, task_policy)
            opened.add(task_policy)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied", error.response
    assert opened == allowed


def test_enforced_an_operator_the_emulator_cannot_evaluate_is_an_error_not_a_pass(emulator):
    member, _members = organization(emulator)
    policy = assume_statement(**{"ForAnyValue:StringEquals": {"sts:TaskPolicyArn": [AUDIT]}})
    clients = caller_with(emulator, policy)
    emulator.enforce_iam_authorization()
    code, status, message = error_of(open_with, clients, member, AUDIT)
    assert (code, status) == ("EmulatorUnsupportedCondition", 500) and "ForAnyValue:StringEquals" in message


def test_enforced_an_unknown_key_is_refused_and_the_tests_own_clients_stay_exempt(emulator):
    member, _members = organization(emulator)
    emulator.enforce_iam_authorization()
    code, status, _message = error_of(
        emulator.session_client("sts", {"AccessKeyId": "AKIAUNKNOWN000000000", "SecretAccessKey": "x"}).assume_root,
        TargetPrincipal=member,
        TaskPolicyArn={"arn": AUDIT},
    )
    assert (code, status) == ("InvalidClientTokenId", 403)
    # the test arranges and reads state whatever is enforced
    assert emulator.client("iam").list_organizations_features()["EnabledFeatures"] == list(BOTH)
