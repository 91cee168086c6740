"""IAM policy evaluation of accountguard.aws.iam_policy_check: full-administrator documents, the three checks
over GetAccountAuthorizationDetails data (no AWS)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _policies as pol
from ansible_collections.accountguard.aws.plugins.module_utils import _users as users_model

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def doc(*stmts, single=False):
    return {"Version": "2012-10-17", "Statement": stmts[0] if single else list(stmts)}


# (name, document, grants full admin)
DOCUMENTS = [
    ("single statement object", doc(ALLOW_ALL, single=True), True),
    ("statement list", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, ALLOW_ALL), True),
    ("action list holding *", doc({"Effect": "Allow", "Action": ["s3:*", "*"], "Resource": "*"}), True),
    ("star colon star", doc({"Effect": "Allow", "Action": "*:*", "Resource": "*"}), True),
    ("service wildcard only", doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}), False),
    (
        "action list without full wildcard",
        doc({"Effect": "Allow", "Action": ["iam:*", "s3:*"], "Resource": "*"}),
        False,
    ),
    ("resource list holding *", doc({"Effect": "Allow", "Action": "*", "Resource": ["arn:aws:s3:::b", "*"]}), True),
    ("resource arn wildcard", doc({"Effect": "Allow", "Action": "*", "Resource": "arn:*"}), True),
    ("narrow resource", doc({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}), False),
    ("NotAction allow", doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), False),
    ("NotAction allow of nothing real", doc({"Effect": "Allow", "NotAction": "x:y", "Resource": "*"}), False),
    ("NotResource allow", doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"}), False),
    ("deny all", doc({"Effect": "Deny", "Action": "*", "Resource": "*"}), False),
    (
        "unconditional deny overrides",
        doc(ALLOW_ALL, {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}),
        False,
    ),
    (
        "unconditional NotAction deny overrides",
        doc(ALLOW_ALL, {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}),
        False,
    ),
    (
        "conditional deny does not override",
        doc(
            ALLOW_ALL,
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ),
        True,
    ),
    (
        "conditional allow still counts",
        doc({**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
        True,
    ),
    ("lower-case effect is not IAM's Allow", doc({"Effect": "allow", "Action": "*", "Resource": "*"}), False),
    ("no statement", {"Version": "2012-10-17"}, False),
    ("empty statement list", doc(), False),
    ("statement without resource", doc({"Effect": "Allow", "Action": "*"}), False),
    ("json text", json.dumps(doc(ALLOW_ALL)), True),
    ("url-encoded json, as IAM returns it", quote(json.dumps(doc(ALLOW_ALL)), safe=""), True),
    (
        "url-encoded json, narrow",
        quote(json.dumps(doc({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})), safe=""),
        False,
    ),
    ("double star", doc({"Effect": "Allow", "Action": "**", "Resource": "*"}), True),
]


@pytest.mark.parametrize(
    ("document", "expected"), [(d, e) for _n, d, e in DOCUMENTS], ids=[n for n, _d, _e in DOCUMENTS]
)
def test_grants_full_admin(document, expected):
    assert pol.grants_full_admin(document) is expected


def test_the_table_is_at_least_fifteen_documents_of_both_verdicts():
    assert len(DOCUMENTS) >= 15
    assert {e for _n, _d, e in DOCUMENTS} == {True, False}


@pytest.mark.parametrize("bad", ["not json", "%7Bbroken", 42, '["a list"]'])
def test_undecodable_documents_raise(bad):
    with pytest.raises(pol.PolicyDocumentError):
        pol.decode_document(bad)


ACCOUNT = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
CLOUDSHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
CUSTOM_ALL = f"arn:aws:iam::{ACCOUNT}:policy/AllowAll"
CUSTOM_S3 = f"arn:aws:iam::{ACCOUNT}:policy/S3Read"


def details():
    """A GetAccountAuthorizationDetails answer as botocore gives it (documents decoded, or URL-encoded text)."""
    return {
        "UserDetailList": [
            {"UserName": "clean", "Arn": f"arn:aws:iam::{ACCOUNT}:user/clean", "GroupList": ["Cloudadmin"]},
            {
                "UserName": "direct",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/direct",
                "AttachedManagedPolicies": [{"PolicyName": "AWSCloudShellFullAccess", "PolicyArn": CLOUDSHELL}],
                "UserPolicyList": [{"PolicyName": "mine", "PolicyDocument": quote(json.dumps(doc(ALLOW_ALL)))}],
            },
        ],
        "GroupDetailList": [
            {
                "GroupName": "Cloudadmin",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/Cloudadmin",
                "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}],
                "GroupPolicyList": [
                    {
                        "PolicyName": "RequireMFA",
                        "PolicyDocument": doc({"Effect": "Deny", "Action": "*", "Resource": "*"}),
                    }
                ],
            },
            {
                "GroupName": "readers",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/readers",
                "AttachedManagedPolicies": [{"PolicyName": "S3Read", "PolicyArn": CUSTOM_S3}],
            },
        ],
        "RoleDetailList": [
            {
                "RoleName": "deploy",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/deploy",
                "AttachedManagedPolicies": [{"PolicyName": "AllowAll", "PolicyArn": CUSTOM_ALL}],
            },
            {
                "RoleName": "other-admin",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/other-admin",
                "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}],
            },
        ],
        "Policies": [
            {
                "Arn": CUSTOM_ALL,
                "DefaultVersionId": "v2",
                "PolicyVersionList": [
                    {
                        "VersionId": "v1",
                        "IsDefaultVersion": False,
                        "Document": doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
                    },
                    {
                        "VersionId": "v2",
                        "IsDefaultVersion": True,
                        "Document": doc({"Effect": "Allow", "Action": "*:*", "Resource": "*"}),
                    },
                ],
            },
            {
                "Arn": CUSTOM_S3,
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "Document": doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}),
                    },
                    {"VersionId": "v2", "IsDefaultVersion": False, "Document": doc(ALLOW_ALL)},
                ],
            },
        ],
    }


def source():
    reduced = pol.reduce_details(details())
    json.dumps(reduced)  # JSON-safe: it travels through task results
    return reduced


def test_reduce_keeps_only_the_default_version_and_decodes_documents():
    reduced = source()
    assert reduced["policies"][CUSTOM_ALL]["Statement"][0]["Action"] == "*:*"
    direct = next(p for p in reduced["principals"] if p["name"] == "direct")
    assert direct["inline"][0]["document"]["Statement"][0] == ALLOW_ALL
    assert [p["kind"] for p in reduced["principals"]] == ["user", "user", "group", "group", "role", "role"]


def test_the_source_gives_iam_users_what_it_read_of_each_user():
    """One read serves iam_users too: the users of the reduced source, in UserDetailList's shape, hold what
    iam_users reads of a user (name, ARN, path, tags, groups, policies) and state_from_details sees the same."""
    answer = details()
    answer["UserDetailList"][0] |= {
        "Path": "/ops/",
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/ops/clean",
        "Tags": [{"Key": "team", "Value": "payments"}, {"Key": "empty"}],
        "GroupList": ["Cloudadmin", "readers"],
        "UserId": "AIDAEXAMPLE",
        "CreateDate": "2026-01-01T00:00:00Z",
    }
    users = pol.user_details(source_of(answer))
    assert [u["UserName"] for u in users] == ["clean", "direct"]  # no group or role
    clean, direct = users
    assert clean == {
        "UserName": "clean",
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/ops/clean",
        "Path": "/ops/",
        "Tags": [{"Key": "team", "Value": "payments"}, {"Key": "empty", "Value": ""}],
        "GroupList": ["Cloudadmin", "readers"],
        "AttachedManagedPolicies": [],
        "UserPolicyList": [],
    }
    # a user with no Path, Tags or GroupList in the answer: IAM's defaults
    assert direct["Path"] == "/" and direct["Tags"] == [] and direct["GroupList"] == []
    assert direct["AttachedManagedPolicies"] == [{"PolicyName": "AWSCloudShellFullAccess", "PolicyArn": CLOUDSHELL}]
    assert direct["UserPolicyList"] == [{"PolicyName": "mine"}]
    same = [users_model.state_from_details(d) for d in answer["UserDetailList"]]
    assert [users_model.state_from_details(d) for d in users] == same


def source_of(answer):
    reduced = pol.reduce_details(answer)
    return json.loads(json.dumps(reduced))  # as it comes back through a task's result


def test_group_permissions_fails_users_with_their_own_policies_and_passes_the_others():
    verdicts = pol.check_group_permissions(pol.principals_of(source()))
    assert [(v.resource.rsplit("/", 1)[-1], v.status) for v in verdicts] == [("clean", "pass"), ("direct", "fail")]
    assert "AWSCloudShellFullAccess, mine (inline)" in verdicts[1].message


def test_admin_policies_accepts_only_the_admin_groups_aws_managed_policy():
    verdicts = pol.check_admin_policies(pol.principals_of(source()), source()["policies"], "Cloudadmin")
    got = {(v.resource.rsplit(":", 1)[-1], v.status) for v in verdicts}
    assert got == {
        ("user/direct", "fail"),
        ("group/Cloudadmin", "accepted"),
        ("role/deploy", "fail"),
        ("role/other-admin", "fail"),
    }
    accepted = next(v for v in verdicts if v.status == "accepted")
    assert "docs/exceptions.md" in accepted.message and accepted.message.startswith("accepted exception:")


def test_admin_policies_without_an_admin_group_fails_cloudadmin_too():
    verdicts = pol.check_admin_policies(pol.principals_of(source()), source()["policies"], None)
    assert {v.status for v in verdicts} == {"fail"}
    assert len(verdicts) == 4


def test_an_inline_full_admin_policy_on_the_admin_group_is_not_accepted():
    principals = [
        pol.Principal(
            "group", "Cloudadmin", f"arn:aws:iam::{ACCOUNT}:group/Cloudadmin", (pol.InlinePolicy("x", doc(ALLOW_ALL)),)
        )
    ]
    [verdict] = pol.check_admin_policies(principals, {}, "Cloudadmin")
    assert verdict.status == "fail"


def test_cloudshell_attachments_in_any_partition():
    principals = [
        *pol.principals_of(source()),
        pol.Principal(
            "role",
            "gov",
            "arn:aws-us-gov:iam::1:role/gov",
            attached=("arn:aws-us-gov:iam::aws:policy/AWSCloudShellFullAccess",),
        ),
        pol.Principal(
            "role",
            "fake",
            "arn:aws:iam::1:role/fake",
            attached=(f"arn:aws:iam::{ACCOUNT}:policy/AWSCloudShellFullAccess",),
        ),
    ]
    found = pol.cloudshell_attachments(principals)
    assert [(a.kind, a.name) for a in found] == [("user", "direct"), ("role", "gov")]
    assert [v.status for v in pol.check_cloudshell_access(found)] == ["fail", "fail"]
