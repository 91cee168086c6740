#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_account_check
short_description: Check the support role, server certificates, security contact and Access Analyzer; fix on request
version_added: 0.1.0
description:
  - Checks four account-wide controls in one task, so that the baseline pays one task per account for all four.
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
  - V(security_contact) (CIS v3.0 1.2, v5.0 1.2) passes when the account has a C(SECURITY) alternate contact,
    read with one C(account:GetAlternateContact). With O(security_contact) set, the declared contact is put
    (C(account:PutAlternateContact)) when any of its four fields differs; the diff shows the contact before and
    after. Input is checked before any AWS call (email and phone shape, the API's lengths).
  - With O(security_contact_account_id), the contact read and put is that member account's, through the
    C(AccountId) parameter; the task's connection must then be the Organization's management account (or the
    Account Management delegated administrator), with trusted access for C(account.amazonaws.com) on.
  - V(access_analyzer) (CIS v3.0 1.20, v5.0 1.19) passes in each region where an external access analyzer (type
    C(ACCOUNT) or C(ORGANIZATION)) is C(ACTIVE), read with one C(access-analyzer:ListAnalyzers) per region of
    O(access_analyzer_regions) (default the connection's region); one finding per region. Unused- and
    internal-access analyzers do not count. With O(create_access_analyzer=true) an C(ACCOUNT) analyzer named
    O(access_analyzer_name) is created in each region without an active one; no analyzer is ever deleted or
    changed, and a region where an analyzer of that name exists but is not active stays a finding.
  - Non-compliance is data in RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail instead.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  controls:
    description:
      - Which of the four controls to check (and, where asked, enforce).
    type: list
    elements: str
    choices: [support_role, server_certificates, security_contact, access_analyzer]
    default: [support_role, server_certificates, security_contact, access_analyzer]
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
  security_contact:
    description:
      - The account's security alternate contact, put when it differs. Unset only checks.
      - Input is checked before any AWS call.
    type: dict
    suboptions:
      name:
        description: The contact's name (1 to 64 characters).
        type: str
        required: true
      title:
        description: The contact's title, e.g. C(Security team) (1 to 50 characters).
        type: str
        required: true
      email:
        description: The contact's email address (at most 254 characters).
        type: str
        required: true
      phone:
        description: The contact's phone number (digits, spaces and C(+ - ( )), at most 25 characters).
        type: str
        required: true
  security_contact_account_id:
    description:
      - Read (and put) the security contact of this member account through the C(AccountId) parameter, from the
        management account (or the Account Management delegated administrator) the task connects to. Unset, the
        contact is the connected account's own.
    type: str
  access_analyzer_regions:
    description:
      - The regions in which an active external access analyzer is required. Empty means the connection's
        region.
    type: list
    elements: str
    default: []
  create_access_analyzer:
    description:
      - Create an C(ACCOUNT) analyzer in each region of O(access_analyzer_regions) that has no active external
        access analyzer. Nothing is ever deleted.
    type: bool
    default: false
  access_analyzer_name:
    description: The name of the analyzers O(create_access_analyzer) creates.
    type: str
    default: accountguard-external-access
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
    per expired certificate, then C(iam:ListServerCertificates) again. V(security_contact):
    C(account:GetAlternateContact); with a differing declared contact also C(account:PutAlternateContact) and a
    second C(GetAlternateContact) to read it back. V(access_analyzer): one C(access-analyzer:ListAnalyzers) per
    region, and with O(create_access_analyzer=true) one C(access-analyzer:CreateAnalyzer) per region without an
    active analyzer."
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

- name: Register the security contact and an external access analyzer in two regions
  accountguard.aws.iam_account_check:
    controls: [security_contact, access_analyzer]
    security_contact:
      name: Security team
      title: Security operations
      email: security@example.com
      phone: "+1 555 0100"
    access_analyzer_regions: [us-east-1, eu-west-1]
    create_access_analyzer: true

- name: From the management account, the security contact of a member account
  accountguard.aws.iam_account_check:
    controls: [security_contact]
    security_contact_account_id: "111111111111"
    security_contact:
      name: Security team
      title: Security operations
      email: security@example.com
      phone: "+1 555 0100"
"""

RETURN = r"""
changed:
  description: Whether the role, a certificate, the contact or an analyzer was (in check mode, would be) changed.
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
    - For V(support_role) and V(security_contact) one account-level finding. For V(server_certificates) one
      finding per certificate left at the end of the run, or one account-level C(pass) when none is stored. For
      V(access_analyzer) one finding per region, its resource the active analyzer's ARN, or
      C(arn:aws:access-analyzer:<region>:<account>:analyzer) for a region without one.
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
security_contact:
  description: The security contact at the end of the run (as found in check mode).
  returned: when V(security_contact) is among O(controls)
  type: dict
  contains:
    contact:
      description: The contact (V(null) when none is registered).
      type: dict
      sample:
        name: Security team
        title: Security operations
        email: security@example.com
        phone: "+1 555 0100"
    account_id:
      description: O(security_contact_account_id), V(null) for the connected account's own.
      type: str
      sample: null
    declared:
      description: Whether O(security_contact) declared a contact.
      type: bool
      sample: true
    updated:
      description: Whether the declared contact was (in check mode, would be) put.
      type: bool
      sample: false
access_analyzer:
  description: Per region checked, the active external access analyzers, the other analyzers, and the analyzer
    created (in check mode, that would be created) there.
  returned: when V(access_analyzer) is among O(controls)
  type: dict
  contains:
    regions:
      description: Region name to C(active), C(others) (each C(name), C(arn), C(type), C(status)) and C(created).
      type: dict
      sample:
        us-east-1:
          active: []
          others: []
          created: arn:aws:access-analyzer:us-east-1:123456789012:analyzer/accountguard-external-access
    created_regions:
      description: The regions where an analyzer was (in check mode, would be) created.
      type: list
      elements: str
      sample: [us-east-1]
deleted_server_certificates:
  description: Names of the expired certificates deleted (in check mode, that would be deleted).
  returned: when V(server_certificates) is among O(controls)
  type: list
  elements: str
  sample: [old-site]
diff:
  description: Under C(--diff), the declared role, the certificate names, the contact and the active analyzers'
    names per region, before and after, keyed by control id.
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
