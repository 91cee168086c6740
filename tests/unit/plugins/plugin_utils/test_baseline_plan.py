"""The baseline role's plan of one host (plugin_utils._baseline_plan) and its filter."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.filter.baseline_plan import FilterModule
from ansible_collections.accountguard.aws.plugins.plugin_utils._baseline_plan import (
    SELECTABLE,
    TOGGLES,
    plan,
    policy_checks,
    required_groups,
)

MEMBER = "111111111111"
MANAGEMENT = "000000000000"
ORGANIZATION = {"Id": "o-example", "MasterAccountId": MANAGEMENT, "FeatureSet": "ALL"}
CONNECTION = {"profile": "", "assume_role_arn": f"arn:aws:iam::{MEMBER}:role/Audit", "read_timeout": 60}


def variables(**changes):
    """The role's _baseline_plan_variables with its defaults: every family on, no --tags, a static inventory."""
    base = {
        "run_tags": ["all"],
        "skip_tags": [],
        "enabled": dict.fromkeys(TOGGLES, True),
        "root_access_via_assume_root": "auto",
        "root_remove_credentials": [],
        "management_account": None,
        "account_id": MEMBER,
        "users": [],
        "admin_group_name": "Cloudadmin",
        "connection": CONNECTION,
        "endpoint_url": "",
        "root_access_profile": "",
        "root_access_role_arn": None,
    }
    enabled = changes.pop("enabled", {})
    return {**base, **changes, "enabled": {**base["enabled"], **enabled}}


def test_defaults_run_every_family_from_the_session_sources():
    result = plan(variables())
    assert result["selected"] == dict.fromkeys(SELECTABLE, True)
    assert result["runs"] == {
        "password_policy": True,
        "root": True,
        "mfa": True,
        "access_keys": True,
        "root_credentials_management": True,
        "mfa_task": True,
    }
    assert result["access_key_controls"] == ["access_key_rotation", "console_access_unused", "initial_access_keys"]
    assert result["iam_account_controls"] == [
        "support_role",
        "server_certificates",
        "security_contact",
        "access_analyzer",
    ]
    assert result["policy_checks"] == ["group_permissions", "admin_policies", "cloudshell_access"]
    assert result["root_checks"] == ["root_access_keys", "root_usage", "root_mfa"]
    # each source once, in the order the controls first need it
    assert result["sources"] == [
        "password_policy",
        "credential_report",
        "account_summary",
        "virtual_mfa_devices",
        "authorization_details",
    ]
    # a static inventory: the Organization is read once per run for root_credentials_management
    assert result["run_read"] == "organization"
    assert (result["root_access"], result["root_live"]) == ("off", False)
    assert result["is_management_account"] is None and result["control_organization"] is None
    assert result["connection"] == CONNECTION and result["required_groups"] == []


@pytest.mark.parametrize(
    ("run_tags", "skip_tags", "expected"),
    [
        (["root_mfa"], [], {"root_mfa"}),
        (["tagged"], [], set(SELECTABLE)),
        (["all"], ["user_mfa", "access_analyzer"], set(SELECTABLE) - {"user_mfa", "access_analyzer"}),
        (["root_usage", "support_role"], ["support_role"], {"root_usage"}),
        (["password_policy"], [], set()),
    ],
)
def test_tags_select_the_controls(run_tags, skip_tags, expected):
    selected = plan(variables(run_tags=run_tags, skip_tags=skip_tags))["selected"]
    assert {name for name, on in selected.items() if on} == expected


def test_tags_of_one_control_run_its_family_alone():
    result = plan(variables(run_tags=["root_mfa"]))
    assert result["runs"]["password_policy"] is False and result["runs"]["root"] is False
    assert result["runs"]["mfa"] is True and result["runs"]["mfa_task"] is True
    assert result["root_checks"] == ["root_mfa"]
    assert (
        result["access_key_controls"] == [] and result["iam_account_controls"] == [] and result["policy_checks"] == []
    )
    assert result["sources"] == ["credential_report", "virtual_mfa_devices", "account_summary"]
    assert result["run_read"] == "none"


def test_root_family_runs_unless_both_of_its_controls_are_skipped():
    assert plan(variables(skip_tags=["root_usage"]))["runs"]["root"] is True
    assert plan(variables(skip_tags=["root_usage"]))["root_checks"] == ["root_access_keys", "root_mfa"]
    assert plan(variables(skip_tags=["root_usage", "root_access_keys"]))["runs"]["root"] is False
    assert plan(variables(enabled={"root_account": False}))["runs"]["root"] is False


@pytest.mark.parametrize(
    ("enabled", "run_tags", "skip_tags", "expected"),
    [
        ({}, ["all"], [], ["group_permissions", "admin_policies", "cloudshell_access"]),
        ({"admin_policies": False}, ["all"], [], ["group_permissions", "cloudshell_access"]),
        ({}, ["cloudshell_access", "root_mfa"], [], ["cloudshell_access"]),
        ({}, ["tagged"], ["group_permissions"], ["admin_policies", "cloudshell_access"]),
        ({"cloudshell_access": False}, ["cloudshell_access"], [], []),
    ],
)
def test_policy_checks(enabled, run_tags, skip_tags, expected):
    toggles = {**dict.fromkeys(TOGGLES, True), **enabled}
    assert policy_checks(toggles, run_tags, skip_tags) == expected


def test_toggles_take_controls_out_and_accept_inventory_strings():
    result = plan(
        variables(enabled={"access_keys": "no", "security_contact": False, "group_permissions": "false", "user_mfa": 0})
    )
    assert result["access_key_controls"] == ["console_access_unused", "initial_access_keys"]
    assert result["iam_account_controls"] == ["support_role", "server_certificates", "access_analyzer"]
    assert result["policy_checks"] == ["admin_policies", "cloudshell_access"]
    assert result["runs"]["mfa"] is False and result["runs"]["mfa_task"] is False
    assert result["root_checks"] == ["root_access_keys", "root_usage"]
    assert "virtual_mfa_devices" not in result["sources"]


def test_nothing_selected_reads_no_source():
    off = dict.fromkeys(TOGGLES, False)
    result = plan(variables(enabled=off))
    assert result["sources"] == [] and result["root_checks"] == [] and result["run_read"] == "none"


def test_organizations_inventory_member_with_root_sessions_is_checked_live():
    features = {"root_sessions": True, "management_account_id": MANAGEMENT, "organization": ORGANIZATION}
    before = plan(variables(management_account=False))
    assert before["run_read"] == "features"
    result = plan(variables(management_account=False), features)
    assert (result["root_access"], result["root_live"]) == ("assume_root", True)
    # root comes from the live audit: no account summary, and the credential report only for the other controls
    assert result["sources"] == [
        "password_policy",
        "credential_report",
        "virtual_mfa_devices",
        "authorization_details",
    ]
    assert result["runs"]["mfa_task"] is True  # user_mfa still needs the MFA task
    assert result["is_management_account"] is False and result["control_organization"] is None


def test_live_root_mfa_alone_needs_no_mfa_task():
    features = {"root_sessions": True, "management_account_id": MANAGEMENT}
    result = plan(variables(management_account=False, run_tags=["root_mfa"]), features)
    assert result["root_live"] is True and result["runs"]["mfa_task"] is False and result["sources"] == []


def test_root_sessions_off_keeps_todays_checks():
    features = {"root_sessions": False, "management_account_id": MANAGEMENT, "organization": ORGANIZATION}
    result = plan(variables(management_account=False), features)
    assert (result["root_access"], result["root_live"]) == ("off", False)
    assert "account_summary" in result["sources"]


def test_management_account_is_never_checked_through_assume_root():
    features = {"root_sessions": True, "management_account_id": MANAGEMENT, "organization": ORGANIZATION}
    by_inventory = plan(variables(management_account=True, account_id=MANAGEMENT), features)
    assert by_inventory["root_access"] == "management" and by_inventory["is_management_account"] is True
    by_read = plan(variables(account_id=MANAGEMENT, root_access_via_assume_root="always"), features)
    assert by_read["root_access"] == "management" and by_read["root_live"] is False


def test_always_and_never():
    assert plan(variables(root_access_via_assume_root="always"))["run_read"] == "features"
    always = plan(variables(root_access_via_assume_root="always"), {"root_sessions": False})
    assert always["root_access"] == "assume_root" and always["root_live"] is True
    never = plan(variables(management_account=False, root_access_via_assume_root="never"), {"root_sessions": True})
    assert never["root_access"] == "off" and never["run_read"] == "none"


def test_removal_alone_reads_the_features():
    result = plan(
        variables(management_account=False, run_tags=["password_policy"], root_remove_credentials=["login_profile"])
    )
    assert result["root_checks"] == [] and result["run_read"] == "features"


def test_static_inventory_learns_the_management_host_from_the_organization_read():
    member = plan(variables(), {"organization": ORGANIZATION})
    assert member["is_management_account"] is False and member["control_organization"] is None
    assert member["run_organization"] == ORGANIZATION
    management = plan(variables(account_id=MANAGEMENT), {"organization": ORGANIZATION})
    assert management["is_management_account"] is True and management["control_organization"] == ORGANIZATION
    # an organizations inventory says it itself: no Organization read for the control
    assert plan(variables(management_account=True, root_access_via_assume_root="never"))["run_read"] == "none"
    skipped = plan(variables(skip_tags=["root_credentials_management"]))
    assert skipped["runs"]["root_credentials_management"] is False and skipped["run_read"] == "none"


def test_connections():
    result = plan(
        variables(
            endpoint_url="http://127.0.0.1:5000",
            root_access_profile="management",
            root_access_role_arn=f"arn:aws:iam::{MANAGEMENT}:role/RootAudit",
        )
    )
    assert result["connection"] == {**CONNECTION, "endpoint_url": "http://127.0.0.1:5000"}
    assert result["root_access_connection"] == {
        **CONNECTION,
        "endpoint_url": "http://127.0.0.1:5000",
        "profile": "management",
        "assume_role_arn": f"arn:aws:iam::{MANAGEMENT}:role/RootAudit",
    }
    # unset: the controller's own credentials, never the host's role
    assert plan(variables())["root_access_connection"]["assume_role_arn"] is None


def test_required_groups():
    users = [
        {"name": "alice", "groups": ["Cloudadmin", "Auditors"]},
        {"name": "bob", "groups": None},
        {"name": "carol"},
        {"name": "dave", "groups": ["Auditors", "Developers"]},
    ]
    assert required_groups(users, ["Cloudadmin"]) == ["Auditors", "Developers"]
    assert plan(variables(users=users))["required_groups"] == ["Auditors", "Developers"]
    # without the administrators group family, its group must exist already too
    assert plan(variables(users=users, enabled={"admin_group": False}))["required_groups"] == [
        "Cloudadmin",
        "Auditors",
        "Developers",
    ]
    assert plan(variables(users=users, enabled={"iam_users": False}))["required_groups"] == []


def test_filter_names_a_bad_mode():
    baseline_plan = FilterModule().filters()["baseline_plan"]
    assert baseline_plan(variables())["run_read"] == "organization"
    with pytest.raises(AnsibleFilterError, match="baseline_root_access_via_assume_root must be one of"):
        baseline_plan(variables(root_access_via_assume_root="sometimes"))
    with pytest.raises(AnsibleFilterError, match=r"accountguard\.aws\.baseline_plan"):
        baseline_plan({"run_tags": ["all"]})
