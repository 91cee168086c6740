"""baseline_securityhub_import in real runs of playbooks/baseline.yml against the demo Organization.

Ground truth is what each emulated account's Security Hub holds afterwards (GetFindings with the test's own
clients) and the emulator's request log. After an apply and a check with the import on, every account holds
exactly one finding per account, control and resource; the second run updates them (same Ids, CreatedAt kept);
a deviation fixed between the runs is resolved, a resource deleted between them archived, and a finding an
accepted exception covers suppressed. `--check` sends nothing to Security Hub unless
baseline_securityhub_import_in_check says so. An account without Security Hub fails alone, naming the cause.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest
import yaml
from helpers.ansible_run import ROOT, run_module, run_playbook, write_inventory

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
ACCOUNTS = {"prod": "111111111111", "dev": "222222222222", "sandbox": "333333333333"}
REGION = "us-east-1"
PROD_ROOT = "arn:aws:iam::111111111111:root"
ALICE = "arn:aws:iam::111111111111:user/alice"
EXPERIMENTS = "arn:aws:iam::333333333333:user/experiments"
ACCEPT_ALICE_MFA = {
    "account": "111111111111",
    "control": "user_mfa",
    "resource": ALICE,
    "reason": "break-glass user; token in the safe",
    "owner": "security@example.com",
    "expires": "2999-12-31",
}


def product_arn(account: str) -> str:
    return f"arn:aws:securityhub:{REGION}:{account}:product/{account}/default"


@pytest.fixture
def demo(emulator):
    emulator.seed_demo()
    for account in ACCOUNTS.values():
        emulator.client("securityhub", account).enable_security_hub()
    emulator.clear_requests()
    return emulator


def inventory(tmp_path, accounts=None, **group_vars):
    accounts = ACCOUNTS if accounts is None else accounts
    hosts = {
        name: {
            "aws_account_id": account,
            "aws_account_name": name,
            "baseline_role_arn": f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        }
        for name, account in accounts.items()
    }
    return write_inventory(
        tmp_path / "inventory.yml",
        hosts,
        baseline_securityhub_import=True,
        baseline_credentials_dir=str(tmp_path / "credentials"),
        **group_vars,
    )


def run(demo, tmp_path, inventory_path, check=False, extra_vars=None):
    env = {**demo.env(), "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / "reports"), "ACCOUNTGUARD_REPORT_FORMATS": "json"}
    return run_playbook(
        PLAYBOOK, inventory=inventory_path, check=check, env=env, extra_vars=extra_vars, args=["--forks", "3"]
    )


def findings(demo, account: str) -> list[dict]:
    """Every finding the account's Security Hub holds (all pages, no filter)."""
    hub = demo.client("securityhub", account)
    found, token = [], None
    while True:
        page = hub.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        found += page["Findings"]
        token = page.get("NextToken")
        if not token:
            return found


def by_key(found: list[dict]) -> dict[tuple[str, str], dict]:
    """(control, resource ARN) -> finding; fails when a pair has two findings."""
    keys = Counter((f["GeneratorId"], f["Resources"][0]["Id"]) for f in found)
    assert [k for k, n in keys.items() if n > 1] == []
    return {(f["GeneratorId"].removeprefix("accountguard.aws/"), f["Resources"][0]["Id"]): f for f in found}


def securityhub_calls(demo, writes_only=False) -> list[dict]:
    return [c for c in demo.requests(writes_only=writes_only) if c["service"] == "securityhub"]


def test_apply_then_check_import_one_finding_per_pair_updated_resolved_archived_and_suppressed(demo, tmp_path):
    apply = run(demo, tmp_path, inventory(tmp_path))
    assert apply.rc == 0, apply.stderr[-3000:] + apply.stdout[-3000:]
    first = {name: by_key(findings(demo, account)) for name, account in ACCOUNTS.items()}
    for name, account in ACCOUNTS.items():
        held = first[name]
        assert held, name
        assert len({f["Id"] for f in held.values()}) == len(held)
        for finding in held.values():
            assert finding["SchemaVersion"] == "2018-10-08"
            assert finding["AwsAccountId"] == account and finding["ProductArn"] == product_arn(account)
            assert finding["Compliance"]["Status"] in ("PASSED", "FAILED")
            assert finding["RecordState"] == "ACTIVE"
        # the enforced password policy passes after the apply; CIS ids ride along
        policy = held[("password_policy", f"arn:aws:iam::{account}:root")]
        assert policy["Compliance"]["Status"] == "PASSED"
        assert "cis-aws-3.0:1.8" in policy["Compliance"]["RelatedRequirements"]
    prod = first["prod"]
    root_keys = prod[("root_access_keys", PROD_ROOT)]
    assert root_keys["Compliance"]["Status"] == "FAILED" and root_keys["Workflow"]["Status"] == "NEW"
    assert root_keys["Severity"]["Label"] == "CRITICAL"
    assert root_keys["Resources"][0]["Type"] == "AwsAccount"
    assert prod[("user_mfa", ALICE)]["Compliance"]["Status"] == "FAILED"
    assert prod[("user_mfa", "arn:aws:iam::111111111111:user/bob")]["Compliance"]["Status"] == "PASSED"
    assert any(control == "access_key_rotation" for control, arn in first["sandbox"] if arn == EXPERIMENTS)
    # batches and calls: one listing, then the imports; no workflow update on a first import
    calls = Counter((c["account_id"], c["action"]) for c in securityhub_calls(demo))
    for account in ACCOUNTS.values():
        assert calls[(account, "GetFindings")] == 1
        assert calls[(account, "BatchImportFindings")] >= 1
        assert calls[(account, "BatchUpdateFindings")] == 0

    # Between the runs: prod's root access keys are removed (fixed), sandbox's "experiments" user is deleted
    # (gone), and alice's missing MFA is accepted by an exception.
    demo.set_root(ACCOUNTS["prod"], access_keys=[], mfa="none", password_last_used_days_ago=3)
    iam = demo.client("iam", ACCOUNTS["sandbox"])
    for key in iam.list_access_keys(UserName="experiments")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="experiments", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="experiments")
    (tmp_path / "exceptions.yml").write_text(
        yaml.safe_dump({"schema_version": 1, "exceptions": [ACCEPT_ALICE_MFA]}), encoding="utf-8"
    )
    demo.clear_requests()
    check = run(
        demo,
        tmp_path,
        inventory(tmp_path, baseline_securityhub_import_in_check=True, baseline_exceptions_file="exceptions.yml"),
        check=True,
    )
    assert check.rc == 0, check.stderr[-3000:] + check.stdout[-3000:]
    # --check wrote nothing but Security Hub findings
    assert {(c["service"], c["action"]) for c in demo.requests(writes_only=True)} <= {
        ("securityhub", "BatchImportFindings"),
        ("securityhub", "BatchUpdateFindings"),
    }
    second = {name: by_key(findings(demo, account)) for name, account in ACCOUNTS.items()}
    for name in ACCOUNTS:
        # updated, not duplicated: the same pairs (nothing new appeared), same Ids, CreatedAt kept
        assert set(second[name]) == set(first[name]), name
        for key, finding in second[name].items():
            assert finding["Id"] == first[name][key]["Id"]
            assert finding["CreatedAt"] == first[name][key]["CreatedAt"]
            assert finding["UpdatedAt"] > first[name][key]["UpdatedAt"]
    fixed = second["prod"][("root_access_keys", PROD_ROOT)]
    assert fixed["Compliance"]["Status"] == "PASSED" and fixed["Workflow"]["Status"] == "RESOLVED"
    assert fixed["RecordState"] == "ACTIVE"
    accepted = second["prod"][("user_mfa", ALICE)]
    assert accepted["Compliance"]["Status"] == "FAILED" and accepted["Workflow"]["Status"] == "SUPPRESSED"
    assert "token in the safe" in accepted["Note"]["Text"] and accepted["Note"]["UpdatedBy"] == "accountguard.aws"
    gone = [f for (control, arn), f in second["sandbox"].items() if arn == EXPERIMENTS]
    assert gone and all(f["RecordState"] == "ARCHIVED" and f["Workflow"]["Status"] == "RESOLVED" for f in gone)
    # everything else keeps its state: still ACTIVE
    still = [f for (control, arn), f in second["dev"].items()]
    assert all(f["RecordState"] == "ACTIVE" for f in still)


def test_check_sends_nothing_to_security_hub_unless_asked(demo, tmp_path):
    check = run(demo, tmp_path, inventory(tmp_path), check=True)
    assert check.rc == 0, check.stderr[-3000:]
    assert securityhub_calls(demo) == []
    assert demo.requests(writes_only=True) == []
    for account in ACCOUNTS.values():
        assert findings(demo, account) == []
    # no host ran the import (a skipped task leaves no result that did anything)
    for host in ACCOUNTS:
        ran = [r for r in check.task_results(host) if "imported" in r and not r.get("skipped")]
        assert ran == [], host


def test_an_account_without_security_hub_fails_alone_naming_the_cause(demo, tmp_path):
    demo.client("securityhub", ACCOUNTS["dev"]).disable_security_hub()
    accounts = {"prod": ACCOUNTS["prod"], "dev": ACCOUNTS["dev"]}
    result = run(demo, tmp_path, inventory(tmp_path, accounts=accounts))
    stats = result.stats()
    assert stats["dev"]["failures"] == 1 and stats["prod"]["failures"] == 0, result.stdout[-3000:]
    failed = next(r for r in result.task_results("dev") if r.get("failed"))
    assert "InvalidAccessException" in failed["msg"] and "not enabled" in failed["msg"]
    assert ACCOUNTS["dev"] in failed["msg"] and "baseline_securityhub_import" in failed["msg"]
    assert findings(demo, ACCOUNTS["prod"])
    # the listing came first and was refused: nothing was written in the account without Security Hub
    dev_calls = [c["action"] for c in securityhub_calls(demo) if c["account_id"] == ACCOUNTS["dev"]]
    assert dev_calls == ["GetFindings"]


def _without_times(value):
    times = {"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt", "ProcessedAt", "invocation"}
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in times and not k.startswith("_")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_both_front_ends_import_the_same_findings_and_apply_the_exceptions_file(emulator, tmp_path):
    """The module on the controller (action plugin) and as a module process: same result, same findings held, the
    exceptions file read on the controller in both cases."""
    account = "123456789012"
    alice = f"arn:aws:iam::{account}:user/alice"
    exceptions = tmp_path / "exceptions.yml"
    entry = {**ACCEPT_ALICE_MFA, "account": account, "resource": alice}
    exceptions.write_text(yaml.safe_dump({"schema_version": 1, "exceptions": [entry]}), encoding="utf-8")
    args = {
        "account_id": account,
        "results": [
            {
                "findings": [
                    {"id": "user_mfa", "status": "fail", "resource": alice, "message": "no MFA", "cis": []},
                    {"id": "root_mfa", "status": "pass", "resource": "", "message": "root has MFA", "cis": []},
                ]
            }
        ],
        "exceptions_file": str(exceptions),
    }
    outcomes = {}
    for name, extra in {"controller": {}, "module": {"ACCOUNTGUARD_CONTROLLER_EXECUTION": "false"}}.items():
        emulator.reset()
        emulator.client("securityhub", account).enable_security_hub()
        env = {**emulator.env(), "ANSIBLE_PYTHON_INTERPRETER": sys.executable, **extra}
        result = run_module("accountguard.aws.securityhub_import", args, env=env)
        assert not result.get("failed"), result
        held = sorted(findings(emulator, account), key=lambda f: f["Id"])
        outcomes[name] = (_without_times(result), _without_times(held))
    assert outcomes["controller"] == outcomes["module"]
    result, held = outcomes["controller"]
    assert result["counts"] == {"failed": 0, "passed": 1, "suppressed": 1, "archived": 0, "created": 2, "updated": 0}
    statuses = {f["GeneratorId"]: f["Workflow"]["Status"] for f in held}
    assert statuses == {"accountguard.aws/user_mfa": "SUPPRESSED", "accountguard.aws/root_mfa": "RESOLVED"}
