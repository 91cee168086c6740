"""The drift rules of plugin_utils/_drift.py, shared by the drift gate and the report callback (tables)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import (
    AccountResults,
    Assessment,
    DeclaredUser,
    Finding,
    Settings,
    assess,
    failing_of,
    findings_of,
    task_drifts,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import AccountContext, Exceptions, parse

ACCOUNT = "111111111111"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ORG = f"arn:aws:organizations::{ACCOUNT}:organization/o-abcdefghij"


def found(cid, status="fail", message="m", resource=ROOT, check=None):
    return {"id": cid, "status": status, "resource": resource, "message": message, "cis": cis_ids(cid, check)}


def gate(check_mode=True, **kwargs):
    settings = {k: kwargs.pop(k) for k in list(kwargs) if k in Settings.__dataclass_fields__}
    return assess(AccountResults(**kwargs), Settings(account_id=ACCOUNT, **settings), check_mode)


# -- the rule ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changed", "check_mode", "failing", "drifts"),
    [
        (False, True, [], False),
        (True, True, [], True),  # would change under --check
        (True, False, [], False),  # changed in an apply run: fixed, not drift
        (False, False, [Finding("root_mfa", "fail")], True),  # a failing finding is drift in any mode
        (True, False, [Finding("user_mfa", "fail")], True),
    ],
)
def test_task_drifts(changed, check_mode, failing, drifts):
    assert task_drifts(changed=changed, check_mode=check_mode, failing=failing) is drifts


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({}, None),
        ({"skipped": True}, None),
        ("not a result", None),
        ({"findings": []}, []),
        (
            {"findings": [found("root_mfa"), {"no": "id"}, "junk"]},
            [Finding("root_mfa", "fail", ROOT, "m", tuple(cis_ids("root_mfa")))],
        ),
        (
            {"results": [{"findings": [found("iam_users", "pass")]}, {"skipped": True}]},
            [Finding("iam_users", "pass", ROOT, "m", tuple(cis_ids("iam_users")))],
        ),
    ],
)
def test_findings_of(result, expected):
    assert findings_of(result) == expected


def test_unknown_status_is_not_failing_and_failing_of_keeps_order():
    result = {"findings": [found("user_mfa", "fail", "a"), found("user_mfa", "weird"), found("root_mfa", "fail", "b")]}
    assert [f.message for f in failing_of(result)] == ["a", "b"]


@pytest.mark.parametrize(
    ("check", "expected"),
    [("rotation", "rotation"), ("unused", "unused"), ("one_active", "one_active"), (None, None)],
)
def test_a_finding_knows_its_check_from_its_cis_ids(check, expected):
    assert Finding.parse(found("access_key_rotation", check=check)).check == expected


# -- the gate's assessment ----------------------------------------------------------------------------------------
CHANGED = {"changed": True}


@pytest.mark.parametrize(
    ("kwargs", "lines"),
    [
        # nothing ran (every control switched off, or --tags drift_gate)
        ({}, [f"account {ACCOUNT}: no drift"]),
        # would change counts under --check only, in the enforcing order whatever the keyword order
        (
            {"access_keys": CHANGED, "iam_users": CHANGED, "admin_group": CHANGED, "password_policy": CHANGED},
            [
                f"account {ACCOUNT}: 4 drift item(s)",
                "password_policy: would change",
                "admin_group: would change",
                "iam_users: would change",
                "access_key_rotation: would change",
            ],
        ),
        ({"check_mode": False, "password_policy": CHANGED}, [f"account {ACCOUNT}: no drift"]),
        # failing findings in task order root, mfa, access keys, users; passing ones are no drift
        (
            {
                "check_mode": False,
                "iam_users": {"findings": [found("iam_users", message="lost key")]},
                "access_keys": {"findings": [found("access_key_rotation", "pass")]},
                "mfa": {"findings": [found("user_mfa", message="bob has no MFA")]},
                "root": {"findings": [found("root_usage", message="root used today")]},
            },
            [
                f"account {ACCOUNT}: 3 drift item(s)",
                "root_usage: root used today",
                "user_mfa: bob has no MFA",
                "iam_users: lost key",
                "only a person can:",
                "stop using the root user for daily work; sign in as a member of the administrators group instead",
            ],
        ),
    ],
)
def test_summary_lines(kwargs, lines):
    assert gate(**kwargs).summary() == lines


def test_at_most_twenty_drift_lines_the_rest_counted():
    findings = [found("user_mfa", message=f"user{i:02d} has no MFA") for i in range(23)]
    lines = gate(mfa={"findings": findings}).summary()
    assert lines[0] == f"account {ACCOUNT}: 23 drift item(s)"
    assert lines[1:21] == [f"user_mfa: user{i:02d} has no MFA" for i in range(20)]
    assert lines[21:] == ["... and 3 more"]


@pytest.mark.parametrize(
    ("hardware", "text"),
    [
        (False, "sign in as the root user and enrol an MFA device for it"),
        (True, "sign in as the root user and enrol an MFA device for it (a hardware device)"),
    ],
)
def test_manual_steps_once_per_control_in_order_of_appearance(hardware, text):
    root = {"findings": [found("root_access_keys"), found("root_access_keys", message="second key")]}
    mfa = {"findings": [found("root_mfa", check="mfa")]}
    result = gate(root=root, mfa=mfa, root_require_hardware_mfa=hardware)
    assert result.manual == (
        "sign in as the root user and delete its access keys (Security credentials page): no API call can do it",
        text,
    )
    assert [item.manual for item in result.drift] == [True, True, True]
    assert {item.fix_variable for item in result.drift} == {None}


USER = "arn:aws:iam::111111111111:user/bob"


@pytest.mark.parametrize(
    ("kwargs", "control", "variable", "words"),
    [
        # stale keys: the variable that deactivates them, told to set it or, when set, to apply
        (
            {"access_keys": {"findings": [found("access_key_rotation", resource=USER, check="rotation")]}},
            "access_key_rotation",
            "baseline_access_keys_deactivate_stale",
            "set baseline_access_keys_deactivate_stale: true",
        ),
        (
            {
                "access_keys": {"findings": [found("access_key_rotation", resource=USER, check="unused")]},
                "access_keys_deactivate_stale": True,
            },
            "access_key_rotation",
            "baseline_access_keys_deactivate_stale",
            "an apply run",
        ),
        # too many active keys: which one is spare is not the playbook's to know
        (
            {"access_keys": {"findings": [found("access_key_rotation", resource=USER, check="one_active")]}},
            "access_key_rotation",
            None,
            "spare key",
        ),
        # a key whose secret nobody holds
        (
            {"iam_users": {"findings": [found("iam_users", resource=USER)]}},
            "iam_users",
            "baseline_users_replace_lost_access_keys",
            "set baseline_users_replace_lost_access_keys: true",
        ),
        ({"mfa": {"findings": [found("user_mfa", resource=USER)]}}, "user_mfa", None, "enrols an MFA device"),
        ({"root": {"findings": [found("root_access_keys")]}}, "root_access_keys", None, "sign in as the root user"),
        ({"password_policy": CHANGED}, "password_policy", None, "an apply run"),
        ({"access_keys": CHANGED}, "access_key_rotation", "baseline_access_keys_deactivate_stale", "an apply run"),
        # the support role: declare it, or (declared) apply
        (
            {"iam_account": {"findings": [found("support_role")]}},
            "support_role",
            "baseline_support_role",
            "set baseline_support_role: {name, trusted_principals}",
        ),
        (
            {"iam_account": {"findings": [found("support_role")]}, "support_role_declared": True},
            "support_role",
            "baseline_support_role",
            "an apply run",
        ),
        (
            {"iam_account": {"findings": [found("server_certificates")]}},
            "server_certificates",
            "baseline_server_certificates_delete_expired",
            "set baseline_server_certificates_delete_expired: true",
        ),
        # the multi-control task: only the control it names as changed would change
        (
            {"iam_account": {"changed": True, "changed_controls": ["server_certificates"]}},
            "server_certificates",
            "baseline_server_certificates_delete_expired",
            "an apply run",
        ),
        # the security contact: declare it, or (declared) apply
        (
            {"iam_account": {"findings": [found("security_contact")]}},
            "security_contact",
            "baseline_security_contact",
            "set baseline_security_contact: {name, title, email, phone}",
        ),
        (
            {"iam_account": {"findings": [found("security_contact")]}, "security_contact_declared": True},
            "security_contact",
            "baseline_security_contact",
            "an apply run",
        ),
        (
            {"iam_account": {"changed": True, "changed_controls": ["security_contact"]}},
            "security_contact",
            "baseline_security_contact",
            "an apply run",
        ),
        # a region without an active external access analyzer: opt in, or (opted in) apply
        (
            {"iam_account": {"findings": [found("access_analyzer", message="eu-west-1: no external access")]}},
            "access_analyzer",
            "baseline_access_analyzer",
            "set baseline_access_analyzer: true",
        ),
        (
            {"iam_account": {"findings": [found("access_analyzer")]}, "access_analyzer_create": True},
            "access_analyzer",
            "baseline_access_analyzer",
            "an apply run",
        ),
        # ... unless an analyzer of that name sits there, not active: never replaced, a person decides
        (
            {
                "iam_account": {
                    "findings": [found("access_analyzer", message="an analyzer named x exists there (DISABLED)")]
                },
                "access_analyzer_create": True,
            },
            "access_analyzer",
            None,
            "enable or replace it by hand",
        ),
        (
            {"iam_account": {"changed": True, "changed_controls": ["access_analyzer"]}},
            "access_analyzer",
            "baseline_access_analyzer",
            "an apply run",
        ),
        # unused console passwords: the removal variable, unless the user is declared with console access
        (
            {"access_keys": {"findings": [found("console_access_unused", resource=USER)]}},
            "console_access_unused",
            "baseline_console_access_remove_unused",
            "set baseline_console_access_remove_unused: true",
        ),
        (
            {
                "access_keys": {"findings": [found("console_access_unused", resource=USER)]},
                "console_access_remove_unused": True,
            },
            "console_access_unused",
            "baseline_console_access_remove_unused",
            "an apply run",
        ),
        (
            {
                "access_keys": {"findings": [found("console_access_unused", resource=USER)]},
                "console_access_remove_unused": True,
                "users": (DeclaredUser("Bob", console_access=True),),
            },
            "console_access_unused",
            None,
            "never removed",
        ),
        (
            {
                "access_keys": {"findings": [found("console_access_unused", resource=USER)]},
                "users": (DeclaredUser("bob", console_access=False),),
            },
            "console_access_unused",
            "baseline_console_access_remove_unused",
            "set baseline_console_access_remove_unused: true",
        ),
        (
            {"access_keys": {"findings": [found("initial_access_keys", resource=USER)]}},
            "initial_access_keys",
            None,
            "deletes the never-used key",
        ),
        # centralized root access: the opt-in that enables it, on the management account's host
        (
            {"root_credentials_management": {"findings": [found("root_credentials_management", resource=ORG)]}},
            "root_credentials_management",
            "baseline_root_credentials_management_enable",
            "set baseline_root_credentials_management_enable: true",
        ),
        (
            {
                "root_credentials_management": {"findings": [found("root_credentials_management", resource=ORG)]},
                "root_credentials_management_enable": True,
            },
            "root_credentials_management",
            "baseline_root_credentials_management_enable",
            "an apply run",
        ),
        (
            {
                "root_credentials_management": {
                    "findings": [
                        found("root_credentials_management", message="needs all features enabled", resource=ORG)
                    ]
                }
            },
            "root_credentials_management",
            None,
            "a person decides",
        ),
        (
            {"root_credentials_management": CHANGED},
            "root_credentials_management",
            "baseline_root_credentials_management_enable",
            "an apply run",
        ),
    ],
)
def test_each_drift_item_names_what_would_fix_it(kwargs, control, variable, words):
    (item,) = gate(**kwargs).drift
    assert (item.control, item.fix_variable) == (control, variable)
    assert words in item.fix


@pytest.mark.parametrize(
    ("kwargs", "lines"),
    [
        # undeclared users are kept and reported, unless baseline_users_purge deletes them
        (
            {"iam_users": {"undeclared_users": ["legacy", "etl"]}},
            ["iam_users: 2 user(s) not in baseline_users, kept: legacy, etl"],
        ),
        ({"iam_users": {"undeclared_users": ["legacy"]}, "users_purge": True}, []),
        # at most ten names
        (
            {"iam_users": {"undeclared_users": [f"u{i:02d}" for i in range(12)]}},
            [
                "iam_users: 12 user(s) not in baseline_users, kept: "
                + ", ".join(f"u{i:02d}" for i in range(10))
                + " ..."
            ],
        ),
        # members of the administrators group that baseline_users does not put there
        (
            {
                "admin_group": {
                    "group": {"users": [{"user_name": "alice"}, {"user_name": "mallory"}, {"user_name": "bob"}]}
                },
                "users": (DeclaredUser("alice", ("Cloudadmin",)), DeclaredUser("bob", ("Developers",))),
            },
            ["admin_group: members of Cloudadmin not declared in baseline_users: mallory, bob"],
        ),
        (
            {
                "admin_group": {"group": {"users": [{"user_name": "root-ops"}]}},
                "admin_group_name": "Admins",
                "users": (DeclaredUser("root-ops", ("Admins",)),),
            },
            [],
        ),
        ({"admin_group": {"skipped": True}}, []),
    ],
)
def test_reported_not_changed(kwargs, lines):
    result = gate(check_mode=False, **kwargs)
    assert [note.line for note in result.notes] == lines
    assert result.summary()[1:] == (["reported, not changed:", *lines] if lines else [])


def test_undeclared_users_note_names_the_purge_variable():
    (note,) = gate(iam_users={"undeclared_users": ["legacy"]}).notes
    assert note.fix_variable == "baseline_users_purge" and note.names == ("legacy",)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        # iam_access_keys names the controls it changed: each is drift under --check, the other is not
        ({"changed": True, "changed_controls": ["console_access_unused"]}, ["console_access_unused"]),
        ({"changed": True, "changed_controls": ["access_key_rotation"]}, ["access_key_rotation"]),
        (
            {"changed": True, "changed_controls": ["access_key_rotation", "console_access_unused"]},
            ["access_key_rotation", "console_access_unused"],
        ),
        ({"changed": False, "changed_controls": []}, []),
        # without the list, its change is its first control's
        ({"changed": True}, ["access_key_rotation"]),
    ],
)
def test_would_change_goes_to_the_controls_the_task_names(result, expected):
    drift = gate(access_keys=result).drift
    assert [item.control for item in drift] == expected
    assert {item.fix_variable for item in drift} <= {
        "baseline_access_keys_deactivate_stale",
        "baseline_console_access_remove_unused",
    }


def test_declared_users_reads_names_groups_and_console_access_only():
    raw = [
        {"name": "alice", "groups": ["Cloudadmin"], "console_access": True},
        {"name": "bob", "groups": None},
        {"name": "carol"},
        {"groups": ["x"]},
        "junk",
    ]
    assert Settings.declared_users(raw) == (
        DeclaredUser("alice", ("Cloudadmin",), console_access=True),
        DeclaredUser("bob", ()),
        DeclaredUser("carol", ()),
    )


def test_assessment_round_trips_through_a_task_result():
    result = gate(
        password_policy=CHANGED,
        root={"findings": [found("root_mfa", check="mfa")]},
        iam_users={"undeclared_users": ["legacy"]},
    )
    assert Assessment.from_dict(result.to_dict()) == result
    assert Assessment.from_dict({}) == Assessment(account_id="")


# -- accepted exceptions ----------------------------------------------------------------------------------------
def _exceptions(*entries, today=datetime.date(2026, 6, 15), warn_days=14):
    base = {"account": ACCOUNT, "reason": "why", "owner": "sec@example.com", "expires": "2027-01-01"}
    data = {"schema_version": 1, "exceptions": [{**base, **e} for e in entries]}
    return Exceptions("/inv/exceptions.yml", parse(data, CONTROLS), today, warn_days)


BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ERIN = f"arn:aws:iam::{ACCOUNT}:user/erin"
MFA_FAILS = {"findings": [found("user_mfa", resource=BOB, message="bob"), found("user_mfa", resource=ERIN)]}


@pytest.mark.parametrize(
    ("entries", "drift", "accepted", "lapsed"),
    [
        ((), ["bob", "m"], [], [None, None]),
        (({"control": "user_mfa"},), [], ["bob", "m"], []),  # no resource: every user of the control
        (({"control": "user_mfa", "resource": BOB},), ["m"], ["bob"], [None]),
        (({"control": "user_mfa", "account": "999999999999"},), ["bob", "m"], [], [None, None]),
        (({"control": "root_mfa"},), ["bob", "m"], [], [None, None]),
        # expired: no longer matches; the drift item names the lapsed exception
        (({"control": "user_mfa", "resource": BOB, "expires": "2026-06-14"},), ["bob", "m"], [], [0, None]),
        (
            ({"control": "user_mfa", "resource": BOB, "expires": "2026-06-14"}, {"control": "user_mfa"}),
            [],
            ["bob", "m"],
            [],
        ),
    ],
)
def test_accepted_findings_are_not_drift(entries, drift, accepted, lapsed):
    assessment = gate(mfa=MFA_FAILS, exceptions=_exceptions(*entries) if entries else None)
    assert [d.message for d in assessment.drift] == drift
    assert [a.message for a in assessment.accepted] == accepted
    assert [d.expired_exception["index"] if d.expired_exception else None for d in assessment.drift] == lapsed


def test_an_exception_does_not_hide_what_would_change():
    exceptions = _exceptions({"control": "password_policy"})
    assessment = gate(password_policy={"changed": True}, exceptions=exceptions)
    assert [d.message for d in assessment.drift] == ["would change"]


def test_accepted_items_warnings_and_round_trip():
    exceptions = _exceptions(
        {"control": "user_mfa", "resource": BOB, "ticket": "SEC-1"},
        {"control": "root_mfa", "expires": "2026-06-01"},
        {"control": "root_usage", "expires": "2026-06-20"},
        {"control": "root_usage", "account": "ou:Root/Other"},
    )
    account = AccountContext(ACCOUNT, "prod", "Root/Workloads/Prod")
    assessment = gate(mfa=MFA_FAILS, exceptions=exceptions, account=account)
    assert assessment.summary()[-2:] == [
        "accepted by an exception (1):",
        "user_mfa: bob (exception #0, sec@example.com, until 2027-01-01)",
    ]
    assert assessment.warnings() == [
        "exception #1 (root_mfa (every resource), owner sec@example.com) expired on 2026-06-01: its findings are "
        "drift again; renew it in /inv/exceptions.yml or fix them",
        "exception #2 (root_usage (every resource), owner sec@example.com) expires on 2026-06-20, in 5 day(s)",
    ]
    again = Assessment.from_dict(assessment.to_dict())
    assert again == assessment
    assert again.accepted[0].exception == {
        "index": 0,
        "reason": "why",
        "owner": "sec@example.com",
        "expires": "2027-01-01",
        "ticket": "SEC-1",
    }
    assert Exceptions.from_dict(assessment.exceptions) == exceptions


# -- the policy controls (iam_policy_check) -----------------------------------------------------------------------
SHELL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/shell"


@pytest.mark.parametrize(
    ("check_mode", "detach", "changed", "expected"),
    [
        # report only: the finding says which variable would detach
        (True, False, False, [("cloudshell_access", "set baseline_cloudshell_access_detach: true", False)]),
        # opted in, under --check: would change, and the finding is still drift
        (
            True,
            True,
            True,
            [
                ("cloudshell_access", "an apply run (without --check) makes it so", False),
                ("cloudshell_access", "an apply run (without --check) makes it so: baseline_cloudshell", False),
            ],
        ),
    ],
)
def test_cloudshell_drift_names_the_detach_variable(check_mode, detach, changed, expected):
    result = {"changed": changed, "findings": [found("cloudshell_access", resource=SHELL_ROLE)]}
    assessment = gate(check_mode, policies=result, cloudshell_access_detach=detach)
    got = [(d.control, d.fix or "", d.manual) for d in assessment.drift]
    assert len(got) == len(expected)
    for (control, fix, manual), (want_control, want_fix, want_manual) in zip(got, expected, strict=True):
        assert (control, manual) == (want_control, want_manual)
        assert fix.startswith(want_fix)
    assert all(d.fix_variable == "baseline_cloudshell_access_detach" for d in assessment.drift)


def test_report_only_policy_findings_say_what_a_person_does():
    result = {
        "findings": [
            found("group_permissions", resource=f"arn:aws:iam::{ACCOUNT}:user/direct"),
            found("admin_policies", resource=f"arn:aws:iam::{ACCOUNT}:role/deploy"),
        ]
    }
    drift = gate(False, policies=result).drift
    assert [(d.control, d.fix_variable) for d in drift] == [("group_permissions", None), ("admin_policies", None)]
    assert "through a group" in drift[0].fix and "docs/exceptions.md" in drift[1].fix


def test_the_accepted_admin_group_exception_is_a_note_not_drift():
    message = "accepted exception: AWS managed AdministratorAccess attached to group Cloudadmin: ..."
    group = f"arn:aws:iam::{ACCOUNT}:group/Cloudadmin"
    result = {
        "findings": [found("admin_policies", "pass", message, group)],
        "accepted": [{"id": "admin_policies", "resource": group, "message": message}],
    }
    assessment = gate(True, policies=result)
    assert assessment.drift == ()
    assert [(n.control, n.message, n.names) for n in assessment.notes] == [("admin_policies", message, (group,))]


# -- centralized root access ------------------------------------------------------------------------------------
ROOT_KEYS = {"findings": [found("root_access_keys", message="root user has 1 active and 0 inactive access keys")]}
ROOT_MFA = {"findings": [found("root_mfa", message="root user has credentials and no MFA device", check="mfa")]}


@pytest.mark.parametrize(
    ("remove", "words"),
    [
        ((), "add access_keys to baseline_root_remove_credentials"),
        (("access_keys",), "an apply run (without --check) makes it so: baseline_root_remove_credentials deletes"),
    ],
)
def test_a_member_accounts_root_keys_name_the_variable_not_a_person(remove, words):
    assessment = gate(root_live=ROOT_KEYS, root_access="assume_root", root_remove_credentials=remove)
    (item,) = assessment.drift
    assert (item.control, item.fix_variable, item.manual) == (
        "root_access_keys",
        "baseline_root_remove_credentials",
        False,
    )
    assert item.fix.startswith(words)
    assert assessment.manual == ()


def test_a_member_accounts_root_mfa_is_settled_by_removing_the_credentials():
    (item,) = gate(root_live=ROOT_MFA, root_access="assume_root").drift
    assert item.fix_variable == "baseline_root_remove_credentials"
    assert "login_profile, access_keys, signing_certificates" in item.fix and not item.manual


@pytest.mark.parametrize("mode", ["off", "management"])
def test_without_centralized_root_access_a_person_stays(mode):
    assessment = gate(root=ROOT_KEYS, root_access=mode, root_remove_credentials=("access_keys",))
    (item,) = assessment.drift
    assert item.manual and item.fix_variable is None
    assert ("management account" in assessment.manual[0]) is (mode == "management")
    (note,) = assessment.notes
    assert "baseline_root_remove_credentials (access_keys) not applied" in note.message
    assert ("AssumeRoot cannot target it" in note.message) is (mode == "management")


def test_no_note_when_nothing_is_asked_or_it_applies():
    assert gate(root=ROOT_KEYS, root_access="management").notes == ()
    assert gate(root_live=ROOT_KEYS, root_access="assume_root", root_remove_credentials=("access_keys",)).notes == ()


def test_the_console_names_the_variable_that_replaces_the_person():
    assessment = gate(root_live={"findings": ROOT_KEYS["findings"] + ROOT_MFA["findings"]}, root_access="assume_root")
    lines = assessment.summary()
    assert "only a person can:" not in lines
    assert (
        "root_access_keys: no person needed (centralized root access): add access_keys to "
        "baseline_root_remove_credentials: they are deleted through sts:AssumeRoot (centralized root access)" in lines
    )
    assert [n.fix_variable for n in assessment.notes] == ["baseline_root_remove_credentials"] * 2
    # once the variable lists the kinds, the apply run does it: no note
    asked = gate(root_live=ROOT_KEYS, root_access="assume_root", root_remove_credentials=("access_keys",))
    assert asked.notes == ()


def test_a_skipped_organization_control_is_no_drift():
    skipped = {"skipped": True, "changed": False, "msg": "member account", "placement": "member"}
    assert gate(root_credentials_management=skipped).drift == ()


@pytest.mark.parametrize(
    ("changed_controls", "check_mode", "would_change"),
    [
        # a planned removal of access keys (or signing certificates) would change root_access_keys alone
        (["root_access_keys"], True, ["root_access_keys"]),
        # of the password or the MFA devices: root_mfa alone
        (["root_mfa"], True, ["root_mfa"]),
        (["root_access_keys", "root_mfa"], True, ["root_access_keys", "root_mfa"]),
        # an apply run: what was removed is done, not drift
        (["root_access_keys"], False, []),
    ],
)
def test_a_planned_root_removal_would_change_only_its_controls(changed_controls, check_mode, would_change):
    result = {
        "changed": True,
        "controls": ["root_access_keys", "root_mfa", "root_usage"],
        "changed_controls": changed_controls,
        "findings": [found("root_usage", "pass"), found("root_mfa", "pass", check="mfa")],
    }
    assessment = gate(check_mode, root_live=result, root_access="assume_root", root_remove_credentials=("access_keys",))
    items = [d for d in assessment.drift if d.message == "would change"]
    assert [d.control for d in items] == would_change
    assert all(d.fix_variable == "baseline_root_remove_credentials" and not d.manual for d in items)
    # root_usage is never a control a removal changes; a would-change item is no failing finding, so no note
    assert "root_usage" not in {d.control for d in assessment.drift}
    assert assessment.notes == ()
