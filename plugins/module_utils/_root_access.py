# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Centralized root access: the live root credentials of a member account, read and removed through
``sts:AssumeRoot``, and the findings they give.

Where an AWS Organization has the IAM features ``RootCredentialsManagement`` and ``RootSessions`` on, its
management account (or the IAM delegated administrator) opens a short root session in a member account with a
task policy: ``IAMAuditRootUserCredentials`` reads root's access keys, console password (login profile), MFA
devices and signing certificates, live; ``IAMDeleteRootUserCredentials`` deletes them. AWS cannot open such a
session for the management account itself.

A member account whose root has no password, no access keys and no signing certificates cannot sign in or call
AWS as root at all: it is compliant for root_access_keys, root_mfa and root_usage (CIS AWS Foundations v7.0;
Prowler treats it the same).

root_usage judges the root user's last uses (console sign-in, access key use). They come from the session
(``GetUser``'s PasswordLastUsed, ``GetAccessKeyLastUsed`` per key) or, when the run has read the account's
credential report anyway, from its ``<root_account>`` row: the source CIS's own audit of root usage reads, at no
extra call. Pure: no AWS call here.
"""

from __future__ import annotations

from datetime import datetime

from ._common import iso
from ._credential_report import access_key_slots
from ._findings import finding
from ._mfa import mfa_type_from_serial
from ._root import usage_verdict

TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
AUDIT_TASK_POLICY = TASK_POLICY_PREFIX + "IAMAuditRootUserCredentials"
DELETE_TASK_POLICY = TASK_POLICY_PREFIX + "IAMDeleteRootUserCredentials"
# AWS's largest root session; the collection never asks for more.
SESSION_SECONDS = 900

# The root credential kinds baseline_root_remove_credentials may name, in the order they are removed.
KINDS = ("access_keys", "signing_certificates", "login_profile", "mfa_devices")
ROOT_CONTROLS = ("root_access_keys", "root_mfa", "root_usage")

NO_CREDENTIALS = "root user has no password, no access keys and no signing certificates"

# The control whose credentials each kind is, for the report's cells (changed_controls): access keys and signing
# certificates are root's long-term API credentials (root_access_keys, CIS "no root access keys"); the console
# password and the MFA devices are root's sign-in, which root MFA guards (root_mfa: MFA protects the console
# sign-in only, and a root user without a password, keys or certificates needs none). root_usage judges how
# root was used, which no removal changes: it is never a changed control.
KIND_CONTROLS = {
    "access_keys": "root_access_keys",
    "signing_certificates": "root_access_keys",
    "login_profile": "root_mfa",
    "mfa_devices": "root_mfa",
}
LIVE_USAGE = "live"
REPORT_USAGE = "credential_report"


def kind_errors(values, name: str = "remove") -> list[str]:
    """Problems with a list of credential kinds, before any call."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [f"{name} must be a list of root credential kinds ({', '.join(KINDS)})"]
    bad = [repr(v) for v in values if v not in KINDS]
    if bad:
        return [f"{name}: unknown root credential kind(s) {', '.join(bad)}; allowed: {', '.join(KINDS)}"]
    return []


def _when(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _second(value: datetime | None) -> str | None:
    """A time to the second (the credential report's precision), for matching a key to its report slot."""
    return iso(value.replace(microsecond=0)) if value else None


def live_state(
    keys: list[dict],
    last_used: dict,
    login_profile: dict | None,
    user: dict | None,
    mfa: list[dict],
    certs: list[dict],
    report: dict | None = None,
) -> dict:
    """The root credentials as read in the root session (API shapes in), JSON-safe (no secret: ids and dates).

    ``report`` ({"row": the credential report's <root_account> row, "generated_time": datetime}) gives the last
    uses instead of ``last_used`` and ``user``: the password's last use, and each key's matched by its creation
    time (the report's last_rotated). ``usage`` says where the uses come from; with the report it keeps every
    key use the row holds (also of a key deleted since), for the root_usage verdict."""
    slots = access_key_slots(report["row"]) if report else []
    by_created = {_second(slot["last_rotated"]): slot for slot in slots if slot["last_rotated"]}
    state_keys = []
    for key in keys:
        created = iso(_when(key.get("CreateDate")))
        if report:
            slot = by_created.get(_second(_when(key.get("CreateDate")))) or {}
            used = {"LastUsedDate": slot.get("last_used_date"), "ServiceName": slot.get("last_used_service")}
        else:
            used = last_used.get(key["AccessKeyId"]) or {}
        state_keys.append(
            {
                "access_key_id": key["AccessKeyId"],
                "active": key.get("Status") == "Active",
                "created": created,
                "last_used": iso(_when(used.get("LastUsedDate"))),
                "last_used_service": used.get("ServiceName") if used.get("ServiceName") not in (None, "N/A") else None,
            }
        )
    devices = [{"serial_number": d["SerialNumber"], "type": mfa_type_from_serial(d["SerialNumber"])} for d in mfa or ()]
    if report:
        password_last_used = report["row"].get("password_last_used")
        usage = {
            "source": REPORT_USAGE,
            "generated_time": iso(report.get("generated_time")),
            "access_keys_last_used": [iso(s["last_used_date"]) for s in slots if s["last_used_date"]],
        }
    else:
        password_last_used = (user or {}).get("PasswordLastUsed")
        usage = {"source": LIVE_USAGE}
    return {
        "access_keys": state_keys,
        "login_profile": login_profile is not None,
        "password_last_used": iso(_when(password_last_used)),
        "mfa_devices": devices,
        "signing_certificates": [
            {"certificate_id": c["CertificateId"], "active": c.get("Status") == "Active"} for c in certs or ()
        ],
        "usage": usage,
    }


def has_credentials(state: dict) -> bool:
    return bool(state["access_keys"] or state["login_profile"] or state["signing_certificates"])


def assess(
    state: dict,
    *,
    resource: str,
    now: datetime,
    checks=ROOT_CONTROLS,
    allow_inactive_keys: bool = False,
    usage_days: int = 1,
    require_hardware_mfa: bool = False,
) -> list[dict]:
    """The findings of the selected root controls from the live root state."""
    findings = []
    none = not has_credentials(state)
    suffix = " (live, through sts:AssumeRoot)"
    if "root_access_keys" in checks:
        keys = state["access_keys"]
        active = sum(1 for k in keys if k["active"])
        inactive = len(keys) - active
        if not keys:
            findings.append(finding("root_access_keys", "pass", resource, "root user has no access keys" + suffix))
        elif active:
            findings.append(
                finding(
                    "root_access_keys",
                    "fail",
                    resource,
                    f"root user has {active} active and {inactive} inactive access keys"
                    f" ({', '.join(k['access_key_id'] for k in keys)})",
                )
            )
        elif allow_inactive_keys:
            findings.append(
                finding(
                    "root_access_keys",
                    "pass",
                    resource,
                    f"root user has {inactive} inactive access keys and no active one (allowed by allow_inactive_keys)",
                )
            )
        else:
            findings.append(
                finding(
                    "root_access_keys",
                    "fail",
                    resource,
                    f"root user has {inactive} inactive access keys ({', '.join(k['access_key_id'] for k in keys)});"
                    " CIS requires them deleted",
                )
            )
    if "root_mfa" in checks:
        findings.append(_mfa_finding(state, resource, none, require_hardware_mfa))
    if "root_usage" in checks and usage_days > 0:
        findings.append(_usage_finding(state, resource, none, now, usage_days))
    return findings


def _mfa_finding(state: dict, resource: str, none: bool, require_hardware: bool) -> dict:
    devices = state["mfa_devices"]
    if none:
        return finding(
            "root_mfa",
            "pass",
            resource,
            f"{NO_CREDENTIALS}: root MFA is neither possible nor needed (centralized root access)",
            check="hardware_mfa" if require_hardware else "mfa",
        )
    if not devices:
        return finding("root_mfa", "fail", resource, "root user has credentials and no MFA device", check="mfa")
    types = {"hardware" if d["type"] in ("hardware", "fido") else d["type"] for d in devices}
    kind = "hardware" if "hardware" in types else "virtual"
    if require_hardware:
        status = "pass" if kind == "hardware" else "fail"
        return finding(
            "root_mfa", status, resource, f"root user has {kind} MFA; hardware MFA required", check="hardware_mfa"
        )
    return finding("root_mfa", "pass", resource, f"root user has {kind} MFA", check="mfa")


def _usage_finding(state: dict, resource: str, none: bool, now: datetime, usage_days: int) -> dict:
    if none:
        return finding("root_usage", "pass", resource, f"{NO_CREDENTIALS}: it cannot be used")
    usage = state.get("usage") or {"source": LIVE_USAGE}
    uses = []
    if state["password_last_used"]:
        uses.append(("signed in", _when(state["password_last_used"])))
    if usage["source"] == REPORT_USAGE:
        # Every key use the report holds: a use of root is one, whether or not the key still exists.
        uses.extend(("used an access key", _when(when)) for when in usage["access_keys_last_used"])
    else:
        uses.extend(("used an access key", _when(k["last_used"])) for k in state["access_keys"] if k["last_used"])
    verdict = usage_verdict(uses, resource=resource, now=now, usage_days=usage_days)
    if usage["source"] == REPORT_USAGE:
        verdict["message"] += f" (credential report generated at {usage['generated_time'] or 'an unknown time'})"
    return verdict


def changed_controls(plan: list[dict]) -> list[str]:
    """The root controls whose credentials the plan removes (KIND_CONTROLS), in ROOT_CONTROLS order."""
    touched = {KIND_CONTROLS[item["kind"]] for item in plan}
    return [cid for cid in ROOT_CONTROLS if cid in touched]


def removal_plan(state: dict, remove) -> list[dict]:
    """What removing the listed kinds deletes, one item per credential: {kind, id}, in KINDS order.

    An MFA device is deactivated; a virtual one is then deleted too (``delete_virtual`` true)."""
    plan = []
    wanted = set(remove or ())
    if "access_keys" in wanted:
        plan += [{"kind": "access_keys", "id": k["access_key_id"]} for k in state["access_keys"]]
    if "signing_certificates" in wanted:
        plan += [{"kind": "signing_certificates", "id": c["certificate_id"]} for c in state["signing_certificates"]]
    if "login_profile" in wanted and state["login_profile"]:
        plan.append({"kind": "login_profile", "id": "console password"})
    if "mfa_devices" in wanted:
        plan += [
            {"kind": "mfa_devices", "id": d["serial_number"], "delete_virtual": d["type"] == "virtual"}
            for d in state["mfa_devices"]
        ]
    return plan


def after_removal(state: dict, plan: list[dict]) -> dict:
    """The root state once the plan is done (the diff's after)."""
    gone = {(item["kind"], item["id"]) for item in plan}
    return {
        "access_keys": [k for k in state["access_keys"] if ("access_keys", k["access_key_id"]) not in gone],
        "login_profile": state["login_profile"] and ("login_profile", "console password") not in gone,
        "password_last_used": state["password_last_used"],
        "mfa_devices": [d for d in state["mfa_devices"] if ("mfa_devices", d["serial_number"]) not in gone],
        "signing_certificates": [
            c for c in state["signing_certificates"] if ("signing_certificates", c["certificate_id"]) not in gone
        ],
        "usage": state.get("usage") or {"source": LIVE_USAGE},
    }
