#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_access_keys
short_description: Check access keys and console passwords, and deactivate or remove stale ones when asked
version_added: 0.1.0
description:
  - Checks every IAM user's access keys against the C(access_key_rotation) control (CIS AWS Foundations v3.0
    1.12 to 1.14, v5.0 1.11 to 1.13) from one credential report, whatever the number of users.
  - With O(controls) it also checks, from the same report and without any further read, C(console_access_unused)
    (CIS v3.0 1.12 for passwords, v5.0 1.11) and C(initial_access_keys) (CIS v3.0 1.11, v5.0 1.10); see
    O(controls).
  - An active key is V(too_old) when it is older than O(max_age_days), V(unused) when it has not been used for
    O(max_unused_days) days or more (a key that was never used counts from its creation, unlike Prowler, which
    passes never-used keys), and every active key of a user with more than O(max_active_keys) active keys
    carries V(too_many_active_keys). Inactive keys never fail.
  - The rules are decided from the credential report alone, whatever the number of users, and keys are named by
    user and key slot (RV(access_keys[].key_slot), the report's C(access_key_1) and C(access_key_2) columns),
    since the report has no access key ids. A check (O(deactivate_stale=false), or check mode) makes no call per
    user.
  - The credential report may be up to four hours old (AWS generates a new one at most every four hours), and
    a check reports what it shows (see RV(credential_report)), so a key deactivated, rotated or
    deleted since is reported as the report has it until AWS generates the next report.
  - A real run with O(deactivate_stale=true) lists the keys of the users it will deactivate a key of (and only
    theirs, C(ListAccessKeys)), for the ids that C(UpdateAccessKey) needs; their live status wins over the
    report, so a key deactivated since the report is left alone and not reported again.
  - With O(deactivate_stale=true) active keys that are V(too_old) or V(unused) are deactivated
    (C(UpdateAccessKey) to C(Inactive)), never deleted, so an owner can still reactivate a key that turns out
    to be needed. Which of several young, used keys is the spare cannot be known, so V(too_many_active_keys)
    alone never deactivates a key. Under check mode nothing is changed and RV(changed) predicts.
  - Non-compliance is data in RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail instead.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  controls:
    description:
      - The controls to check, among V(access_key_rotation), V(console_access_unused) and V(initial_access_keys).
        Only the controls named here return findings or change anything.
      - V(console_access_unused) fails every user whose console password was not used to sign in for
        O(console_max_unused_days) days or more. A password that was never used counts from when it was set
        (the report's C(password_last_changed)), as the CIS audit does, not from the user's creation; Prowler
        passes never-used passwords.
      - V(initial_access_keys) fails every active access key of a console user (a user with a password) that was
        never used, one finding per key (the CIS audit of "no access keys at initial set-up", and Prowler's rule).
        It only reports.
    type: list
    elements: str
    choices: [access_key_rotation, console_access_unused, initial_access_keys]
    default: [access_key_rotation]
  console_max_unused_days:
    description:
      - Console passwords not used for this many days or more fail C(console_access_unused) (CIS "unused for 45
        days or more"). From V(1) to V(3650).
    type: int
    default: 45
  remove_unused_console_access:
    description:
      - Delete the login profile (the console password) of every user that fails C(console_access_unused), except
        the users in O(keep_console_access). The user, its access keys and its MFA devices stay. Only with
        V(console_access_unused) in O(controls).
      - A real run reads each such user first (C(GetUser)); a sign-in newer than the credential report spares the
        user, with a warning.
    type: bool
    default: false
  keep_console_access:
    description:
      - User names (case-insensitive) whose console password is never removed, however long unused; they still
        fail the check. The baseline role passes the users it declares with console access.
    type: list
    elements: str
    default: []
  max_age_days:
    description:
      - Active keys older than this many days fail (CIS "rotated every 90 days or less"). From V(1) to V(3650).
    type: int
    default: 90
  max_unused_days:
    description:
      - Active keys not used for this many days or more fail (CIS "unused for 45 days or greater"). A key
        that was never used counts from its creation date. From V(1) to V(3650).
    type: int
    default: 45
  max_active_keys:
    description:
      - Users with more active keys than this fail (CIS "only one active access key"). From V(0) to V(2).
    type: int
    default: 1
  users:
    description:
      - Only check these IAM user names (case-insensitive). Unset checks every IAM user; the root user's keys
        are the business of M(accountguard.aws.root_key_check).
    type: list
    elements: str
  deactivate_stale:
    description:
      - Deactivate active keys that are V(too_old) or V(unused). Keys are never deleted.
    type: bool
    default: false
notes:
  - "API calls: C(iam:GenerateCredentialReport) (polled until complete) and C(iam:GetCredentialReport), none
    when O(account_sources) holds the credential report. Only a
    real run with O(deactivate_stale=true) also calls C(iam:ListAccessKeys), once for each user with a key to
    deactivate, and C(iam:UpdateAccessKey) for each key deactivated; a real run with
    O(remove_unused_console_access=true) calls C(iam:GetUser) and C(iam:DeleteLoginProfile) once for each user
    whose console password it removes."
  - Findings describe the keys at the end of the run; under check mode that is the state found.
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.credential_report
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - accountguard.aws.connection
  - accountguard.aws.sources
seealso:
  - module: accountguard.aws.iam_users
  - module: accountguard.aws.root_key_check
  - module: amazon.aws.iam_access_key_info
"""

EXAMPLES = r"""
- name: Report access keys that break the rotation rules
  accountguard.aws.iam_access_keys:
  register: rotation

- name: Deactivate keys older than a year or unused for 90 days (never deletes)
  accountguard.aws.iam_access_keys:
    max_age_days: 365
    max_unused_days: 90
    deactivate_stale: true

- name: Check console passwords and set-up keys too, and remove console passwords unused for 90 days
  accountguard.aws.iam_access_keys:
    controls: [access_key_rotation, console_access_unused, initial_access_keys]
    console_max_unused_days: 90
    remove_unused_console_access: true
    keep_console_access: [break-glass]

- name: Fail the play when a CI user's key is stale
  accountguard.aws.iam_access_keys:
    users: [deploy-bot]
    fail_on_noncompliance: true
"""

RETURN = r"""
changed:
  description: Whether a key was (or, in check mode, would be) deactivated, or a console password removed.
  returned: always
  type: bool
  sample: false
changed_controls:
  description:
    - The controls whose change RV(changed) reports, among V(access_key_rotation) (a key deactivated) and
      V(console_access_unused) (a console password removed), so a report can tell which control changed.
  returned: always
  type: list
  elements: str
  sample: ["console_access_unused"]
console_users:
  description: Every console user checked for C(console_access_unused); empty when that control is not checked.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The user.
      type: str
      sample: erin
    console_access:
      description: Whether the user has a console password at the end of the run (predicted in check mode).
      type: bool
      sample: true
    password_last_used:
      description: The last console sign-in (ISO 8601), V(null) when never (or before AWS tracked it).
      type: str
      sample: "2026-08-01T09:00:00+00:00"
    password_last_changed:
      description: When the password was set (ISO 8601).
      type: str
      sample: "2026-01-10T09:00:00+00:00"
    unused_days:
      description: Days the password has been unused, counted from RV(console_users[].unused_since).
      type: int
      sample: 120
    unused_since:
      description:
        - Which date the days count from, V(last_used), V(password_last_changed) (never used) or
          V(user_creation_time) (the report has no password date).
      type: str
      sample: last_used
    unused:
      description: Whether the password fails C(console_access_unused), as found.
      type: bool
      sample: true
    kept:
      description: Whether the user is in O(keep_console_access).
      type: bool
      sample: false
console_access_removed:
  description: Users whose console password was (in check mode, would be) removed.
  returned: always
  type: list
  elements: dict
  sample:
    - user_name: frank
      unused_days: 90
      unused_since: last_used
initial_access_keys:
  description: The active, never-used keys of console users failing C(initial_access_keys) at the end of the run.
  returned: always
  type: list
  elements: dict
  sample:
    - user_name: carol
      key_slot: 1
      last_rotated: "2026-11-20T08:00:00+00:00"
compliant:
  description: Whether no finding has status C(fail).
  returned: always
  type: bool
  sample: false
access_keys:
  description: Every access key of the users checked.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The key's user.
      type: str
      sample: deploy-bot
    key_slot:
      description:
        - Which of the user's two access keys this is in the credential report, V(1) or V(2) (its
          C(access_key_1_*) and C(access_key_2_*) columns). With RV(access_keys[].user_name) it names the key
          when RV(access_keys[].access_key_id) is V(null).
      type: int
      sample: 1
    access_key_id:
      description:
        - The key id. The credential report has no key ids, so only the keys of users with a key to deactivate
          are looked up, on a real run with O(deactivate_stale=true); V(null) for every other key (and for
          every key under check mode).
      type: str
      sample: AKIAIOSFODNN7EXAMPLE
    active:
      description: Whether the key is active at the end of the run (predicted in check mode).
      type: bool
      sample: true
    age_days:
      description: Days since the key was created or last rotated.
      type: int
      sample: 120
    unused_days:
      description: Days since the key was last used, or since it was created when it was never used.
      type: int
      sample: 3
    last_rotated:
      description: When the key was created or last rotated (ISO 8601).
      type: str
      sample: "2026-07-30T08:00:00+00:00"
    last_used_date:
      description: When the key was last used (ISO 8601), V(null) when never used.
      type: str
      sample: "2026-11-24T10:00:00+00:00"
    last_used_service:
      description: The service the key last called, V(null) when never used.
      type: str
      sample: s3
    stale_reasons:
      description: The rules the key breaks, as found, among V(too_old), V(unused) and V(too_many_active_keys).
      type: list
      elements: str
      sample: ["too_old"]
findings:
  description:
    - C(access_key_rotation) - one C(fail) finding per broken rule and key, one C(pass) finding per user whose
      keys comply, and one C(pass) finding for the account when no user checked has a key.
    - C(console_access_unused) - one finding per console user (C(pass) once its unused password was removed),
      one C(pass) finding for the account when no user checked has a console password.
    - C(initial_access_keys) - one C(fail) finding per active, never-used key of a console user, one C(pass)
      finding per other console user, one C(pass) finding for the account when there is no console user.
  returned: always
  type: list
  elements: dict
  sample:
    - id: access_key_rotation
      status: fail
      resource: arn:aws:iam::123456789012:user/deploy-bot
      message: access key 1 of deploy-bot is 120 days old (max 90)
      cis: ["cis-aws-3.0:1.14", "cis-aws-4.0.1:1.14", "cis-aws-5.0:1.13", "cis-aws-6.0:2.13", "cis-aws-7.0:2.12"]
deactivated:
  description:
    - Keys that were (in check mode, would be) deactivated, by user and key slot; C(access_key_id) is V(null)
      under check mode, where no key is looked up.
  returned: always
  type: list
  elements: dict
  sample:
    - user_name: deploy-bot
      key_slot: 1
      access_key_id: AKIAIOSFODNN7EXAMPLE
      stale_reasons: ["too_old"]
credential_report:
  description: When AWS generated the credential report the check used.
  returned: always
  type: dict
  sample: {"generated_time": "2026-11-27T22:00:00+00:00"}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.access_keys import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
