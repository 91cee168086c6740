# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What one host's baseline run does, derived once from its variables: the plan of the ``baseline`` role.

Which control families run under the --tags / --skip-tags of the run, which controls each checking task covers,
which shared sources the account session reads, how root is checked (today's checks, the management account, or
live through sts:AssumeRoot), and the connection settings of the host's tasks.

Why Python and not the role's Jinja: every task of a host runs in a process of its own, which compiles every Jinja
expression it meets afresh, and role variables are re-derived at each use. Derived in Jinja, these values cost
most of the controller's CPU time per account (bench, scenario b); here they cost one filter call per host (the
``accountguard.aws.baseline_plan`` filter, used by the role's "Plan the host's run" task, whose result the later
tasks read).

Controller-only and pure: plain data in and out, unit-tested with tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

# The control ids a --tags / --skip-tags can select one by one, in the role's order.
SELECTABLE = (
    "root_access_keys",
    "root_usage",
    "root_mfa",
    "user_mfa",
    "support_role",
    "server_certificates",
    "access_key_rotation",
    "console_access_unused",
    "initial_access_keys",
    "security_contact",
    "access_analyzer",
)
# The toggles (baseline_<name>_enabled) the plan reads.
TOGGLES = (
    "password_policy",
    "root_account",
    "user_mfa",
    "admin_group",
    "iam_users",
    "access_keys",
    "console_access",
    "initial_access_keys",
    "support_role",
    "server_certificates",
    "security_contact",
    "access_analyzer",
    "group_permissions",
    "admin_policies",
    "cloudshell_access",
    "root_credentials_management",
)
POLICY_CONTROLS = ("group_permissions", "admin_policies", "cloudshell_access")
ROOT_ACCESS_MODES = ("auto", "always", "never")
# The run's own tags: a task tagged with them runs whatever --tags names.
_EVERY = ("all", "tagged")


def _truthy(value: Any) -> bool:
    """What Ansible's `bool` filter makes of an inventory's value (booleans, "yes", "true", 1, ...)."""
    return boolean(value, strict=False)


def _unique(items: Iterable[str]) -> list[str]:
    """The items in their first order, each once (Jinja's `unique`)."""
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def tag_selected(name: str, run_tags: Iterable[str], skip_tags: Iterable[str], aliases: Iterable[str] = ()) -> bool:
    """Whether --tags selects a task tagged `name` (or one of `aliases`) and --skip-tags does not skip `name`."""
    wanted = {*_EVERY, name, *aliases}
    return bool(wanted.intersection(run_tags)) and name not in set(skip_tags)


def selected_controls(run_tags: Iterable[str], skip_tags: Iterable[str]) -> dict[str, bool]:
    """Each selectable control id: selected by the run's tags."""
    run_tags, skip_tags = list(run_tags), list(skip_tags)
    return {name: tag_selected(name, run_tags, skip_tags) for name in SELECTABLE}


def policy_checks(enabled: Mapping[str, bool], run_tags: Iterable[str], skip_tags: Iterable[str]) -> list[str]:
    """The policy controls the one policy task checks: enabled, selected by --tags, not skipped."""
    run_tags, skip_tags = list(run_tags), set(skip_tags)
    every = bool(set(_EVERY).intersection(run_tags))
    return [name for name in POLICY_CONTROLS if enabled[name] and (every or name in run_tags) and name not in skip_tags]


def required_groups(users: Iterable[Mapping[str, Any]], pending: Iterable[str]) -> list[str]:
    """The groups the declared users join that must exist already (all but those the run creates itself)."""
    pending = set(pending)
    names = (group for user in users for group in (user.get("groups") or []))
    return [name for name in _unique(names) if name not in pending]


def plan(variables: Mapping[str, Any], features: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The host's plan from its variables (see `roles/baseline/vars/main.yml`, _baseline_plan_variables) and the
    read once per run of centralized root access (`features`, empty before it or without it)."""
    run_tags = list(variables.get("run_tags") or ["all"])
    skip_tags = list(variables.get("skip_tags") or [])
    enabled = {name: _truthy(variables["enabled"][name]) for name in TOGGLES}
    selected = selected_controls(run_tags, skip_tags)
    mode = variables["root_access_via_assume_root"]
    if mode not in ROOT_ACCESS_MODES:
        raise ValueError(
            f"baseline_root_access_via_assume_root must be one of {', '.join(ROOT_ACCESS_MODES)}, not {mode!r}"
        )
    # aws_management_account: set by the organizations inventory (true/false), unset with a static one.
    management = variables.get("management_account")
    account_id = str(variables["account_id"])
    features = dict(features or {})

    access_key_controls = [
        name
        for name, toggle in (
            ("access_key_rotation", "access_keys"),
            ("console_access_unused", "console_access"),
            ("initial_access_keys", "initial_access_keys"),
        )
        if enabled[toggle] and selected[name]
    ]
    iam_account_controls = [
        name
        for name in ("support_role", "server_certificates", "security_contact", "access_analyzer")
        if enabled[name] and selected[name]
    ]
    policies = policy_checks(enabled, run_tags, skip_tags)
    root_keys_skipped = {"root_access_keys", "root_usage"}.issubset(skip_tags)
    runs = {
        "password_policy": enabled["password_policy"] and tag_selected("password_policy", run_tags, skip_tags),
        "root": enabled["root_account"]
        and bool({*_EVERY, "root_access_keys", "root_usage"}.intersection(run_tags))
        and not root_keys_skipped,
        "mfa": enabled["user_mfa"] and (selected["root_mfa"] or selected["user_mfa"]),
        "access_keys": bool(access_key_controls),
        "root_credentials_management": enabled["root_credentials_management"]
        and tag_selected("root_credentials_management", run_tags, skip_tags),
    }
    root_checks = (
        (["root_access_keys"] if runs["root"] and selected["root_access_keys"] else [])
        + (["root_usage"] if runs["root"] and selected["root_usage"] else [])
        + (["root_mfa"] if runs["mfa"] and selected["root_mfa"] else [])
    )
    remove = list(variables.get("root_remove_credentials") or [])
    if (mode == "always" or (management is not None and mode == "auto")) and (root_checks or remove):
        run_read = "features"
    elif runs["root_credentials_management"] and management is None:
        run_read = "organization"
    else:
        run_read = "none"

    is_management = _truthy(management) or account_id == str(features.get("management_account_id") or "")
    if mode == "never":
        root_access = "off"
    elif is_management:
        root_access = "management"
    elif mode == "always" or (management is not None and _truthy(features.get("root_sessions"))):
        root_access = "assume_root"
    else:
        root_access = "off"
    root_live = root_access == "assume_root" and bool(root_checks)
    runs["mfa_task"] = enabled["user_mfa"] and (selected["user_mfa"] or (selected["root_mfa"] and not root_live))

    sources = (
        (["password_policy"] if runs["password_policy"] else [])
        + (["credential_report", "account_summary"] if runs["root"] and not root_live else [])
        + (
            ["credential_report", "virtual_mfa_devices"]
            + (["account_summary"] if selected["root_mfa"] and not root_live else [])
            if runs["mfa_task"]
            else []
        )
        + (["credential_report"] if runs["access_keys"] else [])
        + (["authorization_details"] if policies else [])
    )

    organization = features.get("organization") or None
    if management is not None:
        is_management_account = _truthy(management)
    elif organization is not None:
        is_management_account = account_id == str(organization.get("MasterAccountId"))
    else:
        is_management_account = None
    control_organization = (
        organization if organization is not None and account_id == str(organization.get("MasterAccountId")) else None
    )

    connection = dict(variables["connection"])
    if variables.get("endpoint_url"):
        connection["endpoint_url"] = variables["endpoint_url"]
    root_access_connection = {
        **connection,
        "profile": variables.get("root_access_profile") or "",
        "assume_role_arn": variables.get("root_access_role_arn") or None,
    }
    pending = [variables["admin_group_name"]] if enabled["admin_group"] else []
    groups = required_groups(variables.get("users") or [], pending) if enabled["iam_users"] else []

    return {
        "selected": selected,
        "runs": runs,
        "access_key_controls": access_key_controls,
        "iam_account_controls": iam_account_controls,
        "policy_checks": policies,
        "root_checks": root_checks,
        "run_read": run_read,
        "root_access": root_access,
        "root_live": root_live,
        "sources": _unique(sources),
        "run_organization": organization,
        "is_management_account": is_management_account,
        "control_organization": control_organization,
        "connection": connection,
        "root_access_connection": root_access_connection,
        "required_groups": groups,
    }
