"""The admin_group_validated filter: iam_admin_group's validation on the controller, messages in the user's names."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.filter.admin_group_validated import (
    FilterModule,
    admin_group_validated,
    renamed,
)

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
GUARD = {"policy_name": "RequireMFA", "policy_document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}}
GOOD = {"name": "Cloudadmin", "path": "/", "managed_policies": [ADMIN], "mfa_guard": GUARD}
VARIABLES = {
    "name": "baseline_admin_group_name",
    "path": "baseline_admin_group_path",
    "managed_policies": "baseline_admin_group_policies",
    "mfa_guard.policy_name": "baseline_admin_group_mfa_policy_name",
}


@pytest.mark.parametrize(
    "options",
    [
        GOOD,
        GOOD | {"mfa_guard": None},
        GOOD | {"path": "/ops/admins/", "managed_policies": []},
        {"name": "Cloudadmin"},
    ],
)
def test_valid_options_come_back_unchanged(options):
    assert admin_group_validated(options, VARIABLES) is options


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"name": "Cloud admins!"}, "baseline_admin_group_name must be 1 to 128 characters"),
        ({"name": "g" * 129}, "baseline_admin_group_name must be 1 to 128 characters"),
        ({"name": ""}, "baseline_admin_group_name must be 1 to 128 characters"),
        ({"path": "admins"}, "baseline_admin_group_path must be / or start and end with /"),
        ({"path": "/" + "p" * 512 + "/"}, "at most 512 characters"),
        ({"managed_policies": ["AdministratorAccess"]}, "baseline_admin_group_policies: 'AdministratorAccess' is not"),
        ({"managed_policies": [ADMIN, ADMIN]}, f"baseline_admin_group_policies lists {ADMIN} more than once"),
        ({"managed_policies": ADMIN}, "baseline_admin_group_policies must be a list of policy ARNs, got str"),
        ({"mfa_guard": GUARD | {"policy_name": "Require MFA"}}, "baseline_admin_group_mfa_policy_name must be 1 to"),
        # The guard document is the role's own, so its problems keep the module's option name.
        ({"mfa_guard": GUARD | {"policy_document": "{not json"}}, "mfa_guard.policy_document is not valid JSON"),
        ({"mfa_guard": "RequireMFA"}, "mfa_guard must be a dictionary or null"),
    ],
)
def test_each_problem_fails_naming_the_users_variable(override, expected):
    with pytest.raises(AnsibleFilterError) as err:
        admin_group_validated(GOOD | override, VARIABLES)
    assert expected in str(err.value)
    assert str(err.value).startswith("Invalid administrators group")


def test_every_problem_is_in_one_message():
    with pytest.raises(AnsibleFilterError) as err:
        admin_group_validated(GOOD | {"name": "a b", "path": "x"}, VARIABLES)
    assert "baseline_admin_group_name must" in str(err.value) and "baseline_admin_group_path must" in str(err.value)


def test_without_variables_the_module_option_names_are_used():
    with pytest.raises(AnsibleFilterError, match=r"\): path must be / or start"):
        admin_group_validated(GOOD | {"path": "x"})


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("name must be 1 to 128", "baseline_admin_group_name must be 1 to 128"),
        ("managed_policies: 'x' is not", "baseline_admin_group_policies: 'x' is not"),
        ("mfa_guard.policy_name must be", "baseline_admin_group_mfa_policy_name must be"),
        ("mfa_guard.policy_document is", "mfa_guard.policy_document is"),
        # a prefix of a longer word is not the option
        ("named wrongly", "named wrongly"),
        ("pathological", "pathological"),
    ],
)
def test_renamed_replaces_only_a_whole_leading_option_name(problem, expected):
    assert renamed(problem, VARIABLES) == expected


@pytest.mark.parametrize(("options", "variables"), [(["Cloudadmin"], None), ("Cloudadmin", None), (GOOD, ["name"])])
def test_wrong_input_types_are_refused(options, variables):
    with pytest.raises(AnsibleFilterError, match="admin_group_validated"):
        admin_group_validated(options, variables)


def test_registered_under_its_name():
    assert FilterModule().filters()["admin_group_validated"] is admin_group_validated
