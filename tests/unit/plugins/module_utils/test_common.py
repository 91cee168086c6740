from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _common


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05+00:00"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05+00:00"),
        (datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))), "2024-01-02T03:04:05+00:00"),
    ],
)
def test_iso(value, expected):
    assert _common.iso(value) == expected


def test_days_since():
    now = datetime(2024, 1, 10, tzinfo=UTC)
    assert _common.days_since(None, now) is None
    assert _common.days_since(datetime(2024, 1, 1, tzinfo=UTC), now) == 9


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"a": None}, []),
        ({"a": 1}, []),
        ({"a": 10}, []),
        ({"a": 0}, ["a must be between 1 and 10 (inclusive), got 0"]),
        ({"a": 11}, ["a must be between 1 and 10 (inclusive), got 11"]),
    ],
)
def test_range_errors(params, expected):
    assert _common.range_errors(params, {"a": (1, 10)}) == expected
