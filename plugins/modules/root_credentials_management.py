#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: root_credentials_management
short_description: Check, and when asked enable, centralized root access for an AWS Organization
version_added: 0.1.0
description:
  - Checks the C(root_credentials_management) control (CIS AWS Foundations v7.0 2.1.1) of the Organization the
    account belongs to. Centralized root access is on when trusted access for C(iam.amazonaws.com) is enabled
    in AWS Organizations and IAM's Organizations features C(RootCredentialsManagement) and C(RootSessions) are
    both enabled. With them, the management account can audit and remove the root credentials of member
    accounts (C(sts:AssumeRoot)) instead of a person signing in as each account's root user.
  - The setting belongs to the Organization, not to an account, so the control runs once per Organization, on
    its management account. The module asks C(organizations:DescribeOrganization) whether the account is the
    management account (C(MasterAccountId)). Any other account is V(skipped) with the reason in RV(msg), and
    the module makes no other call there; an account in no Organization (C(AWSOrganizationsNotInUseException))
    is skipped likewise.
  - With O(management_account=false) (the C(aws_management_account) host variable of the
    M(accountguard.aws.organizations) inventory, which has read the Organization already, or the Organization
    the baseline role reads once per run) the module skips without any API call. With O(account_sources) holding
    C(organization) (a dict whose key C(organization) holds DescribeOrganization's C(Organization), read once
    per run) it makes no C(DescribeOrganization) of its own.
  - On the management account it reads C(organizations:ListAWSServiceAccessForOrganization) and, when trusted
    access for IAM is on, C(iam:ListOrganizationsFeatures) (IAM refuses that read without trusted access), and
    returns one finding whose resource is the Organization's ARN.
  - With O(enable=true) it enables trusted access for IAM (C(organizations:EnableAWSServiceAccess)) when it is
    off, then each feature that is off (C(iam:EnableOrganizationsRootCredentialsManagement),
    C(iam:EnableOrganizationsRootSessions)), and reads the result back. It never disables anything. Check mode
    makes no write call; RV(enabled) and the diff say what would be enabled.
  - An Organization that is not in all-features mode cannot use centralized root access; the finding says so
    and O(enable=true) only warns, since enabling all features needs every member account's approval.
  - Non-compliance is data in RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail instead.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  enable:
    description:
      - Enable trusted access for C(iam.amazonaws.com) and the features C(RootCredentialsManagement) and
        C(RootSessions), each only when it is off.
    type: bool
    default: false
  account_id:
    description:
      - The 12-digit id of the account the connection acts in (a string; quote it in YAML).
      - Unset asks C(sts:GetCallerIdentity).
    type: str
  management_account:
    description:
      - What the run already knows. V(false) skips without any API call (the account is not the management
        account); V(true) or unset let the Organization (C(organizations:DescribeOrganization), or
        O(account_sources)'s C(organization)) decide.
    type: bool
  fail_on_noncompliance:
    description:
      - Fail the task when centralized root access is not enabled (after O(enable) did its part).
    type: bool
    default: false
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
  - accountguard.aws.sources
notes:
  - "Required permissions in the management account: C(organizations:DescribeOrganization),
    C(organizations:ListAWSServiceAccessForOrganization), C(iam:ListOrganizationsFeatures); with O(enable=true)
    also C(organizations:EnableAWSServiceAccess), C(iam:EnableOrganizationsRootCredentialsManagement) and
    C(iam:EnableOrganizationsRootSessions). Enabling trusted access from IAM's side may also need
    C(iam:CreateServiceLinkedRole) in AWS. Other accounts need only C(organizations:DescribeOrganization)."
  - The IAM delegated administrator can read the features but not enable them; it is treated as any other
    member account and skipped.
seealso:
  - module: accountguard.aws.root_key_check
  - name: Centrally manage root access for member accounts
    description: The AWS documentation of centralized root access.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management
"""

EXAMPLES = r"""
- name: Check centralized root access (skipped on every account but the management account)
  accountguard.aws.root_credentials_management:
    account_id: "{{ aws_account_id }}"
    management_account: "{{ aws_management_account | default(omit) }}"
  register: root_access

- name: Enable it, showing first what would be enabled
  accountguard.aws.root_credentials_management:
    enable: true
  check_mode: true
  diff: true
"""

RETURN = r"""
msg:
  description: Why the control was skipped on this account.
  returned: when skipped
  type: str
  sample: >-
    account 222222222222 is a member of the Organization o-abcdefghij: the control runs once per Organization,
    on the host of its management account 111111111111
skipped:
  description: V(true) when the account is not its Organization's management account or is in no Organization.
  returned: when skipped
  type: bool
  sample: true
placement:
  description: V(management), V(member) or V(standalone) (in no Organization).
  returned: always
  type: str
  sample: management
organization:
  description: The Organization as DescribeOrganization names it; V(null) when unknown or none.
  returned: always
  type: dict
  sample: {"id": "o-abcdefghij", "arn": "arn:aws:organizations::111111111111:organization/o-abcdefghij",
           "management_account_id": "111111111111", "feature_set": "ALL"}
root_access:
  description: Trusted access for IAM and the two features after the task (in check mode, as they would be).
  returned: on the management account
  type: dict
  sample: {"trusted_access": true, "features": {"RootCredentialsManagement": true, "RootSessions": true}}
enabled:
  description: What the task enabled, or would enable in check mode, in order.
  returned: on the management account
  type: list
  elements: str
  sample: [trusted_access, RootCredentialsManagement, RootSessions]
compliant:
  description: Whether centralized root access is enabled (in check mode, as found).
  returned: on the management account
  type: bool
  sample: false
findings:
  description:
    - One finding for the Organization, C(id) V(root_credentials_management), C(resource) the Organization's
      ARN. In check mode it describes the Organization as found.
  returned: on the management account
  type: list
  elements: dict
  sample:
    - id: root_credentials_management
      status: fail
      resource: arn:aws:organizations::111111111111:organization/o-abcdefghij
      message: "centralized root access is not enabled for the Organization o-abcdefghij: RootSessions off"
      cis: ["cis-aws-7.0:2.1.1"]
diff:
  description: RV(root_access) before and after, with C(--diff) only.
  returned: when diff mode is on, on the management account
  type: dict
  sample:
    before: {"trusted_access": false, "features": {"RootCredentialsManagement": false, "RootSessions": false}}
    after: {"trusted_access": true, "features": {"RootCredentialsManagement": true, "RootSessions": true}}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.root_credentials_management import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
