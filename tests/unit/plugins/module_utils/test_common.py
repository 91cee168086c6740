from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import botocore.exceptions
import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _common


@pytest.mark.parametrize(
    ("arn", "account", "partition"),
    [
        ("arn:aws:iam::123456789012:root", "123456789012", "aws"),
        ("arn:aws-us-gov:iam::210987654321:user/path/alice", "210987654321", "aws-us-gov"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", None, "aws"),
        ("not-an-arn", None, "aws"),
        (None, None, "aws"),
    ],
)
def test_arn_helpers(arn, account, partition):
    assert _common.arn_account_id(arn) == account
    assert _common.arn_partition(arn) == partition


def test_root_arn():
    assert _common.root_arn("123456789012") == "arn:aws:iam::123456789012:root"
    assert _common.root_arn("123456789012", "aws-cn") == "arn:aws-cn:iam::123456789012:root"


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


def failing(n):
    return [{"id": "user_mfa", "status": "fail", "message": f"user u{i} has no MFA"} for i in range(n)]


@pytest.mark.parametrize(
    ("fail_on", "compliant", "kind"),
    [(False, False, "exit"), (True, True, "exit"), (True, False, "fail")],
)
def test_exit_checked(fail_on, compliant, kind):
    module = FakeModule({"fail_on_noncompliance": fail_on})
    with pytest.raises(Exit) as exc:
        _common.exit_checked(module, compliant=compliant, findings=[] if compliant else failing(2))
    assert exc.value.kind == kind
    assert exc.value.kwargs["changed"] is False
    assert exc.value.kwargs["compliant"] is compliant
    if kind == "fail":
        assert exc.value.kwargs["msg"] == "Not compliant: user u0 has no MFA; user u1 has no MFA"
        assert len(exc.value.kwargs["findings"]) == 2


def test_exit_checked_keeps_the_message_short():
    module = FakeModule({"fail_on_noncompliance": True})
    with pytest.raises(Exit) as exc:
        _common.exit_checked(module, compliant=False, findings=failing(1000))
    assert exc.value.kwargs["msg"].count("has no MFA") == _common.MAX_FAILURES_IN_MSG
    assert exc.value.kwargs["msg"].endswith("and 990 more (see findings)")
