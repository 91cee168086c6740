# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
name: failing_findings
short_description: The failing findings of several accountguard.aws task results
version_added: 0.1.0
description:
  - Takes a list of registered results of the collection's modules and returns their findings whose status is
    C(fail), in order. Results that did not run, or have no findings, add none.
  - The same as a C(map(attribute='findings') | flatten | selectattr('status', 'eq', 'fail')) chain, in one pass.
    An account with thousands of users has thousands of findings, and the baseline role's drift gate reads the
    failing ones several times.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  _input:
    description: Registered results of M(accountguard.aws.root_key_check), M(accountguard.aws.iam_mfa_status),
      M(accountguard.aws.iam_access_keys), M(accountguard.aws.iam_users) or any module that returns C(findings).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Show what failed
  ansible.builtin.debug:
    msg: "{{ [root_result, mfa_result] | accountguard.aws.failing_findings | map(attribute='message') }}"
"""

RETURN = r"""
_value:
  description: The failing findings, each C(id), C(status), C(resource), C(message), C(cis).
  type: list
  elements: dict
"""

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.module_utils._findings import failing


def failing_findings(results):
    if isinstance(results, (str, bytes)) or not isinstance(results, Sequence):
        raise AnsibleFilterError(f"failing_findings expects a list of task results, got {type(results).__name__}")
    return failing(results)


class FilterModule:
    def filters(self):
        return {"failing_findings": failing_findings}
