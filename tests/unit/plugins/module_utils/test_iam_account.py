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
