"""accountguard.aws.organizations against a fake Organizations client (no network, no emulator).

The plugin is loaded through Ansible's plugin loader and fed real config files, so option parsing,
Constructable and the inventory it builds are Ansible's own; only the AWS client is replaced.
"""

from __future__ import annotations

import pytest
import yaml

MGMT = "123456789012"
ARN = "arn:aws:organizations::123456789012:account/o-abc/{}"

OUS = {
    "r-root": [{"Id": "ou-work", "Name": "Workloads"}, {"Id": "ou-sand", "Name": "Sandbox"}],
    "ou-work": [{"Id": "ou-prod", "Name": "Prod"}, {"Id": "ou-dev", "Name": "Dev"}],
}


def _acct(acct_id, name, state="ACTIVE", status=None):
    acct = {"Id": acct_id, "Name": name, "Email": f"{acct_id}@example.com", "Arn": ARN.format(acct_id)}
    if state:
        acct["State"] = state
    acct["Status"] = status or ("ACTIVE" if state in (None, "ACTIVE") else "SUSPENDED")
    return acct


ACCOUNTS = {
    "r-root": [_acct(MGMT, "Management")],
    "ou-prod": [_acct("011111111111", "Prod Payments"), _acct("022222222222", "Prod Web")],
    "ou-dev": [_acct("033333333333", "Dev"), _acct("044444444444", "Dev Old", state="SUSPENDED")],
    "ou-sand": [
        _acct("055555555555", "Sandbox Alice"),
        _acct("066666666666", "Sandbox Bob", state=None),  # answers only the retired Status field
        _acct("077777777777", "Sandbox Closed", state=None, status="SUSPENDED"),
    ],
}
TAGS = {
    "011111111111": [{"Key": "env", "Value": "prod"}, {"Key": "canary", "Value": "true"}],
    "022222222222": [{"Key": "env", "Value": "prod"}],
    "055555555555": [{"Key": "baseline", "Value": "skip"}],
}


class FakeOrganizations:
    """Pages of two items, like a tiny AWS page size, to prove every NextToken is followed."""

    PAGE = 2

    def __init__(self):
        self.calls = []

    def _page(self, action, items, key, NextToken=None):
        self.calls.append(action)
        start = int(NextToken or 0)
        page = {key: items[start : start + self.PAGE]}
        if start + self.PAGE < len(items):
            page["NextToken"] = str(start + self.PAGE)
        return page

    def describe_organization(self, aws_retry=False):
        self.calls.append("DescribeOrganization")
        return {"Organization": {"Id": "o-abc", "MasterAccountId": MGMT}}

    def list_roots(self, aws_retry=False, **kw):
        return self._page("ListRoots", [{"Id": "r-root", "Name": "Root"}], "Roots", **kw)

    def list_organizational_units_for_parent(self, ParentId, aws_retry=False, **kw):
        return self._page("ListOrganizationalUnitsForParent", OUS.get(ParentId, []), "OrganizationalUnits", **kw)

    def list_accounts_for_parent(self, ParentId, aws_retry=False, **kw):
        return self._page("ListAccountsForParent", ACCOUNTS.get(ParentId, []), "Accounts", **kw)

    def list_tags_for_resource(self, ResourceId, aws_retry=False, **kw):
        return self._page("ListTagsForResource", TAGS.get(ResourceId, []), "Tags", **kw)


@pytest.fixture
def fake(monkeypatch, inventory_loader):
    from ansible_collections.amazon.aws.plugins.plugin_utils.base import AWSPluginBase

    client = FakeOrganizations()
    services = []

    def fake_client(self, service, retry_decorator=None, **kwargs):
        services.append(service)
        return client

    monkeypatch.setattr(AWSPluginBase, "client", fake_client)
    client.services = services
    return client


def _inventory(tmp_path, inventory_loader, config, name="test.organizations.yml"):
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader

    path = tmp_path / name
    path.write_text(yaml.safe_dump({"plugin": "accountguard.aws.organizations", **config}))
    plugin = inventory_loader.get("accountguard.aws.organizations")
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def _groups_of(inventory, host):
    return sorted(g.name for g in inventory.get_host(host).get_groups() if g.name != "all")


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("organizations.yml", True),
        ("organizations.yaml", True),
        ("prod.organizations.yml", True),
        ("prod.organizations.yaml", True),
        ("myorganizations.yml", False),
        ("organizations.json", False),
        ("hosts.yml", False),
        ("aws_ec2.yml", False),
    ],
)
def test_verify_file_accepts_only_the_documented_names(tmp_path, inventory_loader, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: accountguard.aws.organizations\n")
    assert inventory_loader.get("accountguard.aws.organizations").verify_file(str(path)) is accepted


def test_default_inventory(tmp_path, inventory_loader, fake):
    inventory = _inventory(tmp_path, inventory_loader, {"exclude_tags": {"baseline": "skip"}})

    # Management left out by default, both suspended accounts (State and retired Status) left out,
    # Sandbox Alice excluded by tag.
    assert sorted(inventory.hosts) == ["dev", "prod-payments", "prod-web", "sandbox-bob"]
    host = inventory.get_host("prod-payments").vars
    assert host["aws_account_id"] == "011111111111"
    assert host["aws_account_name"] == "Prod Payments"
    assert host["aws_account_email"] == "011111111111@example.com"
    assert host["aws_ou_path"] == "Root/Workloads/Prod"
    assert host["aws_ou_id"] == "ou-prod"
    assert host["aws_account_tags"] == {"env": "prod", "canary": "true"}
    assert host["baseline_role_arn"] == "arn:aws:iam::011111111111:role/OrganizationAccountAccessRole"
    assert host["ansible_connection"] == "local"
    assert inventory.get_host("sandbox-bob").vars["aws_ou_path"] == "Root/Sandbox"

    assert _groups_of(inventory, "prod-payments") == [
        "aws_accounts",
        "ou_root",
        "ou_workloads",
        "ou_workloads_prod",
    ]
    assert _groups_of(inventory, "dev") == ["aws_accounts", "ou_root", "ou_workloads", "ou_workloads_dev"]
    assert "ansible_python_interpreter" in inventory.groups["aws_accounts"].vars


def test_every_page_is_read(tmp_path, inventory_loader, fake):
    _inventory(tmp_path, inventory_loader, {})
    # ou-sand holds three accounts: two pages; the root lists two OUs plus nothing more.
    assert fake.calls.count("ListAccountsForParent") == 6  # r-root, ou-work, ou-prod, ou-dev, ou-sand x2
    assert fake.calls.count("ListOrganizationalUnitsForParent") == 5
    # Tags are read for candidate accounts only (not for suspended ones nor the management account).
    assert fake.calls.count("ListTagsForResource") == 5
    assert set(fake.services) == {"organizations"}


def test_include_and_exclude_filters(tmp_path, inventory_loader, fake):
    inventory = _inventory(
        tmp_path,
        inventory_loader,
        {
            "include_ou_paths": ["Root/Workloads"],
            "exclude_ou_paths": ["Root/Workloads/Dev"],
            "exclude_account_ids": ["022222222222"],
            "hostname": "id",
        },
    )
    assert sorted(inventory.hosts) == ["011111111111"]
    # Only Workloads and Prod are listed: the root's own accounts do not match, the Sandbox subtree cannot,
    # and Dev is pruned by exclude_ou_paths.
    assert fake.calls.count("ListAccountsForParent") == 2


def test_include_tags_and_management_account(tmp_path, inventory_loader, fake):
    inventory = _inventory(
        tmp_path,
        inventory_loader,
        {"include_management_account": True, "management_account_role_name": "BaselineAdmin", "hostname": "name_id"},
    )
    mgmt = inventory.get_host(f"management_{MGMT}").vars
    assert mgmt["aws_management_account"] is True
    assert mgmt["baseline_role_arn"] == f"arn:aws:iam::{MGMT}:role/BaselineAdmin"
    assert _groups_of(inventory, f"management_{MGMT}") == ["aws_accounts", "ou_root"]

    inventory = _inventory(tmp_path, inventory_loader, {"include_tags": {"env": "prod"}})
    assert sorted(inventory.hosts) == ["prod-payments", "prod-web"]


def test_role_name_empty_sets_no_role(tmp_path, inventory_loader, fake):
    inventory = _inventory(tmp_path, inventory_loader, {"role_name": "", "include_account_ids": ["033333333333"]})
    assert sorted(inventory.hosts) == ["dev"]
    assert "baseline_role_arn" not in inventory.get_host("dev").vars


def test_fetch_tags_false_reads_no_tags(tmp_path, inventory_loader, fake):
    inventory = _inventory(tmp_path, inventory_loader, {"fetch_tags": False})
    assert "ListTagsForResource" not in fake.calls
    assert "sandbox-alice" in inventory.hosts  # not excluded: its tags were never read
    assert inventory.get_host("prod-payments").vars["aws_account_tags"] == {}


def test_constructable(tmp_path, inventory_loader, fake):
    inventory = _inventory(
        tmp_path,
        inventory_loader,
        {
            "ou_groups": False,
            "account_group": "accounts",
            "keyed_groups": [{"key": "aws_account_tags.env | default('none')", "prefix": "env"}],
            "groups": {"canary": "aws_account_tags.canary | default('') == 'true'"},
            "compose": {"aws_profile": "'acct-' ~ aws_account_id"},
        },
    )
    assert _groups_of(inventory, "prod-payments") == ["accounts", "canary", "env_prod"]
    assert _groups_of(inventory, "dev") == ["accounts", "env_none"]
    assert inventory.get_host("dev").vars["aws_profile"] == "acct-033333333333"
    assert not [g for g in inventory.groups if g.startswith("ou_")]


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"exclude_account_ids": [12345678901]}, "quoted string"),
        ({"include_account_ids": ["1234"]}, "12-digit"),
        ({"include_ou_paths": ["Workloads/Prod"]}, "must start with 'Root/'"),
        ({"exclude_tags": {"baseline": None}}, "exclude_tags"),
        ({"role_name": "arn:aws:iam::111111111111:role/X"}, "role_name"),
        ({"fetch_tags": False, "exclude_tags": {"baseline": "skip"}}, "need fetch_tags"),
    ],
)
def test_bad_configuration_fails_before_any_call(tmp_path, inventory_loader, fake, config, fragment):
    from ansible.errors import AnsibleParserError

    with pytest.raises(AnsibleParserError, match=fragment):
        _inventory(tmp_path, inventory_loader, config)
    assert fake.calls == []


def test_colliding_account_names_get_the_id(tmp_path, inventory_loader, fake, monkeypatch):
    monkeypatch.setitem(ACCOUNTS, "ou-dev", [_acct("033333333333", "Prod Web")])
    inventory = _inventory(tmp_path, inventory_loader, {"include_ou_paths": ["Root/Workloads"]})
    assert sorted(inventory.hosts) == ["prod-payments", "prod-web_022222222222", "prod-web_033333333333"]


def test_assume_role_is_deferred_until_aws_is_needed(tmp_path, inventory_loader, fake, monkeypatch):
    from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

    assumed = []
    monkeypatch.setattr(AWSInventoryBase, "_freeze_iam_role", lambda self, arn: assumed.append(arn))
    role = "arn:aws:iam::210987654321:role/OrganizationsReadOnly"
    _inventory(tmp_path, inventory_loader, {"assume_role_arn": role})
    assert assumed == [role]


def _cached_parse(tmp_path, inventory_loader):
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader

    path = tmp_path / "organizations.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "plugin": "accountguard.aws.organizations",
                "cache": True,
                "cache_plugin": "ansible.builtin.jsonfile",
                "cache_connection": str(tmp_path / "cache"),
            }
        )
    )
    plugin = inventory_loader.get("accountguard.aws.organizations")
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=True)
    plugin.update_cache_if_changed()  # what InventoryManager does after parse
    return inventory, plugin, path


def test_cache_serves_the_next_parse_and_replaces_an_entry_of_another_layout(tmp_path, inventory_loader, fake):
    first = _cached_parse(tmp_path, inventory_loader)[0]
    calls = len(fake.calls)
    assert calls

    second, plugin, path = _cached_parse(tmp_path, inventory_loader)
    assert sorted(second.hosts) == sorted(first.hosts)
    assert len(fake.calls) == calls

    # An entry written by an older plugin version is refetched and overwritten, not kept forever.
    plugin._cache[plugin.get_cache_key(str(path))] = {"schema": 0, "accounts": []}
    plugin.update_cache_if_changed()
    third = _cached_parse(tmp_path, inventory_loader)[0]
    assert sorted(third.hosts) == sorted(first.hosts)
    refetched = len(fake.calls)
    assert refetched > calls
    _cached_parse(tmp_path, inventory_loader)
    assert len(fake.calls) == refetched
