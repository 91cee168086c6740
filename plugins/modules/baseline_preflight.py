#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: baseline_preflight
short_description: Check the baseline's input on the controller, before any AWS call
version_added: 0.1.0
description:
  - Applies the validation of M(accountguard.aws.iam_users), M(accountguard.aws.iam_admin_group) and
    M(accountguard.aws.iam_password_policy) to the users, the administrators group and the password policy,
    loads and validates the accepted exceptions file, and fails with every problem in one message, each naming
    the variable it comes from (see O(variables)).
  - For a play's first task, so that a bad entry fails the host before any control writes. It makes no AWS
    call and starts no module process (an action plugin that runs on the controller only).
  - Checks that need AWS, for example whether a user's group exists, stay with the modules themselves.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  users:
    description: The O(accountguard.aws.iam_users#module:users) to check.
    type: list
    elements: raw
    default: []
  credentials_dir:
    description:
      - The O(accountguard.aws.iam_users#module:credentials_dir) secrets would go to; checked (mode, type)
        when a user has console or programmatic access.
    type: path
  admin_group:
    description:
      - The options of M(accountguard.aws.iam_admin_group) to check (C(name), C(path), C(managed_policies),
        C(mfa_guard)); omit to skip.
    type: dict
  password_policy:
    description: The options of M(accountguard.aws.iam_password_policy) to check against their ranges; omit to skip.
    type: dict
  exceptions_file:
    description:
      - The accepted exceptions file (C(baseline_exceptions_file)) to load and validate; omit for none.
      - "Every problem names the entry (its index in C(exceptions)) and the key, for example
        C(exceptions[2].expires: 'next year' is not a date written YYYY-MM-DD). An entry whose C(expires) has passed
        is valid: it no longer matches, and the report lists it as expired."
      - Schema and matching rules in C(docs/accepted-exceptions.md) of the collection.
    type: path
  exceptions_base_dir:
    description:
      - The directory a relative O(exceptions_file) is relative to (the role passes the host's C(inventory_dir));
        without it, the current directory.
    type: path
  exceptions_warn_days:
    description: C(baseline_exceptions_warn_days), checked to be a whole number of days, 0 or more.
    type: raw
  support_role:
    description:
      - The support role of M(accountguard.aws.iam_account_check) (C(name), C(trusted_principals), optional
        C(path)) to check; omit to skip.
    type: raw
  security_contact:
    description:
      - The security alternate contact of M(accountguard.aws.iam_account_check) (C(name), C(title), C(email),
        C(phone)) to check (lengths, email and phone shape); omit to skip.
    type: raw
  access_analyzer:
    description:
      - The IAM Access Analyzer settings of M(accountguard.aws.iam_account_check) to check, C(regions) (region
        names), C(name) (the analyzer name to create) and C(create) (a boolean); omit to skip.
    type: dict
  access_keys:
    description:
      - The day and key limits of M(accountguard.aws.iam_access_keys) (C(max_age_days), C(max_unused_days),
        C(max_active_keys), C(console_max_unused_days)) to check against their ranges; omit to skip.
    type: dict
  variables:
    description:
      - Names to use in the messages, keyed by the option path they replace, for example key V(users) with value
        V(baseline_users), or key V(admin_group.mfa_guard.policy_name). The longest matching key wins.
      - Options without an entry are named as above (V(users[0]), V(admin_group.name), ...).
    type: dict
    default: {}
attributes:
  check_mode:
    description: Runs the same in check mode; it only looks at its arguments.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
notes:
  - No AWS call; never changes anything.
seealso:
  - module: accountguard.aws.iam_users
  - module: accountguard.aws.iam_admin_group
  - module: accountguard.aws.iam_password_policy
"""

EXAMPLES = r"""
- name: Refuse bad input before anything is read or written
  accountguard.aws.baseline_preflight:
    users: "{{ baseline_users }}"
    admin_group:
      name: "{{ baseline_admin_group_name }}"
      path: "{{ baseline_admin_group_path }}"
      managed_policies: "{{ baseline_admin_group_policies }}"
    password_policy: "{{ baseline_password_policy }}"
    variables:
      users: baseline_users
      admin_group.name: baseline_admin_group_name
      admin_group.path: baseline_admin_group_path
      admin_group.managed_policies: baseline_admin_group_policies
      password_policy: baseline_password_policy
"""

RETURN = r"""
validated:
  description: V(true) when nothing was wrong.
  returned: success
  type: bool
  sample: true
exceptions_file:
  description: The absolute path of the validated O(exceptions_file).
  returned: success, when O(exceptions_file) is set
  type: str
  sample: /srv/inventories/org/exceptions.yml
"""
