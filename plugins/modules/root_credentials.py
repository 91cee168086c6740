#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: root_credentials
short_description: Audit, and on request remove, the root credentials of member accounts through sts:AssumeRoot
version_added: 0.1.0
description:
  - Centralized root access of AWS Organizations. Runs with the credentials of the Organization's management
    account (or of the IAM delegated administrator), never with a role of the member account, and opens a short
    C(sts:AssumeRoot) session (900 seconds) for the root user of the member account O(account_id).
  - "The audit session (task policy C(IAMAuditRootUserCredentials)) reads root's credentials live, naming no user:
    C(ListAccessKeys), C(GetLoginProfile), C(ListMFADevices), C(ListSigningCertificates). This module reads no
    credential report: AWS may serve one up to four hours old."
  - "C(root_usage) judges root's last uses. With the member account's credential report in O(account_sources)
    (read anyway by the run's other controls) they come from its C(<root_account>) row, at no extra call;
    otherwise the session reads them: C(GetAccessKeyLastUsed) per root key and C(GetUser) when root has a
    password."
  - "RV(controls) and RV(changed_controls) say which root controls the task checked and which a removal changed:
    C(access_keys) and C(signing_certificates) change C(root_access_keys); C(login_profile) and C(mfa_devices)
    change C(root_mfa); C(root_usage) is never changed by a removal."
  - "Findings: C(root_access_keys), C(root_mfa), C(root_usage) (those in O(checks)). A root user with no password,
    no access keys and no signing certificates is compliant for all three: it cannot sign in or call AWS, and root
    MFA is then neither possible nor needed (CIS AWS Foundations v7.0; Prowler treats it the same)."
  - O(remove) deletes the listed kinds of root credential, and only those, in a second session with the task
    policy C(IAMDeleteRootUserCredentials). Under check mode nothing is deleted and no delete session is opened;
    with C(--diff) the diff names every key id, certificate id and MFA serial that would go.
  - AWS cannot open a root session for the management account itself; the baseline role never calls this module
    for it (see the role's C(baseline_root_remove_credentials)).
  - Without O(account_id) the module only reads whether the caller's Organization has root sessions on
    (C(iam:ListOrganizationsFeatures)) and its management account (C(organizations:DescribeOrganization)), and
    never fails for that read (RV(features.error) says why the answer is off).
  - A refused C(sts:AssumeRoot) fails the task with AWS's error code and message and what the call needs.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  account_id:
    description:
      - The member account whose root user is audited (12 digits). Never the management account.
      - Omit it to read the caller's Organization (C(organizations:DescribeOrganization)) and its root-session
        feature only.
    type: str
  partition:
    description:
      - The AWS partition of the account, for the root ARN of the findings.
    type: str
    default: aws
  checks:
    description:
      - The root controls to report findings for.
    type: list
    elements: str
    choices: [root_access_keys, root_mfa, root_usage]
    default: [root_access_keys, root_mfa, root_usage]
  remove:
    description:
      - The kinds of root credential to delete. Empty (the default) deletes nothing.
      - C(access_keys) (C(DeleteAccessKey)), C(signing_certificates) (C(DeleteSigningCertificate)),
        C(login_profile) (the console password, C(DeleteLoginProfile)), C(mfa_devices) (C(DeactivateMFADevice),
        then C(DeleteVirtualMFADevice) for a virtual device).
      - Root access comes back through the task policy C(IAMCreateRootUserPassword) or the password recovery of
        the root email address.
    type: list
    elements: str
    choices: [access_keys, signing_certificates, login_profile, mfa_devices]
    default: []
  allow_inactive_keys:
    description:
      - Treat inactive root access keys as compliant (CIS requires them deleted, so the default is V(false)).
    type: bool
    default: false
  root_usage_window_days:
    description:
      - A root sign-in or key use within this many days fails C(root_usage). V(0) skips that check.
    type: int
    default: 1
  require_hardware_mfa:
    description:
      - C(root_mfa) requires a hardware (or FIDO) device for a root user that has credentials.
    type: bool
    default: false
  root_sessions:
    description:
      - Without O(account_id), also read whether root sessions are on (C(iam:ListOrganizationsFeatures)), and warn
        when they cannot be read.
      - V(false) reads the Organization alone (one C(organizations:DescribeOrganization)), without a warning for
        a caller in no Organization; the baseline role does so once per run for the Organization's control
        C(root_credentials_management) of a static inventory. Not with O(account_id).
    type: bool
    default: true
  account_sources:
    description:
      - The member account's shared sources as M(accountguard.aws.account_session) returned them, read in the
        member account with its own role. Only the C(credential_report) is used, for C(root_usage)'s last uses.
      - This module never reads a source itself (it runs with the management account's credentials); without
        a credential report here, the root session reads the last uses live.
    type: dict
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
notes:
  - "Required permissions of the caller: C(sts:AssumeRoot), restricted with the condition key
    C(sts:TaskPolicyArn) to C(arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials) and (for O(remove))
    C(arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials); without O(account_id)
    C(iam:ListOrganizationsFeatures) and C(organizations:DescribeOrganization)."
  - "API calls per member account: one C(AssumeRoot) and four reads; for C(root_usage) without a credential report
    in O(account_sources), plus C(GetAccessKeyLastUsed) per root key and C(GetUser) when root has a password; none
    per IAM user. A removal adds one C(AssumeRoot) and one call per credential removed."
seealso:
  - module: accountguard.aws.root_key_check
  - name: Centrally manage root access for member accounts
    description: The AWS guide to RootCredentialsManagement, RootSessions and the task policies.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management
"""

EXAMPLES = r"""
- name: Audit the root user of a member account (run with the management account's credentials)
  accountguard.aws.root_credentials:
    account_id: "210987654321"
  register: root

- name: Delete its root access keys and signing certificates, and nothing else
  accountguard.aws.root_credentials:
    account_id: "210987654321"
    remove: [access_keys, signing_certificates]

- name: Is centralized root access on in this Organization?
  accountguard.aws.root_credentials:
  register: org
"""

RETURN = r"""
features:
  description: Without O(account_id), the Organization's root-session feature.
  returned: when O(account_id) is not given
  type: dict
  contains:
    root_sessions:
      description: Whether C(RootSessions) is on (V(false) also when it could not be read).
      type: bool
      returned: always
      sample: true
    enabled_features:
      description: C(ListOrganizationsFeatures)' EnabledFeatures.
      type: list
      elements: str
      returned: always
      sample: [RootCredentialsManagement, RootSessions]
    organization_id:
      description: The Organization's id.
      type: str
      returned: always
      sample: o-exampleorgid
    management_account_id:
      description: The Organization's management account.
      type: str
      returned: always
      sample: "123456789012"
    organization:
      description:
        - DescribeOrganization's C(Id), C(Arn), C(MasterAccountId) and C(FeatureSet), or V(null) for a caller in no
          Organization (or when it could not be read).
      type: dict
      returned: always
      sample: {"Id": "o-abcdefghij", "Arn": "arn:aws:organizations::123456789012:organization/o-abcdefghij",
               "MasterAccountId": "123456789012", "FeatureSet": "ALL"}
    error:
      description: Why the features could not be read (AWS's error code and message), else V(null).
      type: str
      returned: always
      sample: null
root_session:
  description: Whether the audit root session was opened.
  returned: when O(account_id) is given
  type: bool
  sample: true
root:
  description:
    - The root credentials (after the removal in a real run; as found under check mode).
    - Ids and dates, never a secret. C(usage) says where root's last uses come from (C(live), or
      C(credential_report) with its time and the key uses its root row holds).
  returned: when O(account_id) is given
  type: dict
  sample:
    access_keys:
      - access_key_id: AKIAEXAMPLE
        active: true
        created: "2024-01-01T00:00:00+00:00"
        last_used: null
        last_used_service: null
    login_profile: false
    password_last_used: null
    mfa_devices: []
    signing_certificates: []
    usage:
      source: credential_report
      generated_time: "2024-06-01T09:00:00+00:00"
      access_keys_last_used: []
controls:
  description: The root controls the task checked (O(checks)), and any whose credentials it removed.
  returned: when O(account_id) is given
  type: list
  elements: str
  sample: [root_access_keys, root_mfa, root_usage]
changed_controls:
  description:
    - The root controls whose credentials were removed (under check mode, would be removed), by kind
      (C(access_keys), C(signing_certificates) to C(root_access_keys); C(login_profile), C(mfa_devices) to
      C(root_mfa)); never C(root_usage). The report and the drift gate count a change for these only.
  returned: when O(account_id) is given
  type: list
  elements: str
  sample: [root_access_keys]
removals:
  description: The credentials removed (under check mode, that would be removed), C(kind) and C(id).
  returned: when O(account_id) is given
  type: list
  elements: dict
  sample: [{kind: access_keys, id: AKIAEXAMPLE}]
findings:
  description: One finding per control of O(checks) (C(root_usage) only when O(root_usage_window_days) is not 0).
  returned: when O(account_id) is given
  type: list
  elements: dict
  sample:
    - id: root_access_keys
      status: pass
      resource: "arn:aws:iam::210987654321:root"
      message: root user has no access keys
      cis: ["cis-aws-3.0:1.4", "cis-aws-5.0:1.3"]
compliant:
  description: V(true) when every finding passes.
  returned: when O(account_id) is given
  type: bool
  sample: true
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.root_credentials import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
