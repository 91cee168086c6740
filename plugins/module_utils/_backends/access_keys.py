# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_access_keys (module and action plugin)."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict

from ansible_collections.accountguard.aws.plugins.module_utils import _access_keys as ak
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
    "max_age_days": (1, 3650),
    "max_unused_days": (1, 3650),
    "max_active_keys": (0, 2),
    **report.REPORT_RANGES,
}
# Which CIS recommendation each reason tests (the check names of _findings.CONTROLS["access_key_rotation"]).
CHECK_OF_REASON = {ak.REASON_AGE: "rotation", ak.REASON_UNUSED: "unused", ak.REASON_TOO_MANY: "one_active"}
CONTROL = "access_key_rotation"

ARGUMENT_SPEC = dict(
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
    names = params["users"]
    if names is not None:
        bad = [name for name in names if not isinstance(name, str) or not name.strip()]
        if bad:
            errors.append(f"users must be IAM user names, got {bad!r}")
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


def run(ctx) -> dict:
    params = ctx.params
    validate(params)
    now = utcnow()
    sources = AccountSources(ctx)
    rows, generated_time = report.from_source(sources.get(CREDENTIAL_REPORT))
    keys = ak.evaluate(ak.keys_from_rows(rows, params["users"]), now, *limits(params))
    if params["users"]:
        known = {(row.get("user") or "").lower() for row in rows}
        missing = [name for name in params["users"] if name.lower() not in known]
        if missing:
            ctx.warn("not in the credential report (no such user, or created after the report): " + ", ".join(missing))

    row = report.root_row(rows)
    account_resource = sources.root_arn([(row or {}).get("arn"), *(k["arn"] for k in keys)])

    deactivated = []
    found = keys
    try:
        if params["deactivate_stale"] and not ctx.check_mode:
            found = match_live_keys(ctx.client("iam"), keys, now, params)
        final = [dict(k) for k in found]
        if params["deactivate_stale"]:
            deactivate_stale(ctx, final, deactivated)
    except AnsibleAWSError as error:
        if not deactivated:
            raise
        # Keys already deactivated stay so: the failure says which, as a module failure carries its result.
        response = getattr(error.exception, "response", None) or {}
        cause = to_native(getattr(error.exception, "message", error.exception))
        raise ControlFailure(
            f"{error.message}: {cause}", changed=True, deactivated=deactivated, **camel_dict_to_snake_dict(response)
        ) from error
    final = ak.evaluate(final, now, *limits(params))

    # Findings describe the end of the run: a key deactivated now no longer breaks a rule. Under check mode
    # nothing changed, so they describe the keys as found, which is the drift to show.
    findings = build_findings(found if ctx.check_mode else final, params, account_resource)
    compliant = all(f["status"] == "pass" for f in findings)
    result = dict(
        changed=bool(deactivated),
        compliant=compliant,
        access_keys=[
            {**ak.to_result(e), "stale_reasons": list(f["stale_reasons"])} for f, e in zip(found, final, strict=True)
        ],
        findings=findings,
        deactivated=deactivated,
        credential_report={"generated_time": iso(generated_time)},
    )
    if not compliant and params["fail_on_noncompliance"]:
        failing = [f["message"] for f in findings if f["status"] == "fail"]
        raise ControlFailure("Not compliant: " + "; ".join(failing), **result)
    return result


SPEC = ControlSpec(name="iam_access_keys", argument_spec=ARGUMENT_SPEC, run=run)
