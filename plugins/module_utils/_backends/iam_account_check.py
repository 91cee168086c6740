# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_account_check (module and action plugin).

Four account-wide controls in one task, so that a check costs one task per account, not four: the support role
(one ListEntitiesForPolicy), the expired server certificates (one ListServerCertificates), the security alternate
contact (one account:GetAlternateContact) and IAM Access Analyzer (one access-analyzer:ListAnalyzers per region).
"""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils import _iam_account as plan
from ansible_collections.accountguard.aws.plugins.module_utils._common import utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account_iam as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account_services
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
DEFAULT_ANALYZER_NAME = "accountguard-external-access"
ANALYZER_TAGS = {"managed-by": "accountguard.aws"}

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
    security_contact=dict(
        type="dict",
        options=dict(
            name=dict(type="str", required=True),
            title=dict(type="str", required=True),
            email=dict(type="str", required=True),
            phone=dict(type="str", required=True),
        ),
    ),
    security_contact_account_id=dict(type="str"),
    access_analyzer_regions=dict(type="list", elements="str", default=[]),
    create_access_analyzer=dict(type="bool", default=False),
    access_analyzer_name=dict(type="str", default=DEFAULT_ANALYZER_NAME),
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


def known_analyzer_arns(by_region: dict[str, list[dict]]) -> list[str]:
    return [a["arn"] for analyzers in by_region.values() for a in analyzers if a.get("arn")]


def input_errors(params: dict, controls: list[str]) -> list[str]:
    errors = plan.support_role_errors(params["support_role"] if plan.SUPPORT_ROLE in controls else None)
    if plan.SECURITY_CONTACT in controls:
        errors += plan.security_contact_errors(params["security_contact"])
        member = params["security_contact_account_id"]
        if member is not None and not plan.ACCOUNT_ID_RE.match(member):
            errors.append(f"security_contact_account_id {member!r} must be a 12-digit account id")
    if plan.ACCESS_ANALYZER in controls:
        errors += plan.access_analyzer_errors(params["access_analyzer_regions"], params["access_analyzer_name"])
    return errors


def converge_security_contact(ctx, account, spec: dict | None, member: str | None) -> tuple[dict, dict | None]:
    """Plan (and, unless in check mode, put) the declared contact; returns the plan and the contact at the end of
    the run (read back after a write)."""
    current = plan.contact_view(account_services.get_security_contact(account, member))
    steps = plan.plan_security_contact(current, spec)
    if not steps["put"] or ctx.check_mode:
        return steps, current
    account_services.put_security_contact(account, spec, member)
    return steps, plan.contact_view(account_services.get_security_contact(account, member))


def converge_analyzers(ctx, regions: list[str], create: bool, name: str, listed: dict) -> tuple[dict, dict, dict]:
    """(evaluated, plan, created: region -> ARN) for the regions checked; creates only where asked and none is
    active, never in check mode."""
    evaluated = plan.evaluate_analyzers(listed)
    steps = plan.plan_analyzers(evaluated, create, name)
    created = {}
    if not ctx.check_mode:
        for region in steps["create"]:
            client = ctx.client("accessanalyzer", region)
            created[region] = account_services.create_analyzer(client, name, "ACCOUNT", ANALYZER_TAGS)
    return evaluated, steps, created


def run(ctx) -> dict:
    params = ctx.params
    controls = [c for c in plan.CONTROLS if c in params["controls"]]
    spec = params["support_role"] if plan.SUPPORT_ROLE in controls else None
    fail_on_errors(input_errors(params, controls))
    for option, control in (("support_role", plan.SUPPORT_ROLE), ("security_contact", plan.SECURITY_CONTACT)):
        if params[option] and control not in controls:
            ctx.warn(f"{option} is ignored: the {control} control is not among controls")

    now = utcnow()
    iam = ctx.client("iam") if {plan.SUPPORT_ROLE, plan.SERVER_CERTIFICATES} & set(controls) else None
    listed = gateway.list_server_certificates(iam) if plan.SERVER_CERTIFICATES in controls else []
    analyzer_regions = []
    analyzers_listed: dict[str, list[dict]] = {}
    if plan.ACCESS_ANALYZER in controls:
        analyzer_regions = list(dict.fromkeys(params["access_analyzer_regions"])) or [ctx.region()]
        if None in analyzer_regions:
            raise ControlFailure("access_analyzer_regions is empty and the connection names no region (region)")
        for region in analyzer_regions:
            analyzers_listed[region] = account_services.list_analyzers(ctx.client("accessanalyzer", region))
    resource = AccountSources(ctx).root_arn(known_arns(listed) + known_analyzer_arns(analyzers_listed))
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

    if plan.SECURITY_CONTACT in controls:
        contact_spec = params["security_contact"]
        member = params["security_contact_account_id"]
        steps, final_contact = converge_security_contact(ctx, ctx.client("account"), contact_spec, member)
        if steps["put"]:
            changed_controls.append(plan.SECURITY_CONTACT)
        contact_resource = f"arn:{partition}:iam::{member}:root" if member else resource
        findings += plan.security_contact_findings(final_contact, contact_resource)
        result["security_contact"] = {
            "contact": final_contact,
            "account_id": member,
            "declared": contact_spec is not None,
            "updated": steps["put"],
        }
        before["security_contact"], after["security_contact"] = steps["before"], steps["after"]

    if plan.ACCESS_ANALYZER in controls:
        name = params["access_analyzer_name"]
        evaluated, steps, created = converge_analyzers(
            ctx, analyzer_regions, params["create_access_analyzer"], name, analyzers_listed
        )
        if steps["create"]:
            changed_controls.append(plan.ACCESS_ANALYZER)
        account_id = resource.split(":")[4]
        findings += plan.analyzer_findings(evaluated, created, steps["blocked"], account_id, partition)
        result["access_analyzer"] = {
            "regions": {
                region: {
                    "active": state["active"],
                    "others": state["others"],
                    # the ARN made, or under check mode the ARN it would have
                    "created": created.get(region)
                    or (plan.analyzer_arn(partition, region, account_id, name) if region in steps["create"] else None),
                }
                for region, state in evaluated.items()
            },
            "created_regions": steps["create"],
        }
        before["access_analyzer"] = {
            region: sorted(a["name"] for a in state["active"]) for region, state in evaluated.items()
        }
        after["access_analyzer"] = {
            region: sorted(a["name"] for a in state["active"]) + ([name] if region in steps["create"] else [])
            for region, state in evaluated.items()
        }

    compliant = all(f["status"] == "pass" for f in findings)
    result.update(compliant=compliant, findings=findings, changed_controls=changed_controls)
    out = enforced_result(ctx, changed=bool(changed_controls), before=before, after=after, **result)
    if not compliant and params["fail_on_noncompliance"]:
        failing = [f["message"] for f in findings if f["status"] == "fail"]
        raise ControlFailure("Not compliant: " + "; ".join(failing), **out)
    return out


SPEC = ControlSpec(name="iam_account_check", argument_spec=ARGUMENT_SPEC, run=run)
