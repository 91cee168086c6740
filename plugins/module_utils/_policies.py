# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the IAM policies of an account say, read from one GetAccountAuthorizationDetails: pure and typed.

Three controls read it: ``group_permissions`` (no user has a policy of its own), ``admin_policies`` (no attached
policy allows every action on every resource) and ``cloudshell_access`` (AWSCloudShellFullAccess attached to
nobody). The source keeps the users, groups and roles with their inline policy documents and attached managed
policy ARNs, and the default version document of each customer managed policy. AWS managed policies are not
read (one answer of several megabytes per account): their documents are AWS's, and of them only
``AdministratorAccess`` allows ``"*"`` on ``"*"``, so they are known by name (``AWS_MANAGED_FULL_ADMIN``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

GROUP_PERMISSIONS = "group_permissions"
ADMIN_POLICIES = "admin_policies"
CLOUDSHELL_ACCESS = "cloudshell_access"
CONTROL_IDS = (GROUP_PERMISSIONS, ADMIN_POLICIES, CLOUDSHELL_ACCESS)

# AWS managed policies by name (the ARN is arn:<partition>:iam::aws:policy/<path><name> in every partition).
AWS_MANAGED_FULL_ADMIN = frozenset({"AdministratorAccess"})
CLOUDSHELL_POLICY = "AWSCloudShellFullAccess"

# Why the baseline's administrators group keeps AdministratorAccess (docs/exceptions.md says it at length).
ADMIN_GROUP_REASON = (
    "the baseline's MFA-guarded administrators group (baseline_admin_group_name); see docs/exceptions.md, "
    "'Cloudadmin has AdministratorAccess'"
)

# Full wildcards: "*", "**", "*:*" match every action ("service:action"); case does not matter to IAM.
_ALL_ACTIONS = re.compile(r"\*+(:\*+)?")
# "*", and ARN patterns made of wildcards only ("arn:*", "*:*", "arn:*:*:*:*:*"), match every resource.
_ALL_RESOURCES = re.compile(r"\*+|(arn|\*+)(:\*+)+", re.IGNORECASE)


class PolicyDocumentError(ValueError):
    """A policy document that is neither JSON, URL-encoded JSON nor a mapping."""


def decode_document(document) -> dict:
    """A policy document as a dict, from a dict (botocore decodes most IAM answers), JSON text, or URL-encoded
    JSON text (RFC 3986, as GetAccountAuthorizationDetails documents it)."""
    if isinstance(document, Mapping):
        return dict(document)
    if not isinstance(document, str):
        raise PolicyDocumentError(f"policy document must be JSON text or a mapping, got {type(document).__name__}")
    text = document.strip()
    if not text.startswith("{"):
        text = unquote(text).strip()
    try:
        decoded = json.loads(text)
    except ValueError as error:
        raise PolicyDocumentError(f"policy document is not JSON: {error}") from None
    if not isinstance(decoded, Mapping):
        raise PolicyDocumentError("policy document must be a JSON object")
    return dict(decoded)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: Mapping) -> list[dict]:
    """The statements of a document: ``Statement`` may be one object or a list."""
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _all_actions(statement: Mapping) -> bool:
    return any(isinstance(a, str) and _ALL_ACTIONS.fullmatch(a.strip()) for a in _as_list(statement.get("Action")))


def _all_resources(statement: Mapping) -> bool:
    return any(isinstance(r, str) and _ALL_RESOURCES.fullmatch(r.strip()) for r in _as_list(statement.get("Resource")))


def grants_full_admin(document) -> bool:
    """Whether a policy document allows every action on every resource, as IAM evaluates it.

    Full administrator rights need an ``Allow`` statement whose ``Action`` (not ``NotAction``: that allows
    everything but some actions) holds a full wildcard and whose ``Resource`` (not ``NotResource``) holds one. A
    condition on the Allow does not narrow what it grants once met, so it still counts. An unconditional ``Deny``
    in the same document (``Action`` or ``NotAction``, any resource) takes something away and wins over every
    Allow, so the document no longer grants everything; a conditional Deny applies only sometimes and does not.
    """
    found = statements(decode_document(document))
    admin = any(
        s.get("Effect") == "Allow"
        and "NotAction" not in s
        and "NotResource" not in s
        and _all_actions(s)
        and _all_resources(s)
        for s in found
    )
    if not admin:
        return False
    return not any(s.get("Effect") == "Deny" and not s.get("Condition") for s in found)


def policy_name_of_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


# --- the source: what GetAccountAuthorizationDetails says, reduced to what the checks read ------------------


@dataclass(frozen=True)
class InlinePolicy:
    name: str
    document: dict


@dataclass(frozen=True)
class Principal:
    """A user, group or role: its kind ("user", "group", "role"), name, ARN and policies."""

    kind: str
    name: str
    arn: str
    inline: tuple[InlinePolicy, ...] = ()
    attached: tuple[str, ...] = ()  # managed policy ARNs


_LISTS = (
    ("user", "UserDetailList", "UserName", "UserPolicyList"),
    ("group", "GroupDetailList", "GroupName", "GroupPolicyList"),
    ("role", "RoleDetailList", "RoleName", "RolePolicyList"),
)


def reduce_details(answer: Mapping) -> dict:
    """GetAccountAuthorizationDetails' answer -> the JSON-safe source the checks read (documents decoded):
    ``{"principals": [{kind, name, arn, inline: [{name, document}], attached: [arn]}],
    "policies": {arn: default version document}}``, and for users also ``path``, ``tags`` ({key: value}) and
    ``groups`` (group names), what ``iam_users`` converges from the same read (``user_details``); nothing else
    (no dates or ids)."""
    principals = []
    for kind, list_key, name_key, inline_key in _LISTS:
        for entry in answer.get(list_key) or ():
            principal = {
                "kind": kind,
                "name": entry.get(name_key, ""),
                "arn": entry.get("Arn", ""),
                "inline": [
                    {"name": p.get("PolicyName", ""), "document": decode_document(p.get("PolicyDocument") or {})}
                    for p in entry.get(inline_key) or ()
                ],
                "attached": [p["PolicyArn"] for p in entry.get("AttachedManagedPolicies") or () if p.get("PolicyArn")],
            }
            if kind == "user":
                principal["path"] = entry.get("Path", "/")
                principal["tags"] = {t["Key"]: t.get("Value", "") for t in entry.get("Tags") or () if "Key" in t}
                principal["groups"] = list(entry.get("GroupList") or ())
            principals.append(principal)
    policies = {}
    for policy in answer.get("Policies") or ():
        default = policy.get("DefaultVersionId")
        for version in policy.get("PolicyVersionList") or ():
            if version.get("IsDefaultVersion") or version.get("VersionId") == default:
                policies[policy["Arn"]] = decode_document(version.get("Document") or {})
                break
    return {"principals": principals, "policies": policies}


def user_details(source: Mapping) -> list[dict]:
    """The users of the source in the shape of GetAccountAuthorizationDetails' ``UserDetailList`` (name, ARN,
    path, tags, groups, attached and inline policies by name): what ``iam_users`` reads of one user."""
    return [
        {
            "UserName": p["name"],
            "Arn": p["arn"],
            "Path": p.get("path", "/"),
            "Tags": [{"Key": key, "Value": value} for key, value in (p.get("tags") or {}).items()],
            "GroupList": list(p.get("groups") or ()),
            "AttachedManagedPolicies": [
                {"PolicyName": policy_name_of_arn(arn), "PolicyArn": arn} for arn in p.get("attached") or ()
            ],
            "UserPolicyList": [{"PolicyName": i["name"]} for i in p.get("inline") or ()],
        }
        for p in source.get("principals") or ()
        if p.get("kind") == "user"
    ]


def principals_of(source: Mapping) -> list[Principal]:
    return [
        Principal(
            kind=p["kind"],
            name=p["name"],
            arn=p["arn"],
            inline=tuple(InlinePolicy(i["name"], dict(i["document"])) for i in p.get("inline") or ()),
            attached=tuple(p.get("attached") or ()),
        )
        for p in source.get("principals") or ()
    ]


# --- the checks -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One principal's outcome for one control: status pass, fail or accepted (an exception the baseline makes,
    with its reason), and why, in one line."""

    control: str
    status: str
    resource: str
    message: str


def check_group_permissions(principals: Iterable[Principal]) -> list[Verdict]:
    """Every user: a policy attached to or inline in a user fails (permissions come through groups)."""
    verdicts = []
    for user in (p for p in principals if p.kind == "user"):
        own = [policy_name_of_arn(a) for a in user.attached] + [f"{i.name} (inline)" for i in user.inline]
        if own:
            verdicts.append(
                Verdict(
                    GROUP_PERMISSIONS,
                    "fail",
                    user.arn,
                    f"user {user.name} has policies of its own: {', '.join(own)}; give them through a group",
                )
            )
        else:
            verdicts.append(
                Verdict(GROUP_PERMISSIONS, "pass", user.arn, f"user {user.name} gets permissions through groups only")
            )
    return verdicts


def full_admin_policies(principal: Principal, documents: Mapping[str, dict]) -> list[tuple[str, str]]:
    """(policy label, policy ARN or principal ARN for inline) of each policy of the principal that allows
    everything: AWS managed ones by name, customer managed ones by their default version, inline by document."""
    found = []
    for arn in principal.attached:
        if is_aws_managed(arn):
            if policy_name_of_arn(arn) in AWS_MANAGED_FULL_ADMIN:
                found.append((f"AWS managed {policy_name_of_arn(arn)}", arn))
        elif arn in documents and grants_full_admin(documents[arn]):
            found.append((f"customer managed {policy_name_of_arn(arn)}", arn))
    for inline in principal.inline:
        if grants_full_admin(inline.document):
            found.append((f"inline {inline.name}", principal.arn))
    return found


def check_admin_policies(
    principals: Iterable[Principal], documents: Mapping[str, dict], admin_group_name: str | None
) -> list[Verdict]:
    """Every user, group and role with a full-administrator policy fails, one verdict per such policy; the
    administrators group's AWS managed AdministratorAccess is accepted (shown, with its reason). One pass for
    the account when nothing fails or is accepted."""
    verdicts = []
    for principal in principals:
        for label, arn in full_admin_policies(principal, documents):
            where = f"{principal.kind} {principal.name}"
            if (
                principal.kind == "group"
                and admin_group_name
                and principal.name == admin_group_name
                and is_aws_managed(arn)
            ):
                verdicts.append(
                    Verdict(
                        ADMIN_POLICIES,
                        "accepted",
                        principal.arn,
                        f"accepted exception: {label} ({arn}) attached to {where}: {ADMIN_GROUP_REASON}",
                    )
                )
            else:
                verdicts.append(
                    Verdict(
                        ADMIN_POLICIES,
                        "fail",
                        principal.arn,
                        f"{label} ({arn}) attached to {where} allows every action on every resource",
                    )
                )
    return verdicts


@dataclass(frozen=True)
class Attachment:
    kind: str
    name: str
    arn: str
    policy_arn: str


def cloudshell_attachments(principals: Iterable[Principal]) -> list[Attachment]:
    """Every user, group and role AWSCloudShellFullAccess is attached to (any partition)."""
    return [
        Attachment(p.kind, p.name, p.arn, arn)
        for p in principals
        for arn in p.attached
        if is_aws_managed(arn) and policy_name_of_arn(arn) == CLOUDSHELL_POLICY
    ]


def check_cloudshell_access(attachments: Iterable[Attachment]) -> list[Verdict]:
    return [
        Verdict(
            CLOUDSHELL_ACCESS,
            "fail",
            a.arn,
            f"{CLOUDSHELL_POLICY} is attached to {a.kind} {a.name}",
        )
        for a in attachments
    ]
