#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: root_key_check
short_description: Check that the root user has no access keys and is not used day to day
version_added: 0.1.0
description:
  - Reports whether the root user of an AWS account has access keys, how many are active or inactive, when
    they were rotated and last used, whether root has MFA, and when root last signed in.
  - Reads the live account summary (C(GetAccountSummary)) and the credential report's C(<root_account>) row,
    or takes both from O(account_sources) without reading them again.
    AWS may return a credential report up to four hours old; when it disagrees with the live summary the
    summary decides whether keys exist, a warning says the report is stale, and
    RV(credential_report.consistent_with_summary) is V(false). A disagreement is never silently trusted.
  - Only reads the account, so it behaves the same in check mode. Non-compliance is returned as data in
    RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail the task instead.
  - Deleting root access keys needs the root user itself (or centralized root access in AWS Organizations),
    which is why this module checks and does not fix.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  allow_inactive_keys:
    description:
      - Treat inactive root access keys as compliant (the relaxation of the tutorial this collection grew from).
      - The CIS AWS Foundations Benchmark (v3.0 1.4, v5.0 1.3) requires root access keys to be deleted, so the
        default is V(false).
    type: bool
    default: false
  root_usage_window_days:
    description:
      - Report a C(root_usage) failure when root signed in with its password or used an access key within this
        many days (CIS v3.0 1.7, v5.0 1.6). From V(0) to V(3650).
      - V(0) skips the root usage check.
      - The baseline role sets it from its variable C(baseline_root_usage_window_days).
    type: int
    default: 1
    aliases: [root_usage_days]
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.credential_report
  - accountguard.aws.attributes.checking
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
  - accountguard.aws.sources
notes:
  - "Required IAM permissions: C(iam:GetAccountSummary), C(iam:GenerateCredentialReport),
    C(iam:GetCredentialReport); C(sts:GetCallerIdentity) only when the report has no root row."
  - API calls per run are constant; one account summary, one or more credential report generation polls and one
    report download, none of them for a source given in O(account_sources).
seealso:
  - module: accountguard.aws.iam_mfa_status
  - module: accountguard.aws.iam_password_policy
  - name: Root user best practices
    description: AWS guidance on protecting the root user.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html
  - name: Getting credential reports
    description: The report's columns and its four-hour reuse.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""

EXAMPLES = r"""
- name: Check root access keys (CIS strict, none at all)
  accountguard.aws.root_key_check:
  register: root_keys

- name: Show what is wrong
  ansible.builtin.debug:
    msg: "{{ root_keys.findings | selectattr('status', 'equalto', 'fail') | map(attribute='message') | list }}"

- name: Accept deactivated root keys and fail the play when root still has an active one
  accountguard.aws.root_key_check:
    allow_inactive_keys: true
    fail_on_noncompliance: true

- name: Only the key check, without the root usage check
  accountguard.aws.root_key_check:
    root_usage_window_days: 0
"""

RETURN = r"""
compliant:
  description: V(true) when every finding in RV(findings) has status C(pass).
  returned: always
  type: bool
  sample: false
root:
  description: The root user's access keys, MFA and last sign-in.
  returned: always
  type: dict
  contains:
    access_keys_present:
      description: Whether root has any access key, active or inactive (live account summary).
      type: bool
      returned: always
      sample: true
    active_access_keys:
      description: Number of active root access keys.
      type: int
      returned: always
      sample: 1
    inactive_access_keys:
      description: Number of inactive root access keys.
      type: int
      returned: always
      sample: 1
    access_keys:
      description: The root access keys the credential report shows (empty when the summary says there are none).
      type: list
      elements: dict
      returned: always
      contains:
        active:
          description: Whether the key is active.
          type: bool
          returned: always
          sample: true
        last_rotated:
          description: When the key was created or last rotated (ISO 8601, UTC).
          type: str
          returned: always
          sample: "2021-03-04T05:06:07+00:00"
        last_used_date:
          description: When the key was last used (ISO 8601, UTC); V(null) if never.
          type: str
          returned: always
          sample: "2024-04-30T00:00:00+00:00"
        last_used_service:
          description: The AWS service the key last called; V(null) if never used.
          type: str
          returned: always
          sample: s3
    mfa_active:
      description: Whether root has MFA (live account summary).
      type: bool
      returned: always
      sample: false
    password_last_used:
      description: When root last signed in with its password (ISO 8601, UTC); V(null) if never or unknown.
      type: str
      returned: always
      sample: "2024-05-01T10:00:00+00:00"
  sample:
    access_keys_present: true
    active_access_keys: 1
    inactive_access_keys: 0
    access_keys:
      - active: true
        last_rotated: "2021-03-04T05:06:07+00:00"
        last_used_date: null
        last_used_service: null
    mfa_active: false
    password_last_used: null
findings:
  description: One finding per check (C(root_access_keys), and C(root_usage) unless O(root_usage_window_days=0)).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The baseline control id.
      type: str
      returned: always
      sample: root_access_keys
    status:
      description: V(pass) or V(fail).
      type: str
      returned: always
      sample: fail
    resource:
      description: ARN of the checked resource (the root user).
      type: str
      returned: always
      sample: "arn:aws:iam::123456789012:root"
    message:
      description: One line saying what was found.
      type: str
      returned: always
      sample: root user has 1 active and 0 inactive access keys
    cis:
      description:
        - CIS AWS Foundations Benchmark recommendations, as C(cis-aws-<version>:<number>), for versions
          3.0, 4.0.1, 5.0, 6.0 and 7.0 in that order; a version without the recommendation is left out.
      type: list
      elements: str
      returned: always
      sample: ["cis-aws-3.0:1.4", "cis-aws-4.0.1:1.4", "cis-aws-5.0:1.3", "cis-aws-6.0:2.3", "cis-aws-7.0:2.4"]
credential_report:
  description: Which credential report was read and whether it agrees with the live account summary.
  returned: always
  type: dict
  contains:
    generated_time:
      description: When AWS generated the report (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2024-05-02T08:00:00+00:00"
    has_root_row:
      description: Whether the report has a C(<root_account>) row.
      type: bool
      returned: always
      sample: true
    consistent_with_summary:
      description: V(false) when the report and the live summary disagree about root keys or MFA (a stale report).
      type: bool
      returned: always
      sample: true
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.root_key_check import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
