# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The account's shared sources, read once per run and handed to every control that needs them.

The account session reads the sources the selected controls need (its ``sources`` option) and returns them
as plain data (``sources`` in its result); every other module accepts that data back through its
``account_sources`` option, so a run reads the credential report, the account summary, the password policy
and the virtual MFA list of an account once, whatever the number of controls. A module run on its own (no
``account_sources``) reads what it needs itself, through the same readers.

The data is JSON-safe (dates as ISO 8601 strings): it travels through Ansible variables and results.
"""

from __future__ import annotations

import json
from datetime import datetime

from ansible_collections.accountguard.aws.plugins.module_utils import _credential_report as report
from ansible_collections.accountguard.aws.plugins.module_utils import _policies as policies
from ansible_collections.accountguard.aws.plugins.module_utils._findings import account_root_arn
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import groups as groups_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import root as root_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import sts as sts_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import users as users_gateway

PASSWORD_POLICY = "password_policy"
CREDENTIAL_REPORT = "credential_report"
ACCOUNT_SUMMARY = "account_summary"
VIRTUAL_MFA_DEVICES = "virtual_mfa_devices"
GROUP_NAMES = "group_names"
AUTHORIZATION_DETAILS = "authorization_details"
ORGANIZATION = "organization"

# name -> function(ctx) that reads it through the gateway; other modules register theirs below.
READERS = {}


def _plain(value):
    """API data -> JSON-safe data (datetimes as ISO strings), recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _read_password_policy(ctx) -> dict:
    return {"policy": _plain(gateway.get_password_policy(ctx.client("iam")))}


def _read_credential_report(ctx) -> dict:
    """{"generated_time": ISO str, "content": CSV text}: one generate and one get when AWS has a report."""
    client = ctx.client("iam")
    max_wait = ctx.params.get("report_max_wait") or report.DEFAULT_MAX_WAIT
    response = report.poll_credential_report(
        lambda: gateway.generate_credential_report(client),
        lambda: gateway.get_credential_report(client),
        max_wait=max_wait,
    )
    return report.to_source(response)


def _read_account_summary(ctx) -> dict:
    """GetAccountSummary's SummaryMap (counts and flags, already JSON-safe)."""
    return gateway.get_account_summary(ctx.client("iam"))


# What the source keeps of a device: never Base32StringSeed or QRCodePNG, the MFA secret (AWS returns them only
# on creation, an emulator or a future API may list them), since the sources travel through task results.
DEVICE_FIELDS = ("SerialNumber", "EnableDate")
DEVICE_USER_FIELDS = ("UserName", "UserId", "Arn")


def _read_virtual_mfa_devices(ctx) -> list:
    """The assigned virtual MFA devices, ListVirtualMFADevices' shape limited to the serial, the enable date
    and the user's name, id and ARN (dates as ISO strings)."""
    devices = []
    for device in gateway.list_assigned_virtual_mfa_devices(ctx.client("iam")):
        kept = {name: device[name] for name in DEVICE_FIELDS if name in device}
        if device.get("User"):
            kept["User"] = {name: device["User"][name] for name in DEVICE_USER_FIELDS if name in device["User"]}
        devices.append(_plain(kept))
    return devices


# Users, groups and roles with their inline and attached policies, and the customer managed policies' default
# versions: one paginated GetAccountAuthorizationDetails, whatever the number of users or policies. AWS managed
# policies are left out (their documents are several megabytes per account; _policies knows the two it needs).
AUTHORIZATION_ENTITIES = ("User", "Group", "Role", "LocalManagedPolicy")


def _read_authorization_details(ctx) -> dict:
    """The principals and customer managed policy documents the policy checks and iam_users read
    (``_policies.reduce_details``), packed as one JSON text: ``{"format": "json", "content": text}``.

    A source travels through the session's result and the arguments and results of every task it is handed to.
    Ansible walks a nested value there (templating, argument validation, result copies) item by item: for the
    thousands of dicts of an account with 1,000 users that cost 1.3 CPU seconds per account (bench, scenario a),
    one string costs next to nothing, as the credential report's CSV text. ``AccountSources.get`` hands the
    decoded value to the checks.
    """
    answer = users_gateway.get_authorization_details(ctx.client("iam"), AUTHORIZATION_ENTITIES)
    reduced = policies.reduce_details(answer)
    return {"format": "json", "content": json.dumps(reduced, separators=(",", ":"), sort_keys=True)}


def _decode_authorization_details(value):
    """The packed source back as ``_policies.reduce_details`` made it; an unpacked one as it is."""
    if isinstance(value, dict) and value.get("format") == "json" and isinstance(value.get("content"), str):
        return json.loads(value["content"])
    return value


def _read_organization(ctx) -> dict:
    """{"organization": DescribeOrganization's Organization, or None when the account is in no Organization}.
    Any account of an Organization may read it; it names the management account (MasterAccountId)."""
    return {"organization": _plain(root_gateway.describe_organization(ctx.client("organizations")))}


READERS[PASSWORD_POLICY] = _read_password_policy
READERS[CREDENTIAL_REPORT] = _read_credential_report
READERS[ACCOUNT_SUMMARY] = _read_account_summary
READERS[VIRTUAL_MFA_DEVICES] = _read_virtual_mfa_devices
READERS[GROUP_NAMES] = lambda ctx: groups_gateway.list_group_names(ctx.client("iam"))
READERS[AUTHORIZATION_DETAILS] = _read_authorization_details
READERS[ORGANIZATION] = _read_organization
SOURCE_NAMES = tuple(READERS)
# name -> function(data) giving a source as the checks read it, for those that travel packed.
DECODERS = {AUTHORIZATION_DETAILS: _decode_authorization_details}

# Option of every module that can take the sources instead of reading them (doc fragment accountguard.aws.sources).
SOURCES_ARGUMENT_SPEC = dict(account_sources=dict(type="dict"))


class AccountSources:
    """The sources of one task's account: what ``account_sources`` brought, else read once through READERS."""

    def __init__(self, ctx):
        self._ctx = ctx
        self._data = dict(ctx.params.get("account_sources") or {})
        self._decoded = {}

    def has(self, name: str) -> bool:
        """Whether the task was handed the source (or already read it): getting it costs no call."""
        return name in self._data

    def get(self, name: str):
        """The source as the checks read it (decoded when it travels packed)."""
        if name not in self._decoded:
            decode = DECODERS.get(name, lambda value: value)
            self._decoded[name] = decode(self.raw(name))
        return self._decoded[name]

    def raw(self, name: str):
        """The source as it travels between tasks (read once through READERS when the task was not handed it)."""
        if name not in self._data:
            self._data[name] = READERS[name](self._ctx)
        return self._data[name]

    def _report_arns(self) -> list[str]:
        """The first ARN of the credential report the task was handed (never read for this): the header and the
        first row are enough, so a report of 1,000 users is not parsed for it."""
        shared = self._data.get(CREDENTIAL_REPORT)
        content = shared.get("content") if isinstance(shared, dict) else None
        if not isinstance(content, str):
            return []
        rows = report.parse_credential_report("\n".join(content.splitlines()[:2]))
        return [row["arn"] for row in rows if row.get("arn")]

    def read_all(self, names) -> dict:
        return {name: self.raw(name) for name in names}

    def root_arn(self, known_arns) -> str:
        """The account's root ARN, for account-level findings: from any ARN of the account already at hand (the
        caller's, or the credential report's when the task has it), else from GetCallerIdentity."""
        found = account_root_arn([*known_arns, *self._report_arns()])
        if found is None:
            found = account_root_arn([sts_gateway.get_caller_identity(self._ctx.client("sts"))["Arn"]])
        return found
