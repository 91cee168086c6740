# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.root_credentials_management (module and action plugin)."""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils import _root_credentials_management as plan
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import root as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import sts as sts_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlFailure,
    ControlSpec,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._session import ACCOUNT_ID_RE
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    ORGANIZATION,
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)

ARGUMENT_SPEC = dict(
    enable=dict(type="bool", default=False),
    account_id=dict(type="str"),
    management_account=dict(type="bool"),
    fail_on_noncompliance=dict(type="bool", default=False),
    **SOURCES_ARGUMENT_SPEC,
)


def _skipped(reason: str, placement: plan.Placement | None = None) -> dict:
    # A skipped task, as Ansible shows it: the control was not checked on this host, for the reason given.
    return {
        "changed": False,
        "skipped": True,
        "msg": reason,
        "placement": placement.role if placement else plan.MEMBER,
        "organization": _organization(placement) if placement and placement.organization_id else None,
    }


def _organization(placement: plan.Placement) -> dict:
    return {
        "id": placement.organization_id,
        "arn": placement.organization_arn,
        "management_account_id": placement.management_account_id,
        "feature_set": placement.feature_set,
    }


def _read_state(ctx) -> plan.State:
    """Trusted access for IAM, then (only when on: IAM refuses the read without it) the enabled features."""
    is_trusted = plan.trusted(gateway.list_aws_service_access(ctx.client("organizations")))
    features = gateway.list_organizations_features(ctx.client("iam"))["EnabledFeatures"] if is_trusted else []
    return plan.State(is_trusted, tuple(name for name in plan.FEATURES if name in features))


def _apply(ctx, to_do: plan.Plan) -> None:
    if to_do.enable_trusted_access:
        gateway.enable_aws_service_access(ctx.client("organizations"), plan.IAM_PRINCIPAL)
    iam = ctx.client("iam")
    for feature in to_do.enable_features:
        if feature == "RootCredentialsManagement":
            gateway.enable_root_credentials_management(iam)
        else:
            gateway.enable_root_sessions(iam)


def run(ctx) -> dict:
    params = ctx.params
    account_id = params["account_id"]
    if account_id is not None and not ACCOUNT_ID_RE.match(account_id):
        fail_on_errors(
            [f"account_id must be a 12-digit string (quote it in YAML to keep leading zeros), got {account_id!r}"]
        )
    if params["management_account"] is False:
        # The inventory (the organizations plugin) or the read once per run already knows: no call at all.
        known = ((params["account_sources"] or {}).get(ORGANIZATION) or {}).get("organization")
        return _skipped(plan.member_hint_reason(account_id or "of this host", known))

    organization = AccountSources(ctx).get(ORGANIZATION)["organization"]
    if account_id is None:
        account_id = sts_gateway.get_caller_identity(ctx.client("sts"))["Account"]
    placement = plan.Placement.of(account_id, organization)
    reason = placement.skip_reason()
    if reason:
        return _skipped(reason, placement)

    all_features = placement.feature_set in (None, plan.ALL_FEATURES_MODE)
    before = _read_state(ctx) if all_features else plan.State(False)
    to_do = plan.plan(before, params["enable"] and all_features)
    if params["enable"] and not all_features:
        ctx.warn(
            f"baseline_root_credentials_management_enable: the Organization {placement.organization_id} is in "
            f"{placement.feature_set} mode, so centralized root access cannot be enabled; enabling all features "
            "is a decision for a person (organizations:EnableAllFeatures needs every member account to approve)"
        )
    after = to_do.after(before)
    if to_do.changes and not ctx.check_mode:
        _apply(ctx, to_do)
        # Read back what AWS holds rather than echoing what was sent.
        after = _read_state(ctx)

    findings = plan.findings(before if ctx.check_mode else after, placement)
    compliant = all(found["status"] == "pass" for found in findings)
    result = {
        "changed": to_do.changes,
        "compliant": compliant,
        "placement": placement.role,
        "organization": _organization(placement),
        "root_access": after.as_dict(),
        "enabled": (["trusted_access"] if to_do.enable_trusted_access else []) + list(to_do.enable_features),
        "findings": findings,
    }
    if ctx.diff_mode:
        result["diff"] = {"before": before.as_dict(), "after": after.as_dict()}
    if not compliant and params["fail_on_noncompliance"]:
        raise ControlFailure("Not compliant: " + "; ".join(f["message"] for f in findings), **result)
    return result


SPEC = ControlSpec(name="root_credentials_management", argument_spec=ARGUMENT_SPEC, run=run)
