"""The security_contact and access_analyzer controls of accountguard.aws.iam_account_check, against the emulator.

Ground truth is what the emulator holds afterwards (boto3: account:GetAlternateContact, access-analyzer:ListAnalyzers
per region); check mode is proved by zero writes in the request log; the baseline's verdicts are read from the
report JSON of a check run.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from helpers.ansible_run import run_module, run_playbook, write_inventory

MODULE = "accountguard.aws.iam_account_check"
ACCOUNT = "123456789012"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
CONTROLS = ["security_contact", "access_analyzer"]
CONTACT = {
    "name": "Security team",
    "title": "Security operations",
    "email": "security@example.com",
    "phone": "+1 555 0100",
}
AWS_CONTACT = {"Name": "Old team", "Title": "Ops", "EmailAddress": "old@example.com", "PhoneNumber": "+1 555 0000"}
REGIONS = ["us-east-1", "eu-west-1"]
NAME = "accountguard-external-access"
PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "baseline.yml"


def run(emulator, check=False, diff=False, env=None, **args):
    args.setdefault("controls", CONTROLS)
    return run_module(MODULE, args, check=check, diff=diff, env=(env or emulator.env()) | LOCAL_PYTHON)


def security_contact(emulator, account=ACCOUNT) -> dict | None:
    try:
        return emulator.client("account", account).get_alternate_contact(AlternateContactType="SECURITY")[
            "AlternateContact"
        ]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
        return None


def analyzers(emulator, region: str, account=ACCOUNT) -> dict[str, tuple[str, str]]:
    listed = emulator.client("accessanalyzer", account, region=region).list_analyzers()["analyzers"]
    return {a["name"]: (a["type"], a["status"]) for a in listed}


def verdicts(result) -> list[tuple[str, str, str]]:
    return sorted((f["id"], f["status"], f["resource"].split(":", 3)[-1]) for f in result["findings"])


def test_a_check_reads_one_contact_and_one_listing_per_region(emulator):
    # us-east-1: an active account analyzer; eu-west-1: only an unused-access analyzer and a disabled one
    emulator.client("accessanalyzer").create_analyzer(analyzerName="ext", type="ACCOUNT")
    emulator.put_analyzer(ACCOUNT, "eu-west-1", "unused", type="ACCOUNT_UNUSED_ACCESS")
    emulator.put_analyzer(ACCOUNT, "eu-west-1", "old", status="DISABLED")
    result = run(emulator, access_analyzer_regions=REGIONS)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["compliant"] is False
    assert verdicts(result) == [
        ("access_analyzer", "fail", f"eu-west-1:{ACCOUNT}:analyzer"),
        ("access_analyzer", "pass", f"us-east-1:{ACCOUNT}:analyzer/ext"),
        ("security_contact", "fail", f":{ACCOUNT}:root"),
    ]
    west = next(f for f in result["findings"] if f["status"] == "fail" and f["id"] == "access_analyzer")
    assert "unused (ACCOUNT_UNUSED_ACCESS, ACTIVE)" in west["message"] and "old (ACCOUNT, DISABLED)" in west["message"]
    assert west["cis"] == [
        "cis-aws-3.0:1.20",
        "cis-aws-4.0.1:1.20",
        "cis-aws-5.0:1.19",
        "cis-aws-6.0:2.19",
        "cis-aws-7.0:2.18",
    ]
    calls = [(r["action"], r.get("region")) for r in emulator.requests()]
    # The analyzers' ARNs name the account: no GetCallerIdentity.
    assert Counter(calls) == Counter(
        {("GetAlternateContact", None): 1, ("ListAnalyzers", "us-east-1"): 1, ("ListAnalyzers", "eu-west-1"): 1}
    )

    emulator.client("account").put_alternate_contact(AlternateContactType="SECURITY", **AWS_CONTACT)
    again = run(emulator, controls=["security_contact"])
    [found] = again["findings"]
    assert found["status"] == "pass" and "Old team <old@example.com>" in found["message"]
    assert found["cis"][0] == "cis-aws-3.0:1.2" and found["cis"][-1] == "cis-aws-7.0:2.3"


def test_check_mode_names_what_would_change_and_writes_nothing(emulator):
    emulator.client("account").put_alternate_contact(AlternateContactType="SECURITY", **AWS_CONTACT)
    emulator.client("accessanalyzer").create_analyzer(analyzerName="ext", type="ACCOUNT")
    result = run(
        emulator,
        check=True,
        diff=True,
        security_contact=CONTACT,
        create_access_analyzer=True,
        access_analyzer_regions=REGIONS,
    )
    assert result["changed"] is True
    assert result["changed_controls"] == ["security_contact", "access_analyzer"]
    assert result["diff"]["before"]["security_contact"]["email"] == "old@example.com"
    assert result["diff"]["after"]["security_contact"] == CONTACT
    assert result["diff"]["before"]["access_analyzer"] == {"us-east-1": ["ext"], "eu-west-1": []}
    assert result["diff"]["after"]["access_analyzer"] == {"us-east-1": ["ext"], "eu-west-1": [NAME]}
    assert result["access_analyzer"]["created_regions"] == ["eu-west-1"]
    west = result["access_analyzer"]["regions"]["eu-west-1"]
    assert west["created"] == f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/{NAME}"
    assert result["access_analyzer"]["regions"]["us-east-1"]["created"] is None
    # findings are the state found
    assert ("access_analyzer", "fail", f"eu-west-1:{ACCOUNT}:analyzer") in verdicts(result)
    assert emulator.requests(writes_only=True) == []
    assert security_contact(emulator)["EmailAddress"] == "old@example.com"
    assert analyzers(emulator, "eu-west-1") == {}


def test_apply_puts_the_contact_creates_analyzers_where_none_is_active_and_is_idempotent(emulator):
    emulator.client("accessanalyzer").create_analyzer(analyzerName="ext", type="ACCOUNT")
    emulator.put_analyzer(ACCOUNT, "eu-west-1", "old", status="DISABLED")
    regions = [*REGIONS, "ap-southeast-2"]
    result = run(emulator, security_contact=CONTACT, create_access_analyzer=True, access_analyzer_regions=regions)
    assert result["changed"] is True and result["compliant"] is True, result
    # read back
    stored = security_contact(emulator)
    assert {k: stored[k] for k in AWS_CONTACT} == {
        "Name": CONTACT["name"],
        "Title": CONTACT["title"],
        "EmailAddress": CONTACT["email"],
        "PhoneNumber": CONTACT["phone"],
    }
    assert analyzers(emulator, "us-east-1") == {"ext": ("ACCOUNT", "ACTIVE")}
    # the disabled analyzer is left as it is (never deleted or changed); a new one joins it
    assert analyzers(emulator, "eu-west-1") == {"old": ("ACCOUNT", "DISABLED"), NAME: ("ACCOUNT", "ACTIVE")}
    assert analyzers(emulator, "ap-southeast-2") == {NAME: ("ACCOUNT", "ACTIVE")}
    made = emulator.client("accessanalyzer", region="ap-southeast-2").get_analyzer(analyzerName=NAME)["analyzer"]
    assert result["access_analyzer"]["regions"]["ap-southeast-2"]["created"] == made["arn"]
    assert made["tags"] == {"managed-by": "accountguard.aws"}
    writes = Counter((r["action"], r.get("region")) for r in emulator.requests(writes_only=True))
    assert writes == Counter(
        {("PutAlternateContact", None): 1, ("CreateAnalyzer", "eu-west-1"): 1, ("CreateAnalyzer", "ap-southeast-2"): 1}
    )
    created = next(f for f in result["findings"] if f["resource"].endswith(f"ap-southeast-2:{ACCOUNT}:analyzer/{NAME}"))
    assert created["status"] == "pass"

    emulator.clear_requests()
    again = run(emulator, security_contact=CONTACT, create_access_analyzer=True, access_analyzer_regions=regions)
    assert again["changed"] is False and again["compliant"] is True
    assert emulator.requests(writes_only=True) == []


def test_a_name_taken_by_an_inactive_analyzer_stays_a_finding(emulator):
    emulator.put_analyzer(ACCOUNT, "us-east-1", NAME, status="FAILED")
    result = run(emulator, controls=["access_analyzer"], create_access_analyzer=True)
    assert result["changed"] is False and result["compliant"] is False
    [found] = result["findings"]
    assert found["status"] == "fail" and "exists there (FAILED)" in found["message"]
    assert emulator.requests(writes_only=True) == []
    assert analyzers(emulator, "us-east-1") == {NAME: ("ACCOUNT", "FAILED")}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"security_contact": {**CONTACT, "email": "security at example"}}, "security_contact.email"),
        ({"security_contact": {**CONTACT, "phone": "ask the desk"}}, "security_contact.phone"),
        ({"security_contact": {**CONTACT, "name": "x" * 65}}, "longer than 64"),
        ({"access_analyzer_regions": ["us-east-1", "Frankfurt"]}, "'Frankfurt' is not a region name"),
        ({"access_analyzer_name": "1st analyzer"}, "access_analyzer_name"),
        ({"security_contact_account_id": "1111"}, "12-digit account id"),
    ],
)
def test_bad_input_fails_before_any_call(emulator, args, words):
    result = run(emulator, create_access_analyzer=True, **args)
    assert result["failed"] and words in result["msg"], result["msg"]
    assert emulator.requests() == []


def test_a_member_accounts_contact_from_the_management_account_needs_trusted_access(emulator):
    emulator.seed_demo()
    member = "333333333333"  # sandbox: the demo seed gives it no security contact
    args = {"controls": ["security_contact"], "security_contact": CONTACT, "security_contact_account_id": member}
    refused = run(emulator, **args)
    assert refused["failed"] and "AccessDeniedException" in refused["msg"], refused["msg"]
    assert security_contact(emulator, member) is None

    emulator.client("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    emulator.clear_requests()
    checked = run(emulator, check=True, **args)
    assert checked["changed"] is True and emulator.requests(writes_only=True) == []
    assert checked["findings"][0]["resource"] == f"arn:aws:iam::{member}:root"

    applied = run(emulator, **args)
    assert applied["changed"] is True and applied["compliant"] is True, applied
    assert security_contact(emulator, member)["EmailAddress"] == CONTACT["email"]
    # the management account's own contact is untouched
    assert security_contact(emulator) is None
    assert {r["account_id"] for r in emulator.requests(writes_only=True)} == {ACCOUNT}


# ----- in the baseline: verdicts in the report, enforcement read back ----------------------------------------------

FAILING, PASSING = "111111111111", "222222222222"


def baseline(emulator, tmp_path: Path, name: str, check: bool, args=None, **group_vars):
    hosts = {
        host: {"aws_account_id": acct, "baseline_role_arn": f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole"}
        for host, acct in (("failing", FAILING), ("passing", PASSING))
    }
    inventory = write_inventory(
        tmp_path / f"{name}-inventory.yml", hosts, baseline_credentials_dir=str(tmp_path / "credentials"), **group_vars
    )
    reports = tmp_path / name
    env = {**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(reports)}
    result = run_playbook(PLAYBOOK, inventory=inventory, check=check, diff=check, env=env, args=args)
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((reports / "accountguard-report-latest.json").read_text())
    return result, {a["account_id"]: a["controls"] for a in report["accounts"]}


def test_baseline_reports_both_verdicts_and_enforces_when_asked(emulator, tmp_path):
    # failing account: no security contact, no analyzer; passing account: both
    emulator.client("account", PASSING).put_alternate_contact(AlternateContactType="SECURITY", **AWS_CONTACT)
    emulator.client("accessanalyzer", PASSING).create_analyzer(analyzerName="ext", type="ACCOUNT")
    emulator.clear_requests()

    _check, cells = baseline(emulator, tmp_path, "check", check=True)
    assert emulator.requests(writes_only=True) == []
    for account in (FAILING, PASSING):
        requests = emulator.requests(account)
        calls = Counter(r["action"] for r in requests)
        assert (calls["GetAlternateContact"], calls["ListAnalyzers"]) == (1, 1), calls
        # every control of the baseline in one check: at most 15 calls plus one ListAnalyzers per region (issue 15)
        assert len(requests) - calls["ListAnalyzers"] <= 15, calls
    for cid in ("security_contact", "access_analyzer"):
        assert cells[FAILING][cid]["status"] == "drift", cells[FAILING][cid]
        assert cells[PASSING][cid]["status"] == "compliant", cells[PASSING][cid]
        assert [f["status"] for f in cells[FAILING][cid]["findings"]] == ["fail"]
        assert [f["status"] for f in cells[PASSING][cid]["findings"]] == ["pass"]
    assert cells[FAILING]["access_analyzer"]["findings"][0]["resource"] == (
        f"arn:aws:access-analyzer:us-east-1:{FAILING}:analyzer"
    )
    assert cells[PASSING]["access_analyzer"]["findings"][0]["resource"].endswith(f":{PASSING}:analyzer/ext")

    # --check with the enforcement asked: drift named with its fix, still zero writes
    enforce = {
        "baseline_security_contact": CONTACT,
        "baseline_access_analyzer": True,
        "baseline_access_analyzer_regions": REGIONS,
    }
    emulator.clear_requests()
    checked, cells = baseline(emulator, tmp_path, "check-enforce", check=True, **enforce)
    assert emulator.requests(writes_only=True) == []
    gate = checked.task_results("failing")[-1]
    assert any("baseline_security_contact" in str(d) for d in gate["drift"]), gate["drift"]
    assert any("baseline_access_analyzer" in str(d) for d in gate["drift"]), gate["drift"]
    assert Counter(r["region"] for r in emulator.requests(FAILING) if r["action"] == "ListAnalyzers") == Counter(
        {"us-east-1": 1, "eu-west-1": 1}
    )

    _applied, cells = baseline(emulator, tmp_path, "apply", check=False, **enforce)
    assert security_contact(emulator, FAILING)["EmailAddress"] == CONTACT["email"]
    assert analyzers(emulator, "us-east-1", FAILING) == {NAME: ("ACCOUNT", "ACTIVE")}
    assert analyzers(emulator, "eu-west-1", FAILING) == {NAME: ("ACCOUNT", "ACTIVE")}
    # the passing account's own analyzer is kept; only the region without one gets ours; its contact is declared
    assert analyzers(emulator, "us-east-1", PASSING) == {"ext": ("ACCOUNT", "ACTIVE")}
    assert analyzers(emulator, "eu-west-1", PASSING) == {NAME: ("ACCOUNT", "ACTIVE")}
    assert security_contact(emulator, PASSING)["EmailAddress"] == CONTACT["email"]
    assert cells[FAILING]["security_contact"]["status"] == "changed"
    assert cells[FAILING]["access_analyzer"]["status"] == "changed"

    emulator.clear_requests()
    _again, cells = baseline(emulator, tmp_path, "check-again", check=True, **enforce)
    for account in (FAILING, PASSING):
        for cid in ("security_contact", "access_analyzer"):
            assert cells[account][cid]["status"] == "compliant", (account, cells[account][cid])


def test_a_bad_security_contact_stops_the_baseline_before_any_call(emulator, tmp_path):
    hosts = {"failing": {"aws_account_id": FAILING, "baseline_role_arn": f"arn:aws:iam::{FAILING}:role/Any"}}
    inventory = write_inventory(
        tmp_path / "inventory.yml",
        hosts,
        baseline_security_contact={**CONTACT, "email": "nobody"},
        baseline_access_analyzer_regions=["mars-1"],
    )
    result = run_playbook(PLAYBOOK, inventory=inventory, check=True, env=emulator.env())
    assert result.rc != 0
    failed = next(r for r in result.task_results("failing") if r.get("failed"))
    assert "baseline_security_contact.email 'nobody'" in failed["msg"], failed
    assert "baseline_access_analyzer_regions: 'mars-1'" in failed["msg"], failed
    assert emulator.requests() == []
