# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The baseline's controls and the finding shape every checking module and the report share.

Private to accountguard.aws: import it, never copy the CIS table (the report and the roles must agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

CIS_V3 = "cis-aws-3.0"
CIS_V4 = "cis-aws-4.0.1"
CIS_V5 = "cis-aws-5.0"
CIS_V6 = "cis-aws-6.0"
CIS_V7 = "cis-aws-7.0"

# The benchmark versions every finding cites, oldest first: the order ids are formatted in, everywhere.
CIS_VERSIONS = (CIS_V3, CIS_V4, CIS_V5, CIS_V6, CIS_V7)

STATUSES = ("pass", "fail")

# Control id -> title, the CIS recommendations it covers (numbering of each version in CIS_VERSIONS) and, where
# one control covers several recommendations, which check covers which, so a finding cites only what it actually
# tested. The numbers are those of Prowler's compliance files (the requirement whose Checks list holds the Prowler
# check covering the same ground); a version without such a recommendation is left out (v7.0 dropped "at most one
# active access key").
CONTROLS = {
    "password_policy": {
        "title": "Strong account password policy",
        "cis": {
            CIS_V3: ["1.8", "1.9"],
            CIS_V4: ["1.8", "1.9"],
            CIS_V5: ["1.7", "1.8"],
            CIS_V6: ["2.7", "2.8"],
            CIS_V7: ["2.8", "2.9"],
        },
        "checks": {
            "minimum_length": {CIS_V3: ["1.8"], CIS_V4: ["1.8"], CIS_V5: ["1.7"], CIS_V6: ["2.7"], CIS_V7: ["2.8"]},
            "reuse_prevention": {CIS_V3: ["1.9"], CIS_V4: ["1.9"], CIS_V5: ["1.8"], CIS_V6: ["2.8"], CIS_V7: ["2.9"]},
        },
    },
    "root_access_keys": {
        "title": "Root user has no access keys",
        "cis": {CIS_V3: ["1.4"], CIS_V4: ["1.4"], CIS_V5: ["1.3"], CIS_V6: ["2.3"], CIS_V7: ["2.4"]},
        "checks": {},
    },
    "root_mfa": {
        "title": "Root user has MFA (optionally hardware MFA)",
        "cis": {
            CIS_V3: ["1.5", "1.6"],
            CIS_V4: ["1.5", "1.6"],
            CIS_V5: ["1.4", "1.5"],
            CIS_V6: ["2.4", "2.5"],
            CIS_V7: ["2.5", "2.6"],
        },
        "checks": {
            "mfa": {CIS_V3: ["1.5"], CIS_V4: ["1.5"], CIS_V5: ["1.4"], CIS_V6: ["2.4"], CIS_V7: ["2.5"]},
            "hardware_mfa": {CIS_V3: ["1.6"], CIS_V4: ["1.6"], CIS_V5: ["1.5"], CIS_V6: ["2.5"], CIS_V7: ["2.6"]},
        },
    },
    "root_usage": {
        "title": "Root user is not used day to day",
        "cis": {CIS_V3: ["1.7"], CIS_V4: ["1.7"], CIS_V5: ["1.6"], CIS_V6: ["2.6"], CIS_V7: ["2.7"]},
        "checks": {},
    },
    "user_mfa": {
        "title": "Every console user (optionally every user) has MFA",
        "cis": {CIS_V3: ["1.10"], CIS_V4: ["1.10"], CIS_V5: ["1.9"], CIS_V6: ["2.9"], CIS_V7: ["2.10"]},
        "checks": {},
    },
    "access_key_rotation": {
        "title": "Access keys rotated, used, and at most one active per user",
        "cis": {
            CIS_V3: ["1.12", "1.13", "1.14"],
            CIS_V4: ["1.12", "1.13", "1.14"],
            CIS_V5: ["1.11", "1.12", "1.13"],
            CIS_V6: ["2.11", "2.12", "2.13"],
            CIS_V7: ["2.11", "2.12"],
        },
        "checks": {
            "unused": {CIS_V3: ["1.12"], CIS_V4: ["1.12"], CIS_V5: ["1.11"], CIS_V6: ["2.11"], CIS_V7: ["2.11"]},
            # CIS v7.0 has no "only one active access key" recommendation.
            "one_active": {CIS_V3: ["1.13"], CIS_V4: ["1.13"], CIS_V5: ["1.12"], CIS_V6: ["2.12"]},
            "rotation": {CIS_V3: ["1.14"], CIS_V4: ["1.14"], CIS_V5: ["1.13"], CIS_V6: ["2.13"], CIS_V7: ["2.12"]},
        },
    },
    "console_access_unused": {
        "title": "No console password unused for 45 days or more",
        # The password half of "credentials unused for 45 days or more"; access_key_rotation's "unused" is the
        # access-key half of the same recommendation.
        "cis": {CIS_V3: ["1.12"], CIS_V4: ["1.12"], CIS_V5: ["1.11"], CIS_V6: ["2.11"], CIS_V7: ["2.11"]},
        "checks": {},
    },
    "initial_access_keys": {
        "title": "No console user has an access key that was never used (set-up keys)",
        # CIS v7.0 dropped the recommendation (v6.0 2.10 has no successor).
        "cis": {CIS_V3: ["1.11"], CIS_V4: ["1.11"], CIS_V5: ["1.10"], CIS_V6: ["2.10"]},
        "checks": {},
    },
    "admin_group": {
        "title": "MFA-guarded administrators group",
        # CIS 1.16 (v3.0, v4.0.1) / 1.15 (v5.0) / 2.15 (v6.0) / 2.14 (v7.0) flags any attached "*:*" policy, which
        # AdministratorAccess is; the group is a deliberate, MFA-guarded exception (docs/cis-mapping.md), so it
        # claims no recommendation.
        "cis": {},
        "checks": {},
    },
    "iam_users": {
        "title": "Declared IAM users exist and get permissions through groups",
        # CIS 1.15 (v3.0) / 1.14 (v5.0) is about every user: group_permissions checks it, not this control.
        "cis": {},
        "checks": {},
    },
    "group_permissions": {
        "title": "No IAM user has policies of its own (permissions through groups)",
        "cis": {CIS_V3: ["1.15"], CIS_V4: ["1.15"], CIS_V5: ["1.14"], CIS_V6: ["2.14"], CIS_V7: ["2.13"]},
        "checks": {},
    },
    "admin_policies": {
        "title": 'No attached policy allows full "*:*" administrative privileges',
        "cis": {CIS_V3: ["1.16"], CIS_V4: ["1.16"], CIS_V5: ["1.15"], CIS_V6: ["2.15"], CIS_V7: ["2.14"]},
        "checks": {},
    },
    "cloudshell_access": {
        "title": "AWSCloudShellFullAccess attached to no user, group or role",
        "cis": {CIS_V3: ["1.22"], CIS_V4: ["1.22"], CIS_V5: ["1.21"], CIS_V6: ["2.21"], CIS_V7: ["2.20"]},
        "checks": {},
    },
    "support_role": {
        "title": "A support role (AWSSupportAccess) exists",
        "cis": {CIS_V3: ["1.17"], CIS_V4: ["1.17"], CIS_V5: ["1.16"], CIS_V6: ["2.16"], CIS_V7: ["2.15"]},
        "checks": {},
    },
    "server_certificates": {
        "title": "No expired IAM server certificate is stored",
        "cis": {CIS_V3: ["1.19"], CIS_V4: ["1.19"], CIS_V5: ["1.18"], CIS_V6: ["2.18"], CIS_V7: ["2.17"]},
        "checks": {},
    },
    "root_credentials_management": {
        "title": "Centralized root access enabled for the Organization",
        # New in CIS v7.0; earlier versions have no such recommendation.
        "cis": {CIS_V7: ["2.1.1"]},
        "checks": {},
    },
    "security_contact": {
        "title": "The account has a security alternate contact",
        # A manual recommendation in CIS (and in Prowler); the alternate contact is read through the Account
        # Management API, so the baseline checks it (v7.0 moved it to 2.3 behind 2.2, the contact details).
        "cis": {CIS_V3: ["1.2"], CIS_V4: ["1.2"], CIS_V5: ["1.2"], CIS_V6: ["2.2"], CIS_V7: ["2.3"]},
        "checks": {},
    },
    "access_analyzer": {
        "title": "An external access analyzer (IAM Access Analyzer) is active in every region",
        "cis": {CIS_V3: ["1.20"], CIS_V4: ["1.20"], CIS_V5: ["1.19"], CIS_V6: ["2.19"], CIS_V7: ["2.18"]},
        "checks": {},
    },
}

CONTROL_IDS = tuple(CONTROLS)

# The severity of a deviation of each control (a compliant pair is informational), for the exports that carry one
# (OCSF, Security Hub): near Security Hub's own controls for the same CIS recommendations (root credentials
# critical; full administrator policies, root use and a region without IAM Access Analyzer high).
CRITICAL, HIGH, MEDIUM, LOW = "CRITICAL", "HIGH", "MEDIUM", "LOW"
SEVERITY = {
    "password_policy": MEDIUM,
    "root_access_keys": CRITICAL,
    "root_mfa": CRITICAL,
    "root_usage": HIGH,
    "user_mfa": MEDIUM,
    "access_key_rotation": MEDIUM,
    "console_access_unused": MEDIUM,
    "initial_access_keys": LOW,
    "admin_group": MEDIUM,
    "iam_users": LOW,
    "group_permissions": LOW,
    "admin_policies": HIGH,
    "cloudshell_access": MEDIUM,
    "support_role": LOW,
    "server_certificates": MEDIUM,
    "root_credentials_management": HIGH,
    "security_contact": MEDIUM,
    "access_analyzer": HIGH,
}

# The families the HTML report groups its matrix columns by, in display order: family -> {control id: the
# column's short label}. Every control of CONTROLS belongs to exactly one family (a unit test says so); the label
# is read under the family's name ("Root user" / "MFA"), the full title and the CIS ids are in the column's
# tooltip. Keep labels short words (at most 16 characters, none longer than 10): 18 columns must fit a 1,400 px
# window.
FAMILIES = {
    "Root user": {
        "root_access_keys": "Access keys",
        "root_mfa": "MFA",
        "root_usage": "Usage",
        # centralized root access: once per Organization, on its management account's host
        "root_credentials_management": "Central root",
    },
    "Users": {
        "user_mfa": "MFA",
        "iam_users": "Declared users",
        "admin_group": "Admin group",
        "group_permissions": "Via groups",
    },
    "Credentials": {
        "access_key_rotation": "Key rotation",
        "console_access_unused": "Unused console",
        "initial_access_keys": "Setup keys",
        "server_certificates": "Server certs",
    },
    "Policies": {
        "admin_policies": "*:* admin",
        "cloudshell_access": "CloudShell",
        "support_role": "Support role",
    },
    "Account": {
        "password_policy": "Password policy",
        "security_contact": "Security contact",
        "access_analyzer": "Access Analyzer",
    },
}


def _format_cis(mapping: dict) -> list[str]:
    return [f"{benchmark}:{rec}" for benchmark in CIS_VERSIONS for rec in mapping.get(benchmark, [])]


def cis_ids(control_id: str, check: str | None = None) -> list[str]:
    """CIS ids like "cis-aws-3.0:1.4" of a control, or of one check of it when `check` is given."""
    if control_id not in CONTROLS:
        raise ValueError(f"unknown control id {control_id!r}; expected one of {', '.join(CONTROL_IDS)}")
    control = CONTROLS[control_id]
    if check is None:
        return _format_cis(control["cis"])
    if check not in control["checks"]:
        raise ValueError(f"control {control_id!r} has no check {check!r}")
    return _format_cis(control["checks"][check])


def finding(control_id: str, status: str, resource: str, message: str, check: str | None = None) -> dict:
    """One finding: {id, status, resource, message, cis}, the shape the report and the drift gate read."""
    if status not in STATUSES:
        raise ValueError(f"finding status must be one of {', '.join(STATUSES)}, got {status!r}")
    return {
        "id": control_id,
        "status": status,
        "resource": resource,
        "message": " ".join(str(message).split()),
        "cis": cis_ids(control_id, check),
    }


def all_pass(findings: list[dict]) -> bool:
    return all(f["status"] == "pass" for f in findings)


def failing(results) -> list[dict]:
    """The failing findings of several task results, in order; a result without findings adds none.

    For the drift gate of the baseline role: one pass in Python instead of a Jinja chain over every finding
    (thousands for an account with thousands of users).
    """
    return [
        found
        for result in results
        if isinstance(result, Mapping)
        for found in (result.get("findings") or [])
        if isinstance(found, Mapping) and found.get("status") == "fail"
    ]


def account_root_arn(arns: Iterable[str | None]) -> str | None:
    """The root ARN (``arn:<partition>:iam::<account>:root``), the resource of account-level findings, of the
    first ARN that names an account; None when none does."""
    for arn in arns:
        parsed = parse_aws_arn(arn) if arn else None
        if parsed and parsed["account_id"].isdigit():
            return f"arn:{parsed['partition']}:iam::{parsed['account_id']}:root"
    return None
