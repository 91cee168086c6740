"""accountguard.aws.iam_account_check (support_role, server_certificates) against the local AWS emulator.

The module's other two controls (security_contact, access_analyzer) have their own tests
(test_security_contact_access_analyzer.py); the module tests here select these two.

Ground truth is what the emulator holds afterwards (boto3); check mode is proved by zero writes in the request
log; the baseline's verdicts are read from the report JSON of a check run.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from helpers.ansible_run import run_module, run_playbook, write_inventory

MODULE = "accountguard.aws.iam_account_check"
ACCOUNT = "123456789012"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
FRONT_ENDS = {"controller": {}, "module": {"ACCOUNTGUARD_CONTROLLER_EXECUTION": "false"}}
SUPPORT_POLICY = "arn:aws:iam::aws:policy/AWSSupportAccess"
TRUSTED = "arn:aws:iam::111122223333:role/SecurityAdmins"
DECLARED = {"name": "AWSSupportRole", "trusted_principals": [TRUSTED, "444455556666"]}
PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "baseline.yml"


def run(emulator, check=False, diff=False, env=None, **args):
    args.setdefault("controls", ["support_role", "server_certificates"])
    return run_module(MODULE, args, check=check, diff=diff, env=(env or emulator.env()) | LOCAL_PYTHON)


def trust(*principals) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def arrange(emulator, account=ACCOUNT) -> None:
    """An expired and a valid server certificate, and a role without AWSSupportAccess (never to be touched)."""
    iam = emulator.client("iam", account)
    emulator.upload_server_certificate(account, "old-site", not_after_days=-30)
    emulator.upload_server_certificate(account, "new-site", not_after_days=200, path="/cloudfront/")
    iam.create_role(RoleName="Other", AssumeRolePolicyDocument=json.dumps(trust("arn:aws:iam::999988887777:root")))


@pytest.fixture
def arranged(emulator):
    arrange(emulator)
    emulator.clear_requests()
    return emulator


def verdicts(result) -> list[tuple[str, str, str]]:
    return sorted((f["id"], f["status"], f["resource"].rsplit(":", 1)[-1]) for f in result["findings"])


def certificate_names(iam) -> set[str]:
    return {c["ServerCertificateName"] for c in iam.list_server_certificates()["ServerCertificateMetadataList"]}


def roles_with_support_policy(iam) -> list[str]:
    entities = iam.list_entities_for_policy(PolicyArn=SUPPORT_POLICY, EntityFilter="Role")
    return [r["RoleName"] for r in entities["PolicyRoles"]]


def test_a_check_reads_each_control_with_one_call(arranged):
    result = run(arranged)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["compliant"] is False
    assert verdicts(result) == [
        ("server_certificates", "fail", "server-certificate/old-site"),
        ("server_certificates", "pass", "server-certificate/cloudfront/new-site"),
        ("support_role", "fail", "root"),
    ]
    expired = next(f for f in result["findings"] if f["status"] == "fail" and f["id"] == "server_certificates")
    assert "(30 days ago)" in expired["message"]
    assert "cis-aws-3.0:1.19" in expired["cis"] and "cis-aws-5.0:1.18" in expired["cis"]
    # The certificates' ARNs name the account: no GetCallerIdentity, one call per control.
    assert Counter(r["action"] for r in arranged.requests()) == Counter(
        {"ListEntitiesForPolicy": 1, "ListServerCertificates": 1}
    )
    assert result["deleted_server_certificates"] == []


def test_check_mode_names_what_would_change_and_writes_nothing(arranged):
    iam = arranged.client("iam")
    result = run(arranged, check=True, diff=True, support_role=DECLARED, delete_expired_server_certificates=True)
    assert result["changed"] is True
    assert result["changed_controls"] == ["support_role", "server_certificates"]
    assert result["deleted_server_certificates"] == ["old-site"]
    assert result["support_role"]["declared"] == {
        "role_name": "AWSSupportRole",
        "created": True,
        "policy_attached": True,
        "trust_policy_updated": False,
    }
    assert result["diff"]["before"] == {"support_role": None, "server_certificates": ["old-site", "new-site"]}
    assert result["diff"]["after"]["server_certificates"] == ["new-site"]
    assert result["diff"]["after"]["support_role"]["trust_policy"]["Statement"][0]["Principal"] == {
        "AWS": [TRUSTED, "arn:aws:iam::444455556666:root"]
    }
    # findings are the drift found
    assert ("support_role", "fail", "root") in verdicts(result)
    assert ("server_certificates", "fail", "server-certificate/old-site") in verdicts(result)
    assert arranged.requests(writes_only=True) == []
    assert certificate_names(iam) == {"old-site", "new-site"}
    assert roles_with_support_policy(iam) == []


def test_apply_creates_the_role_deletes_only_expired_certificates_and_is_idempotent(arranged):
    iam = arranged.client("iam")
    other_before = iam.get_role(RoleName="Other")["Role"]
    result = run(arranged, support_role=DECLARED, delete_expired_server_certificates=True)
    assert result["changed"] is True and result["compliant"] is True, result
    assert verdicts(result) == [
        ("server_certificates", "pass", "server-certificate/cloudfront/new-site"),
        ("support_role", "pass", "root"),
    ]
    # read back
    assert certificate_names(iam) == {"new-site"}
    assert roles_with_support_policy(iam) == ["AWSSupportRole"]
    role = iam.get_role(RoleName="AWSSupportRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == [
        TRUSTED,
        "arn:aws:iam::444455556666:root",
    ]
    assert iam.get_role(RoleName="Other")["Role"] == other_before
    assert iam.list_attached_role_policies(RoleName="Other")["AttachedPolicies"] == []

    arranged.clear_requests()
    again = run(arranged, support_role=DECLARED, delete_expired_server_certificates=True)
    assert again["changed"] is False and again["compliant"] is True
    assert arranged.requests(writes_only=True) == []


def test_a_role_of_the_declared_name_gets_the_policy_and_the_declared_trust(arranged):
    iam = arranged.client("iam")
    iam.create_role(
        RoleName="AWSSupportRole", AssumeRolePolicyDocument=json.dumps(trust("arn:aws:iam::999988887777:root"))
    )
    arranged.clear_requests()
    checked = run(arranged, check=True, diff=True, controls=["support_role"], support_role=DECLARED)
    assert checked["support_role"]["declared"]["trust_policy_updated"] is True
    assert checked["diff"]["before"]["support_role"]["trust_policy"]["Statement"][0]["Principal"] == {
        "AWS": ["arn:aws:iam::999988887777:root"]
    }
    assert arranged.requests(writes_only=True) == []

    applied = run(arranged, controls=["support_role"], support_role=DECLARED)
    assert applied["changed"] is True and "server_certificates" not in applied
    principals = iam.get_role(RoleName="AWSSupportRole")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert principals["Principal"]["AWS"] == [TRUSTED, "arn:aws:iam::444455556666:root"]
    assert roles_with_support_policy(iam) == ["AWSSupportRole"]
    writes = Counter(r["action"] for r in arranged.requests(writes_only=True))
    assert writes == Counter({"UpdateAssumeRolePolicy": 1, "AttachRolePolicy": 1})
    # certificates untouched when their control is not selected
    assert certificate_names(iam) == {"old-site", "new-site"}


@pytest.mark.parametrize(
    ("support_role", "words"),
    [
        ({"name": "AWSSupportRole", "trusted_principals": ["*"]}, "wildcards are refused"),
        ({"name": "AWSSupportRole", "trusted_principals": []}, "non-empty list"),
        ({"name": "bad name!", "trusted_principals": ["111122223333"]}, "support_role.name"),
    ],
)
def test_bad_input_fails_before_any_call(arranged, support_role, words):
    result = run(arranged, support_role=support_role)
    assert result["failed"] and words in result["msg"], result["msg"]
    assert arranged.requests() == []


def comparable(result: dict) -> dict:
    keys = ("changed", "compliant", "findings", "controls", "changed_controls", "deleted_server_certificates")
    out = {key: result.get(key) for key in keys}
    out["support_role"] = result.get("support_role")
    out["certificates"] = sorted((c["name"], c["expired"]) for c in result.get("server_certificates") or ())
    out["failed"], out["msg"] = bool(result.get("failed")), result.get("msg")
    return out


def test_front_ends_agree(emulator, tmp_path):
    tasks = [
        {"name": "check", MODULE: {}, "check_mode": True},
        {"name": "apply", MODULE: {"support_role": DECLARED, "delete_expired_server_certificates": True}},
        {"name": "again", MODULE: {"support_role": DECLARED, "delete_expired_server_certificates": True}},
        {"name": "bad", MODULE: {"support_role": {"name": "x", "trusted_principals": ["*"]}}, "ignore_errors": True},
    ]
    seen = {}
    for front_end, extra in FRONT_ENDS.items():
        emulator.reset()
        arrange(emulator)
        path = tmp_path / f"{front_end}.yml"
        path.write_text(
            yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}])
        )
        results = run_playbook(path, env=emulator.env() | LOCAL_PYTHON | extra).task_results()
        iam = emulator.client("iam")
        seen[front_end] = (
            [comparable(r) for r in results],
            certificate_names(iam),
            roles_with_support_policy(iam),
        )
    assert seen["controller"] == seen["module"]
    results, certificates, roles = seen["controller"]
    assert [r["changed"] for r in results[:3]] == [False, True, False]
    assert results[3]["failed"] and "wildcards are refused" in results[3]["msg"]
    assert certificates == {"new-site"} and roles == ["AWSSupportRole"]


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
    # failing account: an expired certificate, no support role; passing account: a valid certificate and a role
    # with AWSSupportAccess.
    emulator.upload_server_certificate(FAILING, "old-site", not_after_days=-5)
    emulator.upload_server_certificate(PASSING, "new-site", not_after_days=100)
    good = emulator.client("iam", PASSING)
    good.create_role(RoleName="Support", AssumeRolePolicyDocument=json.dumps(trust(f"arn:aws:iam::{PASSING}:root")))
    good.attach_role_policy(RoleName="Support", PolicyArn=SUPPORT_POLICY)
    emulator.clear_requests()

    _check, cells = baseline(emulator, tmp_path, "check", check=True)
    assert emulator.requests(writes_only=True) == []
    # Cost: one call per control per account, and no GetCallerIdentity beyond the account guard's (the account's
    # ARN comes from the certificates or the shared credential report).
    for account in (FAILING, PASSING):
        calls = Counter(r["action"] for r in emulator.requests(account))
        assert (calls["ListEntitiesForPolicy"], calls["ListServerCertificates"]) == (1, 1), calls
        assert calls["GetCallerIdentity"] == 1, calls
    for cid in ("support_role", "server_certificates"):
        assert cells[FAILING][cid]["status"] == "drift", cells[FAILING][cid]
        assert cells[PASSING][cid]["status"] == "compliant", cells[PASSING][cid]
    assert [f["status"] for f in cells[FAILING]["server_certificates"]["findings"]] == ["fail"]
    assert cells[FAILING]["server_certificates"]["findings"][0]["resource"].endswith(":server-certificate/old-site")
    assert [f["status"] for f in cells[PASSING]["support_role"]["findings"]] == ["pass"]
    assert "Support" in cells[PASSING]["support_role"]["findings"][0]["message"]

    # --check with the enforcement asked: drift named, still zero writes
    enforce = {
        "baseline_support_role": {"name": "AWSSupportRole", "trusted_principals": [FAILING]},
        "baseline_server_certificates_delete_expired": True,
    }
    emulator.clear_requests()
    checked, cells = baseline(emulator, tmp_path, "check-enforce", check=True, **enforce)
    assert emulator.requests(writes_only=True) == []
    gate = checked.task_results("failing")[-1]
    assert any("baseline_server_certificates_delete_expired" in str(d) for d in gate["drift"]), gate["drift"]
    assert cells[PASSING]["server_certificates"]["status"] == "compliant"

    applied, cells = baseline(emulator, tmp_path, "apply", check=False, **enforce)
    bad = emulator.client("iam", FAILING)
    assert certificate_names(bad) == set()
    assert roles_with_support_policy(bad) == ["AWSSupportRole"]
    # the passing account already had a support role; the declared one is added, the existing one untouched
    assert set(roles_with_support_policy(good)) == {"Support", "AWSSupportRole"}
    assert certificate_names(good) == {"new-site"}
    assert cells[FAILING]["support_role"]["status"] == "changed"
    assert cells[FAILING]["server_certificates"]["status"] == "changed"
    del applied


def test_a_bad_support_role_stops_the_baseline_before_any_call(emulator, tmp_path):
    hosts = {"failing": {"aws_account_id": FAILING, "baseline_role_arn": f"arn:aws:iam::{FAILING}:role/Any"}}
    inventory = write_inventory(
        tmp_path / "inventory.yml", hosts, baseline_support_role={"name": "Support", "trusted_principals": ["*"]}
    )
    result = run_playbook(PLAYBOOK, inventory=inventory, check=True, env=emulator.env())
    assert result.rc != 0
    failed = next(r for r in result.task_results("failing") if r.get("failed"))
    assert "baseline_support_role.trusted_principals" in failed["msg"] and "wildcards" in failed["msg"], failed
    assert emulator.requests() == []


def test_tags_select_one_of_the_two_controls(emulator, tmp_path):
    emulator.upload_server_certificate(FAILING, "old-site", not_after_days=-5)
    emulator.clear_requests()
    result, cells = baseline(
        emulator,
        tmp_path,
        "tags",
        check=False,
        args=["--tags", "server_certificates"],
        baseline_support_role={"name": "AWSSupportRole", "trusted_principals": [FAILING]},
        baseline_server_certificates_delete_expired=True,
    )
    task = next(r for r in result.task_results("failing") if r.get("controls") is not None)
    assert task["controls"] == ["server_certificates"]
    assert cells[FAILING]["server_certificates"]["status"] == "changed"
    assert cells[FAILING]["support_role"]["status"] == "skipped"
    iam = emulator.client("iam", FAILING)
    assert certificate_names(iam) == set()
    # the support role was not selected: not read, not created
    assert roles_with_support_policy(iam) == []
    assert "ListEntitiesForPolicy" not in {r["action"] for r in emulator.requests()}
