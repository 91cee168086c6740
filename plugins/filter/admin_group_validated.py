# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
name: admin_group_validated
short_description: Check the options of an administrators group on the controller, before any task writes
version_added: 0.1.0
description:
  - Takes the options of M(accountguard.aws.iam_admin_group) (C(name), C(path), C(managed_policies),
    C(mfa_guard)) and applies the module's own validation to them, without calling AWS.
  - Returns the options unchanged when they are valid, and fails the task that templates it otherwise, with
    every problem in one message.
  - For a play's first task, so that an invalid group name, path, policy ARN or guard fails the host before an
    earlier task (the password policy, say) writes, instead of at the group's own task. The baseline role uses it
    in its validation task; it costs no task and no API call.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  _input:
    description: The options of M(accountguard.aws.iam_admin_group), as a dictionary.
    type: dict
    required: true
  variables:
    description:
      - Names to use for the options in the message, for example the role variables they come from, keyed by
        option name (key V(name), value V(baseline_admin_group_name)). A key may name a sub-option, as in
        V(mfa_guard.policy_name).
      - Options without an entry are named as the module names them.
    type: dict
    default: {}
seealso:
  - module: accountguard.aws.iam_admin_group
"""

EXAMPLES = r"""
- name: Refuse a bad administrators group before anything is written
  ansible.builtin.assert:
    that: admin_group.name | length > 0
    quiet: true
  vars:
    admin_group: >-
      {{ {'name': group_name, 'path': group_path, 'managed_policies': group_policies}
         | accountguard.aws.admin_group_validated({'name': 'group_name', 'path': 'group_path'}) }}
"""

RETURN = r"""
_value:
  description: The options, unchanged.
  type: dict
"""

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.module_utils._admin_group import validate


def renamed(problem: str, variables: Mapping) -> str:
    """A problem of _admin_group.validate, which starts with the option's name, with that name replaced."""
    for option in sorted(variables, key=len, reverse=True):
        if problem.startswith(option) and problem[len(option) : len(option) + 1] in (" ", ":", "."):
            return str(variables[option]) + problem[len(option) :]
    return problem


def admin_group_validated(options, variables=None):
    if not isinstance(options, Mapping):
        raise AnsibleFilterError(
            "admin_group_validated expects the options of accountguard.aws.iam_admin_group as a dictionary, "
            f"got {type(options).__name__}"
        )
    variables = variables or {}
    if not isinstance(variables, Mapping):
        raise AnsibleFilterError(
            f"admin_group_validated: variables must be a dictionary, got {type(variables).__name__}"
        )
    # The module's argument spec guarantees these types; a template does not, and validate() relies on them.
    if options.get("mfa_guard") is not None and not isinstance(options["mfa_guard"], Mapping):
        raise AnsibleFilterError("Invalid administrators group: mfa_guard must be a dictionary or null")
    policies = options.get("managed_policies")
    if policies is not None and (isinstance(policies, (str, Mapping)) or not isinstance(policies, Sequence)):
        raise AnsibleFilterError(
            "Invalid administrators group: "
            + renamed(f"managed_policies must be a list of policy ARNs, got {type(policies).__name__}", variables)
        )
    problems = validate(dict(options))
    if problems:
        raise AnsibleFilterError(
            "Invalid administrators group (nothing was read or changed): "
            + "; ".join(renamed(problem, variables) for problem in problems)
        )
    return options


class FilterModule:
    def filters(self):
        return {"admin_group_validated": admin_group_validated}
