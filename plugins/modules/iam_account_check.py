#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_account_check
short_description: Check the support role and expired IAM server certificates and, when asked, fix them
version_added: 0.1.0
description:
  - Checks two account-wide controls in one task, so that the baseline pays one task per account for both.
  - V(support_role) (CIS AWS Foundations v3.0 1.17, v5.0 1.16) passes when a role has the AWS managed policy
    C(AWSSupportAccess) attached, read with one C(ListEntitiesForPolicy) call whatever the number of roles.
  - With O(support_role) set, the declared role is made so (unless in check mode, where RV(changed) predicts).
    It is created with a trust policy that lets O(support_role.trusted_principals) assume it, or, when a role of that
    name exists, given the policy and, when its trust policy says something else, the declared trust policy
    (O(support_role) declares whom the role trusts; the diff shows the trust policy before and after). No other
    role is ever created, changed or deleted.
  - V(server_certificates) (CIS v3.0 1.19, v5.0 1.18) fails for every IAM server certificate whose C(Expiration)
    is past, read with one C(ListServerCertificates) call. With O(delete_expired_server_certificates=true) the
    expired ones are deleted (C(DeleteServerCertificate)); a valid certificate never is. Under check mode
    RV(deleted_server_certificates) names each one that would be deleted.
  - Non-compliance is data in RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail instead.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  controls:
    description:
      - Which of the two controls to check (and, where asked, enforce).
    type: list
    elements: str
    choices: [support_role, server_certificates]
    default: [support_role, server_certificates]
  support_role:
    description:
      - The support role to create when no role of that name exists. Unset only checks.
      - Input is checked before any AWS call.
    type: dict
    suboptions:
      name:
        description: The role's name (IAM role name rules, at most 64 characters).
        type: str
        required: true
      path:
        description: The role's path when it is created (an existing role keeps its path).
        type: str
        default: /
      trusted_principals:
        description:
          - Who may assume the role, each a 12-digit account id (meaning that account's root, i.e. whoever that
            account's IAM policies allow) or the ARN of an account root, IAM user or IAM role. Wildcards are refused.
        type: list
        elements: str
        required: true
  delete_expired_server_certificates:
    description:
      - Delete the IAM server certificates that have expired. Valid certificates are never deleted.
    type: bool
    default: false
  fail_on_noncompliance:
    description:
      - Fail the task when a finding fails (after any change it made).
    type: bool
    default: false
notes:
  - "API calls of a check: C(iam:ListEntitiesForPolicy) and C(iam:ListServerCertificates), one page each for up
    to 1,000 roles or certificates, plus C(sts:GetCallerIdentity) only when no account ARN is at hand (no
    certificate, and no credential report in O(account_sources)). With O(support_role): C(iam:GetRole), and
    where needed C(iam:CreateRole), C(iam:UpdateAssumeRolePolicy), C(iam:AttachRolePolicy), then
    C(iam:ListEntitiesForPolicy) again to read the result back. With deletions: C(iam:DeleteServerCertificate)
    per expired certificate, then C(iam:ListServerCertificates) again."
  - Findings describe the account at the end of the run; under check mode that is the state found.
  - Only the certificates' metadata is read, never a certificate body or key.
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
  - accountguard.aws.sources
seealso:
  - module: amazon.aws.iam_role
  - module: amazon.aws.iam_server_certificate
"""

EXAMPLES = r"""
- name: Check both controls
  accountguard.aws.iam_account_check:
  register: account_check

- name: Create the support role for the security account's administrators
  accountguard.aws.iam_account_check:
    controls: [support_role]
    support_role:
      name: AWSSupportRole
      trusted_principals:
        - "arn:aws:iam::111122223333:role/SecurityAdmins"

- name: Delete expired server certificates (never a valid one)
  accountguard.aws.iam_account_check:
    controls: [server_certificates]
    delete_expired_server_certificates: true
"""

RETURN = r"""
changed:
  description: Whether the role or a certificate was (in check mode, would be) changed.
  returned: always
  type: bool
  sample: false
compliant:
  description: Whether no finding has status C(fail).
  returned: always
  type: bool
  sample: false
controls:
  description: The controls checked, in the module's order.
  returned: always
  type: list
  elements: str
  sample: [support_role, server_certificates]
changed_controls:
  description: The controls whose resources were (in check mode, would be) changed.
  returned: always
  type: list
  elements: str
  sample: [support_role]
findings:
  description:
    - For V(support_role) one account-level finding. For V(server_certificates) one finding per certificate
      left at the end of the run, or one account-level C(pass) when none is stored.
  returned: always
  type: list
  elements: dict
  sample:
    - id: server_certificates
      status: fail
      resource: arn:aws:iam::123456789012:server-certificate/old-site
      message: server certificate old-site expired on 2026-01-31 (308 days ago)
      cis: ["cis-aws-3.0:1.19", "cis-aws-5.0:1.18"]
support_role:
  description: The roles C(AWSSupportAccess) is attached to at the end of the run (predicted in check mode), and
    what was (would be) done to the declared role.
  returned: when V(support_role) is among O(controls)
  type: dict
  contains:
    roles:
      description: Names of the roles with the policy.
      type: list
      elements: str
      sample: [AWSSupportRole]
    declared:
      description: The declared role's steps, V(null) without O(support_role).
      type: dict
      sample: {"role_name": "AWSSupportRole", "created": true, "policy_attached": true, "trust_policy_updated": false}
server_certificates:
  description: The server certificates at the end of the run (as found in check mode), metadata only.
  returned: when V(server_certificates) is among O(controls)
  type: list
  elements: dict
  contains:
    name:
      description: The certificate's name.
      type: str
      sample: old-site
    arn:
      description: Its ARN.
      type: str
      sample: arn:aws:iam::123456789012:server-certificate/old-site
    path:
      description: Its path.
      type: str
      sample: /
    server_certificate_id:
      description: Its id.
      type: str
      sample: ASCACKCEVSQ6C2EXAMPLE
    upload_date:
      description: When it was uploaded (ISO 8601).
      type: str
      sample: "2025-01-31T10:00:00+00:00"
    expiration:
      description: When it expires or expired (ISO 8601).
      type: str
      sample: "2026-01-31T10:00:00+00:00"
    expired:
      description: Whether it has expired.
      type: bool
      sample: true
    days_since_expiry:
      description: Days since it expired, V(null) while valid.
      type: int
      sample: 308
deleted_server_certificates:
  description: Names of the expired certificates deleted (in check mode, that would be deleted).
  returned: when V(server_certificates) is among O(controls)
  type: list
  elements: str
  sample: [old-site]
diff:
  description: Under C(--diff), the declared role and the certificate names before and after.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"server_certificates": ["old-site"]}, "after": {"server_certificates": []}}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.iam_account_check import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
