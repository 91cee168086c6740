# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM credential report: wait for it without busy-looping, and parse it into typed rows.

The calls themselves are the gateway's (_gateway/account.py); this file only decides when to call again.

One GenerateCredentialReport + GetCredentialReport pair answers questions about every user of an account,
which is why the checking modules read it instead of calling IAM once per user.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

ROOT_USER = "<root_account>"

# Cells that mean "no value": never used, not applicable to this row, or older than AWS tracks.
EMPTY_VALUES = frozenset({"", "N/A", "n/a", "not_supported", "no_information"})

BOOLEAN_COLUMNS = frozenset(
    {"password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active"}
)
DATETIME_COLUMNS = frozenset(
    {
        "user_creation_time",
        "password_last_used",
        "password_last_changed",
        "password_next_rotation",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
        "access_key_2_last_rotated",
        "access_key_2_last_used_date",
        "cert_1_last_rotated",
        "cert_2_last_rotated",
    }
)

KEY_SLOTS = (1, 2)
# The options of every checking module that reads the report (documented once in the
# accountguard.aws.credential_report doc fragment), and their ranges, checked before any call.
REPORT_RANGES = {"report_max_wait": (1, 900)}
DEFAULT_MAX_WAIT = 120


def report_options() -> dict:
    """Argument spec entries of report_max_wait and fail_on_noncompliance (a fresh copy per module)."""
    return {
        "report_max_wait": {"type": "int", "default": DEFAULT_MAX_WAIT},
        "fail_on_noncompliance": {"type": "bool", "default": False},
    }


FIRST_PAUSE = 0.25


class CredentialReportTimeout(AnsibleAWSError):
    pass


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 cell -> timezone-aware UTC datetime; empty markers -> None."""
    value = (value or "").strip()
    if value in EMPTY_VALUES:
        return None
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_bool(value: str) -> bool | None:
    value = (value or "").strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    return None


def _parse_cell(column: str, value: str):
    if column in BOOLEAN_COLUMNS:
        return parse_bool(value)
    if column in DATETIME_COLUMNS:
        return parse_datetime(value)
    value = (value or "").strip()
    return None if value in EMPTY_VALUES else value


def parse_credential_report(content: bytes | str) -> list[dict]:
    """CSV content of GetCredentialReport -> one dict per row, raw column names, typed values.

    Booleans for `*_active` and `password_enabled`, aware UTC datetimes for dates, None for `N/A`,
    `not_supported` and `no_information`. Columns this parser does not know stay strings, so a new AWS
    column does not break old code.
    """
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(content))
    rows = []
    for raw in reader:
        rows.append({column: _parse_cell(column, value) for column, value in raw.items() if column is not None})
    return rows


def root_row(rows: list[dict]) -> dict | None:
    for row in rows:
        if row.get("user") == ROOT_USER:
            return row
    return None


def user_rows(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row.get("user") != ROOT_USER]


def access_key_slots(row: dict) -> list[dict]:
    """The access keys a report row describes, one dict per existing key (absent slots are skipped).

    A slot holds a key when it is active or has a rotation date: an inactive key keeps its
    `last_rotated`, an empty slot has `N/A`.
    """
    keys = []
    for slot in KEY_SLOTS:
        prefix = f"access_key_{slot}_"
        active = bool(row.get(prefix + "active"))
        last_rotated = row.get(prefix + "last_rotated")
        if not active and last_rotated is None:
            continue
        keys.append(
            {
                "slot": slot,
                "active": active,
                "last_rotated": last_rotated,
                "last_used_date": row.get(prefix + "last_used_date"),
                "last_used_region": row.get(prefix + "last_used_region"),
                "last_used_service": row.get(prefix + "last_used_service"),
            }
        )
    return keys


def poll_credential_report(
    generate,
    get,
    *,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: float = 2,
    sleeper=time.sleep,
    clock=time.monotonic,
) -> dict:
    """Generate (or reuse: AWS keeps one for 4 hours) the credential report and return GetCredentialReport's answer.

    ``generate()`` returns GenerateCredentialReport's state, ``get()`` the report or None while it is not ready
    (the gateway's calls). Polls ``generate`` until it says COMPLETE, pausing between polls (a quarter second
    first, doubling up to ``sleep`` seconds: a fresh report usually takes a few seconds), and gives up after
    ``max_wait`` seconds with CredentialReportTimeout. In the common cases (a report exists, or a fresh one is
    ready at once) that is one generate and one get, without a pause. ``sleeper``/``clock`` exist for tests.
    """
    deadline = clock() + max_wait
    pause = min(FIRST_PAUSE, sleep)
    first = True
    while True:
        state = generate()
        # A report AWS just STARTED may be ready at once (small accounts): one get finds out before any pause,
        # instead of a second generate that would only say COMPLETE.
        if state == "COMPLETE" or (first and state == "STARTED"):
            response = get()
            if response is not None:
                return response
        first = False
        if clock() + pause > deadline:
            raise CredentialReportTimeout(
                message=f"Timeout waiting {max_wait:g}s for the IAM credential report (last state {state or 'unknown'})"
            )
        sleeper(pause)
        pause = min(pause * 2, sleep)


def to_source(response: dict) -> dict:
    """GetCredentialReport's answer -> the JSON-safe ``credential_report`` source: generated_time (ISO), content."""
    generated = response.get("GeneratedTime")
    if isinstance(generated, str):
        generated = parse_datetime(generated)
    elif isinstance(generated, datetime) and generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    content = response["Content"]
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    return {"generated_time": generated.isoformat() if generated else None, "content": content}


def from_source(source: dict) -> tuple[list[dict], datetime | None]:
    """The ``credential_report`` source -> (typed rows, generated time)."""
    return parse_credential_report(source["content"]), parse_datetime(source.get("generated_time") or "")


__all__ = [
    "ROOT_USER",
    "CredentialReportTimeout",
    "access_key_slots",
    "from_source",
    "parse_bool",
    "parse_credential_report",
    "parse_datetime",
    "poll_credential_report",
    "root_row",
    "to_source",
    "user_rows",
]
