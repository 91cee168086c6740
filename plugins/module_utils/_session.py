# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers of the account session and the account guard (accountguard.aws.account_session).

The session hands later tasks the connection options of one account (assumed-role credentials or a
profile) so that the role can feed them to ``module_defaults``; the guard proves that the identity those
options resolve to really lives in the account the inventory says.
"""

from __future__ import annotations

import re

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
