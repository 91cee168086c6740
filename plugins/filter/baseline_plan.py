# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The baseline role's plan of one host (plugin_utils._baseline_plan), as a Jinja filter for the role's tasks."""

from __future__ import annotations

DOCUMENTATION = r"""
name: baseline_plan
author: accountguard.aws maintainers (@accountguard)
version_added: 1.0.0
short_description: What one host's baseline run does, derived from its variables (used by the baseline role)
description:
  - Derives from the role's variables which control families run under the run's C(--tags) and C(--skip-tags),
    which controls each checking task covers, which shared sources the account session reads, how the root user is
    checked, and the connection settings of the host's tasks.
  - Internal to the C(accountguard.aws.baseline) role, which calls it once per host; its input and output may
    change with the role.
options:
  _input:
    description: The role's C(_baseline_plan_variables).
    type: dict
    required: true
  features:
    description: The result of the read once per run of centralized root access (empty before it or without it).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan the host's run
  ansible.builtin.set_fact:
    _baseline_plan: "{{ _baseline_plan_variables | accountguard.aws.baseline_plan(features=_baseline_root_features) }}"
"""

RETURN = r"""
_value:
  description:
    - The plan, with the keys C(selected), C(runs), C(access_key_controls), C(iam_account_controls),
      C(policy_checks), C(root_checks), C(run_read), C(root_access), C(root_live), C(sources),
      C(run_organization), C(is_management_account), C(control_organization), C(connection),
      C(root_access_connection) and C(required_groups).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.plugin_utils._baseline_plan import plan


def baseline_plan(variables, features=None):
    try:
        return plan(variables, features)
    except (KeyError, TypeError, ValueError) as error:
        raise AnsibleFilterError(f"accountguard.aws.baseline_plan: {error}") from error


class FilterModule:
    def filters(self):
        return {"baseline_plan": baseline_plan}
