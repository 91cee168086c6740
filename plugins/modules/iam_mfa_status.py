#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_mfa_status
short_description: Check MFA of the root user and of IAM users, in a constant number of API calls
version_added: 0.1.0
description:
  - Reports which IAM users have MFA and of which type (virtual, hardware TOTP or FIDO security key), which
    users break the requirement, and whether the root user has MFA and of which type.
  - Reads the credential report (who has a console password and MFA), one listing of IAM users, one listing
    of assigned virtual MFA devices and the account summary; the report, the device list and the summary are
    taken from O(account_sources) when given there, without reading them again. Only users whose MFA is not
    virtual cost one more call each (C(ListMFADevices)), so a thousand users with virtual MFA cost the same
    handful of calls as ten; O(lookup_devices_for) limits those calls to the users you name, so the cost does
    not grow with users at all.
  - The device type comes from its serial number (C(arn:...:mfa/...) virtual, C(arn:...:u2f/...) FIDO,
    anything else a hardware token), never from a device name, which whoever creates a device chooses freely.
  - Live listings win over the credential report, which AWS may return up to four hours old. Users created
    after the report was generated are looked up one by one (C(GetLoginProfile) and C(ListMFADevices)).
  - Only reads the account, so it behaves the same in check mode. Non-compliance is returned as data in
    RV(findings) and RV(compliant); set O(fail_on_noncompliance=true) to fail the task instead.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  require_mfa_for:
    description:
      - V(console_users) requires MFA of every user with a console password (CIS v3.0 1.10, v5.0 1.9).
      - V(all_users) requires MFA of every IAM user, including users with access keys only.
    type: str
    choices: [console_users, all_users]
    default: console_users
  users:
    description:
      - Only check these IAM user names. Names that do not exist are reported in RV(summary.users_not_found)
        and with a warning.
      - Unset checks every IAM user of the account. An empty list checks no user and adds no C(user_mfa)
        finding at all (not even a pass), so only root is judged.
    type: list
    elements: str
  lookup_devices_for:
    description:
      - Names of the users (case-insensitive) whose MFA devices are listed, one C(ListMFADevices) call each, when
        their MFA is not virtual, to tell a FIDO security key from a hardware TOTP token.
      - Unset lists them for every checked user whose MFA is not virtual. An empty list lists none.
      - Compliance does not depend on it (any type of MFA satisfies C(user_mfa)). A user whose devices are not
        listed gets one RV(users[].mfa_devices) entry of type V(unknown), with a V(null) serial number, and is
        counted in RV(summary.users_with_unlisted_mfa).
      - Users newer than the credential report are always looked up, since only that says whether they have MFA.
      - Root's MFA type never needs it (the list of virtual devices tells virtual from hardware).
    type: list
    elements: str
  created_users:
    description:
      - Names of the IAM users (case-insensitive) created in this run, or, under check mode, that the run would
        create (the baseline role passes the console users its M(accountguard.aws.iam_users) task created).
      - Such a user without MFA gets a failing C(user_mfa) finding saying it was created in this run and its MFA
        is not enrolled yet, since only its person can enrol MFA.
      - A named user that does not exist yet (check mode) is reported as the console user without MFA it will
        be, without any call, unless O(users) is set and does not name it; it is not reported as not found.
    type: list
    elements: str
    default: []
  include_root:
    description:
      - Also check the root user's MFA (C(root_mfa), CIS v3.0 1.5, v5.0 1.4).
    type: bool
    default: true
  require_hardware_mfa_for_root:
    description:
      - Require root MFA not to be virtual (CIS v3.0 1.6, v5.0 1.5).
      - A non-root caller cannot list root's non-virtual devices, so FIDO keys and hardware tokens both report as
        V(hardware) and both satisfy this requirement.
    type: bool
    default: false
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
  - "Required IAM permissions: C(iam:GenerateCredentialReport), C(iam:GetCredentialReport), C(iam:ListUsers),
    C(iam:ListVirtualMFADevices), C(iam:ListMFADevices), C(iam:GetLoginProfile) and, with O(include_root=true),
    C(iam:GetAccountSummary)."
  - "API calls: a constant handful per account (the credential report, paginated C(ListUsers) and
    C(ListVirtualMFADevices), C(GetAccountSummary)), plus one C(ListMFADevices) per checked user with MFA that
    is not virtual (only those in O(lookup_devices_for) when set) and two calls per user newer than the
    credential report."
seealso:
  - module: accountguard.aws.root_key_check
  - module: accountguard.aws.iam_password_policy
  - name: Using multi-factor authentication in AWS
    description: MFA device types and how they are identified.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html
"""

EXAMPLES = r"""
- name: Every console user and root must have MFA
  accountguard.aws.iam_mfa_status:
  register: mfa

- name: Who breaks it
  ansible.builtin.debug:
    var: mfa.users_without_mfa

- name: Every user, including programmatic-only users, and hardware MFA on root; fail when not compliant
  accountguard.aws.iam_mfa_status:
    require_mfa_for: all_users
    require_hardware_mfa_for_root: true
    fail_on_noncompliance: true

- name: Only the administrators
  accountguard.aws.iam_mfa_status:
    users: [alice, bob]
    include_root: false

- name: After creating users, report their missing MFA as expected rather than as a surprise
  accountguard.aws.iam_mfa_status:
    created_users: "{{ created.users | map(attribute='name') | list }}"

- name: Every user, but list the devices (FIDO or hardware) of the people we manage only
  accountguard.aws.iam_mfa_status:
    lookup_devices_for: [alice, bob]
"""

RETURN = r"""
compliant:
  description: V(true) when every finding in RV(findings) has status C(pass).
  returned: always
  type: bool
  sample: false
root:
  description: The root user's MFA; V(null) with O(include_root=false).
  returned: always
  type: dict
  contains:
    mfa_enabled:
      description: Whether root has MFA (live account summary).
      type: bool
      returned: always
      sample: true
    mfa_type:
      description:
        - V(virtual), V(hardware) (a hardware token or FIDO key), V(none), or V(unknown) when the MFA type
          could not be determined.
      type: str
      returned: always
      sample: virtual
  sample:
    mfa_enabled: true
    mfa_type: virtual
users:
  description: Every checked IAM user, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The user's name.
      type: str
      returned: always
      sample: alice
    arn:
      description: The user's ARN.
      type: str
      returned: always
      sample: "arn:aws:iam::123456789012:user/alice"
    console_access:
      description: Whether the user has a console password.
      type: bool
      returned: always
      sample: true
    mfa_active:
      description: Whether the user has at least one MFA device.
      type: bool
      returned: always
      sample: true
    mfa_devices:
      description:
        - The user's MFA devices. For users with a virtual device, the virtual devices (found without a call
          per user); otherwise what C(ListMFADevices) returned, or, for a user with MFA that is not virtual
          and not in O(lookup_devices_for), one placeholder entry of type V(unknown).
      type: list
      elements: dict
      returned: always
      contains:
        serial_number:
          description:
            - The device's serial number (an ARN for virtual and FIDO devices); V(null) for the V(unknown)
              placeholder.
          type: str
          returned: always
          sample: "arn:aws:iam::123456789012:mfa/alice-phone"
        type:
          description:
            - V(virtual), V(fido) or V(hardware), from the serial number.
            - V(unknown) stands for the devices of a user whose MFA is not virtual (one or more FIDO keys or
              hardware tokens) when they were not listed (O(lookup_devices_for)); as the credential report, which
              may be up to four hours old, has it.
          type: str
          returned: always
          sample: virtual
  sample:
    - user_name: alice
      arn: "arn:aws:iam::123456789012:user/alice"
      console_access: true
      mfa_active: true
      mfa_devices:
        - serial_number: "arn:aws:iam::123456789012:mfa/alice-phone"
          type: virtual
users_without_mfa:
  description: Names of the users that break the O(require_mfa_for) requirement.
  returned: always
  type: list
  elements: str
  sample: [bob]
summary:
  description: Counts over the checked users.
  returned: always
  type: dict
  contains:
    users:
      description: Users checked.
      type: int
      returned: always
      sample: 3
    console_users:
      description: Checked users with a console password.
      type: int
      returned: always
      sample: 2
    users_in_scope:
      description: Checked users the requirement applies to.
      type: int
      returned: always
      sample: 2
    users_with_mfa:
      description: Checked users with MFA.
      type: int
      returned: always
      sample: 1
    users_without_mfa:
      description: Users in scope without MFA (the length of RV(users_without_mfa)).
      type: int
      returned: always
      sample: 1
    virtual_mfa_devices:
      description: Virtual MFA devices of checked users.
      type: int
      returned: always
      sample: 1
    hardware_mfa_devices:
      description: Hardware TOTP devices of checked users.
      type: int
      returned: always
      sample: 0
    fido_mfa_devices:
      description: FIDO security keys of checked users.
      type: int
      returned: always
      sample: 0
    users_with_unlisted_mfa:
      description:
        - Checked users with MFA that is not virtual whose devices were not listed (O(lookup_devices_for)), so
          their devices are not in the device counts.
      type: int
      returned: always
      sample: 0
    users_not_found:
      description: Names in O(users) that are not IAM users of the account.
      type: list
      elements: str
      returned: always
      sample: []
    users_missing_from_report:
      description: Users newer than the credential report, looked up one by one.
      type: int
      returned: always
      sample: 0
    per_user_calls:
      description: API calls made for single users (non-virtual MFA, or newer than the report).
      type: int
      returned: always
      sample: 0
  sample:
    users: 3
    console_users: 2
    users_in_scope: 2
    users_with_mfa: 1
    users_without_mfa: 1
    virtual_mfa_devices: 1
    hardware_mfa_devices: 0
    fido_mfa_devices: 0
    users_with_unlisted_mfa: 0
    users_not_found: []
    users_missing_from_report: 0
    per_user_calls: 0
findings:
  description:
    - One C(root_mfa) finding (with O(include_root=true)) and one C(user_mfa) finding per user in scope; one
      account-level C(user_mfa) finding when no user is in scope.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The baseline control id.
      type: str
      returned: always
      sample: user_mfa
    status:
      description: V(pass) or V(fail).
      type: str
      returned: always
      sample: fail
    resource:
      description: ARN of the checked user, or of the root user.
      type: str
      returned: always
      sample: "arn:aws:iam::123456789012:user/bob"
    message:
      description: One line saying what was found.
      type: str
      returned: always
      sample: console user bob has no MFA
    cis:
      description:
        - CIS AWS Foundations Benchmark recommendations, as C(cis-aws-<version>:<number>), for versions
          3.0, 4.0.1, 5.0, 6.0 and 7.0 in that order; a version without the recommendation is left out.
      type: list
      elements: str
      returned: always
      sample: ["cis-aws-3.0:1.10", "cis-aws-4.0.1:1.10", "cis-aws-5.0:1.9", "cis-aws-6.0:2.9", "cis-aws-7.0:2.10"]
credential_report:
  description: Which credential report was read.
  returned: always
  type: dict
  contains:
    generated_time:
      description: When AWS generated the report (ISO 8601, UTC).
      type: str
      returned: always
      sample: "2024-05-02T08:00:00+00:00"
    consistent_with_summary:
      description:
        - V(false) when the report disagrees with live data (root MFA in the account summary, users or virtual
          MFA devices that the report does not know yet).
      type: bool
      returned: always
      sample: true
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.mfa_status import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
