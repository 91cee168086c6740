# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_policy_check (module and action plugin): three controls from one read."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict

from ansible_collections.accountguard.aws.plugins.module_utils import _policies as pol
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import groups as groups_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import roles as roles_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import users as users_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlFailure,
    ControlSpec,
    checked_result,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    AUTHORIZATION_DETAILS,
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)

ARGUMENT_SPEC = dict(
    controls=dict(type="list", elements="str", default=list(pol.CONTROL_IDS)),
    admin_group_name=dict(type="str"),
    detach_cloudshell=dict(type="bool", default=False),
    fail_on_noncompliance=dict(type="bool", default=False),
    **SOURCES_ARGUMENT_SPEC,
)

# The name of the group that may keep AdministratorAccess: an IAM group name (1 to 128 word characters).
_GROUP_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-")


def validate(params: dict) -> None:
    errors = []
    unknown = [c for c in params["controls"] if c not in pol.CONTROL_IDS]
    if unknown:
        errors.append(f"controls must be among {', '.join(pol.CONTROL_IDS)}, got {unknown!r}")
    name = params["admin_group_name"]
    if name is not None and not (0 < len(name) <= 128 and set(name) <= _GROUP_NAME_CHARS):
        errors.append(f"admin_group_name must be an IAM group name (1 to 128 of [A-Za-z0-9+=,.@_-]), got {name!r}")
    if params["detach_cloudshell"] and pol.CLOUDSHELL_ACCESS not in params["controls"]:
        errors.append("detach_cloudshell needs cloudshell_access among controls")
    if errors:
        fail_on_errors(["; ".join(errors) + " (nothing was read)"])


def _findings(verdicts: list[pol.Verdict], account_resource: str, passed: dict) -> list[dict]:
    """Findings of the controls checked; an accepted verdict is a pass that says it is an accepted exception."""
    found = [finding(v.control, "fail" if v.status == "fail" else "pass", v.resource, v.message) for v in verdicts]
    for control, message in passed.items():
        if not any(v.control == control for v in verdicts):
            found.append(finding(control, "pass", account_resource, message))
    return found


def detach(ctx, attachments: list[pol.Attachment]) -> list[dict]:
    """Detach AWSCloudShellFullAccess where attached (under check mode only predict); the list of detachments."""
    iam = ctx.client("iam") if attachments and not ctx.check_mode else None
    done = []
    writers = {
        "user": users_gateway.detach_user_policy,
        "group": groups_gateway.detach_group_policy,
        "role": roles_gateway.detach_role_policy,
    }
    try:
        for attachment in attachments:
            if iam is not None:
                writers[attachment.kind](iam, attachment.name, attachment.policy_arn)
            done.append(
                {
                    "kind": attachment.kind,
                    "name": attachment.name,
                    "arn": attachment.arn,
                    "policy_arn": attachment.policy_arn,
                }
            )
    except AnsibleAWSError as error:
        if not done:
            raise
        response = getattr(error.exception, "response", None) or {}
        cause = to_native(getattr(error.exception, "message", error.exception))
        raise ControlFailure(
            f"{error.message}: {cause}", changed=True, detached=done, **camel_dict_to_snake_dict(response)
        ) from error
    return done


def run(ctx) -> dict:
    params = ctx.params
    validate(params)
    checks = [c for c in pol.CONTROL_IDS if c in params["controls"]]
    sources = AccountSources(ctx)
    principals = pol.principals_of(sources.get(AUTHORIZATION_DETAILS)) if checks else []
    documents = (sources.get(AUTHORIZATION_DETAILS) or {}).get("policies") or {} if checks else {}
    account_resource = sources.root_arn([p.arn for p in principals]) if checks else ""

    verdicts: list[pol.Verdict] = []
    passed = {}
    attachments: list[pol.Attachment] = []
    detached: list[dict] = []
    if pol.GROUP_PERMISSIONS in checks:
        found = pol.check_group_permissions(principals)
        verdicts += found
        if not found:
            passed[pol.GROUP_PERMISSIONS] = "the account has no IAM user"
    if pol.ADMIN_POLICIES in checks:
        verdicts += pol.check_admin_policies(principals, documents, params["admin_group_name"])
        passed[pol.ADMIN_POLICIES] = "no user, group or role has a policy that allows every action on every resource"
    if pol.CLOUDSHELL_ACCESS in checks:
        attachments = pol.cloudshell_attachments(principals)
        if params["detach_cloudshell"]:
            detached = detach(ctx, attachments)
        # Findings describe the end of the run: detached now is compliant; under check mode, the drift found.
        remaining = attachments if (ctx.check_mode or not params["detach_cloudshell"]) else []
        verdicts += pol.check_cloudshell_access(remaining)
        passed[pol.CLOUDSHELL_ACCESS] = f"{pol.CLOUDSHELL_POLICY} is attached to no user, group or role"
        if detached and not ctx.check_mode:
            passed[pol.CLOUDSHELL_ACCESS] = f"{pol.CLOUDSHELL_POLICY} was detached from " + ", ".join(
                f"{d['kind']} {d['name']}" for d in detached
            )

    findings = _findings(verdicts, account_resource, passed)
    result = dict(
        findings=findings,
        accepted=[
            {"id": v.control, "resource": v.resource, "message": v.message} for v in verdicts if v.status == "accepted"
        ],
        detached=detached,
        controls=checks,
        # which control a change is for, so a report does not count it for the other two
        changed_controls=[pol.CLOUDSHELL_ACCESS] if detached else [],
    )
    compliant = all(f["status"] == "pass" for f in findings)
    if ctx.diff_mode and params["detach_cloudshell"]:
        attached = [f"{a.kind} {a.name}" for a in attachments]
        result["diff"] = {
            "before": {"cloudshell_attached_to": attached},
            "after": {"cloudshell_attached_to": []},
        }
    result = checked_result(ctx, compliant=compliant, **result)
    result["changed"] = bool(detached)
    return result


SPEC = ControlSpec(name="iam_policy_check", argument_spec=ARGUMENT_SPEC, run=run)
