#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_admin_group
short_description: Ensure an IAM administrators group, its managed policies and its deny-unless-MFA guard
version_added: 0.1.0
description:
  - Makes an IAM group exist with its path, its managed policies and, optionally, an inline guard policy
    (typically one that denies everything but the self-service MFA actions without an MFA session), in one
    module call.
  - Replaces the pair M(amazon.aws.iam_group) and M(amazon.aws.iam_policy) for this job. Unlike
    M(amazon.aws.iam_policy), a denied read (C(AccessDenied)) fails the task with the AWS error, which names
    the missing permission, instead of being taken for "no inline policy"; and in check mode a group that does
    not exist yet is reported with everything the task would create, its guard included.
  - The guard policy is compared by meaning, not by text (statement and list order, a single action written as
    a string and a missing C(Version) do not count), and written only when it differs.
  - Nothing is deleted. The group is never removed, managed policies not listed are detached only with
    O(purge_policies=true), and other inline policies of the group are left alone. Group members are reported,
    not managed (M(accountguard.aws.iam_users) adds users to groups).
  - All options are validated before any API call.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  name:
    description:
      - Name of the group, 1 to 128 letters, numbers and V(+=,.@_-). IAM group names are unique
        case-insensitively.
    type: str
    required: true
    aliases: [group_name]
  path:
    description:
      - IAM path of the group, V(/) or a string that starts and ends with V(/).
      - Used when the group is created; an existing group with another path is moved to this one
        (C(iam:UpdateGroup)), which changes its ARN.
      - Unset keeps the path of an existing group, and creates a new one at V(/).
    type: str
  managed_policies:
    description:
      - ARNs of the managed policies the group must have attached, for example
        V(arn:aws:iam::aws:policy/AdministratorAccess). At most 20.
      - Policy names are not accepted, because resolving them would need C(iam:ListPolicies) on every run.
    type: list
    elements: str
    default: []
  purge_policies:
    description:
      - Detach managed policies that are attached to the group but not listed in O(managed_policies).
      - Off by default, so a policy someone attached by hand is only reported in RV(attached_policies).
    type: bool
    default: false
  mfa_guard:
    description:
      - The inline policy that guards the group, typically a deny-unless-MFA policy.
      - Unset means no guard is managed; an existing inline policy is neither read nor removed.
    type: dict
    suboptions:
      policy_name:
        description:
          - Name of the inline group policy, 1 to 128 letters, numbers and V(+=,.@_-).
        type: str
        required: true
      policy_document:
        description:
          - The policy document, as a dictionary or a JSON string. At most 5,120 characters without whitespace.
        type: json
        required: true
  state:
    description:
      - Only V(present) is supported. The module never deletes the group.
    type: str
    choices: [present]
    default: present
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - accountguard.aws.connection
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - "Required IAM permissions: C(iam:GetGroup), C(iam:ListAttachedGroupPolicies) and, with O(mfa_guard),
    C(iam:GetGroupPolicy) to check; C(iam:CreateGroup), C(iam:AttachGroupPolicy) and C(iam:PutGroupPolicy) to
    apply; C(iam:UpdateGroup) when the path of an existing group changes, C(iam:DetachGroupPolicy) with
    O(purge_policies=true)."
  - Three read calls per run (two without O(mfa_guard)), whatever the number of members, plus one call per
    further 1,000 members. After writes the module reads the group again before it reports, waiting while IAM
    does not show a group it has just created.
  - The CIS AWS Foundations Benchmark (v3.0 1.16) flags policies that allow C(*:*), such as
    C(AdministratorAccess); requiring MFA for the group's members is the usual trade-off.
seealso:
  - module: amazon.aws.iam_group
  - module: amazon.aws.iam_policy
  - module: accountguard.aws.iam_users
  - name: "IAM tutorial: enable your users to configure their own credentials and MFA settings"
    description: The AWS example of a deny-unless-MFA policy.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/tutorial_users-self-manage-mfa-and-creds.html
"""

EXAMPLES = r"""
- name: Administrators group with AdministratorAccess, guarded by MFA
  accountguard.aws.iam_admin_group:
    name: Cloudadmin
    managed_policies:
      - arn:aws:iam::aws:policy/AdministratorAccess
    mfa_guard:
      policy_name: RequireMFA
      policy_document: "{{ lookup('ansible.builtin.file', 'require-mfa.json') }}"
  register: admins

- name: Show who is an administrator
  ansible.builtin.debug:
    msg: "{{ admins.group.users | map(attribute='user_name') | list }}"

- name: Show the drift without changing anything
  accountguard.aws.iam_admin_group:
    name: Cloudadmin
    managed_policies:
      - arn:aws:iam::aws:policy/AdministratorAccess
    mfa_guard:
      policy_name: RequireMFA
      policy_document:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyAllWithoutMFA
            Effect: Deny
            NotAction:
              - iam:ChangePassword
              - iam:CreateVirtualMFADevice
              - iam:EnableMFADevice
              - iam:GetUser
              - iam:ListMFADevices
              - sts:GetSessionToken
            Resource: "*"
            Condition:
              BoolIfExists:
                aws:MultiFactorAuthPresent: "false"
  check_mode: true
  diff: true

- name: Only the listed managed policies, detach any other
  accountguard.aws.iam_admin_group:
    name: Cloudadmin
    path: /admins/
    managed_policies:
      - arn:aws:iam::aws:policy/AdministratorAccess
    purge_policies: true
"""

RETURN = r"""
group:
  description:
    - The group after the task; in check mode, the group the task would leave.
    - For a group that check mode would create, RV(group.arn) and RV(group.group_id) are V(null) and
      RV(group.users) is empty.
  returned: always
  type: dict
  contains:
    group_name:
      description: The group's name, as IAM stores it.
      type: str
      returned: always
      sample: Cloudadmin
    group_id:
      description: The group's unique id.
      type: str
      returned: always
      sample: AGPA12345EXAMPLE54321
    arn:
      description: The group's ARN.
      type: str
      returned: always
      sample: arn:aws:iam::123456789012:group/Cloudadmin
    path:
      description: The group's path.
      type: str
      returned: always
      sample: /
    users:
      description: The members of the group (all of them, read page by page).
      type: list
      elements: dict
      returned: always
      sample: [{user_name: alice, arn: "arn:aws:iam::123456789012:user/alice"}]
      contains:
        user_name:
          description: The member's user name.
          type: str
          returned: always
          sample: alice
        arn:
          description: The member's ARN.
          type: str
          returned: always
          sample: arn:aws:iam::123456789012:user/alice
attached_policies:
  description:
    - The managed policies attached to the group after the task; in check mode, the ones it would leave.
    - Policies attached by hand stay here unless O(purge_policies=true).
  returned: always
  type: list
  elements: dict
  sample: [{policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess", policy_name: AdministratorAccess}]
  contains:
    policy_arn:
      description: The policy's ARN.
      type: str
      returned: always
      sample: arn:aws:iam::aws:policy/AdministratorAccess
    policy_name:
      description: The policy's name (the last part of its ARN).
      type: str
      returned: always
      sample: AdministratorAccess
mfa_guard:
  description:
    - The guard policy as the task found it, before any change (the drift); RV(actions) says what the task
      did or would do about it.
  returned: when O(mfa_guard) is set
  type: dict
  contains:
    policy_name:
      description: The name of the inline policy.
      type: str
      returned: always
      sample: RequireMFA
    present:
      description: Whether the group had an inline policy of that name.
      type: bool
      returned: always
      sample: true
    up_to_date:
      description: Whether its document meant the same as O(mfa_guard.policy_document).
      type: bool
      returned: always
      sample: false
actions:
  description:
    - The writes the task made, or would make in check mode, in order. Empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample:
    - create_group:/
    - attach_policy:arn:aws:iam::aws:policy/AdministratorAccess
    - put_group_policy:RequireMFA
diff:
  description:
    - What the task manages before and after, with C(--diff) only. V(null) before a group that did not exist.
    - C(mfa_guard) is present only when O(mfa_guard) is set, and V(null) when the group had no such policy.
  returned: when diff mode is on
  type: dict
  sample:
    before:
      group_name: Cloudadmin
      path: /
      managed_policies: []
      mfa_guard: null
    after:
      group_name: Cloudadmin
      path: /
      managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
      mfa_guard:
        policy_name: RequireMFA
        policy_document: {Version: "2012-10-17", Statement: []}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.admin_group import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
