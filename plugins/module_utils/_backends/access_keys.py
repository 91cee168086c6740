# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_access_keys (module and action plugin)."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict

from ansible_collections.accountguard.aws.plugins.module_utils import _access_keys as ak
from ansible_collections.accountguard.aws.plugins.module_utils import _console_access as ca
from ansible_collections.accountguard.aws.plugins.module_utils import _credential_report as report
from ansible_collections.accountguard.aws.plugins.module_utils._common import iso, range_errors, utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import users as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import ControlFailure, ControlSpec
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    CREDENTIAL_REPORT,
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)

RANGES = {
    "console_max_unused_days": (1, 3650),
    "max_age_days": (1, 3650),
    "max_unused_days": (1, 3650),
    "max_active_keys": (0, 2),
    **report.REPORT_RANGES,
}
# Which CIS recommendation each reason tests (the check names of _findings.CONTROLS["access_key_rotation"]).
CHECK_OF_REASON = {ak.REASON_AGE: "rotation", ak.REASON_UNUSED: "unused", ak.REASON_TOO_MANY: "one_active"}
CONTROL = "access_key_rotation"
CONSOLE = "console_access_unused"
INITIAL_KEYS = "initial_access_keys"
# The controls this module checks from the one credential report; `controls` picks among them.
CHECKED_CONTROLS = (CONTROL, CONSOLE, INITIAL_KEYS)

ARGUMENT_SPEC = dict(
    controls=dict(type="list", elements="str", choices=list(CHECKED_CONTROLS), default=[CONTROL]),
    console_max_unused_days=dict(type="int", default=45),
    remove_unused_console_access=dict(type="bool", default=False),
    keep_console_access=dict(type="list", elements="str", default=[]),
    max_age_days=dict(type="int", default=90),
    max_unused_days=dict(type="int", default=45),
    max_active_keys=dict(type="int", default=1, no_log=False),
    users=dict(type="list", elements="str"),
    deactivate_stale=dict(type="bool", default=False),
    **report.report_options(),
    **SOURCES_ARGUMENT_SPEC,
)


def validate(params: dict) -> None:
    errors = range_errors(params, RANGES)
    for option in ("users", "keep_console_access"):
        names = params[option]
        if names is not None:
            bad = [name for name in names if not isinstance(name, str) or not name.strip()]
            if bad:
                errors.append(f"{option} must be IAM user names, got {bad!r}")
    if not params["controls"]:
        errors.append(f"controls must name at least one of {', '.join(CHECKED_CONTROLS)}")
    if errors:
        raise ControlFailure("; ".join(errors) + " (nothing was read)")


def limits(params: dict) -> tuple:
    return params["max_age_days"], params["max_unused_days"], params["max_active_keys"]


def match_live_keys(iam, keys: list, now, params: dict) -> list:
    """Give the keys about to be deactivated their ids and live status (one ListAccessKeys per such user).

    The live status wins over the report (up to four hours old), so a key deactivated since is left alone.
    """
    to_list = ak.users_to_deactivate(keys)
    if not to_list:
        return keys
    live = {name: gateway.list_access_keys(iam, name) for name in to_list}
    matched = []
    for name in dict.fromkeys(k["user_name"] for k in keys):
        user_keys = [k for k in keys if k["user_name"] == name]
        matched.extend(ak.match_key_ids(user_keys, live[name]) if name in live else user_keys)
    return ak.evaluate(matched, now, *limits(params))


def build_findings(keys: list, params: dict, account_resource: str) -> list:
    findings = []
    by_user = {}
    for key in keys:
        by_user.setdefault(key["user_name"], []).append(key)
    for user_name, user_keys in by_user.items():
        resource = user_keys[0]["arn"] or account_resource
        failing = False
        for key in user_keys:
            for reason in key["stale_reasons"]:
                failing = True
                message = ak.describe({**key, "stale_reasons": [reason]}, *limits(params))
                findings.append(finding(CONTROL, "fail", resource, message, check=CHECK_OF_REASON[reason]))
        if not failing:
            findings.append(
                finding(CONTROL, "pass", resource, f"the {len(user_keys)} access key(s) of {user_name} comply")
            )
    if not by_user:
        findings.append(finding(CONTROL, "pass", account_resource, "no IAM user checked has an access key"))
    return findings


def deactivate_stale(ctx, keys: list, deactivated: list) -> None:
    """Deactivate (never delete) the too old or unused keys, appending each to ``deactivated``; under check
    mode only predict. ``keys`` end as the run leaves them."""
    for key in keys:
        reasons = ak.deactivation_reasons(key)
        if not reasons:
            continue
        if not ctx.check_mode:
            if not key["access_key_id"]:
                ctx.warn(
                    f"access key {key['slot']} of {key['user_name']} was not deactivated: no live key "
                    "matches it (changed since the credential report); the next report will tell"
                )
                continue
            gateway.deactivate_access_key(ctx.client("iam"), key["user_name"], key["access_key_id"])
        deactivated.append(
            {
                "user_name": key["user_name"],
                "key_slot": key["slot"],
                "access_key_id": key["access_key_id"],
                "stale_reasons": reasons,
            }
        )
        key["active"] = False


def remove_unused_console_access(ctx, entries: list, now, params: dict, removed: list) -> None:
    """Delete the login profile of every unused console user not kept (never the users the role declares with
    console access), appending each to ``removed``; under check mode only predict.

    A real run first reads the user (GetUser): a sign-in newer than the credential report (up to four hours
    old) spares the user. The user's access keys, MFA devices and everything else stay.
    """
    limit = params["console_max_unused_days"]
    for entry in ca.removable(entries, params["keep_console_access"]):
        name = entry["user_name"]
        if not ctx.check_mode:
            iam = ctx.client("iam")
            live = gateway.get_user(iam, name)
            if live is None:
                continue
            if not ca.still_unused(entry, live.get("PasswordLastUsed"), now, limit):
                ctx.warn(f"the console password of {name} was kept: {name} signed in since the credential report")
                continue
            if not gateway.delete_login_profile(iam, name):
                continue
        removed.append({"user_name": name, "unused_days": entry["unused_days"], "unused_since": entry["unused_since"]})


def console_findings(entries: list, removed: list, params: dict, account_resource: str, check_mode: bool) -> list:
    limit = params["console_max_unused_days"]
    kept = {name.lower() for name in params["keep_console_access"] or ()}
    gone = {item["user_name"] for item in removed} if not check_mode else set()
    findings = []
    for entry in entries:
        resource = entry["arn"] or account_resource
        message = ca.describe_console(entry, limit)
        if entry["user_name"] in gone:
            findings.append(finding(CONSOLE, "pass", resource, f"console password removed: {message}"))
        elif entry["unused"]:
            if entry["user_name"].lower() in kept:
                message += "; declared with console access, so never removed"
            findings.append(finding(CONSOLE, "fail", resource, message))
        else:
            findings.append(finding(CONSOLE, "pass", resource, message))
    if not entries:
        findings.append(finding(CONSOLE, "pass", account_resource, "no IAM user checked has a console password"))
    return findings


def initial_key_findings(rows: list, params: dict, now, gone: set, deactivated: set, account_resource: str):
    """(findings, offending keys) of initial_access_keys at the end of the run: a console password removed or a
    key deactivated by this run no longer offends (``gone`` / ``deactivated`` are empty under check mode)."""
    offending, checked = ca.initial_keys(rows, params["users"])
    offending = [
        k for k in offending if k["user_name"] not in gone and (k["user_name"], k["key_slot"]) not in deactivated
    ]
    findings = [
        finding(INITIAL_KEYS, "fail", key["arn"] or account_resource, ca.describe_initial_key(key, now))
        for key in offending
    ]
    failing_users = {k["user_name"] for k in offending}
    for user in checked:
        if user["user_name"] in gone or user["user_name"] in failing_users:
            continue
        findings.append(
            finding(
                INITIAL_KEYS,
                "pass",
                user["arn"] or account_resource,
                f"console user {user['user_name']} has no active access key that was never used",
            )
        )
    if not findings:
        findings.append(finding(INITIAL_KEYS, "pass", account_resource, "no IAM user checked has a console password"))
    return findings, offending


def _partial_failure(error: AnsibleAWSError, **done) -> ControlFailure:
    """A failure after some writes: it says which were made, as a module failure carries its result."""
    response = getattr(error.exception, "response", None) or {}
    cause = to_native(getattr(error.exception, "message", error.exception))
    return ControlFailure(f"{error.message}: {cause}", changed=True, **done, **camel_dict_to_snake_dict(response))


def run(ctx) -> dict:
    params = ctx.params
    validate(params)
    controls = set(params["controls"])
    now = utcnow()
    sources = AccountSources(ctx)
    rows, generated_time = report.from_source(sources.get(CREDENTIAL_REPORT))
    keys = ak.evaluate(ak.keys_from_rows(rows, params["users"]), now, *limits(params)) if CONTROL in controls else []
    entries = ca.console_users(rows, now, params["console_max_unused_days"], params["users"])
    if params["users"]:
        known = {(row.get("user") or "").lower() for row in rows}
        missing = [name for name in params["users"] if name.lower() not in known]
        if missing:
            ctx.warn("not in the credential report (no such user, or created after the report): " + ", ".join(missing))

    row = report.root_row(rows)
    account_resource = sources.root_arn(
        [(row or {}).get("arn"), *(k["arn"] for k in keys), *(e["arn"] for e in entries)]
    )

    deactivated, removed = [], []
    found = keys
    try:
        if params["deactivate_stale"] and CONTROL in controls and not ctx.check_mode:
            found = match_live_keys(ctx.client("iam"), keys, now, params)
        final = [dict(k) for k in found]
        if params["deactivate_stale"] and CONTROL in controls:
            deactivate_stale(ctx, final, deactivated)
        if params["remove_unused_console_access"] and CONSOLE in controls:
            remove_unused_console_access(ctx, entries, now, params, removed)
    except AnsibleAWSError as error:
        if not deactivated and not removed:
            raise
        raise _partial_failure(error, deactivated=deactivated, console_access_removed=removed) from error
    final = ak.evaluate(final, now, *limits(params))

    # Findings describe the end of the run: a key deactivated or a console password removed now no longer breaks
    # a rule. Under check mode nothing changed, so they describe the account as found, which is the drift to show.
    findings = []
    if CONTROL in controls:
        findings += build_findings(found if ctx.check_mode else final, params, account_resource)
    if CONSOLE in controls:
        findings += console_findings(entries, removed, params, account_resource, ctx.check_mode)
    offending = []
    if INITIAL_KEYS in controls:
        real = not ctx.check_mode
        gone = {item["user_name"] for item in removed} if real else set()
        off = {(item["user_name"], item["key_slot"]) for item in deactivated} if real else set()
        initial, offending = initial_key_findings(rows, params, now, gone, off, account_resource)
        findings += initial
    compliant = all(f["status"] == "pass" for f in findings)
    changed_controls = [cid for cid, done in ((CONTROL, deactivated), (CONSOLE, removed)) if done]
    removed_names = {item["user_name"] for item in removed}
    kept = {name.lower() for name in params["keep_console_access"] or ()}
    result = dict(
        changed=bool(changed_controls),
        changed_controls=changed_controls,
        compliant=compliant,
        access_keys=[
            {**ak.to_result(e), "stale_reasons": list(f["stale_reasons"])} for f, e in zip(found, final, strict=True)
        ],
        console_users=[
            {
                "user_name": e["user_name"],
                "console_access": e["user_name"] not in removed_names,
                "password_last_used": iso(e["password_last_used"]),
                "password_last_changed": iso(e["password_last_changed"]),
                "unused_days": e["unused_days"],
                "unused_since": e["unused_since"],
                "unused": e["unused"],
                "kept": e["user_name"].lower() in kept,
            }
            for e in (entries if CONSOLE in controls else [])
        ],
        initial_access_keys=[
            {"user_name": k["user_name"], "key_slot": k["key_slot"], "last_rotated": iso(k["last_rotated"])}
            for k in offending
        ],
        findings=findings,
        deactivated=deactivated,
        console_access_removed=removed,
        credential_report={"generated_time": iso(generated_time)},
    )
    if removed and ctx.diff_mode:
        names = sorted(removed_names)
        result["diff"] = {
            "before": {"console_access": dict.fromkeys(names, True)},
            "after": {"console_access": dict.fromkeys(names, False)},
        }
    if not compliant and params["fail_on_noncompliance"]:
        failing = [f["message"] for f in findings if f["status"] == "fail"]
        raise ControlFailure("Not compliant: " + "; ".join(failing), **result)
    return result


SPEC = ControlSpec(name="iam_access_keys", argument_spec=ARGUMENT_SPEC, run=run)
