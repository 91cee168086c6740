#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: securityhub_import
short_description: Send an account's baseline findings to AWS Security Hub in that account
version_added: 0.1.0
description:
  - Turns the findings of the baseline's tasks (O(results), O(enforced)) into AWS Security Finding Format
    (ASFF 2018-10-08) findings and imports them into the account's own Security Hub with
    C(securityhub:BatchImportFindings), under the account's default product ARN
    C(arn:aws:securityhub:<region>:<account>:product/<account>/default), in batches of at most 100.
  - One finding per account, control and resource. Its C(Id) depends only on those three, so a second run updates
    the finding instead of adding one. C(GeneratorId) is C(accountguard.aws/<control id>);
    C(Compliance.Status) is C(PASSED) or C(FAILED), C(Compliance.RelatedRequirements) lists the CIS ids
    (C(cis-aws-3.0:1.4), ...), C(Resources) holds the resource's ARN (the account's root ARN for account-level
    controls), C(Severity) is the control's (C(INFORMATIONAL) when it passes).
  - A failing finding an unexpired accepted exception covers (O(exceptions_file)) is C(FAILED) with
    C(Workflow.Status) C(SUPPRESSED) and the exception's reason, owner and expiry in C(Note).
  - Resolution. One C(securityhub:GetFindings) listing reads this collection's earlier active findings in the account.
    A finding that passes now gets C(Workflow.Status) C(RESOLVED); one of a control checked in this run whose resource
    was not found again (a deleted user) is re-imported with C(RecordState) C(ARCHIVED) and resolved. Security Hub
    ignores C(Workflow) when C(BatchImportFindings) updates an existing finding, so these workflow changes of
    existing findings are made with C(securityhub:BatchUpdateFindings), only when one is due. A suppression or
    resolution that a person made on a finding that still fails is kept.
  - When Security Hub is not enabled in the account and region (C(InvalidAccessException)) the task fails, naming the
    cause; other accounts go on.
  - The import reports; it changes nothing in the account's configuration, so RV(changed) is always false.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  account_id:
    description: The account the results are of (C(aws_account_id)); every finding's C(AwsAccountId).
    type: str
    required: true
  results:
    description:
      - Registered results of checking tasks; each one's C(findings) (C(id), C(status), C(resource), C(message),
        C(cis)) is imported. Skipped or failed results are left out.
    type: list
    elements: raw
    default: []
  enforced:
    description:
      - Control id -> the registered result of the task that enforces it (C(password_policy), C(admin_group)) -
        one account-level finding, C(PASSED) once enforced, C(FAILED) when check mode says it would change.
    type: dict
    default: {}
  import_in_check:
    description:
      - Under check mode the module sends nothing (no call at all) unless this is true. Importing writes to Security
        Hub, not to IAM, so a user may want C(--check) to report there too.
    type: bool
    default: false
  accepted_exceptions:
    description:
      - Accepted exceptions that apply to this account today. The action plugin adds those of O(exceptions_file);
        give them here directly only when calling the module without that file.
    type: list
    elements: dict
    default: []
    suboptions:
      control:
        description: The control id.
        type: str
        required: true
      resource:
        description: An ARN glob; unset or C(*) covers every resource of the control.
        type: str
      reason:
        description: Why the deviation is accepted.
        type: str
        required: true
      owner:
        description: Who answers for it.
        type: str
        required: true
      expires:
        description: The last day it applies (C(YYYY-MM-DD)).
        type: str
        required: true
      ticket:
        description: A ticket reference.
        type: str
      index:
        description: The entry's position in its file.
        type: int
  exceptions_file:
    description:
      - An accepted exceptions file (docs/accepted-exceptions.md), read on the controller with the drift gate's
        rules; its unexpired entries whose account pattern matches O(account_id), O(account_name), O(ou_path) or
        O(account_tags) are added to O(accepted_exceptions).
    type: path
  exceptions_base_dir:
    description: The directory a relative O(exceptions_file) is relative to.
    type: path
  account_name:
    description: The account's name, for the account patterns of O(exceptions_file).
    type: str
  ou_path:
    description: The account's OU path, for the account patterns of O(exceptions_file).
    type: str
  account_tags:
    description: The account's tags, for the account patterns of O(exceptions_file).
    type: dict
    default: {}
notes:
  - "API calls: one C(securityhub:GetFindings) page per 100 earlier active findings, one
    C(securityhub:BatchImportFindings) per 100 findings, and C(securityhub:BatchUpdateFindings) per 100 findings
    whose workflow changes (none on a run where nothing was fixed, accepted or deleted)."
extends_documentation_fragment:
  - accountguard.aws.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
attributes:
  check_mode:
    support: full
    details:
      - Under check mode no call is made unless O(import_in_check=true), which then imports as in a normal run.
  diff_mode:
    support: none
seealso:
  - name: Security Hub finding format (ASFF)
    description: The format of the findings the module imports.
    link: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html
"""

EXAMPLES = r"""
- name: Send the account's findings to Security Hub
  accountguard.aws.securityhub_import:
    account_id: "{{ aws_account_id }}"
    results:
      - "{{ root_check }}"
      - "{{ mfa_check }}"
    enforced:
      password_policy: "{{ password_policy_result }}"
    exceptions_file: exceptions.yml
"""

RETURN = r"""
changed:
  description: Always false - importing findings reports, it changes nothing in the account's configuration.
  returned: always
  type: bool
  sample: false
imported:
  description: Whether findings were sent (false under check mode without O(import_in_check)).
  returned: always
  type: bool
  sample: true
product_arn:
  description: The product ARN the findings were imported under.
  returned: when imported
  type: str
  sample: arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default
region:
  description: The region of the Security Hub the findings went to.
  returned: when imported
  type: str
  sample: eu-west-1
controls:
  description: The controls whose findings were in O(results) or O(enforced).
  returned: always
  type: list
  elements: str
  sample: [root_access_keys, user_mfa]
counts:
  description:
    - Findings sent, by kind - C(failed), C(passed), C(suppressed) (accepted), C(archived) (gone since the last run),
      C(created) and C(updated).
  returned: when imported
  type: dict
  sample: {"failed": 2, "passed": 9, "suppressed": 1, "archived": 0, "created": 0, "updated": 12}
workflow_updates:
  description: The workflow changes made with BatchUpdateFindings.
  returned: when imported
  type: list
  elements: dict
  sample: [{"status": "RESOLVED", "count": 1}]
calls:
  description: The Security Hub calls made - C(get_findings) listings and C(writes) (import and update batches).
  returned: when imported
  type: dict
  sample: {"get_findings": 1, "writes": 1}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.securityhub_import import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
