#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: account_session
short_description: Open a session in one AWS account, prove the caller is really in it, read its shared sources
version_added: 0.1.0
description:
  - Asks C(sts:GetCallerIdentity) who the connection options lead to and compares the account with
    O(account_id) (the account guard). With O(role_arn), botocore first assumes that role (C(sts:AssumeRole)),
    exactly as every other module of the collection does with O(assume_role_arn). The assumed-role session is
    cached in O(credential_cache_dir) and shared by the later tasks of the account, so a run assumes each
    account's role once.
  - Both calls are read-only, so the module runs under C(--check) too, unlike M(amazon.aws.sts_assume_role),
    which is skipped in check mode and so cannot open per-account sessions for a drift check.
  - It returns no credentials, so nothing secret ever sits in a task variable that C(-vvv) or C(debug) could
    print; later tasks reach the account through the same connection options (for example in
    C(module_defaults) of C(group/accountguard.aws.aws)).
  - After the guard passed, it reads the account's shared sources named in O(sources) once and returns them
    in RV(sources), for the O(accountguard.aws.iam_password_policy#module:account_sources) option of the
    controls that need them.
  - A failure's message starts with O(account_id), when given, so that a run over many accounts names the one
    that stopped; O(fail_on_error=false) returns failures in RV(error) instead of failing, for a following task
    to report.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  account_id:
    description:
      - The 12-digit id of the account this session must act in (a string; quote it in YAML).
      - When set, the module fails (or reports RV(error)) if the caller's account differs.
    type: str
  role_arn:
    description:
      - ARN of a role in O(account_id) to assume, for example
        V(arn:aws:iam::111111111111:role/OrganizationAccountAccessRole).
      - The module's name for O(assume_role_arn); when set, O(role_session_name), O(duration_seconds) and
        O(external_id) replace O(assume_role_session_name), O(assume_role_duration_seconds) and
        O(assume_role_external_id).
      - Omit both to use the connection options (profile, keys, environment) as they are.
    type: str
  role_session_name:
    description:
      - Session name of the assumed role, visible in CloudTrail of the target account.
    type: str
    default: accountguard
  duration_seconds:
    description:
      - Lifetime of the assumed-role session, 900 to 43200 seconds (the role's maximum session
        duration applies as well). botocore renews it before it expires.
    type: int
    default: 3600
  external_id:
    description:
      - External id the role's trust policy requires, if any.
    type: str
  sources:
    description:
      - Shared sources of the account to read once, after the account guard passed, and return in RV(sources),
        for example V(password_policy).
      - Unknown names fail before any API call, listing the known ones.
      - "Known sources: V(password_policy), V(credential_report), V(account_summary), V(virtual_mfa_devices),
        V(group_names), V(authorization_details),
        V(organization) (C(organizations:DescribeOrganization); V(null) for an account in no Organization)."
    type: list
    elements: str
    default: []
  required_groups:
    description:
      - IAM groups that must already exist in the account (compared case-insensitively, as IAM does), for
        example the groups declared users join that no task of the run creates. A missing one fails like the
        account guard, before any later task can write. Costs one C(ListGroups) when not empty.
    type: list
    elements: str
    default: []
  fail_on_error:
    description:
      - When V(false), invalid options, AWS errors and an account mismatch do not fail the task; the module
        returns RV(ok=false) and the reason in RV(error).
    type: bool
    default: true
notes:
  - Calls C(sts:AssumeRole) (only with a role, and only when no cached session of it is valid) and
    C(sts:GetCallerIdentity); both are read-only. O(sources) adds the reads of those sources.
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.checking
  - accountguard.aws.connection
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
seealso:
  - module: amazon.aws.sts_assume_role
  - module: amazon.aws.aws_caller_info
"""

EXAMPLES = r"""
- name: Open the account session (assume the role, verify the account, read the password policy once)
  accountguard.aws.account_session:
    account_id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole
    sources: [password_policy]
  register: session

- name: Every AWS task of the block runs in that account, on the same cached role session
  module_defaults:
    group/accountguard.aws.aws:
      assume_role_arn: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole
  block:
    - name: Enforce the password policy with what the session read
      accountguard.aws.iam_password_policy:
        minimum_password_length: 14
        account_sources: "{{ session.sources }}"

- name: Only verify that the ambient credentials are in the expected account
  accountguard.aws.account_session:
    account_id: "123456789012"
"""

RETURN = r"""
ok:
  description: Whether the session is open and the caller is in O(account_id).
  returned: always
  type: bool
  sample: true
error:
  description:
    - Why the session could not be opened (also in a failed task's result); V(null) when it was opened.
    - An AWS error names its code and message, a dead endpoint its URL.
  returned: always
  type: str
  sample: "account guard: the credentials act in account 222222222222 (...), but this host is account 111111111111"
account_id:
  description: The account the session acts in (from C(sts:GetCallerIdentity)).
  returned: when the caller could be identified
  type: str
  sample: "111111111111"
arn:
  description: ARN of the caller.
  returned: when the caller could be identified
  type: str
  sample: arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRole/accountguard
user_id:
  description: Unique id of the caller.
  returned: when the caller could be identified
  type: str
  sample: AROAEXAMPLE:accountguard
assumed_role:
  description: Whether a role was assumed (O(role_arn) or O(assume_role_arn)).
  returned: always
  type: bool
  sample: true
sources:
  description:
    - The shared sources named in O(sources), keyed by name, as plain data (dates as ISO 8601 strings).
    - "V(authorization_details) travels as one JSON text, a dict with C(format) V(json) and C(content) the
      text: the users, groups, roles and customer managed policies of a large account would otherwise be
      walked item by item in every task they are handed to."
    - Pass it to the O(accountguard.aws.iam_password_policy#module:account_sources) option of later tasks.
  returned: when the session is open and O(sources) is not empty
  type: dict
  sample: {"password_policy": {"policy": {"MinimumPasswordLength": 14}}}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.account_session import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
