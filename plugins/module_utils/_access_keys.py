# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of accountguard.aws.iam_access_keys: access-key rotation rules over the credential report.

Private to accountguard.aws: no compatibility promise outside the collection.

Input rows are those of ``_credential_report.parse_credential_report`` (raw column names, booleans,
timezone-aware UTC datetimes, None for N/A). The report has no access key ids, so keys are named by user and
key slot (the report's ``access_key_1`` / ``access_key_2`` columns). Only the keys that will really be deactivated
need their ids: the module lists the keys of those users (:func:`users_to_deactivate`) and :func:`match_key_ids`
pairs them with the report's key slots.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ._credential_report import access_key_slots, user_rows

REASON_AGE = "too_old"
REASON_UNUSED = "unused"
REASON_TOO_MANY = "too_many_active_keys"
# Reasons that make a key stale, so that deactivate_stale acts on it. With too many active keys the module
# cannot know which one is in use; that is reported, and a key is only deactivated for its own age or disuse.
DEACTIVATE_REASONS = (REASON_AGE, REASON_UNUSED)
# The report's key slot and the key's CreateDate come from the same timestamp; tolerate clock rounding only.
MATCH_TOLERANCE = timedelta(seconds=60)


def keys_from_rows(rows: list[dict], users: list[str] | None = None) -> list[dict]:
    """One entry per access key the report shows (slots 1 and 2), skipping the root row.

    ``users`` limits the result to those user names (case-insensitive, as IAM names are).
    """
    wanted = {u.lower() for u in users} if users is not None else None
    keys = []
    for row in user_rows(rows):
        name = row.get("user")
        if not name or (wanted is not None and name.lower() not in wanted):
            continue
        for slot in access_key_slots(row):
            keys.append(
                {
                    "user_name": name,
                    "arn": row.get("arn"),
                    "slot": slot["slot"],
                    "access_key_id": None,
                    "active": slot["active"],
                    "last_rotated": slot["last_rotated"],
                    "last_used_date": slot["last_used_date"],
                    "last_used_service": slot["last_used_service"],
                }
            )
    return keys


def _days(now: datetime, then: datetime | None) -> int | None:
    if then is None:
        return None
    return max(0, (now - then).days)


def evaluate(
    keys: list[dict], now: datetime, max_age_days: int, max_unused_days: int, max_active_keys: int
) -> list[dict]:
    """Add ``age_days``, ``unused_days`` and ``stale_reasons`` to every key (a new list; input untouched).

    - too old: active and older than ``max_age_days`` (CIS "rotated every 90 days or less");
    - unused: active and not used for ``max_unused_days`` or more (CIS "unused 45 days or greater"). A key
      that was never used counts from its rotation (creation) date: a never-used key is not a good key
      (Prowler passes it);
    - too many active keys: the user has more than ``max_active_keys`` active keys (every active key of that
      user carries the reason).
    Inactive keys never carry a reason.
    """
    out = []
    active_per_user = {}
    for key in keys:
        if key["active"]:
            active_per_user[key["user_name"]] = active_per_user.get(key["user_name"], 0) + 1
    for key in keys:
        age = _days(now, key["last_rotated"])
        reference = key["last_used_date"] or key["last_rotated"]
        unused = _days(now, reference)
        reasons = []
        if key["active"]:
            if age is not None and age > max_age_days:
                reasons.append(REASON_AGE)
            if unused is not None and unused >= max_unused_days:
                reasons.append(REASON_UNUSED)
            if active_per_user.get(key["user_name"], 0) > max_active_keys:
                reasons.append(REASON_TOO_MANY)
        out.append({**key, "age_days": age, "unused_days": unused, "stale_reasons": reasons})
    return out


def deactivation_reasons(key: dict) -> list[str]:
    """The reasons of an active key that make deactivate_stale act on it (empty: leave the key alone)."""
    if not key["active"]:
        return []
    return [reason for reason in key["stale_reasons"] if reason in DEACTIVATE_REASONS]


def users_to_deactivate(keys: list[dict]) -> list[str]:
    """User names with an active key that is too old or unused, in first-seen order.

    Only these users' keys are listed (ListAccessKeys), and only on a real deactivating run: the rules are
    decided from the report alone, so listing is needed just for the ids that UpdateAccessKey takes. Users whose
    only fault is too many active keys are not listed, since no key of theirs is deactivated.
    """
    seen = []
    for key in keys:
        if deactivation_reasons(key) and key["user_name"] not in seen:
            seen.append(key["user_name"])
    return seen


def match_key_ids(report_keys: list[dict], listed: list[dict]) -> list[dict]:
    """Pair the report's key slots of one user with ListAccessKeys metadata.

    Each slot gets the key whose CreateDate equals its ``last_rotated`` (within seconds), else, when the counts
    agree, the key in the same creation order. A matched key takes its live ``Status`` (the report may be up to
    four hours old, e.g. a key deactivated since). Unmatched slots keep ``access_key_id`` None.
    """
    remaining = sorted(listed, key=lambda k: k["CreateDate"])
    out = [dict(k) for k in report_keys]
    unmatched = []
    for key in out:
        best = None
        if key["last_rotated"] is not None:
            candidates = [m for m in remaining if abs(m["CreateDate"] - key["last_rotated"]) <= MATCH_TOLERANCE]
            if candidates:
                best = min(candidates, key=lambda m: abs(m["CreateDate"] - key["last_rotated"]))
        if best is None:
            unmatched.append(key)
            continue
        remaining.remove(best)
        key["access_key_id"] = best["AccessKeyId"]
        key["active"] = best["Status"] == "Active"
    if unmatched and len(unmatched) == len(remaining):
        for index, key in enumerate(sorted(unmatched, key=lambda k: k["slot"])):
            key["access_key_id"] = remaining[index]["AccessKeyId"]
            key["active"] = remaining[index]["Status"] == "Active"
    return out


def describe(key: dict, max_age_days: int, max_unused_days: int, max_active_keys: int) -> str:
    """One line for a finding: which key, and every rule it breaks (no secrets: key ids are not secret)."""
    ident = key["access_key_id"] or f"access key {key['slot']}"
    parts = []
    if REASON_AGE in key["stale_reasons"]:
        parts.append(f"is {key['age_days']} days old (max {max_age_days})")
    if REASON_UNUSED in key["stale_reasons"]:
        if key["last_used_date"] is None:
            parts.append(
                f"was never used in the {key['unused_days']} days since it was created (max {max_unused_days})"
            )
        else:
            parts.append(f"was last used {key['unused_days']} days ago (max {max_unused_days})")
    if REASON_TOO_MANY in key["stale_reasons"]:
        parts.append(f"is one of more than {max_active_keys} active keys of the user")
    if not parts:
        return f"{ident} of {key['user_name']} complies with the rotation rules"
    return f"{ident} of {key['user_name']} " + "; ".join(parts)


def to_result(key: dict) -> dict:
    """The ``keys`` return entry of one key."""
    used = key["last_used_date"]
    return {
        "user_name": key["user_name"],
        "key_slot": key["slot"],
        "access_key_id": key["access_key_id"],
        "active": key["active"],
        "age_days": key["age_days"],
        "unused_days": key["unused_days"],
        "last_rotated": key["last_rotated"].isoformat() if key["last_rotated"] else None,
        "last_used_date": used.isoformat() if used else None,
        "last_used_service": key["last_used_service"],
        "stale_reasons": list(key["stale_reasons"]),
    }
