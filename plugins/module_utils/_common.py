# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Small pure helpers every backend shares: option ranges and time. No AWS call lives here (see _gateway)."""

from __future__ import annotations

from datetime import UTC, datetime


def range_errors(params: dict, ranges: dict) -> list[str]:
    """Messages for every integer option outside its inclusive range; unset (None) options are fine.

    `ranges` maps option name -> (minimum, maximum).
    """
    errors = []
    for name, (low, high) in ranges.items():
        value = params.get(name)
        if value is None:
            continue
        if not low <= value <= high:
            errors.append(f"{name} must be between {low} and {high} (inclusive), got {value}")
    return errors


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """Datetime -> ISO 8601 string for module results (JSON has no datetime)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def days_since(value: datetime | None, now: datetime) -> int | None:
    if value is None:
        return None
    return (now - value).days
