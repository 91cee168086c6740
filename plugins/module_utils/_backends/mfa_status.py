# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_mfa_status (module and action plugin)."""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils import _credential_report as report
from ansible_collections.accountguard.aws.plugins.module_utils import _mfa as mfa
from ansible_collections.accountguard.aws.plugins.module_utils._common import iso, range_errors
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account as account_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import users as users_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlSpec,
    checked_result,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    ACCOUNT_SUMMARY,
    CREDENTIAL_REPORT,
    SOURCES_ARGUMENT_SPEC,
    VIRTUAL_MFA_DEVICES,
    AccountSources,
)

NAME_LISTS = ("users", "lookup_devices_for", "created_users")

ARGUMENT_SPEC = dict(
    require_mfa_for=dict(type="str", choices=list(mfa.REQUIRE_FOR), default="console_users"),
    users=dict(type="list", elements="str"),
    lookup_devices_for=dict(type="list", elements="str"),
    created_users=dict(type="list", elements="str", default=[]),
    include_root=dict(type="bool", default=True),
    require_hardware_mfa_for_root=dict(type="bool", default=False),
    **report.report_options(),
    **SOURCES_ARGUMENT_SPEC,
)


def validate(params: dict) -> None:
    errors = range_errors(params, report.REPORT_RANGES)
    for option in NAME_LISTS:
        names = params[option]
        if names is not None and any(not isinstance(name, str) or not name.strip() for name in names):
            errors.append(f"{option} must be a list of non-empty IAM user names")
    fail_on_errors(errors)


def run(ctx) -> dict:
    params = ctx.params
    validate(params)
    sources = AccountSources(ctx)
    rows, generated_time = report.from_source(sources.get(CREDENTIAL_REPORT))
    iam = ctx.client("iam")
    live_users = [{"user_name": u["UserName"], "arn": u["Arn"]} for u in account_gateway.list_users(iam)]
    virtual = [mfa.normalize_virtual_device(device) for device in sources.get(VIRTUAL_MFA_DEVICES)]
    summary_map = sources.get(ACCOUNT_SUMMARY) if params["include_root"] else {}

    created = params["created_users"] or []
    plan = mfa.plan_users(
        report.user_rows(rows),
        live_users,
        mfa.virtual_devices_by_user(virtual),
        params["users"],
        params["lookup_devices_for"],
        created,
    )
    row = report.root_row(rows)
    resource = sources.root_arn([(row or {}).get("arn"), *(u["arn"] for u in live_users)])

    per_user_calls = 0
    users = []
    for item in plan.users:
        serials, console = item.virtual_serials, item.console_access
        if item.lookup_console:
            console = users_gateway.get_login_profile(iam, item.user_name) is not None
            per_user_calls += 1
        if item.lookup_devices:
            serials = [device["SerialNumber"] for device in users_gateway.list_mfa_devices(iam, item.user_name)]
            per_user_calls += 1
        arn = item.arn or mfa.user_arn(resource, item.user_name)
        users.append(mfa.build_user(item.user_name, arn, console, serials, item.devices_unlisted))

    created_names = frozenset(item.user_name for item in plan.users if item.created)
    without, findings, summary = mfa.assess_users(users, params["require_mfa_for"], created_names)
    # An explicit empty list checks no user at all: a pass would mark user_mfa compliant for a run
    # (e.g. --tags root_mfa) that never looked at a user.
    if not summary["users_in_scope"] and params["users"] != []:
        scope = "console users" if params["require_mfa_for"] == "console_users" else "IAM users"
        findings.append(finding("user_mfa", "pass", resource, f"no {scope} to check"))
    summary["users_not_found"] = plan.not_found
    summary["users_missing_from_report"] = plan.missing_from_report
    summary["per_user_calls"] = per_user_calls
    if plan.not_found:
        ctx.warn(f"not IAM users of this account: {', '.join(plan.not_found)}")

    consistent = not plan.missing_from_report and not plan.mfa_newer_than_report
    root = None
    if params["include_root"]:
        mfa_enabled = bool(summary_map.get("AccountMFAEnabled"))
        root = {"mfa_enabled": mfa_enabled, "mfa_type": mfa.root_mfa_type(mfa_enabled, virtual)}
        if row is not None and bool(row.get("mfa_active")) != mfa_enabled:
            consistent = False
            ctx.warn(
                f"root MFA is {'on' if mfa_enabled else 'off'} in the live account summary but "
                f"{'on' if row.get('mfa_active') else 'off'} in the credential report generated at "
                f"{iso(generated_time)}; trusting the summary"
            )
        findings.insert(0, mfa.assess_root(root["mfa_type"], params["require_hardware_mfa_for_root"], resource))

    return checked_result(
        ctx,
        compliant=all(f["status"] == "pass" for f in findings),
        root=root,
        users=users,
        users_without_mfa=without,
        summary=summary,
        findings=findings,
        credential_report={"generated_time": iso(generated_time), "consistent_with_summary": consistent},
    )


SPEC = ControlSpec(name="iam_mfa_status", argument_spec=ARGUMENT_SPEC, run=run)
