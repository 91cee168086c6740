"""checked_result, the result of every checking backend (root_key_check, iam_mfa_status)."""

from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    MAX_FAILURES_IN_MSG,
    Context,
    ControlFailure,
    checked_result,
)


def context(fail_on):
    return Context({"fail_on_noncompliance": fail_on}, check_mode=False, diff_mode=False, connect=None)


def failing(n):
    return [{"id": "user_mfa", "status": "fail", "message": f"user u{i} has no MFA"} for i in range(n)]


@pytest.mark.parametrize(("fail_on", "compliant"), [(False, False), (True, True), (False, True)])
def test_noncompliance_is_data_unless_asked_to_fail(fail_on, compliant):
    result = checked_result(context(fail_on), compliant=compliant, findings=[] if compliant else failing(2))
    assert (result["changed"], result["compliant"]) == (False, compliant)


def test_fail_on_noncompliance_fails_with_every_result_field():
    with pytest.raises(ControlFailure) as exc:
        checked_result(context(True), compliant=False, findings=failing(2))
    assert exc.value.msg == "Not compliant: user u0 has no MFA; user u1 has no MFA"
    assert exc.value.result["changed"] is False
    assert len(exc.value.result["findings"]) == 2


def test_the_message_stays_short():
    with pytest.raises(ControlFailure) as exc:
        checked_result(context(True), compliant=False, findings=failing(1000))
    assert exc.value.msg.count("has no MFA") == MAX_FAILURES_IN_MSG
    assert exc.value.msg.endswith("and 990 more (see findings)")
