"""Behaviours tests switch on: AssumeRole refusal, small pages, injected faults, eventual consistency."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from emulator import DEFAULT_ACCOUNT_ID, EmulatorError

MEMBER = "111111111111"
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"


def plain_client(emulator, service: str, attempts: int = 1):
    """A client as the code under test builds it: logged, faulted, no emulator privileges."""
    return boto3.client(
        service,
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def org_with_accounts(emulator, n: int) -> list[str]:
    org = emulator.client("organizations")
    org.create_organization(FeatureSet="ALL")
    return [
        org.create_account(AccountName=f"acct{i}", Email=f"a{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(n)
    ]


# ----- AssumeRole refusal ----------------------------------------------------------------------------------


def test_deny_assume_role_refuses_only_that_account(emulator):
    org_with_accounts(emulator, 2)
    emulator.deny_assume_role(MEMBER)
    sts = plain_client(emulator, "sts")
    with pytest.raises(ClientError) as err:
        sts.assume_role(RoleArn=ROLE.format(MEMBER), RoleSessionName="baseline")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert ROLE.format(MEMBER) in err.value.response["Error"]["Message"]
    creds = sts.assume_role(RoleArn=ROLE.format("222222222222"), RoleSessionName="baseline")["Credentials"]
    assert creds["AccessKeyId"]
    emulator.deny_assume_role(MEMBER, deny=False)
    assert sts.assume_role(RoleArn=ROLE.format(MEMBER), RoleSessionName="baseline")["Credentials"]["AccessKeyId"]


def test_denied_account_stays_reachable_for_the_test_itself(emulator):
    emulator.deny_assume_role(MEMBER)
    assert emulator.client("sts", MEMBER).get_caller_identity()["Account"] == MEMBER
    assert emulator.env(MEMBER)["AWS_SESSION_TOKEN"]


# ----- page size -------------------------------------------------------------------------------------------


def test_list_accounts_pages_follow_the_set_size(emulator):
    created = org_with_accounts(emulator, 5)
    emulator.set_page_size("organizations:ListAccounts", 2)
    org = plain_client(emulator, "organizations")
    first = org.list_accounts()
    assert len(first["Accounts"]) == 2 and first["NextToken"]
    pages = list(org.get_paginator("list_accounts").paginate())
    assert [len(p["Accounts"]) for p in pages] == [2, 2, 2]
    assert [a["Id"] for p in pages for a in p["Accounts"]] == [DEFAULT_ACCOUNT_ID, *created]
    # A caller asking for fewer gets fewer; asking for more still gets at most the set size.
    assert len(org.list_accounts(MaxResults=1)["Accounts"]) == 1
    assert len(org.list_accounts(MaxResults=20)["Accounts"]) == 2


@pytest.mark.parametrize(
    ("action", "method", "kwargs", "result_key"),
    [
        ("ListAccountsForParent", "list_accounts_for_parent", {}, "Accounts"),
        ("ListChildren", "list_children", {"ChildType": "ORGANIZATIONAL_UNIT"}, "Children"),
        ("ListOrganizationalUnitsForParent", "list_organizational_units_for_parent", {}, "OrganizationalUnits"),
    ],
)
def test_other_organization_lists_page_too(emulator, action, method, kwargs, result_key):
    org_with_accounts(emulator, 3)
    admin = emulator.client("organizations")
    root_id = admin.list_roots()["Roots"][0]["Id"]
    for name in ("a", "b", "c"):
        admin.create_organizational_unit(ParentId=root_id, Name=name)
    emulator.set_page_size(f"organizations:{action}", 1)
    pages = list(plain_client(emulator, "organizations").get_paginator(method).paginate(ParentId=root_id, **kwargs))
    assert len(pages) >= 3
    assert all(len(p[result_key]) == 1 for p in pages)
    emulator.set_page_size(f"organizations:{action}", None)
    unpaged = getattr(plain_client(emulator, "organizations"), method)(ParentId=root_id, **kwargs)
    assert len(unpaged[result_key]) == len(pages)


def test_page_size_rejects_bad_input(emulator):
    with pytest.raises(EmulatorError, match="service:Action"):
        emulator.set_page_size("ListAccounts", 2)
    with pytest.raises(EmulatorError, match="at least 1"):
        emulator.set_page_size("organizations:ListAccounts", 0)
    with pytest.raises(EmulatorError, match="GetAccountAuthorizationDetails"):
        emulator.set_page_size("iam:ListUsers", 2)  # IAM lists are paged by moto, this one by the emulator


def seed_authorization_details(emulator):
    iam = emulator.client("iam")
    for i in range(3):
        iam.create_user(UserName=f"u{i}", Tags=[{"Key": "n", "Value": str(i)}])
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u1")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]}
    trust["Statement"][0]["Action"] = "sts:AssumeRole"
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(document))


FILTER = ["User", "Group", "Role", "LocalManagedPolicy"]
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def test_authorization_details_page_across_the_four_lists(emulator):
    """GetAccountAuthorizationDetails pages its four lists together (moto answers one page and ignores
    MaxItems): a set page size, or a caller's smaller MaxItems, with IsTruncated and Marker to the end."""
    seed_authorization_details(emulator)
    iam = plain_client(emulator, "iam")
    whole = iam.get_account_authorization_details(Filter=FILTER)
    assert whole["IsTruncated"] is False and "Marker" not in whole
    assert [len(whole[key]) for key in LISTS] == [3, 1, 1, 1]

    emulator.set_page_size("iam:GetAccountAuthorizationDetails", 2)
    pages = list(iam.get_paginator("get_account_authorization_details").paginate(Filter=FILTER))
    assert [sum(len(p[key]) for key in LISTS) for p in pages] == [2, 2, 2]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    merged = {key: [item for p in pages for item in p[key]] for key in LISTS}
    assert merged == {key: whole[key] for key in LISTS}  # every item once, in order, with its details
    assert next(u for u in merged["UserDetailList"] if u["UserName"] == "u1")["GroupList"] == ["g"]

    smaller = iam.get_account_authorization_details(Filter=FILTER, MaxItems=1)
    assert [len(smaller[key]) for key in LISTS] == [1, 0, 0, 0] and smaller["IsTruncated"] is True
    users_only = list(iam.get_paginator("get_account_authorization_details").paginate(Filter=["User"]))
    assert [len(p["UserDetailList"]) for p in users_only] == [2, 1]

    emulator.set_page_size("iam:GetAccountAuthorizationDetails", None)
    assert iam.get_account_authorization_details(Filter=FILTER)["IsTruncated"] is False
    unpaged_by_caller = iam.get_account_authorization_details(Filter=FILTER, MaxItems=4)
    assert sum(len(unpaged_by_caller[key]) for key in LISTS) == 4 and unpaged_by_caller["IsTruncated"] is True
    follow = iam.get_account_authorization_details(Filter=FILTER, MaxItems=4, Marker=unpaged_by_caller["Marker"])
    assert sum(len(follow[key]) for key in LISTS) == 2 and follow["IsTruncated"] is False


# ----- faults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "service", "code", "status"),
    [
        ("throttling", "iam", "Throttling", 400),
        ("throttling", "organizations", "TooManyRequestsException", 400),
        ("500", "iam", "ServiceFailure", 500),
        ("503", "iam", "ServiceUnavailable", 503),
        ("503", "organizations", "ServiceUnavailable", 503),
    ],
)
def test_fault_answers_are_aws_shaped(emulator, kind, service, code, status):
    emulator.client("organizations").create_organization(FeatureSet="ALL")
    emulator.set_faults(rate=1.0, kinds=[kind], seed=1)
    client = plain_client(emulator, service)
    call = client.list_users if service == "iam" else client.list_accounts
    with pytest.raises(ClientError) as err:
        call()
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert emulator.requests()[-1]["fault"] == kind


def test_dropped_connection(emulator):
    emulator.set_faults(rate=1.0, kinds=["drop"])
    with pytest.raises(ConnectionClosedError):
        plain_client(emulator, "iam").list_users()


def test_slow_answer_is_slow_but_applied(emulator):
    emulator.set_faults(rate=1.0, kinds=["slow"], slow_seconds=0.3)
    started = time.monotonic()
    plain_client(emulator, "iam").create_user(UserName="slowpoke")
    assert time.monotonic() - started >= 0.3
    assert emulator.client("iam").get_user(UserName="slowpoke")["User"]["UserName"] == "slowpoke"
    assert emulator.requests()[-1]["fault"] == "slow"


def test_faulted_writes_are_not_applied(emulator):
    emulator.set_faults(rate=1.0, kinds=["500", "503", "throttling", "drop"], seed=3)
    iam = plain_client(emulator, "iam")
    for name in ("u1", "u2", "u3", "u4"):
        with pytest.raises((ClientError, ConnectionClosedError)):
            iam.create_user(UserName=name)
    assert emulator.client("iam").list_users()["Users"] == []
    log = emulator.requests(writes_only=True)
    assert len(log) == 4 and all(entry["fault"] for entry in log)


def test_fault_rate_is_deterministic_with_a_seed(emulator):
    def run() -> list:
        emulator.clear_requests()
        emulator.set_faults(rate=0.3, kinds=["throttling", "500"], seed=42)
        iam = plain_client(emulator, "iam")
        for _call in range(40):
            with contextlib.suppress(ClientError):
                iam.list_users()
        return [entry.get("fault") for entry in emulator.requests()]

    first = run()
    assert first == run()
    faulted = Counter(first)
    assert 4 <= 40 - faulted[None] <= 20, faulted


def test_seeded_faults_do_not_depend_on_other_accounts_calls(emulator):
    def faults_of_member(interleave: bool) -> list:
        emulator.reset()
        emulator.set_faults(rate=0.5, kinds=["500"], seed=9)
        member = boto3.client(
            "iam",
            endpoint_url=emulator.url,
            region_name="us-east-1",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            **emulator.credentials(MEMBER),
        )
        other = plain_client(emulator, "iam")
        for _call in range(12):
            for client in (member, other) if interleave else (member,):
                with contextlib.suppress(ClientError):
                    client.list_users()
        return [e.get("fault") for e in emulator.requests(account_id=MEMBER)]

    alone = faults_of_member(interleave=False)
    assert alone == faults_of_member(interleave=True)
    assert "500" in alone and None in alone


def test_faults_can_target_accounts_and_actions(emulator):
    emulator.set_faults(rate=1.0, kinds=["500"], accounts=[MEMBER], actions=["CreateUser"])
    emulator.client("iam", logged=True).create_user(UserName="main-ok")
    emulator.client("iam", MEMBER, logged=True).list_users()
    member_iam = boto3.client(
        "iam",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        **emulator.credentials(MEMBER),
    )
    with pytest.raises(ClientError):
        member_iam.create_user(UserName="member-fails")
    assert [(e["account_id"], e["action"], e.get("fault")) for e in emulator.requests()] == [
        (DEFAULT_ACCOUNT_ID, "CreateUser", None),
        (MEMBER, "ListUsers", None),
        (MEMBER, "CreateUser", "500"),
    ]


def test_boto3_retries_ride_out_a_fault_rate(emulator):
    emulator.set_faults(rate=0.3, seed=7, slow_seconds=0.01)
    iam = plain_client(emulator, "iam", attempts=10)
    for i in range(10):
        iam.create_user(UserName=f"user{i}")
    emulator.set_faults(rate=0)
    assert len(emulator.client("iam").list_users()["Users"]) == 10
    assert any("fault" in entry for entry in emulator.requests())


def test_set_faults_rejects_bad_input(emulator):
    with pytest.raises(EmulatorError, match="rate"):
        emulator.set_faults(rate=1.5)
    with pytest.raises(EmulatorError, match="unknown fault"):
        emulator.set_faults(rate=0.5, kinds=["meteor"])


def test_emulator_clients_are_never_faulted(emulator):
    emulator.set_faults(rate=1.0, kinds=["500"])
    emulator.client("iam").create_user(UserName="arranged")
    assert [u["UserName"] for u in emulator.client("iam").list_users()["Users"]] == ["arranged"]


# ----- eventual consistency --------------------------------------------------------------------------------


def test_new_users_and_groups_are_invisible_to_reads_for_a_moment(emulator):
    # A window far longer than the test needs, closed explicitly, so the test never races the clock.
    emulator.set_eventual_consistency(30)
    iam = plain_client(emulator, "iam")
    iam.create_user(UserName="fresh")
    iam.create_group(GroupName="fresh-group")
    for call in (lambda: iam.get_user(UserName="fresh"), lambda: iam.get_group(GroupName="fresh-group")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    # The write really happened: the test's own view sees it at once.
    assert emulator.client("iam").get_user(UserName="fresh")["User"]["UserName"] == "fresh"
    emulator.set_eventual_consistency(0)
    assert iam.get_user(UserName="fresh")["User"]["UserName"] == "fresh"
    assert iam.get_group(GroupName="fresh-group")["Group"]["GroupName"] == "fresh-group"


# ----- moto fixes ------------------------------------------------------------------------------------------


def test_update_group_moves_a_group_on_new_path_alone(emulator):
    iam = plain_client(emulator, "iam")
    iam.create_group(GroupName="Cloudadmin", Path="/legacy/")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.update_group(GroupName="Cloudadmin", NewPath="/ops/")
    group = emulator.client("iam").get_group(GroupName="Cloudadmin")["Group"]
    assert (group["Path"], group["Arn"]) == ("/ops/", f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:group/ops/Cloudadmin")
    attached = emulator.client("iam").list_attached_group_policies(GroupName="Cloudadmin")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["ReadOnlyAccess"]
    # A rename still carries the path along, and a missing group is an AWS-shaped NoSuchEntity.
    iam.update_group(GroupName="Cloudadmin", NewGroupName="Admins", NewPath="/")
    assert emulator.client("iam").get_group(GroupName="Admins")["Group"]["Path"] == "/"
    with pytest.raises(ClientError) as err:
        iam.update_group(GroupName="Cloudadmin", NewPath="/ops/")
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"


# ----- IAM authorization -----------------------------------------------------------------------------------


def test_enforced_iam_authorization_applies_policies_but_not_to_the_test(emulator):
    admin = emulator.client("iam")
    admin.create_user(UserName="auditor")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
    admin.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = admin.create_access_key(UserName="auditor")["AccessKey"]
    auditor = boto3.client(
        "iam",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    emulator.enforce_iam_authorization()
    assert [u["UserName"] for u in auditor.list_users()["Users"]] == ["auditor"]
    with pytest.raises(ClientError) as err:
        auditor.create_user(UserName="intruder")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert "iam:CreateUser" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        plain_client(emulator, "iam").list_users()
    admin.create_user(UserName="arranged-by-the-test")
    emulator.reset()
    assert plain_client(emulator, "iam").list_users()["Users"] == []


def test_security_hub_calls_are_logged_by_operation_and_authorized_when_enforced(emulator):
    """Security Hub speaks REST-JSON (no Action parameter, no X-Amz-Target): the request log names each call by the
    operation its method and path are in botocore's model, and the BatchUpdateFindings the emulator answers itself
    is authorized like the calls moto answers."""
    admin = emulator.client("iam")
    admin.create_user(UserName="importer")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["securityhub:GetFindings"], "Resource": "*"}],
    }
    admin.put_user_policy(UserName="importer", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = admin.create_access_key(UserName="importer")["AccessKey"]
    emulator.client("securityhub").enable_security_hub()
    hub = emulator.client("securityhub", logged=True)
    hub.get_findings()
    identifier = {"Id": "x", "ProductArn": f"arn:aws:securityhub:us-east-1:{DEFAULT_ACCOUNT_ID}:product/x/default"}
    hub.batch_update_findings(FindingIdentifiers=[identifier], Workflow={"Status": "RESOLVED"})
    assert [(c["service"], c["action"], c["write"]) for c in emulator.requests()] == [
        ("securityhub", "GetFindings", False),
        ("securityhub", "BatchUpdateFindings", True),
    ]
    importer = boto3.client(
        "securityhub",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    emulator.enforce_iam_authorization()
    assert importer.get_findings()["Findings"] == []
    with pytest.raises(ClientError) as err:
        importer.batch_update_findings(FindingIdentifiers=[identifier], Workflow={"Status": "RESOLVED"})
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "securityhub:BatchUpdateFindings" in err.value.response["Error"]["Message"]
