# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_account_check (module and action plugin).

Two account-wide controls in one task, so that a check costs one task per account, not two: the support role
(one ListEntitiesForPolicy) and the expired server certificates (one ListServerCertificates).
"""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils import _iam_account as plan
from ansible_collections.accountguard.aws.plugins.module_utils._common import utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account_iam as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlFailure,
    ControlSpec,
    enforced_result,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)

ROLE_DESCRIPTION = "Manages incidents with AWS Support (CIS AWS Foundations: support role); accountguard.aws"

ARGUMENT_SPEC = dict(
    controls=dict(type="list", elements="str", choices=list(plan.CONTROLS), default=list(plan.CONTROLS)),
    support_role=dict(
        type="dict",
        options=dict(
            name=dict(type="str", required=True),
            path=dict(type="str", default="/"),
            trusted_principals=dict(type="list", elements="str", required=True),
        ),
    ),
    delete_expired_server_certificates=dict(type="bool", default=False),
    fail_on_noncompliance=dict(type="bool", default=False),
    **SOURCES_ARGUMENT_SPEC,
)


def known_arns(certificates: list[dict]) -> list[str]:
    """ARNs of the account already at hand (the certificates'), so the account's root ARN costs no
    GetCallerIdentity; AccountSources adds the credential report's when the session passed it in."""
    return [cert["Arn"] for cert in certificates if cert.get("Arn")]


def converge_support_role(ctx, iam, spec: dict | None, attached: list[str], partition: str) -> tuple[dict, list[str]]:
    """Plan (and, unless in check mode, make) the declared role; returns the plan and the roles with the policy
    at the end of the run (read back after a write; predicted under check mode)."""
    role = gateway.get_role(iam, spec["name"]) if spec else None
    steps = plan.plan_support_role(attached, spec, role, partition)
    if not (steps["create"] or steps["attach"] or steps["update_trust"]):
        return steps, attached
    if ctx.check_mode:
        return steps, sorted({*attached, spec["name"]})
    policy_arn = plan.support_policy_arn(partition)
    trust = steps["after"]["trust_policy"]
    if steps["create"]:
        gateway.create_role(iam, spec["name"], spec["path"], trust, ROLE_DESCRIPTION)
    elif steps["update_trust"]:
        gateway.update_trust_policy(iam, spec["name"], trust)
    if steps["attach"]:
        gateway.attach_role_policy(iam, spec["name"], policy_arn)
    return steps, gateway.list_roles_for_policy(iam, policy_arn)


def run(ctx) -> dict:
    params = ctx.params
    controls = [c for c in plan.CONTROLS if c in params["controls"]]
    spec = params["support_role"] if plan.SUPPORT_ROLE in controls else None
    fail_on_errors(plan.support_role_errors(spec))
    if params["support_role"] and plan.SUPPORT_ROLE not in controls:
        ctx.warn("support_role is ignored: the support_role control is not among controls")

    iam = ctx.client("iam")
    now = utcnow()
    listed = gateway.list_server_certificates(iam) if plan.SERVER_CERTIFICATES in controls else []
    resource = AccountSources(ctx).root_arn(known_arns(listed))
    partition = plan.partition_of(resource)

    findings, changed_controls = [], []
    result = {"controls": controls}
    before, after = {}, {}

    if plan.SUPPORT_ROLE in controls:
        attached = gateway.list_roles_for_policy(iam, plan.support_policy_arn(partition))
        steps, final_roles = converge_support_role(ctx, iam, spec, attached, partition)
        role_changed = steps["create"] or steps["attach"] or steps["update_trust"]
        if role_changed:
            changed_controls.append(plan.SUPPORT_ROLE)
        findings += plan.support_role_findings(attached if ctx.check_mode else final_roles, resource)
        result["support_role"] = {
            "roles": sorted(final_roles),
            "declared": None
            if spec is None
            else {
                "role_name": spec["name"],
                "created": steps["create"],
                "policy_attached": steps["attach"],
                "trust_policy_updated": steps["update_trust"],
            },
        }
        before["support_role"], after["support_role"] = steps["before"], steps["after"]

    if plan.SERVER_CERTIFICATES in controls:
        found = plan.evaluate_certificates(listed, now)
        certificates = found
        to_delete = plan.certificates_to_delete(certificates, params["delete_expired_server_certificates"])
        deleted = [cert["name"] for cert in to_delete]
        if to_delete:
            changed_controls.append(plan.SERVER_CERTIFICATES)
            if not ctx.check_mode:
                for name in deleted:
                    gateway.delete_server_certificate(iam, name)
                # Read back: what IAM still stores is what the findings describe.
                certificates = plan.evaluate_certificates(gateway.list_server_certificates(iam), now)
        findings += plan.certificate_findings(certificates, [] if ctx.check_mode else deleted, resource)
        result["server_certificates"] = certificates
        result["deleted_server_certificates"] = deleted
        names = [cert["name"] for cert in found]
        before["server_certificates"] = names
        after["server_certificates"] = [name for name in names if name not in deleted]

    compliant = all(f["status"] == "pass" for f in findings)
    result.update(compliant=compliant, findings=findings, changed_controls=changed_controls)
    out = enforced_result(ctx, changed=bool(changed_controls), before=before, after=after, **result)
    if not compliant and params["fail_on_noncompliance"]:
        failing = [f["message"] for f in findings if f["status"] == "fail"]
        raise ControlFailure("Not compliant: " + "; ".join(failing), **out)
    return out


SPEC = ControlSpec(name="iam_account_check", argument_spec=ARGUMENT_SPEC, run=run)
