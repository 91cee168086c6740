# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the action plugin of the same name (plugins/action/drift_gate.py) does the work on the
# controller; no module code is ever sent anywhere.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: drift_gate
short_description: Sum up one account's drift, what only a person can do, and fail on drift when asked
version_added: 0.1.0
description:
  - The last task of the C(accountguard.aws.baseline) role. From the registered results of the role's control
    tasks it lists the account's drift, what only a person can do, and what the baseline reported but did not
    change, and with O(fail_on_drift=true) fails the host when the account drifted (so that
    C(ansible-playbook --check) exits non-zero).
  - "Drift is: under C(--check), an enforcing task that would change something; in any mode, a failing finding of
    a checking module. Each drift item names the role variable that would fix it, where one exists (for example
    C(baseline_access_keys_deactivate_stale) for stale access keys); root credentials need a person, except on
    a member account checked through C(sts:AssumeRoot), where C(baseline_root_remove_credentials) can remove them."
  - Runs on the controller only, makes no AWS call and never changes anything. The C(accountguard.aws.report)
    callback reads its result into the report.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  account_id:
    description: The account the results are of (C(aws_account_id)); named in the summary's first line.
    type: str
    required: true
  fail_on_drift:
    description: Fail when the account drifted (C(baseline_fail_on_drift)).
    type: bool
    default: false
  results:
    description:
      - The registered results of the role's control tasks. A task that did not run may be left out or given as
        an empty dictionary.
    type: dict
    default: {}
    suboptions:
      password_policy:
        description: Result of M(accountguard.aws.iam_password_policy).
        type: dict
        default: {}
      root:
        description: Result of M(accountguard.aws.root_key_check).
        type: dict
        default: {}
      root_live:
        description: Result of M(accountguard.aws.root_credentials) (a member account's root through C(sts:AssumeRoot)).
        type: dict
        default: {}
      mfa:
        description: Result of M(accountguard.aws.iam_mfa_status).
        type: dict
        default: {}
      admin_group:
        description: Result of M(accountguard.aws.iam_admin_group).
        type: dict
        default: {}
      iam_users:
        description: Result of M(accountguard.aws.iam_users).
        type: dict
        default: {}
      access_keys:
        description: Result of M(accountguard.aws.iam_access_keys).
        type: dict
        default: {}
      iam_account:
        description: Result of M(accountguard.aws.iam_account_check).
        type: dict
        default: {}
      policies:
        description: Result of M(accountguard.aws.iam_policy_check).
        type: dict
        default: {}
      root_credentials_management:
        description: Result of M(accountguard.aws.root_credentials_management).
        type: dict
        default: {}
  users:
    description:
      - The declared users (C(baseline_users)). Only each user's C(name), C(groups) and C(console_access) are
        read, to tell the declared members of the administrators group from the others, and the console users
        whose unused password is never removed.
    type: list
    elements: dict
    default: []
  users_purge:
    description: C(baseline_users_purge); undeclared users are reported as kept only when it is V(false).
    type: bool
    default: false
  admin_group_name:
    description: The administrators group's name (C(baseline_admin_group_name)).
    type: str
    default: Cloudadmin
  root_require_hardware_mfa:
    description: C(baseline_root_require_hardware_mfa), for the words of what a person must do about root MFA.
    type: bool
    default: false
  access_keys_deactivate_stale:
    description: C(baseline_access_keys_deactivate_stale), for the fix a stale access key gets.
    type: bool
    default: false
  users_replace_lost_access_keys:
    description: C(baseline_users_replace_lost_access_keys), for the fix a lost access key gets.
    type: bool
    default: false
  exceptions_file:
    description:
      - The accepted exceptions file (C(baseline_exceptions_file)); omit for none. A failing finding that an
        unexpired entry covers is listed under RV(accepted), not as drift, and does not fail the host with
        O(fail_on_drift=true); a finding only an expired entry covers is drift again and names that entry.
      - Entries of this account that have expired, or expire within O(exceptions_warn_days), are warnings.
      - Schema and matching rules in C(docs/accepted-exceptions.md) of the collection.
    type: path
  exceptions_base_dir:
    description: The directory a relative O(exceptions_file) is relative to; without it, the current directory.
    type: path
  exceptions_warn_days:
    description: C(baseline_exceptions_warn_days).
    type: int
    default: 14
  account_name:
    description: C(aws_account_name), for entries whose C(account) is an account name.
    type: str
  ou_path:
    description: C(aws_ou_path) (for example V(Root/Workloads/Prod)), for entries whose C(account) is V(ou:<path>).
    type: str
  account_tags:
    description: C(aws_account_tags), for entries whose C(account) is V(tag:<key>=<value>).
    type: dict
    default: {}
  support_role_declared:
    description: Whether C(baseline_support_role) declares a role, for the fix a missing support role gets.
    type: bool
    default: false
  server_certificates_delete_expired:
    description: C(baseline_server_certificates_delete_expired), for the fix an expired certificate gets.
    type: bool
    default: false
  security_contact_declared:
    description: Whether C(baseline_security_contact) declares a contact, for the fix a missing contact gets.
    type: bool
    default: false
  access_analyzer_create:
    description: C(baseline_access_analyzer), for the fix a region without an active analyzer gets.
    type: bool
    default: false
  cloudshell_access_detach:
    description: C(baseline_cloudshell_access_detach), for the fix an attached C(AWSCloudShellFullAccess) gets.
    type: bool
    default: false
  console_access_remove_unused:
    description: C(baseline_console_access_remove_unused), for the fix an unused console password gets.
    type: bool
    default: false
  root_access:
    description:
      - How the account's root was checked. V(assume_root) (a member account with root sessions on) gives failing
        root findings the fix C(baseline_root_remove_credentials) instead of a step only a person can take;
        V(management) (the Organization's management account) and V(off) keep the person.
    type: str
    choices: ["off", assume_root, management]
    default: "off"
  root_remove_credentials:
    description:
      - C(baseline_root_remove_credentials), for the fix a root finding gets and the note where it cannot apply.
    type: list
    elements: str
    default: []
  root_credentials_management_enable:
    description: C(baseline_root_credentials_management_enable), for the fix centralized root access gets.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Never changes anything; under check mode a task that would change counts as drift.
  connection:
    support: none
  delegation:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: all
seealso:
  - module: accountguard.aws.iam_access_keys
  - module: accountguard.aws.iam_users
"""

EXAMPLES = r"""
- name: Report what only a person can do, and fail on drift when asked
  accountguard.aws.drift_gate:
    account_id: "{{ aws_account_id }}"
    fail_on_drift: "{{ baseline_fail_on_drift }}"
    results:
      password_policy: "{{ _baseline_password_policy | default({}) }}"
      root: "{{ _baseline_root | default({}) }}"
    users: "{{ baseline_users }}"
"""

RETURN = r"""
drift:
  description: The drift items, would-change items first, then the failing findings in task order.
  returned: always
  type: list
  elements: dict
  contains:
    control:
      description: The control id.
      type: str
    message:
      description: C(would change), or the failing finding's message.
      type: str
    resource:
      description: The finding's resource (an ARN); empty for a task that would change.
      type: str
    fix_variable:
      description: The role variable that would fix it, or V(null) when none can.
      type: str
    fix:
      description: In words, what would fix it.
      type: str
    manual:
      description: Only a person can fix it (root credentials).
      type: bool
    expired_exception:
      description: The expired accepted exception that covered this finding until it lapsed, or V(null).
      type: dict
  sample:
    - control: access_key_rotation
      message: access key 1 of bob is 120 days old
      resource: arn:aws:iam::111111111111:user/bob
      fix_variable: baseline_access_keys_deactivate_stale
      fix: "set baseline_access_keys_deactivate_stale: true to deactivate the key (never deletes it)"
      manual: false
manual:
  description: What only a person can do, once per control.
  returned: always
  type: list
  elements: str
  sample: ["sign in as the root user and enrol an MFA device for it"]
notes:
  description: What was reported and not changed (undeclared users kept, undeclared administrators).
  returned: always
  type: list
  elements: dict
  contains:
    control:
      description: The control id.
      type: str
    message:
      description: What was found.
      type: str
    names:
      description: The users concerned.
      type: list
      elements: str
    fix_variable:
      description: The role variable that would change it, or V(null).
      type: str
    fix:
      description: In words, what would change it.
      type: str
accepted:
  description: The failing findings an unexpired accepted exception covers; not drift.
  returned: always
  type: list
  elements: dict
  contains:
    control:
      description: The control id.
      type: str
    message:
      description: The finding's message.
      type: str
    resource:
      description: The finding's resource (an ARN).
      type: str
    exception:
      description: The entry that accepts it - C(index) (position in the file, from 0), C(reason), C(owner),
        C(expires) (YYYY-MM-DD) and C(ticket).
      type: dict
exceptions:
  description:
    - The exceptions file as the gate applied it (C(file), C(today), C(warn_days), C(entries)) and the account its
      patterns were matched against (C(account)); the report callback applies the same entries on the same day.
      V(null) without O(exceptions_file).
  returned: always
  type: dict
summary:
  description: The lines shown on the console, also the task's C(msg).
  returned: always
  type: list
  elements: str
  sample: ["account 111111111111: 1 drift item(s)", "root_mfa: root user has no MFA", "only a person can:",
           "sign in as the root user and enrol an MFA device for it"]
account_id:
  description: The account.
  returned: always
  type: str
"""
