"""accountguard.aws.organizations against an emulated AWS Organization, through the real ansible-inventory.

Ground truth is the Organization built here with boto3; the plugin's view is ansible-inventory's output
and the emulator's request log.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import yaml
from helpers.ansible_run import BIN, ROOT, ansible_env

EXAMPLE = ROOT / "inventories" / "example"


def create_organization(emulator, layout):
    """Build an Organization: layout is [(ou_path, account_name, tags, closed)] (ou_path from 'Root').

    Returns {account_name: account_id}.
    """
    orgs = emulator.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    ou_ids = {"Root": orgs.list_roots()["Roots"][0]["Id"]}

    def ou(path):
        if path not in ou_ids:
            parent, name = path.rsplit("/", 1)
            ou_ids[path] = orgs.create_organizational_unit(ParentId=ou(parent), Name=name)["OrganizationalUnit"]["Id"]
        return ou_ids[path]

    ids = {}
    for i, (path, name, tags, closed) in enumerate(layout):
        status = orgs.create_account(
            AccountName=name,
            Email=f"aws+{i}@example.com",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["CreateAccountStatus"]
        acct = status["AccountId"]
        if path != "Root":
            orgs.move_account(AccountId=acct, SourceParentId=ou_ids["Root"], DestinationParentId=ou(path))
        if closed:
            orgs.close_account(AccountId=acct)
        ids[name] = acct
    return ids


# Three OUs (Workloads, Workloads/Prod, Sandbox), ten member accounts: one closed, one tagged baseline=skip.
LAYOUT = [
    ("Root/Workloads/Prod", "Prod Payments", {"environment": "prod", "canary": "true"}, False),
    ("Root/Workloads/Prod", "Prod Web", {"environment": "prod"}, False),
    ("Root/Workloads/Prod", "Prod Data", {"environment": "prod"}, False),
    ("Root/Workloads", "Staging", {"environment": "staging"}, False),
    ("Root/Workloads", "Dev", {}, False),
    ("Root/Sandbox", "Sandbox Alice", {}, False),
    ("Root/Sandbox", "Sandbox Bob", {}, False),
    ("Root/Sandbox", "Break Glass", {"baseline": "skip"}, False),
    ("Root", "Log Archive", {}, False),
    ("Root", "Old Project", {}, True),
]
EXPECTED_HOSTS = {
    "prod-payments": "Root/Workloads/Prod",
    "prod-web": "Root/Workloads/Prod",
    "prod-data": "Root/Workloads/Prod",
    "staging": "Root/Workloads",
    "dev": "Root/Workloads",
    "sandbox-alice": "Root/Sandbox",
    "sandbox-bob": "Root/Sandbox",
    "log-archive": "Root",
}


def _plain(value):
    """ansible-inventory marks values that are not trusted as templates; the tests want the data."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def ansible_inventory(emulator, source, *args):
    env = ansible_env(emulator.env(), json_output=False)
    env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "true"
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(source), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def inventory_list(emulator, source, *args):
    return _plain(json.loads(ansible_inventory(emulator, source, "--list", *args)))


def example_copy(tmp_path, **overrides):
    """inventories/example with caching off (tests must not write to ~/.cache) plus overrides."""
    dest = tmp_path / "example"
    shutil.copytree(EXAMPLE, dest)
    config = yaml.safe_load((dest / "organizations.yml").read_text())
    for key in ("cache", "cache_plugin", "cache_connection", "cache_timeout"):
        config.pop(key, None)
    config.update(overrides)
    (dest / "organizations.yml").write_text(yaml.safe_dump(config))
    return dest


def children(data, group):
    return set(data.get(group, {}).get("children", []))


def hosts_of(data, group):
    return set(data.get(group, {}).get("hosts", []))


def test_example_inventory_lists_the_active_accounts_with_vars_and_groups(emulator, tmp_path):
    ids = create_organization(emulator, LAYOUT)
    source = example_copy(tmp_path)
    emulator.clear_requests()

    data = inventory_list(emulator, source)
    hostvars = data["_meta"]["hostvars"]

    # Ten member accounts: the closed one and the one tagged baseline=skip are left out, as is the management
    # account (include_management_account: false).
    assert set(hostvars) == set(EXPECTED_HOSTS)
    for host, ou_path in EXPECTED_HOSTS.items():
        hv = hostvars[host]
        name = next(n for n in ids if n.lower().replace(" ", "-") == host)
        assert hv["aws_account_id"] == ids[name]
        assert isinstance(hv["aws_account_id"], str)
        assert hv["aws_account_name"] == name
        assert hv["aws_account_email"].endswith("@example.com")
        assert hv["aws_ou_path"] == ou_path
        assert hv["baseline_role_arn"] == f"arn:aws:iam::{ids[name]}:role/OrganizationAccountAccessRole"
        assert hv["ansible_connection"] == "local"
    assert hostvars["prod-payments"]["aws_account_tags"] == {"environment": "prod", "canary": "true"}

    # OU groups nest like the OU tree; hosts sit in their own OU's group.
    assert children(data, "ou_root") >= {"ou_workloads", "ou_sandbox"}
    assert "ou_workloads_prod" in children(data, "ou_workloads")
    assert hosts_of(data, "ou_workloads_prod") == {"prod-payments", "prod-web", "prod-data"}
    assert hosts_of(data, "ou_workloads") == {"staging", "dev"}
    assert hosts_of(data, "ou_sandbox") == {"sandbox-alice", "sandbox-bob"}
    assert hosts_of(data, "ou_root") == {"log-archive"}
    assert hosts_of(data, "aws_accounts") == set(EXPECTED_HOSTS)
    # keyed_groups and groups of the example
    assert hosts_of(data, "canary") == {"prod-payments"}
    assert hosts_of(data, "env_prod") == {"prod-payments", "prod-web", "prod-data"}

    # Per-OU configuration through group_vars: Prod (and beneath) is stricter than the rest.
    assert hostvars["prod-web"]["baseline_password_policy"]["minimum_password_length"] == 20
    assert hostvars["prod-web"]["baseline_root_require_hardware_mfa"] is True
    assert "baseline_password_policy" not in hostvars["dev"]
    assert hostvars["sandbox-bob"]["baseline_access_key_max_active"] == 2
    assert hostvars["dev"]["baseline_users"][0]["name"] == "alice"

    # Read-only, and only in the management account.
    calls = emulator.requests()
    assert calls
    assert {c["account_id"] for c in calls} == {"123456789012"}
    assert not [c for c in calls if c["write"]]
    # Tags are read for candidate accounts only: not for the closed one nor the management account.
    assert sum(c["action"] == "ListTagsForResource" for c in calls) == 9

    graph = ansible_inventory(emulator, source, "--graph")
    assert "@ou_workloads_prod:" in graph
    assert "|--prod-payments" in graph


def test_pagination_is_followed_to_the_last_page(emulator, tmp_path):
    layout = [("Root/Workloads", f"Team {i:02d}", {}, False) for i in range(25)]
    ids = create_organization(emulator, layout)
    emulator.set_page_size("organizations:ListAccounts", 20)
    config = tmp_path / "big.organizations.yml"
    config.write_text(yaml.safe_dump({"plugin": "accountguard.aws.organizations", "hostname": "id"}))
    emulator.clear_requests()

    hostvars = inventory_list(emulator, config)["_meta"]["hostvars"]

    assert set(hostvars) == set(ids.values())
    assert len(hostvars) == 25
    pages = [c for c in emulator.requests() if c["action"] == "ListAccountsForParent"]
    assert len(pages) == 3  # Root (the management account only) + Workloads in two pages of at most 20


def test_inventory_cache_serves_the_second_run_without_calls(emulator, tmp_path):
    create_organization(emulator, LAYOUT[:3])
    config = tmp_path / "organizations.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "plugin": "accountguard.aws.organizations",
                "cache": True,
                "cache_plugin": "ansible.builtin.jsonfile",
                "cache_connection": str(tmp_path / "cache"),
                "cache_timeout": 600,
            }
        )
    )
    emulator.clear_requests()
    first = inventory_list(emulator, config)["_meta"]["hostvars"]
    assert emulator.requests()
    assert set(first) == {"prod-payments", "prod-web", "prod-data"}

    emulator.clear_requests()
    second = inventory_list(emulator, config)["_meta"]["hostvars"]
    assert second == first
    assert emulator.requests() == []  # not even sts: a cached run needs no AWS at all

    # A new account shows up once the cache is flushed.
    orgs = emulator.client("organizations")
    orgs.create_account(AccountName="Newcomer", Email="new@example.com")
    assert set(inventory_list(emulator, config)["_meta"]["hostvars"]) == set(first)
    refreshed = inventory_list(emulator, config, "--flush-cache")["_meta"]["hostvars"]
    assert set(refreshed) == set(first) | {"newcomer"}


def test_bad_configuration_fails_clearly_without_calls(emulator, tmp_path):
    # One case end to end; the unit tests hold the table of bad values.
    path = tmp_path / "organizations.yml"
    path.write_text(yaml.safe_dump({"plugin": "accountguard.aws.organizations", "exclude_account_ids": [12345678901]}))
    env = ansible_env(emulator.env(), json_output=False)
    env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "true"
    emulator.clear_requests()
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "exclude_account_ids" in proc.stderr and "quoted string" in proc.stderr
    assert emulator.requests() == []


def test_documentation_renders():
    proc = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "inventory", "accountguard.aws.organizations"],
        cwd=ROOT,
        env=ansible_env(json_output=False),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "exclude_tags" in proc.stdout
    assert "OrganizationAccountAccessRole" in proc.stdout


def test_throttling_is_retried_and_nothing_is_lost(emulator, tmp_path):
    ids = create_organization(emulator, LAYOUT[:4])
    config = tmp_path / "organizations.yml"
    config.write_text(yaml.safe_dump({"plugin": "accountguard.aws.organizations", "hostname": "id"}))
    emulator.set_page_size("organizations:ListAccounts", 2)
    emulator.set_faults(
        rate=0.3,
        kinds=["throttling"],
        actions=["organizations:ListAccountsForParent", "organizations:ListTagsForResource"],
        seed=4,
    )
    emulator.clear_requests()

    hostvars = inventory_list(emulator, config)["_meta"]["hostvars"]

    assert set(hostvars) == set(ids.values())
    assert hostvars[ids["Prod Payments"]]["aws_account_tags"] == {"environment": "prod", "canary": "true"}
    assert [c for c in emulator.requests() if c.get("fault") == "throttling"]  # the faults did happen
