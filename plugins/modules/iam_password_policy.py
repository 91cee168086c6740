#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_password_policy
short_description: Enforce the IAM account password policy, honestly in check mode
version_added: 0.1.0
description:
  - Sets the password policy of an AWS account, or removes the custom policy so the AWS default applies.
  - A drop-in for M(amazon.aws.iam_password_policy) (the same option names and aliases), but options left
    unset keep the account's current value instead of being reset, nothing is written when the policy
    already matches, nothing at all is written in check mode, and C(--diff) shows the policy before and after.
  - C(UpdateAccountPasswordPolicy) replaces the whole policy, so the module sends the current policy merged
    with the options given. With no custom policy yet, unset options take the API defaults
    (minimum length 6, every other requirement off).
  - Out-of-range values fail before any API call, naming the option and its range.
  - Unlike M(amazon.aws.iam_password_policy), O(state) defaults to V(present), and RV(policy) uses this
    module's option names (for example C(require_uppercase), not C(require_uppercase_characters)); there is
    no C(task_status).
author:
  - accountguard.aws maintainers (@accountguard)
options:
  state:
    description:
      - V(present) makes the account's custom password policy match the options given.
      - V(absent) deletes the custom password policy (the account falls back to the AWS default policy).
        The policy options are ignored.
    type: str
    choices: [present, absent]
    default: present
  minimum_password_length:
    description:
      - Minimum number of characters in an IAM user password, from V(6) to V(128).
      - Unset keeps the account's current value.
    type: int
    aliases: [min_pw_length]
  require_symbols:
    description:
      - Require at least one non-alphanumeric character, such as C(!), C(#), C(%) or C(*).
    type: bool
  require_numbers:
    description:
      - Require at least one number (C(0) to C(9)).
    type: bool
  require_uppercase:
    description:
      - Require at least one uppercase letter of the Latin alphabet (C(A) to C(Z)).
    type: bool
  require_lowercase:
    description:
      - Require at least one lowercase letter of the Latin alphabet (C(a) to C(z)).
    type: bool
  allow_users_to_change_password:
    description:
      - Allow IAM users to change their own password.
    type: bool
    aliases: [allow_pw_change, allow_password_change]
  max_password_age:
    description:
      - Number of days a password stays valid, from V(0) to V(1095).
      - V(0) means passwords never expire.
    type: int
    aliases: [pw_max_age, password_max_age]
  password_reuse_prevention:
    description:
      - Number of previous passwords users may not reuse, from V(0) to V(24).
      - V(0) turns reuse prevention off.
    type: int
    aliases: [pw_reuse_prevent, password_reuse_prevent, prevent_reuse]
  hard_expiry:
    description:
      - Prevent users from setting a new password after their password has expired; an administrator must
        reset it.
    type: bool
    aliases: [pw_expire, password_expire, expire]
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
  - accountguard.aws.sources
notes:
  - "Required IAM permissions: C(iam:GetAccountPasswordPolicy), and C(iam:UpdateAccountPasswordPolicy) or
    C(iam:DeleteAccountPasswordPolicy) to change it. Check mode needs only the first."
  - The CIS AWS Foundations Benchmark (v3.0 1.8 and 1.9, v5.0 1.7 and 1.8) asks for a minimum length of 14 and
    reuse prevention of 24.
seealso:
  - module: amazon.aws.iam_password_policy
  - module: accountguard.aws.root_key_check
  - module: accountguard.aws.iam_mfa_status
  - name: Setting an account password policy for IAM users
    description: The AWS documentation of the policy and its defaults.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
"""

EXAMPLES = r"""
- name: Enforce the CIS password policy
  accountguard.aws.iam_password_policy:
    minimum_password_length: 14
    require_symbols: true
    require_numbers: true
    require_uppercase: true
    require_lowercase: true
    allow_users_to_change_password: true
    max_password_age: 90
    password_reuse_prevention: 24
    hard_expiry: false

- name: Raise only the minimum length; every other setting keeps its current value
  accountguard.aws.iam_password_policy:
    minimum_password_length: 16

- name: Show the drift without changing anything
  accountguard.aws.iam_password_policy:
    minimum_password_length: 14
    password_reuse_prevention: 24
  check_mode: true
  diff: true
  register: drift

- name: Same task written for amazon.aws.iam_password_policy (its option names work as aliases)
  accountguard.aws.iam_password_policy:
    state: present
    min_pw_length: 14
    require_symbols: true
    allow_pw_change: true
    pw_max_age: 90
    pw_reuse_prevent: 24
    pw_expire: false

- name: Remove the custom policy, back to the AWS default
  accountguard.aws.iam_password_policy:
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The account password policy after the task, with the module's option names as keys.
    - In check mode, the policy the task would set.
    - V(null) when the account has no custom password policy.
  returned: always
  type: dict
  sample:
    minimum_password_length: 14
    require_symbols: true
    require_numbers: true
    require_uppercase: true
    require_lowercase: true
    allow_users_to_change_password: true
    max_password_age: 90
    password_reuse_prevention: 24
    hard_expiry: false
    expire_passwords: true
  contains:
    minimum_password_length:
      description: Minimum password length.
      type: int
      returned: when a custom policy exists
      sample: 14
    require_symbols:
      description: Whether a symbol is required.
      type: bool
      returned: when a custom policy exists
      sample: true
    require_numbers:
      description: Whether a number is required.
      type: bool
      returned: when a custom policy exists
      sample: true
    require_uppercase:
      description: Whether an uppercase letter is required.
      type: bool
      returned: when a custom policy exists
      sample: true
    require_lowercase:
      description: Whether a lowercase letter is required.
      type: bool
      returned: when a custom policy exists
      sample: true
    allow_users_to_change_password:
      description: Whether users may change their own password.
      type: bool
      returned: when a custom policy exists
      sample: true
    max_password_age:
      description: Days a password stays valid; V(0) when passwords never expire.
      type: int
      returned: when a custom policy exists
      sample: 90
    password_reuse_prevention:
      description: Number of previous passwords that cannot be reused; V(0) when off.
      type: int
      returned: when a custom policy exists
      sample: 24
    hard_expiry:
      description: Whether an expired password can only be reset by an administrator.
      type: bool
      returned: when a custom policy exists
      sample: false
    expire_passwords:
      description: Whether passwords expire (derived by AWS from RV(policy.max_password_age)).
      type: bool
      returned: when a custom policy exists
      sample: true
changed_options:
  description:
    - Names of the options whose value differs between the account and the task (all of them when there
      was no custom policy). Empty when nothing changed or with O(state=absent).
  returned: always
  type: list
  elements: str
  sample: [minimum_password_length, password_reuse_prevention]
diff:
  description: The policy before and after the task (V(null) for no custom policy), with C(--diff) only.
  returned: when diff mode is on
  type: dict
  sample:
    before:
      minimum_password_length: 8
      require_symbols: false
    after:
      minimum_password_length: 14
      require_symbols: true
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.password_policy import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
