# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning of the account session and the account guard (accountguard.aws.account_session).

The session proves that the identity the connection options resolve to (an assumed role, a profile, the
ambient credentials) really lives in the account the inventory says. It hands out no credentials: every
later task reaches the same account through the same connection options, and botocore shares one assumed
role session between them (see _connection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
DURATION_RANGE = (900, 43200)


@dataclass(frozen=True)
class Identity:
    """What sts:GetCallerIdentity says about the caller."""

    account: str
    arn: str
    user_id: str

    @classmethod
    def from_api(cls, response: dict) -> Identity:
        return cls(account=response["Account"], arn=response["Arn"], user_id=response["UserId"])

    def as_result(self) -> dict:
        return {"account_id": self.account, "arn": self.arn, "user_id": self.user_id}


def role_account(role_arn: str) -> str | None:
    """The account of an IAM role ARN, or None when the string is not one."""
    parsed = parse_aws_arn(role_arn)
    if not parsed or parsed["service"] != "iam" or parsed["resource_type"] != "role":
        return None
    if not ACCOUNT_ID_RE.match(parsed["account_id"] or "") or not parsed["resource_id"]:
        return None
    return parsed["account_id"]


def validate(account_id: str | None, role_arn: str | None, session_name: str, duration_seconds: int) -> list[str]:
    """Every problem with the options, found before any API call."""
    errors = []
    if account_id is not None and not ACCOUNT_ID_RE.match(account_id):
        errors.append(
            f"account_id must be a 12-digit string (quote it in YAML to keep leading zeros), got {account_id!r}"
        )
    if role_arn is not None:
        owner = role_account(role_arn)
        if owner is None:
            errors.append(f"role_arn must look like arn:aws:iam::123456789012:role/NAME, got {role_arn!r}")
        elif account_id is not None and ACCOUNT_ID_RE.match(account_id) and owner != account_id:
            errors.append(f"role_arn {role_arn} belongs to account {owner}, not to account_id {account_id}")
    if not SESSION_NAME_RE.match(session_name or ""):
        errors.append(f"role_session_name must be 2-64 characters of letters, digits and +=,.@_-, got {session_name!r}")
    low, high = DURATION_RANGE
    if not low <= duration_seconds <= high:
        errors.append(f"duration_seconds must be between {low} and {high} (inclusive), got {duration_seconds}")
    return errors


def source_errors(names: list[str], known) -> list[str]:
    """Source names the collection cannot read (``known``: the registered readers)."""
    unknown = [name for name in names if name not in known]
    if not unknown:
        return []
    return [f"sources: unknown source(s) {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}"]


def missing_groups_error(required: list[str], existing: list[str]) -> str | None:
    """The groups the declared users join that the account lacks, as the message that stops the host."""
    have = {name.lower() for name in existing}
    missing = sorted({name for name in required if name.lower() not in have}, key=str.lower)
    if not missing:
        return None
    return (
        f"IAM group(s) {', '.join(missing)} do not exist and no task of this run creates them; create them first "
        "or remove them from the users' groups. Nothing was changed."
    )


def failure_message(error, role_arn: str | None) -> str:
    """An AWS failure of the session: an assumed role refused is named as such, not as the call it broke."""
    cause = getattr(error, "exception", None)
    if role_arn and getattr(cause, "operation_name", None) == "AssumeRole":
        return f"Failed to assume the role {role_arn}: {cause}"
    return str(error)


def guard_error(expected: str | None, identity: Identity, role_arn: str | None) -> str | None:
    """The account guard: a message when the caller is not in the expected account, else None."""
    if expected is None or identity.account == expected:
        return None
    via = f" after assuming {role_arn}" if role_arn else ""
    return (
        f"account guard: the credentials{via} act in account {identity.account} ({identity.arn}), "
        f"but this host is account {expected}; nothing was changed in either account"
    )
