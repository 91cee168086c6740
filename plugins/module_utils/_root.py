# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The root user: access keys, MFA and usage, from the live account summary and the credential report.

GetAccountSummary is live but only says *whether* root has keys (`AccountAccessKeysPresent`, inactive ones
included) and MFA. The credential report's `<root_account>` row says which keys are active and when they
were used, but AWS may hand out a report up to four hours old. When the two disagree, the live summary
decides presence and the disagreement is reported, never silently resolved in favour of the report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ._common import iso
from ._credential_report import access_key_slots
from ._findings import finding

# Days within which a sign-in or key use of root fails root_usage; 0 skips the check.
USAGE_WINDOW_RANGE = (0, 3650)


def public_key(key: dict) -> dict:
    return {
        "active": key["active"],
        "last_rotated": iso(key["last_rotated"]),
        "last_used_date": iso(key["last_used_date"]),
        "last_used_service": key["last_used_service"],
    }


def assess_root(
    summary: dict,
    row: dict | None,
    *,
    resource: str,
    generated_time: datetime | None,
    now: datetime,
    allow_inactive_keys: bool = False,
    usage_days: int = 1,
) -> dict:
    """Everything root_key_check returns except `changed`: root, findings, compliant, credential_report, warnings."""
    live_keys = bool(summary.get("AccountAccessKeysPresent"))
    live_mfa = bool(summary.get("AccountMFAEnabled"))
    report_keys = access_key_slots(row) if row else []
    warnings = []
    when = iso(generated_time) or "unknown time"

    if row is None:
        consistent = False
        warnings.append(
            "the credential report has no <root_account> row, so root access keys cannot be told active or "
            "inactive; the live account summary decides"
        )
    else:
        consistent = live_keys == bool(report_keys)
        if live_keys and not report_keys:
            warnings.append(
                f"the account summary reports root access keys but the credential report generated at {when} "
                "shows none: the report is stale (keys were created after it)"
            )
        elif report_keys and not live_keys:
            warnings.append(
                f"the credential report generated at {when} shows root access keys but the live account summary "
                "reports none: the report is stale (keys were deleted after it); trusting the summary"
            )
        if bool(row.get("mfa_active")) != live_mfa:
            consistent = False
            warnings.append(
                f"root MFA is {'on' if live_mfa else 'off'} in the live account summary but "
                f"{'on' if row.get('mfa_active') else 'off'} in the credential report generated at {when}; "
                "trusting the summary"
            )

    # The summary is live: keys it says are gone are gone, whatever the report remembers.
    keys = report_keys if live_keys else []
    active = sum(1 for key in keys if key["active"])
    inactive = len(keys) - active
    keys_known = bool(keys) or not live_keys

    if not live_keys:
        key_finding = finding("root_access_keys", "pass", resource, "root user has no access keys")
    elif not keys_known:
        key_finding = finding(
            "root_access_keys",
            "fail",
            resource,
            "root user has access keys (live account summary) that the credential report "
            + ("does not show yet" if row is not None else "has no root row for")
            + "; their state is unknown",
        )
    elif active:
        key_finding = finding(
            "root_access_keys", "fail", resource, f"root user has {active} active and {inactive} inactive access keys"
        )
    elif allow_inactive_keys:
        key_finding = finding(
            "root_access_keys",
            "pass",
            resource,
            f"root user has {inactive} inactive access keys and no active one (allowed by allow_inactive_keys)",
        )
    else:
        key_finding = finding(
            "root_access_keys",
            "fail",
            resource,
            f"root user has {inactive} inactive access keys; CIS requires them deleted",
        )

    findings = [key_finding]
    if usage_days > 0:
        findings.append(usage_finding(row, keys, resource=resource, now=now, usage_days=usage_days))

    root = {
        "access_keys_present": live_keys,
        "active_access_keys": active,
        "inactive_access_keys": inactive,
        "access_keys": [public_key(key) for key in keys],
        "mfa_active": live_mfa,
        "password_last_used": iso(row.get("password_last_used")) if row else None,
    }
    return {
        "root": root,
        "findings": findings,
        "compliant": all(f["status"] == "pass" for f in findings),
        "credential_report": {
            "generated_time": iso(generated_time),
            "has_root_row": row is not None,
            "consistent_with_summary": consistent,
        },
        "warnings": warnings,
    }


def usage_finding(row: dict | None, keys: list[dict], *, resource: str, now: datetime, usage_days: int) -> dict:
    """root_usage: fail when root signed in or used a key within the last `usage_days` days."""
    uses = []
    if row and row.get("password_last_used"):
        uses.append(("signed in", row["password_last_used"]))
    uses.extend(("used an access key", key["last_used_date"]) for key in keys if key["last_used_date"])
    if row is None:
        return finding("root_usage", "fail", resource, "root usage unknown: the credential report has no root row")
    return usage_verdict(uses, resource=resource, now=now, usage_days=usage_days)


def usage_verdict(uses: list[tuple[str, datetime]], *, resource: str, now: datetime, usage_days: int) -> dict:
    """root_usage from the root user's uses, (what, when) pairs, whether the credential report or a live root
    session told them: fail when one is within the last `usage_days` days."""
    recent = [(what, when) for what, when in uses if now - when < timedelta(days=usage_days)]
    if recent:
        what, when = max(recent, key=lambda use: use[1])
        return finding(
            "root_usage", "fail", resource, f"root user {what} at {iso(when)}, within the last {usage_days} days"
        )
    last = max((use[1] for use in uses), default=None)
    message = f"root user last used at {iso(last)}" if last else "root user has no recorded use"
    return finding("root_usage", "pass", resource, f"{message}, not within the last {usage_days} days")
