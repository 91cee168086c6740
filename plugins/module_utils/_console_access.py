# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of two credential-report controls of accountguard.aws.iam_access_keys.

Private to accountguard.aws: no compatibility promise outside the collection.

- ``console_access_unused`` (CIS v3.0 1.12 for passwords): a console password (login profile) not used to sign in
  for ``max_unused_days`` days or more fails. A password that was never used counts from when it was set (the
  report's ``password_last_changed``: the login profile's creation, or its last reset), as the CIS audit does
  ("when password_last_used is no_information, ensure password_last_changed is less than 45 days ago"); only
  when the report has neither date does it fall back to the user's creation. Prowler passes never-used passwords
  and fails only after more than 45 days; CIS says "45 days or more", and so do we.
- ``initial_access_keys`` (CIS v3.0 1.11): a console user (``password_enabled``) with an active access key that
  was never used fails, one finding per key, exactly the CIS audit and Prowler's rule. The report has no key
  creation time beside the user's, so "created at set-up" is read as CIS reads it: active and never used.

Input rows are those of ``_credential_report.parse_credential_report`` (typed, None for N/A). No AWS call here.
"""

from __future__ import annotations

from datetime import datetime

from ._credential_report import access_key_slots, user_rows

SINCE_LAST_USE = "last_used"
SINCE_SET = "password_last_changed"
SINCE_CREATED = "user_creation_time"


def _wanted(users: list[str] | None):
    return {u.lower() for u in users} if users is not None else None


def _name_ok(row: dict, wanted) -> bool:
    name = row.get("user")
    return bool(name) and (wanted is None or name.lower() in wanted)


def unused_since(row: dict) -> tuple[datetime | None, str | None]:
    """(reference date, which column) from which a console password counts as unused.

    The last sign-in; else, never used (or used before AWS tracked it), when the password was set; else when the
    user was created; (None, None) when the row has none of the three.
    """
    for column, kind in (
        ("password_last_used", SINCE_LAST_USE),
        ("password_last_changed", SINCE_SET),
        ("user_creation_time", SINCE_CREATED),
    ):
        value = row.get(column)
        if value is not None:
            return value, kind
    return None, None


def console_users(rows: list[dict], now: datetime, max_unused_days: int, users: list[str] | None = None) -> list:
    """One entry per user with a console password (``password_enabled``), the root row skipped.

    Each: user_name, arn, password_last_used, password_last_changed, unused_since (the column counted from),
    unused_days (None when the row has no date at all) and unused (True when ``unused_days >= max_unused_days``;
    a row without any date never counts as unused: nothing proves it is).
    """
    wanted = _wanted(users)
    out = []
    for row in user_rows(rows):
        if not _name_ok(row, wanted) or row.get("password_enabled") is not True:
            continue
        reference, kind = unused_since(row)
        days = None if reference is None else max(0, (now - reference).days)
        out.append(
            {
                "user_name": row["user"],
                "arn": row.get("arn"),
                "password_last_used": row.get("password_last_used"),
                "password_last_changed": row.get("password_last_changed"),
                "unused_since": kind,
                "unused_days": days,
                "unused": days is not None and days >= max_unused_days,
            }
        )
    return out


def removable(entries: list[dict], keep: list[str] | None) -> list[dict]:
    """The unused console users whose login profile may be removed: every unused one not named in ``keep``
    (case-insensitive, as IAM names are; the role passes the users declared with ``console_access: true``)."""
    kept = {name.lower() for name in keep or ()}
    return [entry for entry in entries if entry["unused"] and entry["user_name"].lower() not in kept]


def still_unused(entry: dict, live_last_used: datetime | None, now: datetime, max_unused_days: int) -> bool:
    """Whether a sign-in newer than the report (``GetUser``'s live ``PasswordLastUsed``) leaves the password
    unused: live data can only spare a user, never condemn one the report did not."""
    if live_last_used is None or (entry["password_last_used"] and live_last_used <= entry["password_last_used"]):
        return True
    return max(0, (now - live_last_used).days) >= max_unused_days


def describe_console(entry: dict, max_unused_days: int) -> str:
    """One line for a finding of console_access_unused."""
    name, days = entry["user_name"], entry["unused_days"]
    if days is None:
        return f"the credential report gives no sign-in, password or creation date for {name}'s console password"
    if entry["unused_since"] == SINCE_LAST_USE:
        state = f"last signed in to the console {days} days ago"
    elif entry["unused_since"] == SINCE_SET:
        state = f"never signed in with the console password set {days} days ago"
    else:
        state = f"never signed in with the console password of a user created {days} days ago"
    verdict = f"(max {max_unused_days})" if entry["unused"] else f"(within {max_unused_days})"
    return f"{name} {state} {verdict}"


def initial_keys(rows: list[dict], users: list[str] | None = None) -> tuple[list[dict], list[dict]]:
    """(offending keys, console users checked) for initial_access_keys.

    A key offends when its user has a console password and the key is active and was never used. Each offending
    key: user_name, arn, key_slot, last_rotated. Console users checked: user_name, arn.
    """
    wanted = _wanted(users)
    offending, checked = [], []
    for row in user_rows(rows):
        if not _name_ok(row, wanted) or row.get("password_enabled") is not True:
            continue
        checked.append({"user_name": row["user"], "arn": row.get("arn")})
        for slot in access_key_slots(row):
            if slot["active"] and slot["last_used_date"] is None:
                offending.append(
                    {
                        "user_name": row["user"],
                        "arn": row.get("arn"),
                        "key_slot": slot["slot"],
                        "last_rotated": slot["last_rotated"],
                    }
                )
    return offending, checked


def describe_initial_key(key: dict, now: datetime) -> str:
    created = key["last_rotated"]
    age = f", created {max(0, (now - created).days)} days ago," if created is not None else ""
    return (
        f"access key {key['key_slot']} of console user {key['user_name']} is active{age} and was never used "
        "(CIS: no access keys at a console user's set-up)"
    )
