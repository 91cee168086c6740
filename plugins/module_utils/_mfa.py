# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""MFA of the root user and of IAM users, from bulk data.

The credential report says who has MFA; one paginated ListVirtualMFADevices says which of those devices are
virtual and whose they are. Only users whose MFA is not virtual need ListMFADevices, one call each, to learn
whether it is a FIDO key or a hardware TOTP token, and the caller may limit those lookups to the users it cares
about (compliance does not depend on them: any MFA type satisfies user_mfa). A user whose non-virtual devices
were not listed gets one placeholder device of type ``unknown``. The type comes from the serial (an ARN for
virtual and FIDO devices), never from a device name, which the device's creator chooses freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._findings import finding

MFA_TYPES = ("virtual", "hardware", "fido", "none", "unknown")
REQUIRE_FOR = ("console_users", "all_users")

# Stands for the devices of a user with MFA that is not virtual when they were not listed: the credential report
# says the user has MFA, the live virtual-device list says none of it is virtual, and nothing says how many
# devices there are or whether they are FIDO keys or hardware tokens.
UNLISTED_DEVICE = {"serial_number": None, "type": "unknown"}
# How a finding names device types.
TYPE_LABELS = {"unknown": "not virtual, devices not listed"}


def mfa_type_from_serial(serial: str) -> str:
    """arn:...:mfa/... -> virtual, arn:...:u2f/... -> fido, anything else (a token's serial) -> hardware."""
    parts = (serial or "").split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        resource = parts[5]
        if resource.startswith("mfa/"):
            return "virtual"
        if resource.startswith("u2f/"):
            return "fido"
    return "hardware"


def is_root_arn(arn: str | None) -> bool:
    return bool(arn) and arn.startswith("arn:") and arn.endswith(":root")


def root_mfa_type(mfa_enabled: bool, virtual_devices: list[dict] | None) -> str:
    """Root's MFA type from AccountMFAEnabled and the assigned virtual devices (None: listing unavailable).

    A non-root caller cannot list root's other devices, so non-virtual root MFA reports `hardware`: a FIDO
    security key and a TOTP token both satisfy CIS "hardware MFA for root".
    """
    if not mfa_enabled:
        return "none"
    if virtual_devices is None:
        return "unknown"
    if any(is_root_arn(device.get("user_arn")) for device in virtual_devices):
        return "virtual"
    return "hardware"


def normalize_virtual_device(device: dict) -> dict:
    user = device.get("User") or {}
    return {
        "serial_number": device["SerialNumber"],
        "user_arn": user.get("Arn"),
        "user_name": user.get("UserName"),
    }


def virtual_devices_by_user(devices: list[dict]) -> dict[str, list[str]]:
    """User ARN -> serials of the virtual devices assigned to that user (root excluded)."""
    by_user: dict[str, list[str]] = {}
    for device in devices:
        arn = device.get("user_arn")
        if arn and not is_root_arn(arn):
            by_user.setdefault(arn, []).append(device["serial_number"])
    return by_user


def users_needing_device_lookup(users: list[dict], virtual_by_user: dict[str, list[str]]) -> list[str]:
    """Names of users with MFA but no assigned virtual device: their devices are FIDO or hardware."""
    return [user["user_name"] for user in users if user["mfa_active"] and not virtual_by_user.get(user["arn"])]


def build_user(name: str, arn: str, console_access: bool, serials: list[str], unlisted: bool = False) -> dict:
    """A ``users`` entry. ``unlisted``: the user has MFA that is not virtual and its devices were not listed."""
    devices = [{"serial_number": s, "type": mfa_type_from_serial(s)} for s in sorted(serials)]
    if unlisted and not devices:
        devices = [dict(UNLISTED_DEVICE)]
    return {
        "user_name": name,
        "arn": arn,
        "console_access": bool(console_access),
        "mfa_active": bool(devices),
        "mfa_devices": devices,
    }


def user_arn(root_arn: str, name: str) -> str:
    """The ARN a user to be created (default path) will have, in the account of ``root_arn``."""
    return root_arn[: -len("root")] + f"user/{name}"


def in_scope(user: dict, require_for: str) -> bool:
    return require_for == "all_users" or user["console_access"]


def assess_users(
    users: list[dict], require_for: str, created: frozenset[str] = frozenset()
) -> tuple[list[str], list[dict], dict]:
    """(users_without_mfa, findings, summary) for users built with build_user; ``created``: names of the users
    created in this run (or that it would create, under check mode)."""
    if require_for not in REQUIRE_FOR:
        raise ValueError(f"require_for must be one of {', '.join(REQUIRE_FOR)}")
    without, findings = [], []
    counts = {"virtual": 0, "hardware": 0, "fido": 0, "unknown": 0}
    unlisted = 0
    for user in users:
        for device in user["mfa_devices"]:
            counts[device["type"]] += 1
        unlisted += any(device["type"] == "unknown" for device in user["mfa_devices"])
        if not in_scope(user, require_for):
            continue
        who = "console user" if user["console_access"] else "user"
        if user["mfa_active"]:
            types = ", ".join(TYPE_LABELS.get(t, t) for t in sorted({d["type"] for d in user["mfa_devices"]}))
            findings.append(finding("user_mfa", "pass", user["arn"], f"{who} {user['user_name']} has MFA ({types})"))
        else:
            without.append(user["user_name"])
            # Enrolling MFA needs the person, so a user created by this run cannot have it yet: said as such,
            # the failure is expected, and the apply's report counts the user the next check will find.
            what = "created in this run, MFA not enrolled yet" if user["user_name"] in created else "has no MFA"
            findings.append(finding("user_mfa", "fail", user["arn"], f"{who} {user['user_name']} {what}"))
    summary = {
        "users": len(users),
        "console_users": sum(1 for u in users if u["console_access"]),
        "users_in_scope": sum(1 for u in users if in_scope(u, require_for)),
        "users_with_mfa": sum(1 for u in users if u["mfa_active"]),
        "users_without_mfa": len(without),
        "virtual_mfa_devices": counts["virtual"],
        "hardware_mfa_devices": counts["hardware"],
        "fido_mfa_devices": counts["fido"],
        "users_with_unlisted_mfa": unlisted,
    }
    return without, findings, summary


def assess_root(mfa_type: str, require_hardware: bool, resource: str) -> dict:
    """The root_mfa finding for a root MFA type."""
    if mfa_type == "none":
        return finding("root_mfa", "fail", resource, "root user has no MFA", check="mfa")
    if mfa_type == "unknown":
        return finding(
            "root_mfa",
            "fail" if require_hardware else "pass",
            resource,
            "root user has MFA of unknown type (virtual MFA devices could not be listed)",
            check="hardware_mfa" if require_hardware else "mfa",
        )
    if require_hardware:
        status = "fail" if mfa_type == "virtual" else "pass"
        return finding(
            "root_mfa", status, resource, f"root user has {mfa_type} MFA; hardware MFA required", check="hardware_mfa"
        )
    return finding("root_mfa", "pass", resource, f"root user has {mfa_type} MFA", check="mfa")


@dataclass
class UserCheck:
    """What the bulk data says of one user, and which calls of its own it needs."""

    user_name: str
    # None for a user that does not exist yet (created_users under check mode).
    arn: str | None
    virtual_serials: list[str]
    console_access: bool
    lookup_console: bool = False
    lookup_devices: bool = False
    devices_unlisted: bool = False
    created: bool = False


@dataclass
class MfaPlan:
    users: list[UserCheck] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    missing_from_report: int = 0
    mfa_newer_than_report: int = 0


def plan_users(
    report_rows: list[dict],
    live_users: list[dict],
    virtual_by_user: dict[str, list[str]],
    names: list[str] | None,
    lookup_for: list[str] | None = None,
    created: list[str] | None = None,
) -> MfaPlan:
    """Decide, per user, what the bulk data already answers and what needs a call of its own.

    Live listings (ListUsers, ListVirtualMFADevices) win over the report: a user the report does not know yet
    is looked up (login profile and MFA devices: nothing else says whether they have MFA at all); a user with
    report MFA but no virtual device needs its devices listed to tell FIDO from hardware, but only when
    ``lookup_for`` is None or names them (case-insensitive), else it is marked ``devices_unlisted``; a virtual
    device the report does not know yet still counts.

    ``created`` names the users this run created (or would create, under check mode). One that exists is
    checked like any other user and marked ``created``; one that does not exist yet (check mode) is planned as
    the console user without MFA it will be, with no call, instead of being missed or reported not found.
    """
    lookup = None if lookup_for is None else {n.lower() for n in lookup_for}
    new = {n.lower() for n in created or []}
    by_name = {row["user"]: row for row in report_rows}
    live = {user["user_name"]: user["arn"] for user in live_users}
    live_lower = {name.lower() for name in live}
    wanted = set(live) if names is None else set(names)
    if names is None:
        wanted |= {name for name in created or [] if name.lower() not in live_lower}
    plan = MfaPlan()
    for name in sorted(wanted):
        if name not in live:
            if name.lower() in new and name.lower() not in live_lower:
                plan.users.append(UserCheck(name, None, [], console_access=True, created=True))
            else:
                plan.not_found.append(name)
            continue
        arn = live[name]
        row = by_name.get(name)
        serials = virtual_by_user.get(arn, [])
        item = UserCheck(
            name,
            arn,
            serials,
            console_access=bool(row and row.get("password_enabled")),
            lookup_console=row is None,
            created=name.lower() in new,
        )
        if row is None:
            plan.missing_from_report += 1
            item.lookup_devices = not serials
        elif not serials and row.get("mfa_active"):
            wanted_lookup = lookup is None or name.lower() in lookup
            item.lookup_devices = wanted_lookup
            item.devices_unlisted = not wanted_lookup
        elif serials and not row.get("mfa_active"):
            plan.mfa_newer_than_report += 1
        plan.users.append(item)
    return plan
