# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.root_credentials (module and action plugin).

Runs with the credentials that may call ``sts:AssumeRoot`` (the Organization's management account or the IAM
delegated administrator), never with the member account's own role. With ``account_id`` it audits that member
account's root credentials in an ``IAMAuditRootUserCredentials`` session and, unless in check mode, deletes the
kinds listed in ``remove`` in an ``IAMDeleteRootUserCredentials`` session. Without ``account_id`` it only reads
the caller's Organization and whether its root sessions are on (one read per run for the baseline role; with
``root_sessions: false`` only the Organization, for the Organization's control of a static inventory).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.accountguard.aws.plugins.module_utils import _credential_report as report
from ansible_collections.accountguard.aws.plugins.module_utils import _root_access as plan
from ansible_collections.accountguard.aws.plugins.module_utils._common import range_errors, utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import root as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._root import USAGE_WINDOW_RANGE
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlFailure,
    ControlSpec,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._sources import CREDENTIAL_REPORT

ARGUMENT_SPEC = dict(
    account_id=dict(type="str"),
    partition=dict(type="str", default="aws"),
    checks=dict(type="list", elements="str", choices=list(plan.ROOT_CONTROLS), default=list(plan.ROOT_CONTROLS)),
    remove=dict(type="list", elements="str", choices=list(plan.KINDS), default=[]),
    allow_inactive_keys=dict(type="bool", default=False),
    root_usage_window_days=dict(type="int", default=1),
    require_hardware_mfa=dict(type="bool", default=False),
    root_sessions=dict(type="bool", default=True),
    # Only the member account's credential report, as its account session read it: never read here (this module
    # runs with the management account's credentials, not the member's).
    account_sources=dict(type="dict"),
)
RANGES = {"root_usage_window_days": USAGE_WINDOW_RANGE}
ACCOUNT_ID_LENGTH = 12


def validate(params: dict) -> None:
    errors = range_errors(params, RANGES) + plan.kind_errors(params["remove"])
    account = params["account_id"]
    if account is not None and not (len(account) == ACCOUNT_ID_LENGTH and account.isdigit()):
        errors.append(f"account_id must be a 12-digit AWS account id, got {account!r}")
    if account is not None and not params["root_sessions"]:
        errors.append("root_sessions: false reads only the Organization, so it takes no account_id")
    if account is None and params["remove"]:
        errors.append("remove needs account_id: the member account whose root credentials go")
    fail_on_errors(errors)


def _cause(error: AnsibleAWSError) -> str:
    """The AWS error code and message of a failed call (never a secret: AWS puts none there)."""
    response = getattr(error.exception, "response", None) or {}
    details = response.get("Error") or {}
    code, message = details.get("Code"), details.get("Message")
    return f"{code}: {message}" if code else str(error)


def open_session(ctx, account_id: str, task_policy: str):
    """An IAM client of the member account's root, signed with a fresh AssumeRoot session of ``task_policy``."""
    try:
        credentials = gateway.assume_root(ctx.client("sts"), account_id, task_policy, plan.SESSION_SECONDS)
    except AnsibleAWSError as error:
        raise ControlFailure(
            f"{account_id}: sts:AssumeRoot with {task_policy.rsplit('/', 1)[-1]} was refused ({_cause(error)}). "
            "It needs the Organization's management account or the IAM delegated administrator as caller, trusted "
            "access for iam.amazonaws.com with the RootCredentialsManagement and RootSessions features on, and a "
            "member account (never the management account) as target",
            root_session=False,
        ) from None
    return ctx.session_client("iam", credentials)


def report_usage(sources: dict | None) -> dict | None:
    """The credential report's <root_account> row and its time, when the account session handed the report
    over (read anyway by the run's other controls); None when it did not, or it has no root row."""
    source = (sources or {}).get(CREDENTIAL_REPORT)
    if not isinstance(source, dict):
        return None
    rows, generated_time = report.from_source(source)
    row = report.root_row(rows)
    return {"row": row, "generated_time": generated_time} if row is not None else None


def read_state(iam, checks, usage_report: dict | None = None) -> dict:
    """The live root credentials: one read per credential kind. When root_usage is checked and no credential
    report is at hand, also one GetAccessKeyLastUsed per root key and one GetUser when root has a password."""
    live_usage = "root_usage" in checks and usage_report is None
    keys = gateway.list_root_access_keys(iam)
    last_used = {}
    if live_usage:
        last_used = {k["AccessKeyId"]: gateway.root_access_key_last_used(iam, k["AccessKeyId"]) for k in keys}
    login_profile = gateway.get_root_login_profile(iam)
    user = gateway.get_root_user(iam) if live_usage and login_profile is not None else None
    devices = gateway.list_root_mfa_devices(iam)
    certificates = gateway.list_root_signing_certificates(iam)
    return plan.live_state(keys, last_used, login_profile, user, devices, certificates, report=usage_report)


def remove(iam, items: list[dict]) -> None:
    for item in items:
        kind, ident = item["kind"], item["id"]
        if kind == "access_keys":
            gateway.delete_root_access_key(iam, ident)
        elif kind == "signing_certificates":
            gateway.delete_root_signing_certificate(iam, ident)
        elif kind == "login_profile":
            gateway.delete_root_login_profile(iam)
        elif kind == "mfa_devices":
            gateway.deactivate_root_mfa_device(iam, ident)
            if item.get("delete_virtual"):
                gateway.delete_root_virtual_mfa_device(iam, ident)


ORGANIZATION_FIELDS = ("Id", "Arn", "MasterAccountId", "FeatureSet")


def read_features(ctx, root_sessions: bool = True) -> dict:
    """The caller's Organization (one DescribeOrganization: id, ARN, feature set, management account) and, with
    ``root_sessions``, whether its root sessions are on (ListOrganizationsFeatures); never fails. The Organization
    is read first, so its management account is known even where the features cannot be read."""
    features = {
        "root_sessions": False,
        "enabled_features": [],
        "organization_id": None,
        "management_account_id": None,
        "organization": None,
        "error": None,
    }
    try:
        organization = gateway.describe_organization(ctx.client("organizations"))
        if organization is None:
            features["error"] = "AWSOrganizationsNotInUseException: the caller's account is in no Organization"
            return features
        features["organization"] = {name: organization.get(name) for name in ORGANIZATION_FIELDS}
        features["organization_id"] = organization.get("Id")
        features["management_account_id"] = organization.get("MasterAccountId")
        if root_sessions:
            answer = gateway.list_organizations_features(ctx.client("iam"))
            features["enabled_features"] = sorted(answer["EnabledFeatures"])
            features["root_sessions"] = "RootSessions" in answer["EnabledFeatures"]
    except AnsibleAWSError as error:
        features["root_sessions"] = False
        features["error"] = _cause(error)
    return features


def run(ctx) -> dict:
    params = ctx.params
    validate(params)
    if params["account_id"] is None:
        features = read_features(ctx, params["root_sessions"])
        if features["error"] and params["root_sessions"]:
            ctx.warn(f"root sessions are treated as off: {features['error']}")
        return {"changed": False, "features": features}

    account = params["account_id"]
    resource = f"arn:{params['partition']}:iam::{account}:root"
    checks = params["checks"]
    usage_report = report_usage(params["account_sources"]) if "root_usage" in checks else None
    state = read_state(open_session(ctx, account, plan.AUDIT_TASK_POLICY), checks, usage_report)
    items = plan.removal_plan(state, params["remove"])
    after = plan.after_removal(state, items)
    if items and not ctx.check_mode:
        remove(open_session(ctx, account, plan.DELETE_TASK_POLICY), items)
    findings = plan.assess(
        state if ctx.check_mode else after,
        resource=resource,
        now=utcnow(),
        checks=checks,
        allow_inactive_keys=params["allow_inactive_keys"],
        usage_days=params["root_usage_window_days"],
        require_hardware_mfa=params["require_hardware_mfa"],
    )
    changed = plan.changed_controls(items)
    result = {
        "changed": bool(items),
        # The multi-control rule of the report and the drift gate: the controls checked (and any whose
        # credentials were removed), and those changed, by the kind of credential removed (KIND_CONTROLS).
        "controls": [cid for cid in plan.ROOT_CONTROLS if cid in checks or cid in changed],
        "changed_controls": changed,
        "root_session": True,
        "root": after if not ctx.check_mode else state,
        "removals": items,
        "findings": findings,
        "compliant": all(f["status"] == "pass" for f in findings),
    }
    if ctx.diff_mode:
        result["diff"] = {"before": state, "after": after}
    return result


SPEC = ControlSpec(name="root_credentials", argument_spec=ARGUMENT_SPEC, run=run)
