from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _admin_group as ag
from ansible_collections.accountguard.aws.plugins.module_utils._backends import admin_group as backend

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
CUSTOM = "arn:aws:iam::123456789012:policy/team/Billing"
GUARD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyWithoutMFA",
            "Effect": "Deny",
            "NotAction": ["iam:ChangePassword", "iam:EnableMFADevice"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    ],
}
OUTDATED = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}


def params(**overrides):
    base = {
        "name": "Cloudadmin",
        "path": "/",
        "managed_policies": [ADMIN],
        "purge_policies": False,
        "mfa_guard": {"policy_name": "RequireMFA", "policy_document": GUARD},
    }
    return base | overrides


def state(path="/", policies=(ADMIN,), document=..., users=()):
    """A group as read_state returns it; by default up to date (document=None: no guard)."""
    if document is ...:
        document = GUARD
    return {
        "group": {
            "group_name": "Cloudadmin",
            "group_id": "AGPAEXAMPLE",
            "arn": f"arn:aws:iam::123456789012:group{path}Cloudadmin",
            "path": path,
            "users": [{"user_name": u, "arn": f"arn:aws:iam::123456789012:user/{u}"} for u in users],
        },
        "managed_policies": list(policies),
        "guard_document": document,
    }


# --- validation ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "name must be 1 to 128 characters"),
        ({"name": "Cloud admin"}, "name must be 1 to 128 characters"),
        ({"name": "a" * 129}, "name must be 1 to 128 characters"),
        ({"path": "admins"}, "path must be / or start and end with /"),
        ({"path": "/admins"}, "path must be / or start and end with /"),
        ({"path": "/" + "a" * 511 + "/"}, "at most 512"),
        ({"managed_policies": ["AdministratorAccess"]}, "'AdministratorAccess' is not a managed policy ARN"),
        ({"managed_policies": ["arn:aws:iam::12345:policy/X"]}, "is not a managed policy ARN"),
        ({"managed_policies": [ADMIN, ADMIN]}, "lists arn:aws:iam::aws:policy/AdministratorAccess more than once"),
        (
            {"managed_policies": [f"arn:aws:iam::123456789012:policy/P{i}" for i in range(21)]},
            "IAM attaches at most 20",
        ),
        ({"mfa_guard": {"policy_name": "Require MFA", "policy_document": GUARD}}, "mfa_guard.policy_name must be"),
        ({"mfa_guard": {"policy_name": "RequireMFA", "policy_document": "{not json"}}, "is not valid JSON"),
        ({"mfa_guard": {"policy_name": "RequireMFA", "policy_document": "[1, 2]"}}, "must be a JSON object"),
        ({"mfa_guard": {"policy_name": "RequireMFA", "policy_document": {"Version": "x"}}}, "must hold a Statement"),
        (
            {
                "mfa_guard": {
                    "policy_name": "RequireMFA",
                    "policy_document": {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "x" * 5200}]},
                }
            },
            "IAM allows at most 5120",
        ),
    ],
)
def test_validate_names_the_option_and_rule(overrides, message):
    errors = ag.validate(params(**overrides))
    assert len(errors) == 1, errors
    assert message in errors[0]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"path": None, "managed_policies": [], "mfa_guard": None},
        {"path": "/admins/team/", "managed_policies": [ADMIN, CUSTOM, "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"]},
        {"mfa_guard": {"policy_name": "RequireMFA", "policy_document": json.dumps(GUARD)}},
        {"name": "Admins+ops=1,2.3@x_y-z"},
    ],
)
def test_validate_accepts_valid_input(overrides):
    assert ag.validate(params(**overrides)) == []


@pytest.mark.parametrize(
    "document",
    [GUARD, json.dumps(GUARD), "  " + json.dumps(GUARD, indent=2), quote(json.dumps(GUARD))],
    ids=["dict", "json", "indented", "url-encoded"],
)
def test_parse_document_accepts_every_shape(document):
    assert ag.parse_document(document) == GUARD


# --- comparing documents -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "desired", "differ"),
    [
        (None, GUARD, True),
        (GUARD, GUARD, False),
        (OUTDATED, GUARD, True),
        # the order of actions does not change a policy's meaning
        (
            {
                **GUARD,
                "Statement": [{**GUARD["Statement"][0], "NotAction": ["iam:EnableMFADevice", "iam:ChangePassword"]}],
            },
            GUARD,
            False,
        ),
        # one action as a string or a one-element list is the same
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["iam:DeleteUser"], "Resource": "*"}]},
            OUTDATED,
            False,
        ),
        # a changed condition value is a difference
        (
            {
                **GUARD,
                "Statement": [
                    {**GUARD["Statement"][0], "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
                ],
            },
            GUARD,
            True,
        ),
    ],
)
def test_documents_differ_by_meaning(current, desired, differ):
    assert ag.documents_differ(current, desired) is differ


# --- plan ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "overrides", "expected"),
    [
        # a missing group: created with its policies and, in the same plan, its guard
        (
            None,
            {},
            ["create_group:/", f"attach_policy:{ADMIN}", "put_group_policy:RequireMFA"],
        ),
        (None, {"path": None, "mfa_guard": None}, ["create_group:/", f"attach_policy:{ADMIN}"]),
        (None, {"path": "/admins/", "managed_policies": []}, ["create_group:/admins/", "put_group_policy:RequireMFA"]),
        # in the desired state: nothing to do
        (state(), {}, []),
        (state(document=None), {"mfa_guard": None}, []),
        # the guard is missing or outdated
        (state(document=None), {}, ["put_group_policy:RequireMFA"]),
        (state(document=OUTDATED), {}, ["put_group_policy:RequireMFA"]),
        # a policy attached by hand is kept unless purge_policies asks
        (state(policies=[ADMIN, READONLY]), {}, []),
        (state(policies=[ADMIN, READONLY]), {"purge_policies": True}, [f"detach_policy:{READONLY}"]),
        (state(policies=[READONLY]), {"purge_policies": True}, [f"detach_policy:{READONLY}", f"attach_policy:{ADMIN}"]),
        (
            state(policies=[]),
            {"managed_policies": [ADMIN, CUSTOM]},
            [f"attach_policy:{ADMIN}", f"attach_policy:{CUSTOM}"],
        ),
        # the path: moved when asked, kept when unset
        (state(path="/legacy/"), {}, ["update_path:/"]),
        (state(path="/legacy/"), {"path": None}, []),
    ],
)
def test_plan(current, overrides, expected):
    want = params(**overrides)
    assert [action.label for action in ag.plan(current, want)] == expected


def test_plan_never_deletes_without_purge():
    ops = ag.plan(state(policies=[READONLY, CUSTOM], document=OUTDATED), params(managed_policies=[]))
    assert {action.op for action in ops} == {ag.GroupOp.PUT_GROUP_POLICY}


# --- predicted state, views, guard status --------------------------------------------------------------------------


def test_predicted_for_a_missing_group_includes_the_guard():
    want = params(path="/admins/")
    after = ag.predicted(None, want, ag.plan(None, want))
    assert after["group"] == {
        "group_name": "Cloudadmin",
        "group_id": None,
        "arn": None,
        "path": "/admins/",
        "users": [],
    }
    assert after["managed_policies"] == [ADMIN]
    assert after["guard_document"] == GUARD
    assert ag.view(after, "RequireMFA") == {
        "group_name": "Cloudadmin",
        "path": "/admins/",
        "managed_policies": [ADMIN],
        "mfa_guard": {"policy_name": "RequireMFA", "policy_document": GUARD},
    }


def test_predicted_keeps_members_and_applies_every_op():
    current = state(path="/legacy/", policies=[READONLY], document=OUTDATED, users=["alice"])
    want = params(purge_policies=True)
    after = ag.predicted(current, want, ag.plan(current, want))
    assert after["group"]["users"] == current["group"]["users"]
    assert after["group"]["path"] == "/"
    assert after["managed_policies"] == [ADMIN]
    assert after["guard_document"] == GUARD
    # the input is not modified
    assert current["managed_policies"] == [READONLY] and current["group"]["path"] == "/legacy/"


@pytest.mark.parametrize(
    ("current", "guard_name", "expected"),
    [
        (None, "RequireMFA", None),
        (
            state(policies=[READONLY, ADMIN], document=None),
            "RequireMFA",
            {"group_name": "Cloudadmin", "path": "/", "managed_policies": [ADMIN, READONLY], "mfa_guard": None},
        ),
        # a guard the task does not manage is not shown
        (
            state(),
            None,
            {"group_name": "Cloudadmin", "path": "/", "managed_policies": [ADMIN]},
        ),
    ],
)
def test_view(current, guard_name, expected):
    assert ag.view(current, guard_name) == expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, {"present": False, "up_to_date": False}),
        (state(document=None), {"present": False, "up_to_date": False}),
        (state(document=OUTDATED), {"present": True, "up_to_date": False}),
        (state(), {"present": True, "up_to_date": True}),
    ],
)
def test_guard_status(current, expected):
    guard = {"policy_name": "RequireMFA", "policy_document": GUARD}
    assert ag.guard_status(current, guard) == {"policy_name": "RequireMFA", **expected}


def test_attached_policies_name_each_arn():
    assert ag.attached_policies(state(policies=[ADMIN, CUSTOM])) == [
        {"policy_arn": ADMIN, "policy_name": "AdministratorAccess"},
        {"policy_arn": CUSTOM, "policy_name": "Billing"},
    ]


# --- reading back a fresh group ------------------------------------------------------------------------------------


def test_read_back_waits_while_a_new_group_is_not_visible(monkeypatch):
    answers = iter([None, None, state()])
    monkeypatch.setattr(backend, "read_state", lambda iam, name, guard: next(answers))
    slept = []
    assert backend.read_back(None, "Cloudadmin", "RequireMFA", sleep=slept.append) == state()
    assert slept == [1, 2]


def test_read_back_gives_up_after_its_delays(monkeypatch):
    monkeypatch.setattr(backend, "read_state", lambda iam, name, guard: None)
    slept = []
    assert backend.read_back(None, "Cloudadmin", None, sleep=slept.append, delays=(1, 2)) is None
    assert slept == [1, 2]
