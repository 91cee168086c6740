from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _root_credentials_management as rcm

MGMT = "111111111111"
MEMBER = "222222222222"
ORG = {
    "Id": "o-abcdefghij",
    "Arn": f"arn:aws:organizations::{MGMT}:organization/o-abcdefghij",
    "MasterAccountId": MGMT,
    "FeatureSet": "ALL",
}
BOTH = ("RootCredentialsManagement", "RootSessions")


@pytest.mark.parametrize(
    ("account_id", "organization", "role"),
    [
        (MGMT, ORG, rcm.MANAGEMENT),
        (MEMBER, ORG, rcm.MEMBER),
        (MEMBER, None, rcm.STANDALONE),
        # ids are strings: a leading zero must not make a member the management account
        ("011111111111", {**ORG, "MasterAccountId": "011111111111"}, rcm.MANAGEMENT),
        ("11111111111", {**ORG, "MasterAccountId": "011111111111"}, rcm.MEMBER),
    ],
)
def test_placement_from_describe_organization(account_id, organization, role):
    placement = rcm.Placement.of(account_id, organization)
    assert placement.role == role
    assert (placement.skip_reason() is None) == (role == rcm.MANAGEMENT)


def test_skip_reasons_name_the_cause():
    member = rcm.Placement.of(MEMBER, ORG).skip_reason()
    assert MEMBER in member and MGMT in member and "o-abcdefghij" in member
    standalone = rcm.Placement.of(MEMBER, None).skip_reason()
    assert "AWSOrganizationsNotInUseException" in standalone
    assert "aws_management_account" in rcm.member_hint_reason(MEMBER)
    # known from the Organization read once per run: the reason names its management account, and what to do
    # for the management account of another Organization
    known = rcm.member_hint_reason(MEMBER, {"Id": "o-abcdefghij", "MasterAccountId": MGMT})
    assert f"account {MEMBER} is not the management account {MGMT}" in known and "o-abcdefghij" in known
    assert "aws_management_account: true" in known


@pytest.mark.parametrize(
    ("principals", "expected"),
    [
        ([], False),
        ([{"ServicePrincipal": "sso.amazonaws.com"}], False),
        ([{"ServicePrincipal": "sso.amazonaws.com"}, {"ServicePrincipal": "iam.amazonaws.com"}], True),
        (None, False),
    ],
)
def test_trusted(principals, expected):
    assert rcm.trusted(principals) is expected


@pytest.mark.parametrize(
    ("state", "enable", "trusted_access", "features"),
    [
        # a check never plans a change
        (rcm.State(False), False, False, ()),
        (rcm.State(True, ("RootSessions",)), False, False, ()),
        # enable: only what is off, in the API's order
        (rcm.State(False), True, True, BOTH),
        (rcm.State(True, ()), True, False, BOTH),
        (rcm.State(True, ("RootSessions",)), True, False, ("RootCredentialsManagement",)),
        (rcm.State(True, ("RootCredentialsManagement",)), True, False, ("RootSessions",)),
        (rcm.State(True, BOTH), True, False, ()),
    ],
)
def test_plan_enables_only_what_is_off(state, enable, trusted_access, features):
    planned = rcm.plan(state, enable)
    assert (planned.enable_trusted_access, planned.enable_features) == (trusted_access, features)
    assert planned.changes == (trusted_access or bool(features))
    if enable:
        assert planned.after(state).enabled


def test_state_as_dict_names_every_feature():
    assert rcm.State(True, ("RootSessions",)).as_dict() == {
        "trusted_access": True,
        "features": {"RootCredentialsManagement": False, "RootSessions": True},
    }


@pytest.mark.parametrize(
    ("state", "organization", "status", "words"),
    [
        (rcm.State(True, BOTH), ORG, "pass", "is enabled"),
        (rcm.State(False), ORG, "fail", "iam.amazonaws.com, RootCredentialsManagement, RootSessions off"),
        (rcm.State(True, ("RootCredentialsManagement",)), ORG, "fail", ": RootSessions off"),
        # all features are needed whatever the IAM settings say
        (rcm.State(True, BOTH), {**ORG, "FeatureSet": "CONSOLIDATED_BILLING"}, "fail", "CONSOLIDATED_BILLING mode"),
    ],
)
def test_one_finding_for_the_organization(state, organization, status, words):
    (found,) = rcm.findings(state, rcm.Placement.of(MGMT, organization))
    assert found["id"] == "root_credentials_management"
    assert found["status"] == status
    assert words in found["message"]
    assert found["resource"] == ORG["Arn"]
    assert found["cis"] == ["cis-aws-7.0:2.1.1"]
