from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _root_access as ra
from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROL_IDS, CONTROLS, FAMILIES, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils import _report
from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import AcceptedItem, Assessment, DriftItem, Note
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import AccountContext, Exceptions, parse

CTRLS = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}
ROOT_ARN = "arn:aws:iam::111111111111:root"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # the AWS documentation's example secret key
SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDN" + "A1b2C3d4E5f6G7h8" * 8
MFA_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def finding(cid, status, message="m", resource=ROOT_ARN):
    return {"id": cid, "status": status, "resource": resource, "message": message, "cis": cis_ids(cid)}


def build(events, mode="check", hosts=None):
    builder = _report.ReportBuilder(CTRLS)
    for host, meta in (hosts or {}).items():
        builder.add_host(host, **meta)
    for event in events:
        builder.add_event(**event)
    return builder.build(run_id="20260101T000000Z", started="s", finished="f", mode=mode, playbooks=["baseline.yml"])


def md_text(markdown: str) -> str:
    """The Markdown with its backslash escapes undone: the characters a reader sees."""
    return re.sub(r"\\(.)", r"\1", markdown)


def status_of(report, host, cid):
    return next(a for a in report["accounts"] if a["host"] == host)["controls"][cid]["status"]


def ev(status="ok", tags=("password_policy",), result=None, check_mode=True, host="acct", task="t", **kw):
    return {
        "host": host,
        "task": task,
        "status": status,
        "result": result or {},
        "tags": tags,
        "check_mode": check_mode,
    }


# -- aggregation rules --------------------------------------------------------------------------------------------
KEY_TAGS = ("access_key_rotation", "console_access_unused", "initial_access_keys")
KEY_RESULT = {
    "changed_controls": ["console_access_unused"],
    "findings": [
        {"id": "access_key_rotation", "status": "pass", "resource": "r", "message": "m", "cis": []},
        {"id": "console_access_unused", "status": "pass", "resource": "r", "message": "m", "cis": []},
    ],
    "diff": {"before": {"console_access": {"frank": True}}, "after": {"console_access": {"frank": False}}},
}


@pytest.mark.parametrize(
    ("events", "cid", "expected"),
    [
        ([ev("ok")], "password_policy", "compliant"),
        ([ev("changed", check_mode=True)], "password_policy", "drift"),
        ([ev("changed", check_mode=False)], "password_policy", "changed"),
        ([ev("failed", result={"msg": "AccessDenied"})], "password_policy", "failed"),
        ([ev("skipped")], "password_policy", "skipped"),
        # worst wins within one cell
        ([ev("ok"), ev("changed")], "password_policy", "drift"),
        ([ev("changed"), ev("failed")], "password_policy", "failed"),
        ([ev("skipped"), ev("ok")], "password_policy", "compliant"),
        ([ev("changed", check_mode=False), ev("ok")], "password_policy", "changed"),
        # a tag that is not a control id counts for nothing
        ([ev("changed", tags=("baseline", "root_account"))], "password_policy", "skipped"),
        # findings name their controls, whatever the tags say
        ([ev("ok", tags=("root_account",), result={"findings": [finding("root_mfa", "fail")]})], "root_mfa", "drift"),
        ([ev("ok", tags=(), result={"findings": [finding("root_mfa", "pass")]})], "root_mfa", "compliant"),
        ([ev("ok", tags=(), result={"findings": [finding("root_mfa", "pass")]})], "root_access_keys", "skipped"),
        # a checking task's control tag without findings for it: nothing found is compliant
        (
            [ev("ok", tags=("root_usage",), result={"findings": [finding("root_mfa", "fail")]})],
            "root_usage",
            "compliant",
        ),
        # failing findings stay drift in apply mode: nothing fixed them
        (
            [ev("ok", tags=(), check_mode=False, result={"findings": [finding("user_mfa", "fail")]})],
            "user_mfa",
            "drift",
        ),
        # fail_on_noncompliance: the task fails, but the failure is the drift it reports
        ([ev("failed", tags=(), result={"findings": [finding("user_mfa", "fail")], "msg": "x"})], "user_mfa", "drift"),
        ([ev("failed", tags=("user_mfa",), result={"findings": [], "msg": "boom"})], "user_mfa", "failed"),
        # findings inside loop results count too
        ([ev("ok", tags=(), result={"results": [{"findings": [finding("iam_users", "fail")]}]})], "iam_users", "drift"),
        # no_log censors the result: findings are not read, changed/failed still are
        (
            [ev("ok", tags=("root_mfa",), result={"censored": "hidden", "findings": [finding("root_mfa", "fail")]})],
            "root_mfa",
            "compliant",
        ),
        ([ev("changed", tags=("iam_users",), result={"censored": "hidden"})], "iam_users", "drift"),
        # a task enforcing two controls names the one it changed: the other's cell is not drift, nor changed
        *(
            ([ev(status, tags=KEY_TAGS, check_mode=check, result=KEY_RESULT)], cid, expected)
            for status, check, cid, expected in (
                ("changed", True, "console_access_unused", "drift"),
                ("changed", True, "access_key_rotation", "compliant"),
                ("changed", False, "console_access_unused", "changed"),
                ("changed", False, "access_key_rotation", "compliant"),
            )
        ),
    ],
)
def test_cell_status(events, cid, expected):
    assert status_of(build(events), "acct", cid) == expected


def test_setup_failure_before_any_control_fails_every_control():
    report = build([ev("ok", tags=("always",)), ev("failed", tags=("always",), result={"msg": "wrong account 999"})])
    account = report["accounts"][0]
    assert {c["status"] for c in account["controls"].values()} == {"failed"}
    assert all(c["errors"][0]["message"] == "wrong account 999" for c in account["controls"].values())
    assert account["status"] == "failed"
    assert report["summary"]["failed_pairs"] == len(CONTROL_IDS)


def test_untagged_failure_after_controls_ran_changes_no_control():
    # the baseline_fail_on_drift gate fails the host on purpose once every control reported
    report = build(
        [ev("changed"), ev("ok", tags=("root_mfa",)), ev("failed", tags=("always",), result={"msg": "drift"})]
    )
    account = report["accounts"][0]
    assert account["controls"]["password_policy"]["status"] == "drift"
    assert account["controls"]["root_mfa"]["status"] == "compliant"
    assert account["controls"]["iam_users"]["status"] == "skipped"
    assert account["controls"]["iam_users"]["reason"] == "not run: the host stopped after the failed task 't'"
    assert account["errors"] == [{"task": "t", "message": "drift"}]


def test_controls_after_a_failed_control_task_are_not_run():
    report = build([ev("ok"), ev("failed", tags=("root_mfa",), task="mfa", result={"msg": "boom"})])
    controls = report["accounts"][0]["controls"]
    assert controls["root_mfa"]["status"] == "failed"
    assert controls["iam_users"]["reason"] == "not run: the host stopped after the failed task 'mfa'"


def test_ignored_untagged_failure_is_not_a_host_failure():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event("acct", "probe", "failed", {"msg": "x"}, tags=(), ignore_errors=True)
    report = builder.build(run_id="r", started="s", finished="f", mode="check")
    assert report["accounts"][0]["errors"] == []
    assert report["accounts"][0]["status"] == "skipped"


def test_unreachable_marks_every_control():
    report = build([ev("unreachable", tags=("always",), result={"msg": "no route"})])
    account = report["accounts"][0]
    assert {c["status"] for c in account["controls"].values()} == {"unreachable"}
    assert account["status"] == "unreachable"
    assert not report["summary"]["compliant"]


def test_control_never_run_is_skipped_with_reason():
    report = build([ev("ok")])
    assert status_of(report, "acct", "root_mfa") == "skipped"
    assert report["accounts"][0]["controls"]["root_mfa"]["reason"] == "not run (excluded by tags or toggles)"
    assert report["summary"]["complete"] is False


def test_one_account_failing_leaves_others_alone():
    report = build([ev("failed", tags=("always",), host="bad"), ev("ok", host="good")])
    assert report["accounts"][0]["status"] == "failed"
    assert status_of(report, "good", "password_policy") == "compliant"
    assert report["summary"]["accounts_by_status"]["failed"] == 1


def test_contributed_only_with_control_tags_or_known_findings():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event("h", "t", "changed", {}, tags=("always", "baseline"))
    builder.add_event("h", "t", "ok", {"findings": [{"id": "nope", "status": "fail"}]}, tags=())
    assert not builder.contributed
    builder.add_event("h", "t", "ok", {}, tags=("admin_group",))
    assert builder.contributed


def test_unknown_finding_ids_are_noted_not_counted():
    report = build([ev("ok", tags=(), result={"findings": [{"id": "made_up", "status": "fail", "message": "x"}]})])
    account = report["accounts"][0]
    assert {c["status"] for c in account["controls"].values()} == {"skipped"}
    assert "made_up" in account["notes"][0]


def test_account_metadata_and_order():
    report = build(
        [ev("ok", host="z-first"), ev("ok", host="a-second")],
        hosts={"z-first": {"account_id": "111111111111", "name": "prod"}, "a-second": {"account_id": "222222222222"}},
    )
    assert [a["host"] for a in report["accounts"]] == ["z-first", "a-second"]
    assert report["accounts"][0]["name"] == "prod"
    assert _report.account_label(report["accounts"][0]) == "prod (111111111111)"
    assert _report.account_label(report["accounts"][1]) == "a-second (222222222222)"


def test_findings_kept_with_cis_and_summary_counts():
    result = {"findings": [finding("root_access_keys", "fail", "root has 1 active key"), finding("root_mfa", "pass")]}
    report = build([ev("ok", tags=(), result=result), ev("changed"), ev("ok", tags=("admin_group",))])
    cell = report["accounts"][0]["controls"]["root_access_keys"]
    assert cell["findings"] == [
        {
            "id": "root_access_keys",
            "status": "fail",
            "resource": ROOT_ARN,
            "message": "root has 1 active key",
            "cis": ["cis-aws-3.0:1.4", "cis-aws-4.0.1:1.4", "cis-aws-5.0:1.3", "cis-aws-6.0:2.3", "cis-aws-7.0:2.4"],
        }
    ]
    assert cell["cis"] == [
        "cis-aws-3.0:1.4",
        "cis-aws-4.0.1:1.4",
        "cis-aws-5.0:1.3",
        "cis-aws-6.0:2.3",
        "cis-aws-7.0:2.4",
    ]
    summary = report["summary"]
    assert summary["by_status"]["drift"] == summary["drifted_pairs"] == 2
    assert summary["by_status"]["compliant"] == 2
    assert summary["by_status"]["skipped"] == len(CONTROL_IDS) - 4
    assert summary["compliant"] is False
    assert report["schema_version"] == _report.SCHEMA_VERSION


# -- diffs and redaction ------------------------------------------------------------------------------------------
def test_diff_recorded_with_changed_fields():
    diff = {
        "before": {"minimum_password_length": 8, "require_symbols": False},
        "after": {"minimum_password_length": 14, "require_symbols": False},
    }
    report = build([ev("changed", result={"diff": diff, "changed": True})])
    change = report["accounts"][0]["controls"]["password_policy"]["changes"][0]
    assert change["before"] == diff["before"]
    assert change["fields"] == [{"field": "minimum_password_length", "before": 8, "after": 14, "action": "update"}]


def test_diff_list_and_loop_item_diffs():
    result = {"results": [{"diff": [{"before": {"a": 1}, "after": {"a": 2}}]}, {"diff": {"before": "x", "after": "y"}}]}
    report = build([ev("changed", tags=("iam_users",), result=result)])
    changes = report["accounts"][0]["controls"]["iam_users"]["changes"]
    assert [c["fields"] for c in changes] == [
        [{"field": "a", "before": 1, "after": 2, "action": "update"}],
        [{"field": "(value)", "before": "x", "after": "y", "action": "update"}],
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        # a resource that does not exist yet is created, not a list of its fields against nothing
        (
            None,
            {"group_name": "Cloudadmin"},
            [{"field": "(resource)", "before": None, "after": {"group_name": "Cloudadmin"}, "action": "create"}],
        ),
        ({"a": 1}, None, [{"field": "(resource)", "before": {"a": 1}, "after": None, "action": "delete"}]),
        # ... and so is one inside a diff keyed by name (iam_users: one entry per user)
        (
            {"alice": {"path": "/"}},
            {"alice": {"path": "/"}, "bob": {"path": "/"}},
            [{"field": "bob", "before": None, "after": {"path": "/"}, "action": "create"}],
        ),
        (
            {"old": {"path": "/"}},
            {"old": None},
            [{"field": "old", "before": {"path": "/"}, "after": None, "action": "delete"}],
        ),
        (None, "x", [{"field": "(value)", "before": None, "after": "x", "action": "update"}]),
        (
            {"u": {"tags": {"t": "1"}}},
            {"u": {"tags": {"t": "2"}}},
            [{"field": "u.tags.t", "before": "1", "after": "2", "action": "update"}],
        ),
        (
            {"a": 1},
            {"b": 2},
            [
                {"field": "a", "before": 1, "after": None, "action": "update"},
                {"field": "b", "before": None, "after": 2, "action": "update"},
            ],
        ),
        ({"g": ["x"]}, {"g": ["x", "y"]}, [{"field": "g", "before": ["x"], "after": ["x", "y"], "action": "update"}]),
    ],
)
def test_changed_fields(before, after, expected):
    assert _report.changed_fields(before, after) == expected


@pytest.mark.parametrize(
    ("mode", "words"),
    [("check", "would create"), ("apply", "created")],
)
def test_a_group_that_does_not_exist_yet_is_created_not_a_list_of_nulls(mode, words):
    diff = {"before": None, "after": {"group_name": "Cloudadmin", "path": "/", "users": []}}
    status = "changed"
    report = build([ev(status, tags=("admin_group",), result={"diff": diff}, check_mode=mode == "check")], mode=mode)
    cell = report["accounts"][0]["controls"]["admin_group"]
    assert _report.detail_lines(cell) == [f"t: {words}"]
    md, page = md_text(_report.render_markdown(report)), _report.render_html(report)
    assert f"t: {words}" in md and f"<li>{words}</li>" in page
    assert "group_name: null" not in md + page and "null -&gt; " not in page


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("initial_password", True),
        ("Password", True),
        ("SecretAccessKey", True),
        ("secret_access_key", True),
        ("SessionToken", True),
        ("aws_session_token", True),
        ("credentials", True),
        ("Base32StringSeed", True),
        ("QRCodePNG", True),
        ("client_secret_value", True),
        ("minimum_password_length", False),
        ("password_reuse_prevention", False),
        ("password_last_used", False),
        ("password_reset_required", False),
        ("access_key_id", False),
        ("AccessKeyId", False),
        ("user_name", False),
        ("tags", False),
    ],
)
def test_is_secret_key(key, secret):
    assert _report.is_secret_key(key) is secret


def test_redact_by_key_keeps_non_string_values():
    value = {
        "allow_users_to_change_password": True,
        "password": "Hunter2!Hunter2!",
        "nested": [{"SecretAccessKey": "abc", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}],
        "credentials": {"anything": "x"},
        "token": "",
    }
    assert _report.redact(value) == {
        "allow_users_to_change_password": True,
        "password": _report.REDACTED,
        "nested": [{"SecretAccessKey": _report.REDACTED, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}],
        "credentials": _report.REDACTED,
        "token": "",
    }


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        (f"key {SECRET_KEY} leaked", SECRET_KEY),
        (SESSION_TOKEN, SESSION_TOKEN),
        (f"seed={MFA_SEED}", MFA_SEED),
    ],
)
def test_redact_by_value_shape(text, leaks):
    assert leaks not in _report.redact_text(text)
    assert _report.REDACTED in _report.redact_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:iam::111111111111:user/platform/alice",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "AKIAIOSFODNN7EXAMPLE",
        "user alice has no MFA for console sign-in",
        "arn:aws:iam::111111111111:mfa/alice",
    ],
)
def test_redact_keeps_ordinary_text(text):
    assert _report.redact_text(text) == text


def test_secrets_never_reach_the_model():
    diff = {"before": None, "after": {"name": "bob", "initial_password": "Pa55!word-xyz", "note": f"sk={SECRET_KEY}"}}
    result = {"diff": diff, "msg": f"failed with {SESSION_TOKEN}", "findings": [finding("iam_users", "fail", MFA_SEED)]}
    report = build(
        [ev("changed", tags=("iam_users",), result=result), ev("failed", tags=("admin_group",), result=result)]
    )
    text = _report.render_json(report) + _report.render_html(report) + _report.render_junit(report)
    text += _report.render_markdown(report)
    for secret in ("Pa55!word-xyz", SECRET_KEY, SESSION_TOKEN, MFA_SEED):
        assert secret not in text


# -- renderers ----------------------------------------------------------------------------------------------------
@pytest.fixture
def mixed_report():
    hosts = {
        "prod": {"account_id": "111111111111", "name": "Prod", "ou_path": "Root/Workloads/Prod"},
        "dev": {"account_id": "222222222222", "name": 'Dev <&> "quoted"'},
        "broken": {"account_id": "333333333333"},
    }
    events = [
        ev(
            "changed",
            host="prod",
            result={"diff": {"before": {"minimum_password_length": 8}, "after": {"minimum_password_length": 14}}},
        ),
        ev(
            "ok",
            tags=(),
            host="prod",
            result={"findings": [finding("root_mfa", "fail", "root has no MFA"), finding("root_access_keys", "pass")]},
        ),
        ev("changed", tags=("iam_users",), host="prod", result={"censored": "hidden"}),
        ev("ok", host="dev"),
        ev("ok", tags=("root_mfa",), host="dev"),
        ev("skipped", tags=("admin_group",), host="dev"),
        ev(
            "failed",
            tags=("always",),
            host="broken",
            result={"msg": "caller is account 999999999999, expected 333333333333"},
        ),
    ]
    return build(events, hosts=hosts)


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_multi_control_task_changes_only_the_controls_it_names(check_mode):
    tags = ("support_role", "server_certificates")
    result = {
        "changed": True,
        "controls": ["support_role", "server_certificates"],
        "changed_controls": ["server_certificates"],
        "findings": [finding("support_role", "pass"), finding("server_certificates", "pass")],
        "diff": {"before": {"server_certificates": ["old"]}, "after": {"server_certificates": []}},
    }
    report = build([ev("changed", tags=tags, result=result, check_mode=check_mode)], "check" if check_mode else "apply")
    cells = report["accounts"][0]["controls"]
    assert cells["support_role"]["status"] == "compliant"
    assert cells["support_role"]["changes"] == []
    assert cells["server_certificates"]["status"] == ("drift" if check_mode else "changed")
    (change,) = cells["server_certificates"]["changes"]
    # the cell shows its own control's part of the diff
    assert (change["before"], change["after"]) == (["old"], [])


@pytest.mark.parametrize(
    ("remove", "drifted"),
    [
        (["access_keys"], {"root_access_keys"}),
        (["signing_certificates"], {"root_access_keys"}),
        (["mfa_devices"], {"root_mfa"}),
        (["login_profile", "access_keys"], {"root_access_keys", "root_mfa"}),
    ],
)
def test_a_planned_root_removal_drifts_only_the_cells_of_the_removed_kinds(remove, drifted):
    """root_credentials' result under --check, built by its pure functions: the other root cells stay
    compliant (their findings pass), root_usage always."""
    now = datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
    root = {
        "access_keys": [
            {"access_key_id": "AKIA1", "active": False, "created": None, "last_used": None, "last_used_service": None}
        ],
        "login_profile": True,
        "password_last_used": None,
        "mfa_devices": [{"serial_number": "GAHT1", "type": "hardware"}],
        "signing_certificates": [{"certificate_id": "CERT1", "active": True}],
    }
    items = ra.removal_plan(root, remove)
    findings = ra.assess(root, resource=ROOT_ARN, now=now, allow_inactive_keys=True)
    assert {f["status"] for f in findings} == {"pass"}
    result = {
        "changed": True,
        "controls": list(ra.ROOT_CONTROLS),
        "changed_controls": ra.changed_controls(items),
        "findings": findings,
        "diff": {"before": root, "after": ra.after_removal(root, items)},
    }
    report = build([ev("changed", tags=ra.ROOT_CONTROLS, result=result, check_mode=True)])
    cells = report["accounts"][0]["controls"]
    assert {cid for cid in ra.ROOT_CONTROLS if cells[cid]["status"] == "drift"} == drifted
    assert {cid for cid in ra.ROOT_CONTROLS if cells[cid]["status"] == "compliant"} == set(ra.ROOT_CONTROLS) - drifted


def test_a_multi_control_task_reports_only_the_controls_it_checked():
    tags = ("support_role", "server_certificates")
    result = {"controls": ["support_role"], "changed_controls": [], "findings": [finding("support_role", "fail")]}
    cells = build([ev("ok", tags=tags, result=result)])["accounts"][0]["controls"]
    assert cells["support_role"]["status"] == "drift"
    # not checked (its toggle off): not reported compliant
    assert cells["server_certificates"]["status"] == "skipped"


def test_json_round_trips_and_counts(mixed_report):
    data = json.loads(_report.render_json(mixed_report))
    assert data["schema_version"] == "1.3"
    assert data["summary"]["drifted_pairs"] == 3
    assert data["summary"]["failed_pairs"] == len(CONTROL_IDS)  # every control of the broken account
    assert [c["id"] for c in data["controls"]] == list(CONTROL_IDS)
    assert all(set(a["controls"]) == set(CONTROL_IDS) for a in data["accounts"])


def test_junit_parses_and_failures_equal_problem_pairs(mixed_report):
    root = ET.fromstring(_report.render_junit(mixed_report))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 3 * len(CONTROL_IDS)
    failures = root.findall("./testsuite/testcase/failure")
    assert (
        len(failures) == int(root.get("failures")) == mixed_report["summary"]["problem_pairs"] == 3 + len(CONTROL_IDS)
    )
    assert sorted({f.get("type") for f in failures}) == ["drift", "failed"]
    assert int(root.get("skipped")) == len(root.findall("./testsuite/testcase/skipped"))
    assert sum(int(s.get("tests")) for s in root.findall("testsuite")) == int(root.get("tests"))
    prod = next(s for s in root.findall("testsuite") if s.get("name") == "Prod (111111111111)")
    drift = next(c for c in prod.findall("testcase") if c.get("name").startswith("password_policy:"))
    assert "minimum_password_length: 8 -> 14" in drift.find("failure").text
    assert drift.get("classname") == "accountguard.111111111111"


def test_junit_escapes_and_strips_control_chars():
    report = build([ev("failed", result={"msg": 'bad \x00\x07 <xml> & "stuff"'})], hosts={"acct": {"name": "a&b"}})
    root = ET.fromstring(_report.render_junit(report))
    assert "<xml> & " in root.find("./testsuite/testcase/failure").text


def test_markdown_matrix_and_details(mixed_report):
    md = _report.render_markdown(mixed_report, html_path="reports/x.html")
    lines = md.splitlines()
    header = next(line for line in lines if line.startswith("| Account |"))
    assert header.count("|") == len(CONTROL_IDS) + 2
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Account")]
    assert len(rows) == 3
    assert 'Dev \\<\\&\\> "quoted"' in md  # a pipe or tag in a name cannot break the table
    text = md_text(md)
    assert "- **`root_mfa`**" in md and "root has no MFA" in text
    assert "minimum_password_length: 8 -> 14" in text
    assert "would change (details hidden by no_log)" in text
    assert "caller is account 999999999999" in text
    assert "`reports/x.html`" in md


def test_markdown_compliant_run():
    md = _report.render_markdown(build([ev("ok", host=h) for h in ("a", "b")]))
    # a --tags run: compliant in what ran, but not a statement about the controls that did not run
    assert "every account is compliant" not in md
    # two accounts, each with the one control of the untagged event run
    assert f"no drift in what ran ({2 * (len(CONTROL_IDS) - 1)} account/control pair(s) skipped or not run)" in md
    report = build([ev("ok", tags=(cid,)) for cid in CONTROL_IDS])
    md = _report.render_markdown(report)
    assert "every account is compliant" in md
    assert "What needs attention" not in md


def test_markdown_apply_run_lists_changes():
    md = _report.render_markdown(build([ev("changed", check_mode=False)], mode="apply"))
    assert "apply report" in md and "## What this run changed" in md and "**changed**" in md


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.hrefs, self.srcs = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "href" in attrs:
            self.hrefs.append((attrs["href"], attrs.get("class", "")))
        if "src" in attrs:
            self.srcs.append(attrs["src"])


def test_html_is_self_contained_and_every_cell_links_to_its_details(mixed_report):
    page = _report.render_html(mixed_report)
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and not parser.srcs
    assert "http://" not in page and "https://" not in page
    assert "default-src 'none'" in page
    cells = [h for h, cls in parser.hrefs if cls.startswith("cell ")]
    assert len(cells) == 3 * len(CONTROL_IDS)
    assert all(href.startswith("#d-") and href[1:] in parser.ids for href, _cls in parser.hrefs)
    # the attention list links every drifted/failed cell
    attention = [h for h, cls in parser.hrefs if not cls]
    assert len(attention) == mixed_report["summary"]["problem_pairs"]
    assert "Dev &lt;&amp;&gt; &quot;quoted&quot;" in page
    assert 'class="cell s-drift"' in page and 'class="cell s-failed"' in page


def test_html_empty_run():
    page = _report.render_html(build([]))
    assert "No account was checked." in page


def test_short_cis():
    assert (
        _report.short_cis(["cis-aws-3.0:1.8", "cis-aws-3.0:1.9", "cis-aws-5.0:1.7"]) == "CIS v3.0 1.8, 1.9 / v5.0 1.7"
    )
    assert _report.short_cis([]) == ""
    assert _report.short_cis(cis_ids("password_policy")) == (
        "CIS v3.0 1.8, 1.9 / v4.0.1 1.8, 1.9 / v5.0 1.7, 1.8 / v6.0 2.7, 2.8 / v7.0 2.8, 2.9"
    )


def test_short_cis_keeps_version_order_whatever_the_order_it_gets():
    scrambled = ["cis-aws-7.0:2.4", "cis-aws-other:9", "cis-aws-3.0:1.4", "cis-aws-5.0:1.3", "cis-aws-4.0.1:1.4"]
    assert _report.short_cis(scrambled) == "CIS v3.0 1.4 / v4.0.1 1.4 / v5.0 1.3 / v7.0 2.4 / vother 9"


def test_html_matrix_groups_the_columns_by_family_under_a_two_level_header():
    report = build([ev("changed", tags=("password_policy",))], hosts={"acct": {"ou_path": "Root/Workloads/Prod"}})
    page = _report.render_html(report)
    matrix = page[page.index('<table class="matrix">') : page.index("</table>")]
    families = re.findall(r'<th class="fs" colspan="(\d+)" scope="colgroup">([^<]*)</th>', matrix)
    assert [name for _n, name in families] == list(FAMILIES)
    assert [int(n) for n, _name in families] == [len(labels) for labels in FAMILIES.values()]
    assert sum(int(n) for n, _name in families) == len(CONTROLS)
    # One short label per control, family by family; a family's first column starts with a stronger border.
    labels = re.findall(r'<th(?: class="fs")? scope="col" title="[^"]*">([^<]*)</th>', matrix)
    assert labels == [label for family in FAMILIES.values() for label in family.values()]
    assert matrix.count('<th class="fs" scope="col"') == len(FAMILIES)
    # A row's cells follow the header's order.
    anchors = re.findall(r'href="#d-acct-([a-z_]+)"', matrix)
    assert anchors == [cid for family in FAMILIES.values() for cid in family]
    # The control's id, title and every version's CIS ids are in the column's tooltip.
    tip = re.search(r'<th(?: class="fs")? scope="col" title="([^"]*)">Password policy</th>', matrix)
    assert tip.group(1) == (
        "password_policy: Strong account password policy "
        "(CIS v3.0 1.8, 1.9 / v4.0.1 1.8, 1.9 / v5.0 1.7, 1.8 / v6.0 2.7, 2.8 / v7.0 2.8, 2.9)"
    )
    # A long OU path may break after its slashes only.
    assert "Root/<wbr>Workloads/<wbr>Prod" in matrix
    # the cell's details name every version
    detail = page[page.index('id="d-acct-password_policy"') :]
    assert "CIS v3.0 1.8, 1.9 / v4.0.1 1.8, 1.9 / v5.0 1.7, 1.8 / v6.0 2.7, 2.8 / v7.0 2.8, 2.9" in detail


def test_the_documented_families_are_the_reports():
    text = (Path(__file__).resolve().parents[4] / "docs" / "report.md").read_text()
    table = text[text.index("| family | columns (control id) |") :].split("\n\n", 1)[0].splitlines()[2:]
    documented = {}
    for row in table:
        family, columns = (cell.strip() for cell in row.strip("|").split("|"))
        documented[family] = {
            cid: label.replace("\\", "").strip() for label, cid in re.findall(r"([^,]+?) \(`([a-z_]+)`\)", columns)
        }
    assert documented == {family: dict(labels) for family, labels in FAMILIES.items()}
    assert list(documented) == list(FAMILIES)


def test_html_columns_follow_the_families_and_keep_a_control_without_one():
    controls = [{"id": cid} for cid in ("c", "a", "orphan", "b")]
    families = {"First": {"b": "Bee", "a": "Ay"}, "Empty": {"gone": "Gone"}, "Second": {"c": "See"}}
    groups = _report.html_columns(controls, families)
    assert [(family, [(c["id"], label) for c, label in columns]) for family, columns in groups] == [
        ("First", [("b", "Bee"), ("a", "Ay")]),
        ("Second", [("c", "See")]),
        (_report.OTHER_FAMILY, [("orphan", "orphan")]),
    ]
    # A control listed twice by mistake gets one column, in the first family that names it.
    twice = {"First": {"a": "Ay"}, "Second": {"a": "Again", "b": "Bee"}}
    columns = [c["id"] for _family, cols in _report.html_columns(controls[1:2] + controls[3:], twice) for c, _l in cols]
    assert columns == ["a", "b"]


def test_html_an_unknown_control_gets_a_column_labelled_with_its_id():
    controls = {**CTRLS, "brand_new_control": {"title": "New", "cis": []}}
    builder = _report.ReportBuilder(controls)
    builder.add_event(**ev("ok", tags=("brand_new_control",)))
    page = _report.render_html(builder.build(run_id="r", started="s", finished="f", mode="check"))
    assert '<th class="fs" colspan="1" scope="colgroup">Other</th>' in page
    assert '<th class="fs" scope="col" title="brand_new_control: New">brand_<wbr>new_<wbr>control</th>' in page
    assert 'href="#d-acct-brand_new_control"' in page


def test_html_status_cells_are_a_symbol_on_a_colour_with_the_status_as_text():
    assert set(_report.STATUS_SYMBOLS) == set(_report.STATUS_ORDER)
    assert len(set(_report.STATUS_SYMBOLS.values())) == len(_report.STATUS_ORDER)
    report = build(
        [
            ev("changed", tags=("password_policy",)),
            ev("failed", tags=("root_mfa",)),
            ev("ok", tags=("user_mfa",)),
            ev("changed", tags=("iam_users",), check_mode=False),
            ev("skipped", tags=("admin_group",)),
        ]
    )
    page = _report.render_html(report)
    cells = re.findall(
        r'<a class="cell s-([a-z]+)" href="#d-acct-([a-z_]+)" title="acct: \2 \1">'
        r'<span aria-hidden="true">(.)</span><span class="sr">([a-z]+)</span></a>',
        page,
    )
    assert len(cells) == len(CONTROLS)
    seen = {cid: status for status, cid, _symbol, _text in cells}
    assert seen["password_policy"] == "drift" and seen["root_mfa"] == "failed" and seen["user_mfa"] == "compliant"
    assert seen["iam_users"] == "changed" and seen["admin_group"] == "skipped"
    assert all(symbol == _report.STATUS_SYMBOLS[status] and text == status for status, _c, symbol, text in cells)
    # The legend names every status beside its symbol and colour.
    legend = page[page.index('<p class="hint legend">') :]
    legend = legend[: legend.index("</p>")]
    for status, symbol in _report.STATUS_SYMBOLS.items():
        assert f'<span class="sym s-{status}" aria-hidden="true">{symbol}</span>{status}</span>' in legend


def test_html_findings_show_the_ids_of_their_check_where_they_narrow_the_controls():
    rotation = {**finding("access_key_rotation", "fail", "old key"), "cis": cis_ids("access_key_rotation", "rotation")}
    whole = finding("access_key_rotation", "fail", "whole control")
    result = {"findings": [rotation, whole]}
    page = _report.render_html(build([ev("ok", tags=("access_key_rotation",), result=result)]))
    detail = page[page.index('id="d-acct-access_key_rotation"') :]
    items = re.findall(r"<li class=\"fail\">(.*?)</li>", detail)
    assert items[0].startswith("<strong>fail</strong> old key")
    assert '<span class="hint cis">CIS v3.0 1.14 / v4.0.1 1.14 / v5.0 1.13 / v6.0 2.13 / v7.0 2.12</span>' in items[0]
    assert items[1].startswith("<strong>fail</strong> whole control") and "hint cis" not in items[1]


def test_markdown_names_every_version_in_version_order():
    md = md_text(_report.render_markdown(build([ev("changed", tags=("password_policy",))])))
    assert "(CIS v3.0 1.8, 1.9 / v4.0.1 1.8, 1.9 / v5.0 1.7, 1.8 / v6.0 2.7, 2.8 / v7.0 2.8, 2.9)" in md


def test_worst():
    assert _report.worst([]) == "skipped"
    assert _report.worst(["compliant", "changed", "skipped"]) == "changed"
    assert _report.worst(["drift", "failed", "compliant"]) == "failed"


SCHEMA = Path(__file__).resolve().parents[4] / "docs" / "report-schema.json"


def test_schema_version_matches_the_documented_schema():
    schema = json.loads(SCHEMA.read_text())
    assert re.match(schema["properties"]["schema_version"]["pattern"], _report.SCHEMA_VERSION)
    assert schema["$defs"]["control_id"]["enum"] == list(CONTROL_IDS)
    assert set(schema["$defs"]["status"]["enum"]) == set(_report.STATUS_ORDER)


ASSESSMENT = Assessment(
    account_id="111111111111",
    drift=(
        DriftItem("admin_group", "would change", "", None, "an apply run (without --check) makes it so"),
        DriftItem("root_mfa", "root user has no MFA", ROOT_ARN, None, "sign in as root", manual=True),
    ),
    manual=("sign in as root",),
    notes=(Note("iam_users", "1 user(s) not in baseline_users, kept: x", ("x",), "baseline_users_purge", "purge"),),
)


def test_the_gates_assessment_is_per_account_and_redacted():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event("acct", "t", "ok", {}, tags=("password_policy",))
    leaky = Assessment("111111111111", drift=(DriftItem("iam_users", f"key {SECRET_KEY} lost"),))
    builder.add_assessment("acct", leaky)
    builder.add_event("other", "t", "ok", {}, tags=("password_policy",))
    accounts = {a["host"]: a for a in builder.build(run_id="r", started="s", finished="f", mode="check")["accounts"]}
    assert accounts["acct"]["drift"][0]["message"] == "key **REDACTED** lost"
    assert (accounts["other"]["drift"], accounts["other"]["manual"], accounts["other"]["reported"]) == (None,) * 3


def test_reports_validate_against_the_documented_schema(mixed_report):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    apply = build(
        [ev("changed", check_mode=False, result={"diff": {"before": {"a": 1}, "after": {"a": 2}}})], mode="apply"
    )
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event("acct", "g", "changed", {"diff": {"before": None, "after": {"a": 1}}}, tags=("admin_group",))
    builder.add_assessment("acct", ASSESSMENT)
    assessed = builder.build(run_id="r", started="s", finished="f", mode="check")
    for report in (mixed_report, apply, build([]), build([ev("unreachable", tags=())]), assessed):
        jsonschema.validate(json.loads(_report.render_json(report)), schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    ("run_tags", "skip_tags", "expected"),
    [
        ((), (), set(CONTROL_IDS)),
        (("all",), (), set(CONTROL_IDS)),
        (("baseline", "tagged"), (), set(CONTROL_IDS)),
        (("user_mfa",), (), {"user_mfa"}),
        (("user_mfa", "root_account", "password_policy"), (), {"user_mfa", "password_policy"}),
        (("all",), ("root_mfa", "always"), set(CONTROL_IDS) - {"root_mfa"}),
    ],
)
def test_selected_controls(run_tags, skip_tags, expected):
    assert _report.selected_controls(CONTROL_IDS, run_tags, skip_tags) == expected


def test_unselected_controls_are_not_reported_by_a_task_covering_two():
    # `--tags user_mfa`: the MFA task also carries root_mfa and may still say something about it
    builder = _report.ReportBuilder(CTRLS, selected={"user_mfa"})
    findings = [finding("user_mfa", "fail"), finding("root_mfa", "pass")]
    builder.add_event("acct", "mfa", "ok", {"findings": findings}, tags=("root_mfa", "user_mfa"), check_mode=True)
    builder.add_event("acct", "policy", "changed", {}, tags=("password_policy",), check_mode=True)
    report = builder.build(run_id="r", started="s", finished="f", mode="check")
    controls = report["accounts"][0]["controls"]
    assert controls["user_mfa"]["status"] == "drift"
    assert controls["root_mfa"]["status"] == "skipped"
    assert controls["root_mfa"]["reason"] == "not selected by --tags / --skip-tags"
    assert controls["password_policy"]["status"] == "skipped"


@pytest.mark.parametrize(
    ("run_diff", "text"),
    [(True, "the module returned no diff"), (False, "no diff: run with --diff for before/after")],
)
def test_missing_diff_explained_by_run_mode(run_diff, text):
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event("acct", "group", "changed", {"changed": True}, tags=("admin_group",), check_mode=True)
    report = builder.build(run_id="r", started="s", finished="f", mode="check", diff=run_diff)
    assert f"group: would change ({text})" in md_text(_report.render_markdown(report))
    assert text.capitalize() in _report.render_html(report)


# -- Markdown that a hostile account name cannot break -----------------------------------------------------------
HOSTILE = [
    "[x](http://evil.example)",
    "![img](http://evil.example/a.png)",
    "<script>alert(1)</script>",
    "<http://evil.example>",
    "**bold** _it_ `code` ~~gone~~",
    "# heading",
    "a | b | c",
    "back\\slash\\",
    "www.evil.example and mail@evil.example",
    "[ref]: http://evil.example",
    "&lt;entity&gt; &#60;",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_escape_renders_exactly_the_text(name):
    escaped = _report._md(name)
    assert md_text(escaped) == name
    # with the escape pairs taken out, no syntax character is left bare
    assert not re.search(r"[\\[\]()<>*_`|#!~&]", re.sub(r"\\.", "", escaped)), escaped
    # nor a bare URL or address that GitHub would link
    assert "http://" not in escaped and "www." not in escaped and "@" not in escaped.replace("\\@", "")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_account_name_never_becomes_markup(name):
    markdown_it = pytest.importorskip("markdown_it")
    report = build(
        [ev("changed", host="acct", task=name, result={"msg": name})],
        hosts={"acct": {"account_id": "111111111111", "name": name}},
    )
    md = _report.render_markdown(report)
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered
    assert "<em>" not in rendered and "<strong>bold" not in rendered and "<h1>heading" not in rendered
    # the table keeps one cell per control: a pipe in the name made no new cell
    row = next(line for line in md.splitlines() if line.startswith("| ") and "111111111111" in line)
    assert row.count(" | ") == len(CONTROL_IDS)


# -- controls of the Organization ---------------------------------------------------------------------------------
RCM = "root_credentials_management"
MEMBER_SKIP = {"skipped": True, "changed": False, "msg": "account 222222222222 is a member", "placement": "member"}
STANDALONE_SKIP = {"skipped": True, "changed": False, "msg": "not in an AWS Organization", "placement": "standalone"}


def _cell(report, host):
    return next(a for a in report["accounts"] if a["host"] == host)["controls"][RCM]


def test_a_member_host_is_skipped_with_the_module_reason_and_the_management_host_is_checked():
    report = build(
        [
            ev("skipped", tags=(RCM,), result=MEMBER_SKIP, host="member"),
            ev("ok", tags=(RCM,), result={"findings": [finding(RCM, "fail")]}, host="mgmt"),
        ]
    )
    assert _cell(report, "member")["status"] == "skipped"
    assert _cell(report, "member")["reason"] == "skipped: account 222222222222 is a member"
    assert _cell(report, "mgmt")["status"] == "drift"
    assert _report.ReportBuilder(CTRLS).organization_controls_unchecked() == set()


def test_a_run_without_the_management_host_says_the_organization_was_not_checked():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event(**ev("skipped", tags=(RCM,), result=MEMBER_SKIP, host="member"))
    assert builder.organization_controls_unchecked() == {RCM}
    report = builder.build(run_id="r", started="s", finished="f", mode="check")
    cell = _cell(report, "member")
    assert cell["status"] == "skipped" and cell["findings"] == []
    assert cell["reason"].endswith(_report.NO_MANAGEMENT_HOST)
    assert report["summary"]["complete"] is False


def test_standalone_accounts_alone_do_not_claim_a_missing_management_host():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_event(**ev("skipped", tags=(RCM,), result=STANDALONE_SKIP, host="solo"))
    assert builder.organization_controls_unchecked() == set()
    report = builder.build(run_id="r", started="s", finished="f", mode="check")
    assert _cell(report, "solo")["reason"] == "skipped: not in an AWS Organization"


def test_a_conditional_skip_keeps_the_generic_reason():
    report = build([ev("skipped", tags=(RCM,), result={"skip_reason": "Conditional result was False"})])
    assert _cell(report, "acct")["reason"] == "skipped (toggle or condition)"


def test_a_checked_organization_leaves_the_run_complete():
    ok_everywhere = [ev("ok", tags=(cid,), host=h) for cid in CONTROL_IDS if cid != RCM for h in ("member", "mgmt")]
    report = build(
        [
            *ok_everywhere,
            ev("skipped", tags=(RCM,), result=MEMBER_SKIP, host="member"),
            ev("ok", tags=(RCM,), result={"findings": [finding(RCM, "pass")]}, host="mgmt"),
        ]
    )
    assert report["summary"]["complete"] is True
    assert _report.verdict(report["summary"]) == "every account is compliant"


def test_a_standalone_account_is_complete_without_the_organization_control():
    others = [ev("ok", tags=(cid,), host="solo") for cid in CONTROL_IDS if cid != RCM]
    report = build([*others, ev("skipped", tags=(RCM,), result=STANDALONE_SKIP, host="solo")])
    assert report["summary"]["complete"] is True


def test_an_organization_nobody_checked_leaves_the_run_incomplete():
    others = [ev("ok", tags=(cid,), host="member") for cid in CONTROL_IDS if cid != RCM]
    report = build([*others, ev("skipped", tags=(RCM,), result=MEMBER_SKIP, host="member")])
    assert report["summary"]["complete"] is False
    assert "every account is compliant" not in _report.verdict(report["summary"])


# -- accepted exceptions ----------------------------------------------------------------------------------------
EXC_TODAY = datetime.date(2026, 6, 15)
LAPSED = {
    "index": 1,
    "reason": "accepted on purpose",
    "owner": "sec@example.com",
    "expires": "2026-06-01",
    "ticket": "T",
}
BOB = "arn:aws:iam::111111111111:user/bob"
ERIN = "arn:aws:iam::111111111111:user/erin"


def exceptions_of(*entries, warn_days=14):
    base = {"account": "111111111111", "reason": "accepted on purpose", "owner": "sec@example.com"}
    data = {"schema_version": 1, "exceptions": [{**base, "expires": "2027-01-01", **e} for e in entries]}
    return Exceptions("/inv/exceptions.yml", parse(data, CONTROLS), EXC_TODAY, warn_days)


def build_with_exceptions(exceptions, findings, changed=False, check_mode=True, selected=None, **assessment):
    builder = _report.ReportBuilder(CTRLS, selected)
    status = "changed" if changed else "ok"
    builder.add_event(
        "acct", "mfa", status, {"findings": findings}, tags=("root_mfa", "user_mfa"), check_mode=check_mode
    )
    builder.add_event("other", "mfa", "ok", {"findings": [finding("user_mfa", "fail", resource=BOB)]}, tags=())
    account = AccountContext("111111111111", "prod", "Root/Workloads/Prod")
    builder.add_assessment(
        "acct",
        Assessment("111111111111", exceptions={**exceptions.to_dict(), "account": account.to_dict()}, **assessment),
    )
    return builder.build(run_id="r", started="s", finished="f", mode="check" if check_mode else "apply")


@pytest.mark.parametrize(
    ("entries", "statuses", "cell"),
    [
        # every failing finding of the cell accepted: the cell is accepted, with the exception
        ([{"control": "user_mfa"}], ["accepted", "accepted"], "accepted"),
        # one of two accepted: the cell stays drift
        ([{"control": "user_mfa", "resource": BOB}], ["accepted", "fail"], "drift"),
        ([{"control": "user_mfa", "resource": "arn:aws:iam::*:user/*"}], ["accepted", "accepted"], "accepted"),
        ([{"control": "user_mfa", "account": "ou:Root/Sandbox"}], ["fail", "fail"], "drift"),
        ([{"control": "user_mfa", "expires": "2026-06-14"}], ["fail", "fail"], "drift"),
    ],
)
def test_accepted_findings_and_cells(entries, statuses, cell):
    findings = [finding("user_mfa", "fail", "bob", BOB), finding("user_mfa", "fail", "erin", ERIN)]
    report = build_with_exceptions(exceptions_of(*entries), findings)
    control = next(a for a in report["accounts"] if a["host"] == "acct")["controls"]["user_mfa"]
    assert [f["status"] for f in control["findings"]] == statuses
    assert control["status"] == cell
    if cell == "accepted":
        assert control["exception"] == {
            "reason": "accepted on purpose",
            "owner": "sec@example.com",
            "expires": "2027-01-01",
            "ticket": None,
            "index": 0,
        }
    else:
        assert control["exception"] is None
    # the other host has no exceptions file: its failing finding is drift
    assert status_of(report, "other", "user_mfa") == "drift"


def test_an_accepted_cell_is_not_a_problem_and_the_run_lists_expired_expiring_unused():
    findings = [finding("user_mfa", "fail", "bob", BOB), finding("root_mfa", "fail", "no root mfa")]
    exceptions = exceptions_of(
        {"control": "user_mfa", "resource": BOB, "ticket": "SEC-1", "expires": "2026-06-20"},  # expiring, used
        {"control": "root_mfa", "expires": "2026-06-01"},  # expired: root_mfa is drift again
        {"control": "root_usage"},  # unused
        {"control": "password_policy", "expires": "2026-01-01"},  # expired, matched nothing
        {"control": "admin_group"},  # unused, but not selected by this run: not listed
    )
    report = build_with_exceptions(exceptions, findings, selected=set(CTRLS) - {"admin_group"})
    acct = next(a for a in report["accounts"] if a["host"] == "acct")
    assert acct["controls"]["user_mfa"]["status"] == "accepted"
    root = acct["controls"]["root_mfa"]
    assert root["status"] == "drift"
    assert root["findings"][0]["expired_exception"]["index"] == 1
    assert report["summary"]["accepted_pairs"] == 1
    assert report["summary"]["by_status"]["accepted"] == 1
    run = report["run"]["exceptions"]
    assert (run["files"], run["today"], run["warn_days"]) == (["/inv/exceptions.yml"], "2026-06-15", 14)
    assert [(e["index"], e["findings"]) for e in run["expired"]] == [(1, 1), (3, 0)]
    assert [(e["index"], e["days_left"], e["ticket"]) for e in run["expiring"]] == [(0, 5, "SEC-1")]
    assert [e["index"] for e in run["unused"]] == [2]
    assert run["unused"][0] == {
        "file": "/inv/exceptions.yml",
        "index": 2,
        "account": "111111111111",
        "control": "root_usage",
        "resource": None,
        "reason": "accepted on purpose",
        "owner": "sec@example.com",
        "expires": "2027-01-01",
        "ticket": None,
    }

    markdown = md_text(_report.render_markdown(report))
    assert "## Accepted exceptions file" in markdown
    assert "- **expired**: exception #1 expired on 2026-06-01; 1 finding(s) are drift again" in markdown
    assert "- **expiring**: exception #0 expires on 2026-06-20 (in 5 day(s))" in markdown
    assert "- **unused**: exception #2 matched no finding in this run" in markdown
    assert "accepted: bob [arn:aws:iam::111111111111:user/bob] (exception #0: accepted on purpose; owner " in markdown
    assert "finding: no root mfa [arn:aws:iam::111111111111:root] (exception #1 of sec@example.com expired" in markdown
    page = _report.render_html(report)
    assert 'class="cell s-accepted"' in page
    assert (
        "Accepted: exception #0: accepted on purpose; owner sec@example.com; expires 2026-06-20; ticket SEC-1" in page
    )
    assert '<li class="expired"><strong>expired</strong> exception #1 expired on 2026-06-01' in page

    # JUnit: the accepted pair is a skipped test case whose message carries the reason, owner and expiry
    suites = ET.fromstring(_report.render_junit(report))
    accepted = [c for c in suites.iter("testcase") if (c.find("skipped") is not None and c.find("skipped").get("type"))]
    assert [(c.get("name").split(":")[0], c.find("skipped").get("message")) for c in accepted] == [
        (
            "user_mfa",
            "accepted: exception #0: accepted on purpose; owner sec@example.com; expires 2026-06-20; ticket SEC-1",
        )
    ]
    assert accepted[0].find("failure") is None


def test_findings_drift_with_would_change_is_never_accepted():
    # under --check a checking task that would change (e.g. deactivate a stale key) is drift, exception or not
    findings = [finding("user_mfa", "fail", "bob", BOB)]
    report = build_with_exceptions(exceptions_of({"control": "user_mfa"}), findings, changed=True)
    control = next(a for a in report["accounts"] if a["host"] == "acct")["controls"]["user_mfa"]
    assert control["findings"][0]["status"] == "accepted"
    assert control["status"] == "drift"


def test_accepted_in_an_apply_run_and_the_verdict():
    findings = [finding("user_mfa", "fail", "bob", BOB), finding("root_mfa", "pass")]
    report = build_with_exceptions(exceptions_of({"control": "user_mfa"}), findings, check_mode=False)
    assert status_of(report, "acct", "user_mfa") == "accepted"
    summary = {**report["summary"], "compliant": True}
    assert _report.verdict({**summary, "complete": True}) == (
        "every account is compliant (1 account/control pair(s) accepted by exceptions)"
    )
    assert _report.verdict({**summary, "complete": False}).endswith("skipped or not run; 1 accepted by exceptions)")


def test_reports_with_exceptions_validate_against_the_documented_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    findings = [finding("user_mfa", "fail", "bob", BOB), finding("root_mfa", "fail")]
    report = build_with_exceptions(
        exceptions_of(
            {"control": "user_mfa", "expires": "2026-06-20"},
            {"control": "root_mfa", "expires": "2026-06-01"},
            {"control": "root_usage", "ticket": "T-1"},
        ),
        findings,
        drift=(DriftItem("root_mfa", "no mfa", ROOT_ARN, None, "a person", True, {**LAPSED, "ticket": None}),),
        accepted=(AcceptedItem("user_mfa", "bob", BOB, {**LAPSED, "expires": "2026-06-20", "index": 0}),),
    )
    acct = next(a for a in report["accounts"] if a["host"] == "acct")
    assert acct["drift"][0]["expired_exception"]["index"] == 1
    assert acct["accepted"][0]["exception"]["expires"] == "2026-06-20"
    assert report["run"]["exceptions"]["expired"] and report["run"]["exceptions"]["unused"]
    jsonschema.validate(json.loads(_report.render_json(report)), schema, cls=jsonschema.Draft202012Validator)
    assert build([])["run"]["exceptions"] is None


def test_a_task_that_names_its_controls_vouches_only_for_those():
    """iam_policy_check carries three control tags; with one control switched off it says which it checked."""
    tags = ("group_permissions", "admin_policies", "cloudshell_access")
    result = {"controls": ["admin_policies"], "findings": [finding("admin_policies", "fail")]}
    controls = build([ev("ok", tags=tags, result=result)])["accounts"][0]["controls"]
    assert {cid: controls[cid]["status"] for cid in tags} == {
        "group_permissions": "skipped",
        "admin_policies": "drift",
        "cloudshell_access": "skipped",
    }
    # without "controls" every tag counts, as before; a failed task fails every control it is tagged with
    controls = build([ev("ok", tags=tags, result={"findings": []})])["accounts"][0]["controls"]
    assert {controls[cid]["status"] for cid in tags} == {"compliant"}
    failed = {"controls": ["admin_policies"], "findings": [], "msg": "boom"}
    controls = build([ev("failed", tags=tags, result=failed)])["accounts"][0]["controls"]
    assert {controls[cid]["status"] for cid in tags} == {"failed"}


def test_a_change_counts_only_for_the_controls_the_task_names():
    tags = ("group_permissions", "admin_policies", "cloudshell_access")
    result = {
        "controls": list(tags),
        "changed": True,
        "changed_controls": ["cloudshell_access"],
        "findings": [finding("cloudshell_access", "fail"), finding("admin_policies", "pass")],
    }
    check = build([ev("changed", tags=tags, result=result)])["accounts"][0]["controls"]
    assert {cid: check[cid]["status"] for cid in tags} == {
        "group_permissions": "compliant",
        "admin_policies": "compliant",
        "cloudshell_access": "drift",
    }
    applied = {**result, "findings": [finding("cloudshell_access", "pass")]}
    apply = build([ev("changed", tags=tags, result=applied, check_mode=False)], mode="apply")["accounts"][0]
    assert {cid: apply["controls"][cid]["status"] for cid in tags} == {
        "group_permissions": "compliant",
        "admin_policies": "compliant",
        "cloudshell_access": "changed",
    }


def test_a_change_lands_in_the_cell_of_the_control_that_changed():
    report = build([ev("changed", tags=KEY_TAGS, result=KEY_RESULT)])
    controls = report["accounts"][0]["controls"]
    assert controls["access_key_rotation"]["changes"] == []
    (change,) = controls["console_access_unused"]["changes"]
    assert change["fields"] == [{"field": "console_access.frank", "before": True, "after": False, "action": "update"}]
