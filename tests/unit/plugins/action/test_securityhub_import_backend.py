"""securityhub_import's backend with a scripted Security Hub client, and its action plugin's exception filter."""

from __future__ import annotations

import datetime
import re

import botocore.exceptions
import pytest

from ansible_collections.accountguard.aws.plugins.action.securityhub_import import accepted_for
from ansible_collections.accountguard.aws.plugins.module_utils._backends import securityhub_import as backend
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import Context, ControlFailure
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import AccountContext, Entry

ACCOUNT = "111111111111"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


class Meta:
    region_name = "eu-west-1"


class FakeHub:
    """Records every call; GetFindings answers `existing`, or the error code in `error`."""

    meta = Meta()

    def __init__(self, existing=(), error=None):
        self.existing = list(existing)
        self.error = error
        self.calls = []

    def _fail(self, operation):
        if self.error:
            raise botocore.exceptions.ClientError({"Error": {"Code": self.error, "Message": "no"}}, operation)

    def get_paginator(self, name):
        hub = self

        class Pages:
            def build_full_result(self):
                return {"Findings": hub.existing}

        class Paginator:
            def paginate(self, **params):
                hub.calls.append(("GetFindings", params))
                hub._fail("GetFindings")
                return Pages()

        return Paginator()

    def batch_import_findings(self, aws_retry=False, **params):
        self.calls.append(("BatchImportFindings", params))
        return {"FailedCount": 0, "SuccessCount": len(params["Findings"]), "FailedFindings": []}

    def batch_update_findings(self, aws_retry=False, **params):
        self.calls.append(("BatchUpdateFindings", params))
        return {"ProcessedFindings": params["FindingIdentifiers"], "UnprocessedFindings": []}


def params(**overrides):
    base = {
        "account_id": ACCOUNT,
        "results": [],
        "enforced": {},
        "import_in_check": False,
        "accepted_exceptions": [],
        "exceptions_file": None,
        "exceptions_base_dir": None,
        "account_name": None,
        "ou_path": None,
        "account_tags": {},
    }
    return {**base, **overrides}


def context(hub, check_mode=False, **overrides):
    return Context(params(**overrides), check_mode=check_mode, diff_mode=False, connect=lambda: lambda service: hub)


RESULTS = [
    {"findings": [finding("user_mfa", "fail", ALICE, "no MFA"), finding("user_mfa", "pass", ALICE + "x", "MFA")]},
    {"skipped": True, "findings": [finding("root_mfa", "fail", "", "skipped task: left out")]},
    {"failed": True, "findings": [finding("root_mfa", "fail", "", "failed task: left out")]},
]


def test_task_findings_skip_skipped_and_failed_results_and_turn_enforced_tasks_into_findings():
    found, controls = backend.task_findings(RESULTS, {"password_policy": {"changed": True}, "admin_group": {}}, False)
    assert [(f["id"], f["status"]) for f in found] == [
        ("user_mfa", "fail"),
        ("user_mfa", "pass"),
        ("password_policy", "pass"),
    ]
    assert controls == ["user_mfa", "password_policy"]
    in_check, _controls = backend.task_findings([], {"password_policy": {"changed": True}}, True)
    assert in_check[0]["status"] == "fail" and in_check[0]["cis"]


def test_check_mode_without_import_in_check_makes_no_call():
    hub = FakeHub()
    out = backend.run(context(hub, check_mode=True, results=RESULTS))
    assert out["imported"] is False and hub.calls == []


def test_import_lists_once_then_imports_in_batches_and_never_reports_changed():
    many = [{"findings": [finding("user_mfa", "fail", f"{ALICE}{n}", "no") for n in range(150)]}]
    hub = FakeHub()
    out = backend.run(context(hub, check_mode=True, import_in_check=True, results=many))
    assert [name for name, _params in hub.calls] == ["GetFindings", "BatchImportFindings", "BatchImportFindings"]
    assert [len(p["Findings"]) for name, p in hub.calls if name == "BatchImportFindings"] == [100, 50]
    filters = hub.calls[0][1]["Filters"]
    assert filters["ProductArn"][0]["Value"] == f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"
    assert filters["GeneratorId"] == [{"Value": "accountguard.aws/", "Comparison": "PREFIX"}]
    assert out["changed"] is False and out["counts"]["created"] == 150 and out["calls"]["writes"] == 2


def test_an_accepted_exception_suppresses_an_existing_finding_with_one_update():
    first = FakeHub()
    backend.run(context(first, results=RESULTS[:1]))
    stored = first.calls[1][1]["Findings"]  # as created: the failing one NEW, the passing one RESOLVED
    hub = FakeHub(existing=stored)
    accepted = [{"control": "user_mfa", "resource": ALICE, "reason": "safe", "owner": "sec", "expires": "2999-01-01"}]
    backend.run(context(hub, results=RESULTS[:1], accepted_exceptions=accepted))
    updates = [p for name, p in hub.calls if name == "BatchUpdateFindings"]
    assert len(updates) == 1 and updates[0]["Workflow"] == {"Status": "SUPPRESSED"}
    assert updates[0]["Note"]["UpdatedBy"] == "accountguard.aws" and "safe" in updates[0]["Note"]["Text"]


def test_security_hub_not_enabled_fails_naming_the_cause():
    with pytest.raises(ControlFailure) as failure:
        backend.run(context(FakeHub(error="InvalidAccessException"), results=RESULTS[:1]))
    assert "not enabled" in failure.value.msg and "InvalidAccessException" in failure.value.msg
    assert ACCOUNT in failure.value.msg and "baseline_securityhub_import" in failure.value.msg


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"account_id": "12345"}, "12-digit"),
        ({"enforced": {"nope": {}}}, "unknown control id(s) nope"),
        ({"accepted_exceptions": [{"control": "nope"}]}, "unknown control id(s) nope"),
    ],
)
def test_bad_input_fails_before_any_call(overrides, problem):
    hub = FakeHub()
    with pytest.raises(ControlFailure, match=re.escape(problem)):
        backend.run(context(hub, **overrides))
    assert hub.calls == []


def test_accepted_for_keeps_unexpired_entries_of_this_account():
    today = datetime.date(2026, 12, 5)
    entries = (
        Entry(0, ACCOUNT, "user_mfa", "r", "o", datetime.date(2027, 1, 1), ALICE),
        Entry(1, ACCOUNT, "user_mfa", "r", "o", datetime.date(2026, 12, 4)),  # expired yesterday
        Entry(2, "222222222222", "user_mfa", "r", "o", datetime.date(2027, 1, 1)),  # another account
        Entry(3, "ou:Root/Prod", "root_mfa", "r", "o", datetime.date(2026, 12, 5), ticket="T-1"),  # through today
    )
    account = AccountContext(account_id=ACCOUNT, name="prod", ou_path="Root/Prod", tags={})
    out = accepted_for(entries, account, today)
    assert [e["index"] for e in out] == [0, 3]
    assert out[0] == {
        "control": "user_mfa",
        "resource": ALICE,
        "reason": "r",
        "owner": "o",
        "expires": "2027-01-01",
        "ticket": None,
        "index": 0,
    }
