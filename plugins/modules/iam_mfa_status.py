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
    of assigned virtual MFA devices and the account summary. Only users whose MFA is not virtual cost one
    more call each (C(ListMFADevices)), so a thousand users with virtual MFA cost the same handful of calls
    as ten; O(lookup_devices_for) limits those calls to the users you name, so the cost does not grow with
    users at all.
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
      description: CIS AWS Foundations Benchmark recommendations, as C(cis-aws-<version>:<number>).
      type: list
      elements: str
      returned: always
      sample: ["cis-aws-3.0:1.10", "cis-aws-5.0:1.9"]
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

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.accountguard.aws.plugins.module_utils._common import (
    AccountGuardAWSError,
    arn_account_id,
    arn_partition,
    caller_identity,
    client,
    exit_checked,
    fail_on_errors,
    has_login_profile,
    iam_client,
    iso,
    list_users,
    range_errors,
    root_arn,
    warn,
)
from ansible_collections.accountguard.aws.plugins.module_utils._credential_report import (
    REPORT_RANGES,
    fetch_credential_report,
    report_options,
    root_row,
    user_rows,
)
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._mfa import (
    assess_root,
    assess_users,
    build_user,
    list_assigned_virtual_mfa_devices,
    list_user_mfa_serials,
    plan_users,
    root_mfa_type,
    virtual_devices_by_user,
)
from ansible_collections.accountguard.aws.plugins.module_utils._root import get_account_summary

RANGES = REPORT_RANGES


def validate(module):
    errors = range_errors(module.params, RANGES)
    for option in ("users", "lookup_devices_for"):
        names = module.params[option]
        if names is not None and any(not isinstance(name, str) or not name.strip() for name in names):
            errors.append(f"{option} must be a list of non-empty IAM user names")
    fail_on_errors(module, errors)


def main():
    argument_spec = dict(
        require_mfa_for=dict(type="str", choices=["console_users", "all_users"], default="console_users"),
        users=dict(type="list", elements="str"),
        lookup_devices_for=dict(type="list", elements="str"),
        include_root=dict(type="bool", default=True),
        require_hardware_mfa_for_root=dict(type="bool", default=False),
        **report_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params

    iam = iam_client(module)
    try:
        rows, generated_time = fetch_credential_report(iam, max_wait=params["report_max_wait"])
        live_users = list_users(iam)
        virtual = list_assigned_virtual_mfa_devices(iam)
        summary_map = get_account_summary(iam) if params["include_root"] else {}

        virtual_by_user = virtual_devices_by_user(virtual)
        plan = plan_users(user_rows(rows), live_users, virtual_by_user, params["users"], params["lookup_devices_for"])
        per_user_calls = 0
        users = []
        for item in plan["users"]:
            serials = item["virtual_serials"]
            console = item["console_access"]
            if item["lookup_console"]:
                console = has_login_profile(iam, item["user_name"])
                per_user_calls += 1
            if item["lookup_devices"]:
                serials = list_user_mfa_serials(iam, item["user_name"]) or []
                per_user_calls += 1
            users.append(build_user(item["user_name"], item["arn"], console, serials, item["devices_unlisted"]))

        row = root_row(rows)
        account_arn = (row or {}).get("arn") or next((u["arn"] for u in live_users), None)
        if arn_account_id(account_arn):
            resource = root_arn(arn_account_id(account_arn), arn_partition(account_arn))
        else:
            identity = caller_identity(client(module, "sts"))
            resource = root_arn(identity["account"], arn_partition(identity["arn"]))
    except AccountGuardAWSError as e:
        module.fail_json_aws_error(e)

    without, findings, summary = assess_users(users, params["require_mfa_for"])
    # An explicit empty list checks no user at all: a pass would mark user_mfa compliant for a run
    # (e.g. --tags root_mfa) that never looked at a user.
    if not summary["users_in_scope"] and params["users"] != []:
        scope = "console users" if params["require_mfa_for"] == "console_users" else "IAM users"
        findings.append(finding("user_mfa", "pass", resource, f"no {scope} to check"))
    summary["users_not_found"] = plan["not_found"]
    summary["users_missing_from_report"] = plan["missing_from_report"]
    summary["per_user_calls"] = per_user_calls
    if plan["not_found"]:
        warn(f"not IAM users of this account: {', '.join(plan['not_found'])}")

    consistent = not plan["missing_from_report"] and not plan["mfa_newer_than_report"]
    root = None
    if params["include_root"]:
        mfa_enabled = bool(summary_map.get("AccountMFAEnabled"))
        root = {"mfa_enabled": mfa_enabled, "mfa_type": root_mfa_type(mfa_enabled, virtual)}
        if row is not None and bool(row.get("mfa_active")) != mfa_enabled:
            consistent = False
            warn(
                f"root MFA is {'on' if mfa_enabled else 'off'} in the live account summary but "
                f"{'on' if row.get('mfa_active') else 'off'} in the credential report generated at "
                f"{iso(generated_time)}; trusting the summary"
            )
        findings.insert(0, assess_root(root["mfa_type"], params["require_hardware_mfa_for_root"], resource))

    exit_checked(
        module,
        compliant=all(f["status"] == "pass" for f in findings),
        root=root,
        users=users,
        users_without_mfa=without,
        summary=summary,
        findings=findings,
        credential_report={"generated_time": iso(generated_time), "consistent_with_summary": consistent},
    )


if __name__ == "__main__":
    main()
