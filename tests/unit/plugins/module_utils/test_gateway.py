"""The gateways' contract: every call passes aws_retry=True, NoSuchEntity means "absent" only where a reader
says so, other errors keep their AWS code, and listings are followed to the last page."""

from __future__ import annotations

import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import groups, sts, users
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import Context, enforced_result


def error(code, operation="Op"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, operation)


class FakeIAM:
    """Answers like the retrying client wrapper: refuses a call that does not ask for retries."""

    def __init__(self, profiles=(), denied=(), pages=None):
        self.profiles = set(profiles)
        self.denied = set(denied)
        self.pages = pages or {}

    def get_login_profile(self, UserName, aws_retry=False):
        assert aws_retry is True
        if "GetLoginProfile" in self.denied:
            raise error("AccessDenied", "GetLoginProfile")
        if UserName not in self.profiles:
            raise error("NoSuchEntity", "GetLoginProfile")
        return {"LoginProfile": {"UserName": UserName}}

    def get_caller_identity(self, aws_retry=False):
        assert aws_retry is True
        return {"Account": "111111111111", "Arn": "arn:aws:iam::111111111111:user/x", "UserId": "AIDA"}

    def can_paginate(self, operation):
        return operation in self.pages

    def get_paginator(self, operation):
        pages = self.pages[operation]

        class Paginator:
            def paginate(self, **_params):
                class Result:
                    def build_full_result(self):
                        merged = {}
                        for page in pages:
                            for key, value in page.items():
                                merged.setdefault(key, []).extend(value)
                        return merged

                return Result()

        return Paginator()


def test_a_missing_login_profile_is_none_and_a_present_one_is_returned():
    client = FakeIAM(profiles={"alice"})
    assert users.get_login_profile(client, "alice") == {"UserName": "alice"}
    assert users.get_login_profile(client, "bob") is None


def test_other_errors_keep_their_code_and_name_the_call():
    with pytest.raises(AnsibleIAMError) as exc:
        users.get_login_profile(FakeIAM(denied={"GetLoginProfile"}), "alice")
    assert exc.value.message == "Failed to get the login profile"
    assert "AccessDenied" in str(exc.value.exception)


def test_listings_follow_every_page():
    client = FakeIAM(pages={"list_groups": [{"Groups": [{"GroupName": "a"}]}, {"Groups": [{"GroupName": "b"}]}]})
    assert groups.list_group_names(client) == ["a", "b"]


def test_one_caller_identity_reader():
    assert sts.get_caller_identity(FakeIAM())["Account"] == "111111111111"


@pytest.mark.parametrize("diff", [False, True])
def test_enforced_result_adds_diff_only_under_diff(diff):
    ctx = Context({}, check_mode=False, diff_mode=diff, connect=lambda: None)
    result = enforced_result(ctx, changed=True, before=None, after={"a": 1}, policy={"a": 1})
    assert result["changed"] is True
    assert ("diff" in result) is diff
    if diff:
        assert result["diff"] == {"before": None, "after": {"a": 1}}
