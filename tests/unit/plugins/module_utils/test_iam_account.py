"""The support role's and the server certificates' decisions (plugins/module_utils/_iam_account.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _iam_account as plan

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ROOT = "arn:aws:iam::123456789012:root"


@pytest.mark.parametrize(
    "principals",
    [
        ["111122223333"],
        ["arn:aws:iam::111122223333:root"],
        ["arn:aws:iam::111122223333:role/SecurityAdmins", "arn:aws:iam::111122223333:user/path/alice"],
        ["arn:aws-us-gov:iam::111122223333:role/Ops"],
    ],
)
def test_principals_accepted(principals):
    assert plan.principal_errors(principals) == []


@pytest.mark.parametrize(
    "principals",
    [
        [],
        None,
        "111122223333",
        ["*"],
        ["11112222333"],
        ["arn:aws:iam::*:root"],
        ["arn:aws:iam::111122223333:role/*"],
        ["arn:aws:s3:::bucket"],
        ["arn:aws:iam::111122223333:group/admins"],
        ["arn:aws:iam::aws:policy/AWSSupportAccess"],
        [12],
    ],
)
def test_principals_refused(principals):
    assert plan.principal_errors(principals)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, []),
        ({"name": "AWSSupportRole", "path": "/", "trusted_principals": ["111122223333"]}, []),
        ({"name": "bad name!", "path": "/", "trusted_principals": ["111122223333"]}, ["support_role.name"]),
        ({"name": "x" * 65, "path": "/", "trusted_principals": ["111122223333"]}, ["support_role.name"]),
        ({"name": "ok", "path": "no-slashes", "trusted_principals": ["111122223333"]}, ["support_role.path"]),
        ({"name": "ok", "path": "/", "trusted_principals": []}, ["support_role.trusted_principals"]),
    ],
)
def test_support_role_errors(spec, expected):
    errors = plan.support_role_errors(spec)
    assert len(errors) == len(expected)
    for error, prefix in zip(errors, expected, strict=True):
        assert error.startswith(prefix)


def test_trust_policy_names_account_roots_by_arn_once_and_sorted():
    policy = plan.trust_policy(["222233334444", "arn:aws:iam::111122223333:root", "222233334444"], "aws")
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::222233334444:root"]},
            "Action": "sts:AssumeRole",
        }
    ]
    single = plan.trust_policy(["111122223333"], "aws-cn")
    assert single["Statement"][0]["Principal"] == {"AWS": "arn:aws-cn:iam::111122223333:root"}


def test_trust_differs_ignores_list_versus_string_but_not_other_principals():
    desired = plan.trust_policy(["111122223333"], "aws")
    as_list = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": ["sts:AssumeRole"]}
        ],
    }
    other = plan.trust_policy(["999988887777"], "aws")
    assert not plan.trust_differs(as_list, desired)
    assert plan.trust_differs(other, desired)
    assert plan.trust_differs(None, desired)


SPEC = {"name": "AWSSupportRole", "path": "/", "trusted_principals": ["111122223333"]}
TRUST = plan.trust_policy(["111122223333"], "aws")


@pytest.mark.parametrize(
    ("attached", "spec", "role", "expected"),
    [
        # check only: nothing to do whatever the account holds
        ([], None, None, (False, False, False)),
        # declared role missing: create and attach
        ([], SPEC, None, (True, True, False)),
        # exists, policy not attached, same trust: attach only
        (["Other"], SPEC, {"AssumeRolePolicyDocument": TRUST}, (False, True, False)),
        # exists with the policy but trusts someone else: the declared trust policy
        (
            ["AWSSupportRole"],
            SPEC,
            {"AssumeRolePolicyDocument": plan.trust_policy(["999988887777"], "aws")},
            (False, False, True),
        ),
        # exists and complies: nothing
        (["AWSSupportRole"], SPEC, {"AssumeRolePolicyDocument": TRUST}, (False, False, False)),
    ],
)
def test_plan_support_role(attached, spec, role, expected):
    steps = plan.plan_support_role(attached, spec, role, "aws")
    assert (steps["create"], steps["attach"], steps["update_trust"]) == expected
    if spec is not None:
        assert steps["after"] == {"role_name": "AWSSupportRole", "policy_attached": True, "trust_policy": TRUST}
        assert steps["before"] == (
            None
            if role is None
            else {
                "role_name": "AWSSupportRole",
                "policy_attached": "AWSSupportRole" in attached,
                "trust_policy": role["AssumeRolePolicyDocument"],
            }
        )


def test_support_role_findings():
    (passing,) = plan.support_role_findings(["b", "a"], ROOT)
    assert (passing["id"], passing["status"], passing["resource"]) == ("support_role", "pass", ROOT)
    assert "a, b" in passing["message"]
    assert "cis-aws-3.0:1.17" in passing["cis"] and "cis-aws-5.0:1.16" in passing["cis"]
    (failing,) = plan.support_role_findings([], ROOT)
    assert failing["status"] == "fail"


def cert(name, expires_in_days):
    return {
        "ServerCertificateName": name,
        "Path": "/",
        "Arn": f"arn:aws:iam::123456789012:server-certificate/{name}",
        "ServerCertificateId": "ASCA" + name.upper(),
        "UploadDate": NOW - timedelta(days=400),
        "Expiration": NOW + timedelta(days=expires_in_days),
    }


@pytest.mark.parametrize(
    ("days", "expired", "since"),
    [(-30, True, 30), (0, True, 0), (1, False, None), (365, False, None)],
)
def test_certificate_expiry(days, expired, since):
    (evaluated,) = plan.evaluate_certificates([cert("site", days)], NOW)
    assert (evaluated["expired"], evaluated["days_since_expiry"]) == (expired, since)


def test_only_expired_certificates_are_deleted_and_only_when_asked():
    certs = plan.evaluate_certificates([cert("old", -3), cert("new", 30)], NOW)
    assert plan.certificates_to_delete(certs, delete_expired=False) == []
    assert [c["name"] for c in plan.certificates_to_delete(certs, delete_expired=True)] == ["old"]


def test_certificate_findings():
    certs = plan.evaluate_certificates([cert("old", -3), cert("new", 30)], NOW)
    found = plan.certificate_findings(certs, [], ROOT)
    assert [(f["status"], f["resource"].rsplit("/", 1)[1]) for f in found] == [("fail", "old"), ("pass", "new")]
    assert "expired on 2026-12-02 (3 days ago)" in found[0]["message"]
    assert "cis-aws-3.0:1.19" in found[0]["cis"] and "cis-aws-5.0:1.18" in found[0]["cis"]
    after_delete = plan.certificate_findings(certs, ["old"], ROOT)
    assert [f["status"] for f in after_delete] == ["pass"]
    (empty,) = plan.certificate_findings([], [], ROOT)
    assert (empty["status"], empty["resource"]) == ("pass", ROOT)


# ----- security_contact ---------------------------------------------------------------------------------------

CONTACT = {"name": "Security team", "title": "Security operations", "email": "sec@example.com", "phone": "+1 555 0100"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, []),
        (CONTACT, []),
        ({**CONTACT, "phone": "(0) 30-1234 5678"}, []),
        ("sec@example.com", ["must be a dictionary"]),
        ({**CONTACT, "email": "not-an-email"}, ["security_contact.email 'not-an-email' is not an email address"]),
        ({**CONTACT, "email": "a@b"}, ["is not an email address"]),
        ({**CONTACT, "phone": "call me"}, ["security_contact.phone 'call me' may hold only digits"]),
        ({**CONTACT, "phone": "1" * 26}, ["security_contact.phone is longer than 25 characters"]),
        ({**CONTACT, "name": "x" * 65}, ["security_contact.name is longer than 64 characters"]),
        ({**CONTACT, "title": "x" * 51}, ["security_contact.title is longer than 50 characters"]),
        ({**CONTACT, "name": "  "}, ["security_contact.name is required"]),
        ({k: v for k, v in CONTACT.items() if k != "title"}, ["security_contact.title is required"]),
        ({**CONTACT, "mail": "x"}, ["unknown key(s) mail"]),
    ],
)
def test_security_contact_errors(spec, expected):
    errors = plan.security_contact_errors(spec)
    assert len(errors) == len(expected)
    for error, fragment in zip(errors, expected, strict=True):
        assert fragment in error


AWS_CONTACT = {
    "Name": "Security team",
    "Title": "Security operations",
    "EmailAddress": "sec@example.com",
    "PhoneNumber": "+1 555 0100",
    "AlternateContactType": "SECURITY",
}


def test_plan_security_contact():
    current = plan.contact_view(AWS_CONTACT)
    assert current == CONTACT
    assert plan.contact_view(None) is None
    # check only: never a put, whatever is registered
    assert plan.plan_security_contact(None, None) == {"put": False, "before": None, "after": None}
    assert plan.plan_security_contact(current, CONTACT)["put"] is False
    missing = plan.plan_security_contact(None, CONTACT)
    assert missing == {"put": True, "before": None, "after": CONTACT}
    other_phone = plan.plan_security_contact(current, {**CONTACT, "phone": "+1 555 0199"})
    assert other_phone["put"] is True and other_phone["before"]["phone"] == "+1 555 0100"


def test_security_contact_findings():
    [passed] = plan.security_contact_findings(CONTACT, ROOT)
    assert passed["status"] == "pass" and passed["resource"] == ROOT and "sec@example.com" in passed["message"]
    assert passed["cis"] == [
        "cis-aws-3.0:1.2",
        "cis-aws-4.0.1:1.2",
        "cis-aws-5.0:1.2",
        "cis-aws-6.0:2.2",
        "cis-aws-7.0:2.3",
    ]
    [failed] = plan.security_contact_findings(None, ROOT)
    assert failed["status"] == "fail" and failed["id"] == "security_contact"
    assert plan.security_contact_findings({**CONTACT, "email": None}, ROOT)[0]["status"] == "fail"


# ----- access_analyzer ----------------------------------------------------------------------------------------


def analyzer(name, kind="ACCOUNT", status="ACTIVE", region="us-east-1"):
    return {
        "name": name,
        "type": kind,
        "status": status,
        "arn": f"arn:aws:access-analyzer:{region}:123456789012:analyzer/{name}",
    }


@pytest.mark.parametrize(
    ("regions", "name", "errors"),
    [
        (["us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1"], "accountguard", 0),
        ([], "a", 0),
        (["us-east"], "a", 1),
        (["US-EAST-1"], "a", 1),
        ([12], "a", 1),
        ("us-east-1", "a", 1),
        (["us-east-1"], "1abc", 1),
        (["us-east-1"], "a b", 1),
        (["us-east-1"], "a" * 256, 1),
    ],
)
def test_access_analyzer_errors(regions, name, errors):
    assert len(plan.access_analyzer_errors(regions, name)) == errors


def test_only_active_external_access_analyzers_count():
    evaluated = plan.evaluate_analyzers(
        {
            "us-east-1": [analyzer("ext")],
            "eu-west-1": [analyzer("org", "ORGANIZATION", region="eu-west-1")],
            "eu-central-1": [
                analyzer("unused", "ACCOUNT_UNUSED_ACCESS", region="eu-central-1"),
                analyzer("internal", "ACCOUNT_INTERNAL_ACCESS", region="eu-central-1"),
                analyzer("off", "ACCOUNT", "DISABLED", region="eu-central-1"),
                analyzer("new", "ACCOUNT", "CREATING", region="eu-central-1"),
                analyzer("broken", "ORGANIZATION", "FAILED", region="eu-central-1"),
            ],
            "ap-south-1": [],
        }
    )
    assert [a["name"] for a in evaluated["us-east-1"]["active"]] == ["ext"]
    assert [a["name"] for a in evaluated["eu-west-1"]["active"]] == ["org"]
    assert evaluated["eu-central-1"]["active"] == []
    assert len(evaluated["eu-central-1"]["others"]) == 5
    assert evaluated["ap-south-1"] == {"active": [], "others": []}


def test_plan_analyzers_creates_only_when_asked_where_none_is_active_and_never_over_a_name():
    evaluated = plan.evaluate_analyzers(
        {
            "us-east-1": [analyzer("ext")],
            "eu-west-1": [],
            "eu-central-1": [analyzer("guard", "ACCOUNT", "DISABLED", region="eu-central-1")],
            "ap-south-1": [analyzer("unused", "ACCOUNT_UNUSED_ACCESS", region="ap-south-1")],
        }
    )
    assert plan.plan_analyzers(evaluated, False, "guard") == {"create": [], "blocked": {}}
    steps = plan.plan_analyzers(evaluated, True, "guard")
    assert steps["create"] == ["eu-west-1", "ap-south-1"]
    assert list(steps["blocked"]) == ["eu-central-1"]


def test_analyzer_findings_one_per_region():
    evaluated = plan.evaluate_analyzers(
        {
            "us-east-1": [analyzer("ext")],
            "eu-west-1": [],
            "eu-central-1": [analyzer("guard", "ACCOUNT", "DISABLED", region="eu-central-1")],
            "ap-south-1": [analyzer("unused", "ACCOUNT_UNUSED_ACCESS", region="ap-south-1")],
            "sa-east-1": [],
        }
    )
    created = {"sa-east-1": "arn:aws:access-analyzer:sa-east-1:123456789012:analyzer/guard"}
    blocked = {"eu-central-1": evaluated["eu-central-1"]["others"][0]}
    found = {f["resource"]: f for f in plan.analyzer_findings(evaluated, created, blocked, "123456789012", "aws")}
    assert found[analyzer("ext")["arn"]]["status"] == "pass"
    assert found[created["sa-east-1"]]["status"] == "pass"
    missing = found["arn:aws:access-analyzer:eu-west-1:123456789012:analyzer"]
    assert missing["status"] == "fail" and missing["message"].startswith("eu-west-1: no external access analyzer")
    assert "exists there (DISABLED)" in found["arn:aws:access-analyzer:eu-central-1:123456789012:analyzer"]["message"]
    unused = found["arn:aws:access-analyzer:ap-south-1:123456789012:analyzer"]
    assert unused["status"] == "fail" and "ACCOUNT_UNUSED_ACCESS" in unused["message"]
    assert len(found) == 5
    assert missing["cis"][0] == "cis-aws-3.0:1.20" and missing["cis"][-1] == "cis-aws-7.0:2.18"
