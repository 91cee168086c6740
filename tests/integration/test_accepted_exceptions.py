"""Accepted exceptions (baseline_exceptions_file) in real runs of playbooks/baseline.yml against the demo Organization.

An unexpired exception makes its finding `accepted` and a fail-on-drift check green; the same file with `expires`
in the past makes it drift and red again, and the report names the lapsed entry; an entry that matched nothing is
listed as unused; a malformed file fails before any AWS call (the emulator's request log stays empty).
Dates are fixed far in the past (2000) or the future (2999): nothing here depends on today's date.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from helpers.ansible_run import ROOT, run_playbook, write_inventory

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
PROD = "111111111111"
ROLE = f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole"
ROOT_ARN = f"arn:aws:iam::{PROD}:root"
# As the Organizations inventory sets them (static here, so only the exceptions file varies).
PROD_VARS = {
    "aws_account_id": PROD,
    "aws_account_name": "prod",
    "aws_ou_path": "Root/Workloads/Prod",
    "aws_account_tags": {"environment": "prod", "owner": "platform"},
    "baseline_role_arn": ROLE,
}
ACCEPT_ROOT_MFA = {
    "account": "ou:Root/Workloads/*",
    "control": "root_mfa",
    "resource": "arn:aws:iam::*:root",
    "reason": "hardware token on order; the root password is in the safe",
    "owner": "security@example.com",
    "expires": "2999-12-31",
    "ticket": "SEC-42",
}
UNUSED = {
    "account": "tag:environment=sandbox",
    "control": "root_mfa",
    "reason": "sandbox accounts get root MFA at hand-over",
    "owner": "research@example.com",
    "expires": "2999-12-31",
}


@pytest.fixture
def demo(emulator):
    emulator.seed_demo()
    emulator.clear_requests()
    return emulator


def write_exceptions(path: Path, *entries, **top) -> Path:
    path.write_text(yaml.safe_dump({"schema_version": 1, "exceptions": list(entries), **top}), encoding="utf-8")
    return path


def check_root_mfa(demo, tmp_path: Path, **group_vars):
    """`--check --tags root_mfa` of the prod account with baseline_fail_on_drift, the exceptions file given relative
    to the inventory's directory (ansible-playbook runs in the repository root, elsewhere)."""
    inventory = write_inventory(
        tmp_path / "inventory.yml",
        {"prod": PROD_VARS},
        baseline_fail_on_drift=True,
        baseline_exceptions_file="exceptions.yml",
        **group_vars,
    )
    reports = tmp_path / "reports"
    result = run_playbook(
        PLAYBOOK,
        inventory=inventory,
        check=True,
        env={**demo.env(), "ACCOUNTGUARD_REPORT_DIR": str(reports)},
        args=["--tags", "root_mfa"],
    )
    report = json.loads((reports / "accountguard-report-latest.json").read_text())
    return result, report, reports


def md_text(reports: Path) -> str:
    """The Markdown report with its backslash escapes undone: the characters a reader sees."""
    return re.sub(r"\\(.)", r"\1", (reports / "accountguard-report-latest.md").read_text())


def gate_of(result) -> dict:
    return next(r for r in result.task_results("prod") if r["_task"].endswith("fail on drift when asked"))


def test_an_exception_accepts_its_finding_and_the_check_is_green(demo, tmp_path):
    write_exceptions(tmp_path / "exceptions.yml", ACCEPT_ROOT_MFA, UNUSED)
    result, report, reports = check_root_mfa(demo, tmp_path, baseline_exceptions_warn_days=400000)

    assert result.rc == 0, result.stderr[-3000:]
    assert demo.requests(writes_only=True) == []
    cell = report["accounts"][0]["controls"]["root_mfa"]
    assert cell["status"] == "accepted"
    assert cell["exception"] == {
        "index": 0,
        "reason": ACCEPT_ROOT_MFA["reason"],
        "owner": "security@example.com",
        "expires": "2999-12-31",
        "ticket": "SEC-42",
    }
    assert [(f["status"], f["resource"]) for f in cell["findings"] if f["status"] != "pass"] == [("accepted", ROOT_ARN)]
    assert report["summary"]["compliant"] and report["summary"]["accepted_pairs"] == 1
    exceptions = report["run"]["exceptions"]
    assert exceptions["files"] == [str(tmp_path / "exceptions.yml")]
    assert [(e["index"], e["account"]) for e in exceptions["unused"]] == [(1, "tag:environment=sandbox")]
    # within the (huge) warning window: listed as expiring, and the gate warned on the console
    assert [e["index"] for e in exceptions["expiring"]] == [0, 1]
    assert exceptions["expired"] == []

    gate = gate_of(result)
    assert not gate.get("failed") and gate["drift"] == []
    assert [a["exception"]["index"] for a in gate["accepted"]] == [0]
    assert any("exception #0" in w and "expires on 2999-12-31" in w for w in gate.get("warnings", []))

    # JUnit: a skipped test case with the reason; Markdown and HTML show reason, owner and expiry
    junit = ET.parse(reports / "accountguard-report-latest.xml").getroot()
    case = next(c for c in junit.iter("testcase") if c.get("name").startswith("root_mfa:"))
    assert case.find("failure") is None
    assert ACCEPT_ROOT_MFA["reason"] in case.find("skipped").get("message")
    markdown = md_text(reports)
    assert "Accepted by an exception" in markdown
    assert f"accepted: root user has no MFA [{ROOT_ARN}] (exception #0: {ACCEPT_ROOT_MFA['reason']}; " in markdown
    assert "owner security@example.com; expires 2999-12-31; ticket SEC-42" in markdown
    page = (reports / "accountguard-report-latest.html").read_text()
    assert "s-accepted" in page and "security@example.com" in page and "2999-12-31" in page


def test_the_same_exception_expired_is_drift_again_and_named(demo, tmp_path):
    write_exceptions(tmp_path / "exceptions.yml", {**ACCEPT_ROOT_MFA, "expires": "2000-01-01"}, UNUSED)
    result, report, reports = check_root_mfa(demo, tmp_path)

    assert result.rc != 0
    assert demo.requests(writes_only=True) == []
    cell = report["accounts"][0]["controls"]["root_mfa"]
    assert cell["status"] == "drift" and cell["exception"] is None
    failing = [f for f in cell["findings"] if f["status"] == "fail"]
    assert [f["expired_exception"]["index"] for f in failing] == [0]
    exceptions = report["run"]["exceptions"]
    assert [(e["index"], e["expires"], e["findings"]) for e in exceptions["expired"]] == [(0, "2000-01-01", 1)]
    assert [e["index"] for e in exceptions["unused"]] == [1]
    assert report["summary"]["problem_pairs"] == 1

    gate = gate_of(result)
    assert gate["failed"] and gate["drift"][0]["expired_exception"]["expires"] == "2000-01-01"
    assert any("(exception #0 expired on 2000-01-01)" in line for line in gate["msg"])
    assert any("expired on 2000-01-01" in w for w in gate.get("warnings", []))
    markdown = md_text(reports)
    assert "**expired**: exception #0 expired on 2000-01-01; 1 finding(s) are drift again" in markdown


ENTRY = {
    "account": PROD,
    "control": "root_mfa",
    "reason": "r",
    "owner": "o",
    "expires": "2999-12-31",
}
MALFORMED = {
    "unknown_top_key": ({"schema_version": 1, "exceptions": [ENTRY], "mutes": []}, "mutes: unknown key"),
    "wrong_schema_version": ({"schema_version": 2, "exceptions": [ENTRY]}, "schema_version: 2 is not supported"),
    "unknown_entry_key": (
        {"schema_version": 1, "exceptions": [ENTRY, {**ENTRY, "approver": "x"}]},
        "exceptions[1].approver: unknown key",
    ),
    "missing_reason": (
        {"schema_version": 1, "exceptions": [{k: v for k, v in ENTRY.items() if k != "reason"}]},
        "exceptions[0].reason: required",
    ),
    "missing_owner": (
        {"schema_version": 1, "exceptions": [{k: v for k, v in ENTRY.items() if k != "owner"}]},
        "exceptions[0].owner: required",
    ),
    "missing_expires": (
        {"schema_version": 1, "exceptions": [{k: v for k, v in ENTRY.items() if k != "expires"}]},
        "exceptions[0].expires: required",
    ),
    "bad_date": (
        {"schema_version": 1, "exceptions": [{**ENTRY, "expires": "2027-02-30"}]},
        "exceptions[0].expires: '2027-02-30' is not a date written YYYY-MM-DD",
    ),
    "unknown_control": (
        {"schema_version": 1, "exceptions": [{**ENTRY, "control": "root_password"}]},
        "exceptions[0].control: unknown control id 'root_password'",
    ),
    "bad_account": (
        {"schema_version": 1, "exceptions": [{**ENTRY, "account": "ou:Workloads/Prod"}]},
        "exceptions[0].account: 'ou:Workloads/Prod': an OU path starts at the root",
    ),
    "bad_resource": (
        {"schema_version": 1, "exceptions": [{**ENTRY, "resource": "user/break-glass"}]},
        "exceptions[0].resource: 'user/break-glass' is not an ARN pattern",
    ),
}


def test_malformed_files_fail_before_any_aws_call(demo, tmp_path):
    # One host per malformed file (each its own baseline_exceptions_file), all in one run.
    hosts = {}
    for name, (data, _fragment) in MALFORMED.items():
        (tmp_path / f"{name}.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
        hosts[name] = {**PROD_VARS, "baseline_exceptions_file": f"{name}.yml"}
    inventory = write_inventory(tmp_path / "inventory.yml", hosts)
    result = run_playbook(PLAYBOOK, inventory=inventory, check=True, env=demo.env())

    assert result.rc != 0
    assert len(MALFORMED) == 10
    for name, (_data, fragment) in MALFORMED.items():
        failed = [r for r in result.task_results(name) if r.get("failed")]
        assert len(failed) == 1 and failed[0]["_task"].endswith("Validating the baseline's input before any AWS call")
        assert f"baseline_exceptions_file {tmp_path / name}.yml: " in failed[0]["msg"], failed[0]["msg"]
        assert fragment in failed[0]["msg"], (name, failed[0]["msg"])
    assert demo.requests() == []
