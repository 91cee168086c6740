# Copyright: (c) 2026, accountguard.aws maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: organizations
short_description: The accounts of an AWS Organization as inventory hosts
version_added: 0.1.0
description:
  - Lists the E(ACTIVE) accounts of an AWS Organization, one inventory host per account, so that one
    C(ansible-playbook) run applies the accountguard.aws baseline (or anything else) to every account.
  - Reads the Organization from the management account or a delegated administrator account with
    C(organizations:DescribeOrganization), C(organizations:ListRoots),
    C(organizations:ListOrganizationalUnitsForParent), C(organizations:ListAccountsForParent) and
    C(organizations:ListTagsForResource). The OU tree is walked once, so the number of calls grows with the
    number of OUs and pages, plus one tag call per candidate account; every paginated call is followed to the
    last page, and throttling is retried with jittered backoff.
  - The account state is read from the C(State) field and, where an endpoint still answers the retired
    C(Status) field only, from C(Status). Suspended, closed and pending-closure accounts are never hosts.
  - Each host gets the variables C(aws_account_id) (always a string; ids may start with 0),
    C(aws_account_name), C(aws_account_email), C(aws_account_arn), C(aws_ou_path) (for example
    C(Root/Workloads/Prod)), C(aws_ou_id), C(aws_account_tags), C(aws_management_account),
    C(baseline_role_arn) (built from O(role_name)) and C(ansible_connection=local).
  - Every host is a member of O(account_group), which also carries C(ansible_python_interpreter) set to the
    Python that runs Ansible, so that the modules find the controller's AWS SDK; override it in
    C(group_vars) if needed.
  - With O(ou_groups) each OU becomes a group nested like the OU tree (C(ou_root) > C(ou_workloads) >
    C(ou_workloads_prod)), so ordinary C(group_vars) files configure an OU and everything beneath it.
  - The configuration file must be named C(organizations.yml) or C(organizations.yaml), or end in
    C(.organizations.yml) or C(.organizations.yaml).
author:
  - accountguard.aws maintainers (@accountguard)
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    type: str
    required: true
    choices: [accountguard.aws.organizations]
  role_name:
    description:
      - Name of the IAM role, present in every member account, that the playbook assumes there; the host
        variable C(baseline_role_arn) becomes C(arn:<partition>:iam::<account id>:role/<role_name>).
      - May carry a path, for example V(security/BaselineAdmin).
      - Set to an empty string to set no C(baseline_role_arn), for example when every host gets an
        C(aws_profile) through O(compose).
    type: str
    default: OrganizationAccountAccessRole
  include_management_account:
    description:
      - Whether the management account itself is a host.
      - Off by default because AWS creates O(role_name) in member accounts only; the management account
        is then reached with the inventory's own credentials or O(management_account_role_name).
    type: bool
    default: false
  management_account_role_name:
    description:
      - Role to assume in the management account when O(include_management_account=true).
      - When unset, the management account's host gets no C(baseline_role_arn) and runs with the
        credentials of the controller.
    type: str
  include_ou_paths:
    description:
      - Only accounts in these OUs, or beneath them, are hosts. Paths start at the root, for example
        V(Root/Workloads); shell-style wildcards are allowed (V(Root/*/Prod)).
      - OUs that cannot contain a match are not listed at all, which saves calls in large Organizations.
    type: list
    elements: str
    default: []
  exclude_ou_paths:
    description:
      - Accounts in these OUs, or beneath them, are left out; wins over O(include_ou_paths).
    type: list
    elements: str
    default: []
  include_account_ids:
    description:
      - Only these accounts are hosts. Quote the ids in YAML (V('012345678901')); numbers are refused because
        YAML drops leading zeros.
    type: list
    elements: raw
    default: []
  exclude_account_ids:
    description: Accounts left out; wins over O(include_account_ids).
    type: list
    elements: raw
    default: []
  include_tags:
    description:
      - Dictionary of tag key to value (or list of values). When set, only accounts carrying at least one
        of these tags are hosts.
    type: dict
    default: {}
  exclude_tags:
    description:
      - Dictionary of tag key to value (or list of values). An account carrying any of these tags is left
        out; wins over O(include_tags).
    type: dict
    default: {}
  fetch_tags:
    description:
      - Whether to read each candidate account's tags (one C(ListTagsForResource) call per account, the bulk
        of the calls in a large Organization).
      - With V(false), C(aws_account_tags) is empty and O(include_tags) / O(exclude_tags) cannot be used.
    type: bool
    default: true
  hostname:
    description:
      - How hosts are named.
      - V(name) is the account name in lower case with anything but letters, digits, C(_), C(.) and C(-)
        replaced by C(-) (C(Prod Payments) becomes C(prod-payments)). Account names need not be unique;
        colliding names get C(_<account id>) appended, with a warning.
      - V(id) is the account id. V(name_id) is the sanitised name, C(_) and the account id.
    type: str
    choices: [name, id, name_id]
    default: name
  account_group:
    description: Group that holds every account host and the connection variables.
    type: str
    default: aws_accounts
  ou_groups:
    description: Whether to create one group per OU, nested like the OU tree.
    type: bool
    default: true
  ou_group_prefix:
    description: Prefix of the OU group names.
    type: str
    default: ou_
notes:
  - Amazon Organizations is a global service; when no O(region) is configured V(us-east-1) is used to reach it.
  - Enable O(cache) for large Organizations; C(ansible-inventory --flush-cache) or O(cache_timeout) refresh it.
    Only account data is cached, never credentials.
  - Set C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true) in CI so that an unreadable Organization fails the run
    instead of leaving an empty inventory.
seealso:
  - name: AWS Organizations ListAccountsForParent
    description: The call that lists the accounts of one OU.
    link: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html
  - name: Multi-account guide
    description: Staged rollouts, forks, caching and per-OU configuration with this plugin.
    link: https://example.invalid/accountguard/aws/docs/multi-account.md
"""

EXAMPLES = r"""
---
# inventories/prod/organizations.yml - every active member account, in groups per OU
plugin: accountguard.aws.organizations
profile: org-management
exclude_tags:
  baseline: skip

---
# security.organizations.yml - only Workloads, reached through a delegated administrator,
# assuming a custom role in every account, cached for an hour
plugin: accountguard.aws.organizations
assume_role_arn: arn:aws:iam::210987654321:role/OrganizationsReadOnly
role_name: security/BaselineAdmin
include_ou_paths:
  - Root/Workloads
exclude_account_ids:
  - "012345678901"
hostname: name_id
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/accountguard-inventory
cache_timeout: 3600
keyed_groups:
  - key: aws_account_tags.environment | default('none')
    prefix: env
groups:
  canary: aws_account_tags.canary | default('') == 'true'
compose:
  aws_profile: "'acct-' ~ aws_account_id"
"""

import sys

try:
    import botocore
except ImportError:
    botocore = None  # AWSInventoryBase.require_aws_sdk reports the missing SDK before any use

from ansible.errors import AnsibleParserError
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.accountguard.aws.plugins.plugin_utils import _organizations as org

CACHE_SCHEMA = 1
CONFIG_NAMES = ("organizations.yml", "organizations.yaml")


class InventoryModule(AWSInventoryBase):
    NAME = "accountguard.aws.organizations"

    def __init__(self):
        super().__init__()
        self._pending_role_arn = None

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        base = path.replace("\\", "/").rsplit("/", 1)[-1]
        return base in CONFIG_NAMES or base.endswith(tuple("." + n for n in CONFIG_NAMES))

    # AWSInventoryBase assumes `assume_role_arn` while parsing; deferring it to the first client means a
    # run served from the cache makes no AWS call at all.
    def _set_frozen_credentials(self):
        self._pending_role_arn = self.get_option("assume_role_arn")

    def client(self, *args, **kwargs):
        if self._pending_role_arn:
            role_arn, self._pending_role_arn = self._pending_role_arn, None
            self._freeze_iam_role(role_arn)
        return super().client(*args, **kwargs)

    def _config(self):
        try:
            config = {
                "include_management_account": self.get_option("include_management_account"),
                "include_account_ids": org.validate_account_ids(
                    self.get_option("include_account_ids"), "include_account_ids"
                ),
                "exclude_account_ids": org.validate_account_ids(
                    self.get_option("exclude_account_ids"), "exclude_account_ids"
                ),
                "include_ou_paths": org.validate_ou_patterns(self.get_option("include_ou_paths"), "include_ou_paths"),
                "exclude_ou_paths": org.validate_ou_patterns(self.get_option("exclude_ou_paths"), "exclude_ou_paths"),
                "include_tags": org.validate_tag_filter(self.get_option("include_tags"), "include_tags"),
                "exclude_tags": org.validate_tag_filter(self.get_option("exclude_tags"), "exclude_tags"),
                "role_name": org.validate_role_name(self.get_option("role_name"), "role_name"),
                "management_role_name": org.validate_role_name(
                    self.get_option("management_account_role_name"), "management_account_role_name"
                ),
                "fetch_tags": self.get_option("fetch_tags"),
                "hostname": self.get_option("hostname"),
                "prefix": self.get_option("ou_group_prefix") or "",
            }
            if not config["fetch_tags"] and (config["include_tags"] or config["exclude_tags"]):
                raise org.OrganizationsConfigError("include_tags and exclude_tags need fetch_tags: true")
        except org.OrganizationsConfigError as e:
            raise AnsibleParserError(f"{self.NAME}: {e}") from e
        return config

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        config = self._config()

        hit, cached = self.get_cached_result(path, cache)
        if hit and isinstance(cached, dict) and cached.get("schema") == CACHE_SCHEMA:
            records = cached["accounts"]
        else:
            records = self._fetch(config)
            # An entry of another layout is replaced; update_cached_result keeps existing entries otherwise.
            self.update_cached_result(path, cache and not hit, {"schema": CACHE_SCHEMA, "accounts": records})
        self._populate(records, config)

    def _fetch(self, config):
        retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["TooManyRequestsException"])
        client = self.client("organizations", region=self.region or "us-east-1", retry_decorator=retry)
        try:
            return self._read_organization(client, config)
        except is_boto3_error_code("AWSOrganizationsNotInUseException"):
            self.fail_aws(f"{self.NAME}: the credentials' account is not a member of an AWS Organization")
        except is_boto3_error_code("AccessDeniedException") as e:  # pylint: disable=duplicate-except
            self.fail_aws(
                f"{self.NAME}: access denied reading the Organization; use credentials of the management account "
                "or of a delegated administrator allowed organizations:Describe*/List* (AccessDeniedException)",
                exception=e,
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            code = getattr(e, "response", {}).get("Error", {}).get("Code", type(e).__name__)
            self.fail_aws(f"{self.NAME}: failed to list the Organization's accounts ({code})", exception=e)

    def _read_organization(self, client, config):
        organization = client.describe_organization(aws_retry=True)["Organization"]
        management_id = organization.get("MasterAccountId")
        include_paths, exclude_paths = config["include_ou_paths"], config["exclude_ou_paths"]

        def skip_subtree(path):
            return org.ou_path_matches(path, exclude_paths) or not org.ou_subtree_relevant(path, include_paths)

        def skip_accounts(path):
            return bool(include_paths) and not org.ou_path_matches(path, include_paths)

        entries = org.walk_organization(
            lambda: org.paginate(client.list_roots, "Roots", aws_retry=True),
            lambda parent: org.paginate(
                client.list_organizational_units_for_parent, "OrganizationalUnits", ParentId=parent, aws_retry=True
            ),
            lambda parent: org.paginate(client.list_accounts_for_parent, "Accounts", ParentId=parent, aws_retry=True),
            skip_subtree=skip_subtree,
            skip_accounts=skip_accounts,
        )
        records = []
        for entry in sorted(entries, key=lambda e: str(e["account"]["Id"])):
            record = org.normalise_account(entry, management_account_id=management_id)
            reason = org.pre_tag_reason(record, config)
            if reason is None and config["fetch_tags"]:
                tags = org.paginate(client.list_tags_for_resource, "Tags", ResourceId=record["id"], aws_retry=True)
                record["tags"] = {t["Key"]: t["Value"] for t in tags}
                reason = org.exclusion_reason(record, config)
            if reason:
                self.display.vvv(f"{self.NAME}: account {record['id']} ({record['name']}) left out: {reason}")
                continue
            records.append(record)
        return records

    def _populate(self, records, config):
        names, collisions = org.assign_hostnames(records, config["hostname"])
        if collisions:
            self.warn(
                f"{self.NAME}: several accounts share the host name(s) {', '.join(collisions)}; "
                "their hosts are named <name>_<account id>"
            )
        account_group = self.inventory.add_group(self.get_option("account_group"))
        # The Python running Ansible has boto3; interpreter discovery for a local host may pick one that has not.
        self.inventory.set_variable(account_group, "ansible_python_interpreter", sys.executable)
        strict = self.get_option("strict")
        for record in records:
            host = self.inventory.add_host(names[record["id"]], group=account_group)
            hostvars = org.host_vars(record, config["role_name"], config["management_role_name"])
            hostvars["ansible_connection"] = "local"
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if self.get_option("ou_groups"):
                self._add_ou_groups(host, record["ou_path"], config["prefix"])
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)

    def _add_ou_groups(self, host, ou_path, prefix):
        parent = None
        for path in org.ou_ancestry(ou_path):
            group = self.inventory.add_group(org.ou_group_name(path, prefix))
            if parent is not None:
                self.inventory.add_child(parent, group)
            parent = group
        self.inventory.add_child(parent, host)
