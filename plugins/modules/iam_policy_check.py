#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_policy_check
short_description: Check which IAM policies users, groups and roles hold; optionally detach CloudShell full access
version_added: 0.1.0
description:
  - Checks three controls from one read of the account's IAM policies, C(iam:GetAccountAuthorizationDetails)
    for users, groups, roles and customer managed policies, whatever the number of users or policies (only
    its pagination adds calls).
  - V(group_permissions) (CIS AWS Foundations v3.0 1.15, v5.0 1.14) fails every IAM user, declared by the
    baseline or not, that has a managed policy attached or an inline policy; permissions should come through
    groups.
  - V(admin_policies) (CIS v3.0 1.16, v5.0 1.15) fails every user, group and role with an attached policy
    (AWS managed, customer managed or inline) that allows every action on every resource. A policy counts when
    an C(Allow) statement has a full wildcard C(Action) (V(*), V(*:*)) and a V(*) C(Resource), conditions or
    not; C(NotAction) and C(NotResource) statements do not count, and an unconditional C(Deny) in the same
    document means it no longer grants everything. Customer managed policies are judged by their default
    version; AWS managed policies by name (their documents are AWS's and are not read), where only
    C(AdministratorAccess) allows everything.
  - The administrators group of the baseline (O(admin_group_name)) keeps the AWS managed C(AdministratorAccess)
    policy on purpose (the collection's docs/exceptions.md says why); it is reported as an accepted exception,
    a C(pass) finding whose message says so and gives the reason, and listed in RV(accepted). An inline or
    customer managed full-administrator policy on that group still fails.
  - V(cloudshell_access) (CIS v3.0 1.22, v5.0 1.21) fails every user, group and role with
    C(AWSCloudShellFullAccess) attached. With O(detach_cloudshell=true) the policy is detached from each of
    them (C(DetachUserPolicy), C(DetachGroupPolicy), C(DetachRolePolicy)); nothing is deleted. Under check
    mode nothing is changed and RV(changed) predicts.
  - Non-compliance is data in RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail instead.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  controls:
    description:
      - Which controls to check, among V(group_permissions), V(admin_policies) and V(cloudshell_access).
      - An empty list reads nothing.
    type: list
    elements: str
    default: [group_permissions, admin_policies, cloudshell_access]
  admin_group_name:
    description:
      - The administrators group whose AWS managed C(AdministratorAccess) is an accepted exception of
        V(admin_policies). Unset, no exception is made.
    type: str
  detach_cloudshell:
    description:
      - Detach C(AWSCloudShellFullAccess) from every user, group and role it is attached to. Needs
        V(cloudshell_access) in O(controls).
    type: bool
    default: false
  fail_on_noncompliance:
    description:
      - Fail when a finding has status C(fail) (the findings stay in the result).
    type: bool
    default: false
notes:
  - "API calls: C(iam:GetAccountAuthorizationDetails) (paginated), none when O(account_sources) holds
    C(authorization_details). Only a real run with O(detach_cloudshell=true) also detaches, one call for
    each attachment."
  - Findings describe the account at the end of the run; under check mode that is the state found.
  - Permissions boundaries, service control policies and resource policies are not read.
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
  - accountguard.aws.sources
seealso:
  - module: accountguard.aws.iam_admin_group
  - module: accountguard.aws.iam_users
"""

EXAMPLES = r"""
- name: Report users with policies of their own, full-administrator policies and CloudShell full access
  accountguard.aws.iam_policy_check:
    admin_group_name: Cloudadmin
  register: policies

- name: Detach AWSCloudShellFullAccess wherever it is attached
  accountguard.aws.iam_policy_check:
    controls: [cloudshell_access]
    detach_cloudshell: true
"""

RETURN = r"""
changed:
  description: Whether AWSCloudShellFullAccess was (or, in check mode, would be) detached from anything.
  returned: always
  type: bool
  sample: false
compliant:
  description: Whether no finding has status C(fail).
  returned: always
  type: bool
  sample: false
controls:
  description: The controls checked.
  returned: always
  type: list
  elements: str
  sample: [group_permissions, admin_policies, cloudshell_access]
findings:
  description:
    - For V(group_permissions) one finding per IAM user; for V(admin_policies) one C(fail) finding per
      full-administrator policy and holder, one C(pass) per accepted exception (its message starts with
      C(accepted exception:)), or one C(pass) for the account; for V(cloudshell_access) one C(fail) per
      attachment, or one C(pass) for the account.
  returned: always
  type: list
  elements: dict
  sample:
    - id: admin_policies
      status: fail
      resource: arn:aws:iam::123456789012:role/deploy
      message: >-
        customer managed AllowAll (arn:aws:iam::123456789012:policy/AllowAll) attached to role deploy allows
        every action on every resource
      cis: ["cis-aws-3.0:1.16", "cis-aws-4.0.1:1.16", "cis-aws-5.0:1.15", "cis-aws-6.0:2.15", "cis-aws-7.0:2.14"]
accepted:
  description: The accepted exceptions of V(admin_policies), with the reason in the message.
  returned: always
  type: list
  elements: dict
  sample:
    - id: admin_policies
      resource: arn:aws:iam::123456789012:group/Cloudadmin
      message: >-
        accepted exception: AWS managed AdministratorAccess (arn:aws:iam::aws:policy/AdministratorAccess)
        attached to group Cloudadmin: the baseline's MFA-guarded administrators group ...
changed_controls:
  description: The controls RV(changed) is for; V(cloudshell_access) when something was (would be) detached.
  returned: always
  type: list
  elements: str
  sample: [cloudshell_access]
detached:
  description: Where AWSCloudShellFullAccess was (in check mode, would be) detached.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: role
      name: ops
      arn: arn:aws:iam::123456789012:role/ops
      policy_arn: arn:aws:iam::aws:policy/AWSCloudShellFullAccess
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.policy_check import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
