# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers of the account session and the account guard (accountguard.aws.account_session).

The session hands later tasks the connection options of one account (assumed-role credentials or a
profile) so that the role can feed them to ``module_defaults``; the guard proves that the identity those
options resolve to really lives in the account the inventory says.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
# arn:<partition>:iam::<account>:role/<path/>name  (role paths may nest; names are 1-64 of [\w+=,.@-])
ROLE_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::(\d{12}):role/([\w+=,.@/-]{1,512})$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
DURATION_RANGE = (900, 43200)


def validate(account_id: str | None, role_arn: str | None, session_name: str, duration_seconds: int) -> list[str]:
    """Every problem with the options, found before any API call."""
    errors = []
    if account_id is not None and not ACCOUNT_ID_RE.match(account_id):
        errors.append(
            f"account_id must be a 12-digit string (quote it in YAML to keep leading zeros), got {account_id!r}"
        )
    if role_arn is not None:
        match = ROLE_ARN_RE.match(role_arn)
        if not match:
            errors.append(f"role_arn must look like arn:aws:iam::123456789012:role/NAME, got {role_arn!r}")
        elif account_id is not None and ACCOUNT_ID_RE.match(account_id) and match.group(2) != account_id:
            errors.append(f"role_arn {role_arn} belongs to account {match.group(2)}, not to account_id {account_id}")
    if not SESSION_NAME_RE.match(session_name or ""):
        errors.append(f"role_session_name must be 2-64 characters of letters, digits and +=,.@_-, got {session_name!r}")
    low, high = DURATION_RANGE
    if not low <= duration_seconds <= high:
        errors.append(f"duration_seconds must be between {low} and {high} (inclusive), got {duration_seconds}")
    return errors


def connection_options(credentials: dict | None, profile: str | None) -> dict:
    """amazon.aws connection options for the tasks after the session.

    Assumed-role credentials win over the profile they were obtained with (amazon.aws refuses a profile
    together with keys); without a role the profile, if any, carries on; otherwise nothing, so the
    ambient credentials (environment, instance role) keep working.
    """
    if credentials:
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "session_token": credentials["SessionToken"],
        }
    if profile:
        return {"profile": profile}
    return {}


def guard_error(expected: str | None, identity: dict, role_arn: str | None) -> str | None:
    """The account guard: a message when the caller is not in the expected account, else None."""
    if expected is None or identity["account"] == expected:
        return None
    via = f" after assuming {role_arn}" if role_arn else ""
    return (
        f"account guard: the credentials{via} act in account {identity['account']} ({identity['arn']}), "
        f"but this host is account {expected}; nothing was changed in either account"
    )


# --- renewal: shared by the module (first AssumeRole) and the session_connection filter (later ones) ---

RENEWAL_KEYS = ("account_id", "role_arn", "role_session_name", "duration_seconds", "external_id", "profile")
RENEWAL_CONNECTION_KEYS = ("endpoint_url", "region")
# A renewal made by this very process a moment ago is reused even inside the margin: one task may
# template its module_defaults more than once, and each time must not cost another AssumeRole.
RECENT_SECONDS = 60


def assume_role_request(role_arn: str, session_name: str, duration_seconds: int, external_id: str | None) -> dict:
    """Keyword arguments of sts.assume_role, the same for the first session and every renewal."""
    request = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": duration_seconds}
    if external_id:
        request["ExternalId"] = external_id
    return request


def renewal_parameters(params: dict, account_id: str) -> dict | None:
    """The non-secret parameters that let the session be opened again, or None without a role.

    ``account_id`` is the account the guard proved; a renewal must land there too.
    """
    if not params.get("role_arn"):
        return None
    renewal = {key: params.get(key) for key in RENEWAL_KEYS + RENEWAL_CONNECTION_KEYS}
    renewal["account_id"] = account_id
    return renewal


def parse_time(value) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def needs_renewal(expiration, now: datetime, margin_seconds: int) -> bool:
    """True when credentials expiring at ``expiration`` are within ``margin_seconds`` of it (or past it).

    No expiration means credentials that do not expire here (a profile, the ambient ones): never renewed.
    """
    moment = parse_time(expiration)
    if moment is None:
        return False
    return moment - now <= timedelta(seconds=margin_seconds)


def reuse_renewal(issued_at: datetime, expiration, now: datetime, margin_seconds: int) -> bool:
    """Whether a renewal this process already made may serve again."""
    if parse_time(expiration) <= now:
        return False
    return now - issued_at < timedelta(seconds=RECENT_SECONDS) or not needs_renewal(expiration, now, margin_seconds)


def assumed_account(assumed_role_arn: str | None) -> str | None:
    """Account of an assumed-role ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)."""
    parts = (assumed_role_arn or "").split(":")
    return parts[4] if len(parts) > 5 and ACCOUNT_ID_RE.match(parts[4]) else None
