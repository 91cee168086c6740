from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import botocore.exceptions
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


def error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Op")


def test_iam_list_handler_maps_no_such_entity_to_default():
    @_common.IAMErrors.list_error_handler("get a thing", "missing")
    def get():
        raise error("NoSuchEntity")

    assert get() == "missing"


def test_iam_handler_keeps_the_aws_error_code():
    @_common.IAMErrors.common_error_handler("get a thing")
    def get():
        raise error("AccessDenied")

    with pytest.raises(_common.AccountGuardAWSError) as exc:
        get()
    assert exc.value.message == "Failed to get a thing"
    assert "AccessDenied" in str(exc.value)


class FakeIAM:
    def __init__(self, profiles):
        self.profiles = profiles

    def get_login_profile(self, UserName):
        if UserName not in self.profiles:
            raise error("NoSuchEntity")
        return {"LoginProfile": {"UserName": UserName}}


def test_has_login_profile():
    client = FakeIAM({"alice"})
    assert _common.has_login_profile(client, "alice") is True
    assert _common.has_login_profile(client, "bob") is False


class Exit(Exception):
    def __init__(self, kind, kwargs):
        super().__init__(kind)
        self.kind = kind
        self.kwargs = kwargs


class FakeModule:
    def __init__(self, params=None, diff=False):
        self.params = params or {}
        self._diff = diff

    def exit_json(self, **kwargs):
        raise Exit("exit", kwargs)

    def fail_json(self, **kwargs):
        raise Exit("fail", kwargs)


@pytest.mark.parametrize("diff", [False, True])
def test_exit_enforced_adds_diff_only_under_diff(diff):
    with pytest.raises(Exit) as exc:
        _common.exit_enforced(FakeModule(diff=diff), changed=True, before=None, after={"a": 1}, policy={"a": 1})
    assert exc.value.kind == "exit"
    assert exc.value.kwargs["changed"] is True
    assert ("diff" in exc.value.kwargs) is diff
    if diff:
        assert exc.value.kwargs["diff"] == {"before": None, "after": {"a": 1}}
