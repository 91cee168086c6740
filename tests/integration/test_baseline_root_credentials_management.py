"""The baseline playbook's root_credentials_management control over an Organization (issue 14, part 1).

The control runs once per Organization, on its management account's host, whatever the inventory's source:
the organizations inventory plugin (which already knows which host is the management account) or a static
inventory (organizations:DescribeOrganization decides). Ground truth is what the emulator holds afterwards and
its request log; the report is read from its JSON file.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter

import yaml
from emulator import DEFAULT_ACCOUNT_ID
from helpers.ansible_run import ROOT, run_playbook, write_inventory

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
CONTROL = "root_credentials_management"
BOTH = ["RootCredentialsManagement", "RootSessions"]
# Only the session and this control: the other families are covered elsewhere (and cost time on a busy box).
ONLY_THIS = {
    "baseline_password_policy_enabled": False,
    "baseline_root_account_enabled": False,
    "baseline_user_mfa_enabled": False,
    "baseline_admin_group_enabled": False,
    "baseline_iam_users_enabled": False,
    "baseline_access_keys_enabled": False,
}


def demo_inventory(tmp_path):
    """inventories/demo with the management account as a host too (the demo itself leaves it out)."""
    dest = tmp_path / "demo"
    shutil.copytree(ROOT / "inventories" / "demo", dest)
    config = yaml.safe_load((dest / "organizations.yml").read_text())
    config.update(include_management_account=True, hostname="id")
    (dest / "organizations.yml").write_text(yaml.safe_dump(config))
    return dest


def report_of(tmp_path, name):
    return json.loads((tmp_path / name / "accountguard-report-latest.json").read_text())


def cells(report):
    return {a["account_id"]: a["controls"][CONTROL] for a in report["accounts"]}


def held(emulator):
    principals = emulator.client("organizations").list_aws_service_access_for_organization()
    trusted = "iam.amazonaws.com" in [p["ServicePrincipal"] for p in principals["EnabledServicePrincipals"]]
    features = emulator.client("iam").list_organizations_features()["EnabledFeatures"] if trusted else []
    return trusted, sorted(features)


def run(emulator, tmp_path, inventory, name, check, extra=None):
    env = {
        **emulator.env(),
        "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / name),
        "ACCOUNTGUARD_REPORT_FORMATS": "json",
        "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / "sts-cache"),
    }
    extra_vars = {**ONLY_THIS, "baseline_credentials_dir": str(tmp_path / "credentials"), **(extra or {})}
    return run_playbook(
        PLAYBOOK, inventory=inventory, extra_vars=extra_vars, check=check, diff=check, env=env, args=["-f", "4"]
    )


def test_demo_organization_check_then_enable_on_the_management_host_only(emulator, tmp_path):
    demo = emulator.seed_demo()
    management = demo["management_account_id"]
    members = [a["id"] for a in demo["accounts"]]
    inventory = demo_inventory(tmp_path)

    emulator.clear_requests()
    check = run(emulator, tmp_path, inventory, "check", check=True, extra={f"baseline_{CONTROL}_enable": True})
    assert check.rc == 0, check.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    report = report_of(tmp_path, "check")
    by_account = cells(report)
    assert set(by_account) == {management, *members}
    assert by_account[management]["status"] == "drift"
    (found,) = by_account[management]["findings"]
    assert found["status"] == "fail" and found["resource"].startswith("arn:aws:organizations::" + management)
    assert found["cis"] == ["cis-aws-7.0:2.1.1"]
    for member in members:
        assert by_account[member]["status"] == "skipped" and by_account[member]["findings"] == []
        assert by_account[member]["reason"].startswith("skipped: ") and member in by_account[member]["reason"]
    # the inventory plugin already knew the member accounts: no Organizations call from them at all
    organizations_calls = Counter(r["account_id"] for r in emulator.requests() if r["service"] == "organizations")
    assert set(organizations_calls) == {management}
    # the drift gate names the variable that would enable it
    management_account = next(a for a in report["accounts"] if a["account_id"] == management)
    fixes = {d["fix_variable"] for d in management_account["drift"] if d["control"] == CONTROL}
    assert fixes == {f"baseline_{CONTROL}_enable"}

    apply = run(emulator, tmp_path, inventory, "apply", check=False, extra={f"baseline_{CONTROL}_enable": True})
    assert apply.rc == 0, apply.stderr[-3000:]
    assert held(emulator) == (True, BOTH)
    by_account = cells(report_of(tmp_path, "apply"))
    assert by_account[management]["status"] == "changed"
    assert by_account[management]["findings"][0]["status"] == "pass"

    emulator.clear_requests()
    again = run(emulator, tmp_path, inventory, "again", check=False, extra={f"baseline_{CONTROL}_enable": True})
    assert again.rc == 0, again.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    assert cells(report_of(tmp_path, "again"))[management]["status"] == "compliant"


def test_static_inventory_finds_the_management_account_member_and_standalone_skip(emulator, tmp_path):
    org = emulator.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
    standalone = "999999999999"
    role = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
    inventory = write_inventory(
        tmp_path / "static.yml",
        {
            # the host names say nothing: only DescribeOrganization tells the management account
            "first": {"aws_account_id": member, "baseline_role_arn": role.format(member)},
            "second": {"aws_account_id": DEFAULT_ACCOUNT_ID},
            "third": {"aws_account_id": standalone, "baseline_role_arn": role.format(standalone)},
        },
    )
    emulator.clear_requests()
    check = run(emulator, tmp_path, inventory, "static", check=True)
    assert check.rc == 0, check.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    by_account = cells(report_of(tmp_path, "static"))
    assert by_account[DEFAULT_ACCOUNT_ID]["status"] == "drift"
    assert by_account[member]["status"] == "skipped" and DEFAULT_ACCOUNT_ID in by_account[member]["reason"]
    assert by_account[standalone]["status"] == "skipped"
    assert "AWSOrganizationsNotInUseException" in by_account[standalone]["reason"]
    # one DescribeOrganization per account that the inventory could not tell about
    describe = Counter(r["account_id"] for r in emulator.requests() if r["action"] == "DescribeOrganization")
    assert describe == Counter({DEFAULT_ACCOUNT_ID: 1, member: 1, standalone: 1})


def test_a_run_without_the_management_account_says_so_never_a_pass(emulator, tmp_path):
    org = emulator.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
    arn = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    inventory = write_inventory(
        tmp_path / "members.yml", {"member": {"aws_account_id": member, "baseline_role_arn": arn}}
    )
    result = run(emulator, tmp_path, inventory, "members", check=True)
    assert result.rc == 0, result.stderr[-3000:]
    cell = cells(report_of(tmp_path, "members"))[member]
    assert cell["status"] == "skipped" and cell["findings"] == []
    assert "no host of this run is the Organization's management account" in cell["reason"]
    assert "no host of this run is the Organization's management account" in result.stderr
