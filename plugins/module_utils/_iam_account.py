# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of accountguard.aws.iam_account_check: the support role, the expired server certificates, the
security alternate contact and IAM Access Analyzer.

Private to accountguard.aws: no compatibility promise outside the collection.

- ``support_role``: a role with the AWS managed policy ``AWSSupportAccess`` attached exists (CIS AWS Foundations
  v3.0 1.17, v5.0 1.16). Decided from one ``ListEntitiesForPolicy``; with a declared role, planned from that
  listing and the declared role as ``GetRole`` answered it.
- ``server_certificates``: no IAM server certificate has expired (v3.0 1.19, v5.0 1.18), from
  ``ListServerCertificates``' ``Expiration``; deletion of expired ones is planned here, only when asked.
- ``security_contact``: the account has a SECURITY alternate contact (v3.0 1.2, v5.0 1.2), from one
  ``account:GetAlternateContact``; with a declared contact, ``PutAlternateContact`` is planned when it differs.
- ``access_analyzer``: an external access analyzer (type ``ACCOUNT`` or ``ORGANIZATION``) is ``ACTIVE`` in each
  region checked (v3.0 1.20, v5.0 1.19), from one ``access-analyzer:ListAnalyzers`` per region; creation of an
  account analyzer is planned for a region without one, only when asked, and nothing is ever deleted.
"""

from __future__ import annotations

import re
from datetime import datetime

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ._findings import finding

SUPPORT_ROLE = "support_role"
SERVER_CERTIFICATES = "server_certificates"
SECURITY_CONTACT = "security_contact"
ACCESS_ANALYZER = "access_analyzer"
CONTROLS = (SUPPORT_ROLE, SERVER_CERTIFICATES, SECURITY_CONTACT, ACCESS_ANALYZER)

SUPPORT_POLICY_NAME = "AWSSupportAccess"
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
# Principals a trust policy can name by ARN: the account (root), or one of its users or roles.
PRINCIPAL_RESOURCE_RE = re.compile(r"^(root|user/.+|role/.+)$")
TRUST_POLICY_VERSION = "2012-10-17"


def support_policy_arn(partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{SUPPORT_POLICY_NAME}"


def partition_of(arn: str | None) -> str:
    parsed = parse_aws_arn(arn) if arn else None
    return parsed["partition"] if parsed else "aws"


# ----- support_role -------------------------------------------------------------------------------------------


def principal_errors(principals) -> list[str]:
    """Why ``trusted_principals`` cannot go into a trust policy (empty: it can)."""
    if not isinstance(principals, list) or not principals:
        return ["trusted_principals must be a non-empty list of account ids or IAM ARNs"]
    errors = []
    for principal in principals:
        text = principal if isinstance(principal, str) else None
        if text is not None and ACCOUNT_ID_RE.match(text):
            continue
        parsed = parse_aws_arn(text) if text else None
        if (
            parsed is None
            or parsed["service"] != "iam"
            or not ACCOUNT_ID_RE.match(parsed["account_id"] or "")
            or not PRINCIPAL_RESOURCE_RE.match(parsed["resource"] or "")
            or "*" in text
        ):
            errors.append(
                f"trusted_principals: {principal!r} is neither a 12-digit account id nor the ARN of an account root, "
                "IAM user or IAM role (arn:aws:iam::123456789012:root, ...:role/name); wildcards are refused"
            )
    return errors


def support_role_errors(spec: dict | None) -> list[str]:
    """Input errors of the declared support role (None: check only, nothing to validate)."""
    if spec is None:
        return []
    errors = []
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        errors.append("support_role.name must be a role name")
    else:
        problem = validate_iam_identifiers("role", name=name)
        if problem:
            errors.append(f"support_role.name: {problem}")
    path = spec.get("path")
    if path is not None:
        problem = validate_iam_identifiers("role", path=path)
        if problem:
            errors.append(f"support_role.path: {problem}")
    errors += [f"support_role.{e}" for e in principal_errors(spec.get("trusted_principals"))]
    return errors


def principal_arn(principal: str, partition: str) -> str:
    """An account id as the ARN of its root (what AWS stores for it); an ARN as given."""
    return f"arn:{partition}:iam::{principal}:root" if ACCOUNT_ID_RE.match(principal) else principal


def trust_policy(principals: list[str], partition: str) -> dict:
    """The declared support role's trust policy: the principals may assume it, nothing else."""
    arns = sorted(dict.fromkeys(principal_arn(p, partition) for p in principals))
    return {
        "Version": TRUST_POLICY_VERSION,
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": arns if len(arns) > 1 else arns[0]}, "Action": "sts:AssumeRole"}
        ],
    }


def trust_differs(current: dict | None, desired: dict) -> bool:
    """Whether the stored trust policy says something else than the declared one (lists and strings alike)."""
    return current is None or compare_policies(current, desired)


def plan_support_role(attached: list[str], spec: dict | None, role: dict | None, partition: str) -> dict:
    """What to do for the declared support role.

    ``attached``: names of the roles ``AWSSupportAccess`` is attached to; ``spec``: the declared role (None:
    check only); ``role``: ``GetRole``'s Role of the declared name, None when it does not exist. Only the declared
    role is ever created or changed: an existing role of that name gets the policy attached and its trust policy
    set to the declared principals (the variable declares whom the role trusts; the diff shows the change).
    """
    if spec is None:
        return {"create": False, "attach": False, "update_trust": False, "before": None, "after": None}
    desired = trust_policy(spec["trusted_principals"], partition)
    create = role is None
    attach = create or spec["name"] not in attached
    current = None if role is None else role.get("AssumeRolePolicyDocument")
    update_trust = not create and trust_differs(current, desired)
    before = None if create else {"role_name": spec["name"], "policy_attached": not attach, "trust_policy": current}
    after = {"role_name": spec["name"], "policy_attached": True, "trust_policy": desired}
    return {"create": create, "attach": attach, "update_trust": update_trust, "before": before, "after": after}


def support_role_findings(attached: list[str], resource: str) -> list[dict]:
    """One account-level finding: pass naming the roles with AWSSupportAccess, or fail."""
    if attached:
        names = ", ".join(sorted(attached))
        return [finding(SUPPORT_ROLE, "pass", resource, f"{SUPPORT_POLICY_NAME} is attached to role(s): {names}")]
    return [
        finding(
            SUPPORT_ROLE,
            "fail",
            resource,
            f"no IAM role has {SUPPORT_POLICY_NAME} attached: nobody can be given a role to manage incidents "
            "with AWS Support",
        )
    ]


# ----- server_certificates ------------------------------------------------------------------------------------


def evaluate_certificates(listed: list[dict], now: datetime) -> list[dict]:
    """ListServerCertificates' metadata as the module returns it, each with ``expired`` (Expiration <= now)."""
    out = []
    for cert in listed:
        expiration = cert.get("Expiration")
        expired = expiration is not None and expiration <= now
        out.append(
            {
                "name": cert["ServerCertificateName"],
                "arn": cert.get("Arn"),
                "path": cert.get("Path", "/"),
                "server_certificate_id": cert.get("ServerCertificateId"),
                "upload_date": cert["UploadDate"].isoformat() if cert.get("UploadDate") else None,
                "expiration": expiration.isoformat() if expiration else None,
                "expired": expired,
                "days_since_expiry": (now - expiration).days if expired else None,
            }
        )
    return out


def certificates_to_delete(certificates: list[dict], delete_expired: bool) -> list[dict]:
    """The expired certificates, when deletion was asked; never a valid one."""
    return [c for c in certificates if c["expired"]] if delete_expired else []


def certificate_findings(certificates: list[dict], deleted: list[str], resource: str) -> list[dict]:
    """One finding per certificate left (a deleted one is gone, so no longer a finding), or one pass for the
    account when none is stored."""
    found = []
    for cert in certificates:
        if cert["name"] in deleted:
            continue
        target = cert["arn"] or resource
        if cert["expired"]:
            found.append(
                finding(
                    SERVER_CERTIFICATES,
                    "fail",
                    target,
                    f"server certificate {cert['name']} expired on {cert['expiration'][:10]} "
                    f"({cert['days_since_expiry']} days ago)",
                )
            )
        else:
            until = (cert["expiration"] or "an unknown date")[:10]
            message = f"server certificate {cert['name']} is valid until {until}"
            found.append(finding(SERVER_CERTIFICATES, "pass", target, message))
    if not found:
        found.append(finding(SERVER_CERTIFICATES, "pass", resource, "no expired IAM server certificate is stored"))
    return found


# ----- security_contact ---------------------------------------------------------------------------------------

CONTACT_KEYS = ("name", "title", "email", "phone")
# The Account Management API's limits (PutAlternateContact: Name 1-64, Title 1-50, EmailAddress 1-254 with its
# pattern, PhoneNumber 1-25 of digits, spaces and + - ( )), checked before any call.
CONTACT_LIMITS = {"name": 64, "title": 50, "email": 254, "phone": 25}
EMAIL_RE = re.compile(r"^[\w+=.#|!&-]+@[\w.-]+\.[\w]+$")
PHONE_RE = re.compile(r"^[\s0-9()+-]+$")


def security_contact_errors(spec) -> list[str]:
    """Input errors of the declared security contact (None: check only, nothing to validate)."""
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return ["security_contact must be a dictionary with name, title, email and phone (or unset: check only)"]
    errors = []
    unknown = sorted(set(spec) - set(CONTACT_KEYS))
    if unknown:
        errors.append(f"security_contact has unknown key(s) {', '.join(unknown)}; expected {', '.join(CONTACT_KEYS)}")
    for key in CONTACT_KEYS:
        value = spec.get(key)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"security_contact.{key} is required (a non-empty string)")
        elif len(value) > CONTACT_LIMITS[key]:
            errors.append(f"security_contact.{key} is longer than {CONTACT_LIMITS[key]} characters")
        elif key == "email" and not EMAIL_RE.match(value):
            errors.append(f"security_contact.email {value!r} is not an email address (name@example.com)")
        elif key == "phone" and not PHONE_RE.match(value):
            errors.append(f"security_contact.phone {value!r} may hold only digits, spaces and + - ( )")
    return errors


def contact_view(contact: dict | None) -> dict | None:
    """GetAlternateContact's AlternateContact as the module shows it (None: no security contact)."""
    if not contact:
        return None
    return {
        "name": contact.get("Name"),
        "title": contact.get("Title"),
        "email": contact.get("EmailAddress"),
        "phone": contact.get("PhoneNumber"),
    }


def plan_security_contact(current: dict | None, spec: dict | None) -> dict:
    """Whether to put the declared contact: ``current`` is contact_view() of the account's, ``spec`` the declared
    one (None: check only). The declaration wins field by field: any difference is a PutAlternateContact of all
    four (the API replaces the contact whole)."""
    if spec is None:
        return {"put": False, "before": current, "after": current}
    desired = {key: spec[key] for key in CONTACT_KEYS}
    return {"put": current != desired, "before": current, "after": desired}


def security_contact_findings(contact: dict | None, resource: str) -> list[dict]:
    """One account-level finding: pass naming the contact's name and email, or fail."""
    if contact and contact.get("email"):
        return [
            finding(
                SECURITY_CONTACT,
                "pass",
                resource,
                f"a security alternate contact is registered: {contact.get('name')} <{contact['email']}>",
            )
        ]
    return [
        finding(
            SECURITY_CONTACT,
            "fail",
            resource,
            "no security alternate contact is registered: AWS has nobody but the account's root email to warn "
            "about a security issue of the account",
        )
    ]


# ----- access_analyzer ----------------------------------------------------------------------------------------

# External access analyzers (zone of trust: the account, or the Organization); the unused- and internal-access
# types do not look for access from outside and so do not meet the recommendation.
EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")
# In the message of a region whose analyzer name is taken by an inactive analyzer: the drift gate's fix differs.
NAME_TAKEN = "exists there"
ANALYZER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def access_analyzer_errors(regions, name) -> list[str]:
    """Input errors of the regions to check and the name of the analyzer to create."""
    errors = []
    if not isinstance(regions, list):
        return ["access_analyzer_regions must be a list of region names"]
    for region in regions:
        if not isinstance(region, str) or not REGION_RE.match(region):
            errors.append(f"access_analyzer_regions: {region!r} is not a region name (us-east-1, eu-west-1, ...)")
    if not isinstance(name, str) or not ANALYZER_NAME_RE.match(name):
        errors.append(
            f"access_analyzer_name {name!r} must start with a letter and hold only letters, digits, _ . - "
            "(at most 255 characters)"
        )
    return errors


def evaluate_analyzers(by_region: dict[str, list[dict]]) -> dict[str, dict]:
    """Region -> {active: [external access analyzers ACTIVE there], others: [every other analyzer, with status]}
    from ListAnalyzers' answer of each region."""
    out = {}
    for region, analyzers in by_region.items():
        views = [
            {"name": a.get("name"), "arn": a.get("arn"), "type": a.get("type"), "status": a.get("status")}
            for a in analyzers
        ]
        active = [v for v in views if v["type"] in EXTERNAL_ACCESS_TYPES and v["status"] == "ACTIVE"]
        out[region] = {"active": active, "others": [v for v in views if v not in active]}
    return out


def plan_analyzers(evaluated: dict[str, dict], create: bool, name: str) -> dict:
    """Regions where an account analyzer is created (asked, none active there, and the name free there) and
    regions where it cannot be (the name is taken by an analyzer that is not active: never replaced or deleted)."""
    if not create:
        return {"create": [], "blocked": {}}
    regions, blocked = [], {}
    for region, found in evaluated.items():
        if found["active"]:
            continue
        taken = [a for a in found["others"] if a["name"] == name]
        if taken:
            blocked[region] = taken[0]
        else:
            regions.append(region)
    return {"create": regions, "blocked": blocked}


def analyzer_arn(partition: str, region: str, account_id: str, name: str | None = None) -> str:
    """An analyzer's ARN; without a name, the region's analyzers (the resource of a region that has none)."""
    return f"arn:{partition}:access-analyzer:{region}:{account_id}:analyzer" + (f"/{name}" if name else "")


def analyzer_findings(
    evaluated: dict[str, dict], created: dict[str, str], blocked: dict[str, dict], account_id: str, partition: str
) -> list[dict]:
    """One finding per region: pass naming its active external access analyzer (or the one created there), or
    fail naming what the region holds instead."""
    found = []
    for region, state in evaluated.items():
        if state["active"]:
            first = state["active"][0]
            message = f"{region}: external access analyzer {first['name']} ({first['type']}) is active"
            found.append(finding(ACCESS_ANALYZER, "pass", first["arn"], message))
            continue
        if region in created:
            message = f"{region}: external access analyzer created ({created[region]})"
            found.append(finding(ACCESS_ANALYZER, "pass", created[region], message))
            continue
        if region in blocked:
            taken = blocked[region]
            detail = (
                f"; an analyzer named {taken['name']} {NAME_TAKEN} ({taken['status']}), so none of that name can be "
                "created: enable or replace it by hand, or choose another access_analyzer_name"
            )
        elif state["others"]:
            detail = "; it holds only " + ", ".join(
                f"{a['name']} ({a['type']}, {a['status']})" for a in state["others"]
            )
        else:
            detail = ""
        found.append(
            finding(
                ACCESS_ANALYZER,
                "fail",
                analyzer_arn(partition, region, account_id),
                f"{region}: no external access analyzer (IAM Access Analyzer, type ACCOUNT or ORGANIZATION) is "
                f"active{detail}",
            )
        )
    return found
