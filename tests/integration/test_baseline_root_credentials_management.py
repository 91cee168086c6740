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
    "baseline_console_access_enabled": False,
    "baseline_initial_access_keys_enabled": False,
    "baseline_support_role_enabled": False,
    "baseline_server_certificates_enabled": False,
    "baseline_group_permissions_enabled": False,
    "baseline_admin_policies_enabled": False,
    "baseline_cloudshell_access_enabled": False,
}


def demo_inventory(tmp_path):
    """inventories/demo (its management account is a host too), hosts named by account id."""
    dest = tmp_path / "demo"
    shutil.copytree(ROOT / "inventories" / "demo", dest)
    shutil.copy(ROOT / "inventories" / "demo-exceptions.yml", tmp_path / "demo-exceptions.yml")
    config = yaml.safe_load((dest / "organizations.yml").read_text())
    assert config["include_management_account"] is True
    config.update(hostname="id")
    (dest / "organizations.yml").write_text(yaml.safe_dump(config))
    return dest


def calls_per_account(emulator) -> Counter:
    """The emulator's requests per account, without the AssumeRole calls that hand a host its session."""
    return Counter(r["account_id"] for r in emulator.requests() if r["action"] != "AssumeRole")


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
    # the demo Organization without centralized root access: the apply enables it
    demo = emulator.seed_demo(centralized_root_access=False)
    management = demo["management_account_id"]
    members = [a["id"] for a in demo["accounts"]]
    inventory = demo_inventory(tmp_path)
    # once enabled, the demo inventory would remove the members' root credentials: not this test's subject
    keep_root = {"baseline_root_remove_credentials": []}

    emulator.clear_requests()
    check = run(
        emulator, tmp_path, inventory, "check", check=True, extra={f"baseline_{CONTROL}_enable": True, **keep_root}
    )
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

    apply = run(
        emulator, tmp_path, inventory, "apply", check=False, extra={f"baseline_{CONTROL}_enable": True, **keep_root}
    )
    assert apply.rc == 0, apply.stderr[-3000:]
    assert held(emulator) == (True, BOTH)
    by_account = cells(report_of(tmp_path, "apply"))
    assert by_account[management]["status"] == "changed"
    assert by_account[management]["findings"][0]["status"] == "pass"

    emulator.clear_requests()
    again = run(
        emulator, tmp_path, inventory, "again", check=False, extra={f"baseline_{CONTROL}_enable": True, **keep_root}
    )
    assert again.rc == 0, again.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    assert cells(report_of(tmp_path, "again"))[management]["status"] == "compliant"


def static_hosts(*accounts: str) -> dict:
    """Static inventory hosts named so that nothing tells the management account; the default (management)
    account works with the controller's credentials, every other account assumes its role."""
    role = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
    return {
        f"host{i}": {"aws_account_id": a}
        if a == DEFAULT_ACCOUNT_ID
        else {"aws_account_id": a, "baseline_role_arn": role.format(a)}
        for i, a in enumerate(accounts, start=1)
    }


def test_static_inventory_finds_the_management_account_with_one_read_per_run(emulator, tmp_path):
    org = emulator.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
    standalone = "999999999999"
    inventory = write_inventory(tmp_path / "static.yml", static_hosts(member, DEFAULT_ACCOUNT_ID, standalone))
    emulator.clear_requests()
    check = run(emulator, tmp_path, inventory, "static", check=True)
    assert check.rc == 0, check.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    by_account = cells(report_of(tmp_path, "static"))
    assert by_account[DEFAULT_ACCOUNT_ID]["status"] == "drift"
    for other in (member, standalone):
        # skipped without a call of their own, the reason naming the management account the run found
        reason = by_account[other]["reason"]
        assert by_account[other]["status"] == "skipped" and by_account[other]["findings"] == []
        assert f"account {other} is not the management account {DEFAULT_ACCOUNT_ID}" in reason, reason
        assert "aws_management_account: true" in reason
    # one DescribeOrganization for the run, with the controller's (the management account's) credentials
    describe = Counter(r["account_id"] for r in emulator.requests() if r["action"] == "DescribeOrganization")
    assert describe == Counter({DEFAULT_ACCOUNT_ID: 1})


def test_standalone_account_alone_reads_its_own_organization(emulator, tmp_path):
    """The controller's credentials are in no Organization: the run cannot tell, so each host asks in its own
    account, and an account in no Organization is skipped with AWS's answer, never a pass."""
    standalone = "999999999999"
    inventory = write_inventory(tmp_path / "solo.yml", static_hosts(standalone))
    emulator.clear_requests()
    check = run(emulator, tmp_path, inventory, "solo", check=True)
    assert check.rc == 0, check.stderr[-3000:]
    cell = cells(report_of(tmp_path, "solo"))[standalone]
    assert cell["status"] == "skipped" and "AWSOrganizationsNotInUseException" in cell["reason"]
    describe = Counter(r["account_id"] for r in emulator.requests() if r["action"] == "DescribeOrganization")
    assert describe == Counter({DEFAULT_ACCOUNT_ID: 1, standalone: 1})
    # an account in no Organization misses no management host: the run does not claim one was missing
    assert "management account" not in cell["reason"]


def control_cost(emulator, tmp_path, inventory, name, extra=None) -> Counter:
    """API calls per account that the control adds to a check run: the same run without it subtracted."""
    counts = {}
    for enabled in (False, True):
        emulator.clear_requests()
        flag = {f"baseline_{CONTROL}_enabled": enabled, **(extra or {})}
        result = run(emulator, tmp_path, inventory, f"{name}-{enabled}", check=True, extra=flag)
        assert result.rc == 0, result.stderr[-3000:]
        assert emulator.requests(writes_only=True) == []
        counts[enabled] = calls_per_account(emulator)
    cost = Counter(counts[True])
    cost.subtract(counts[False])
    return cost


def test_cost_per_account_organizations_inventory(emulator, tmp_path):
    """The demo Organization (centralized root access on) through the organizations inventory, root checks on as
    in a full baseline: the control costs a member account nothing and the management account its two reads (the
    Organization itself comes from the read once per run that the root checks make anyway)."""
    demo = emulator.seed_demo()
    management, members = demo["management_account_id"], [a["id"] for a in demo["accounts"]]
    cost = control_cost(
        emulator, tmp_path, demo_inventory(tmp_path), "org", extra={"baseline_root_account_enabled": True}
    )
    assert {a: cost[a] for a in [management, *members]} == {management: 2, **dict.fromkeys(members, 0)}


def test_cost_per_account_static_inventory(emulator, tmp_path):
    """A static inventory: one DescribeOrganization per run (counted in the management account, whose
    credentials the controller holds), then the management account's two reads; members and accounts of no
    Organization nothing."""
    demo = emulator.seed_demo()
    management, member = demo["management_account_id"], demo["accounts"][0]["id"]
    standalone = "999999999999"
    inventory = write_inventory(tmp_path / "static.yml", static_hosts(member, management, standalone))
    cost = control_cost(emulator, tmp_path, inventory, "static")
    assert {a: cost[a] for a in (management, member, standalone)} == {management: 3, member: 0, standalone: 0}


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
