#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_access_keys
short_description: Check IAM access-key rotation and, when asked, deactivate stale keys
version_added: 0.1.0
description:
  - Checks every IAM user's access keys against the C(access_key_rotation) control (CIS AWS Foundations v3.0
    1.12 to 1.14, v5.0 1.11 to 1.13) from one credential report, whatever the number of users.
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
  - "API calls: C(iam:GenerateCredentialReport) (polled until complete) and C(iam:GetCredentialReport). Only a
    real run with O(deactivate_stale=true) also calls C(iam:ListAccessKeys), once for each user with a key to
    deactivate, and C(iam:UpdateAccessKey) for each key deactivated."
  - Findings describe the keys at the end of the run; under check mode that is the state found.
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.credential_report
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
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

- name: Fail the play when a CI user's key is stale
  accountguard.aws.iam_access_keys:
    users: [deploy-bot]
    fail_on_noncompliance: true
"""

RETURN = r"""
changed:
  description: Whether a key was (or, in check mode, would be) deactivated.
  returned: always
  type: bool
  sample: false
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
    - One C(fail) finding per broken rule and key, one C(pass) finding per user whose keys comply, and one
      C(pass) finding for the account when no user checked has a key.
  returned: always
  type: list
  elements: dict
  sample:
    - id: access_key_rotation
      status: fail
      resource: arn:aws:iam::123456789012:user/deploy-bot
      message: access key 1 of deploy-bot is 120 days old (max 90)
      cis: ["cis-aws-3.0:1.14", "cis-aws-5.0:1.13"]
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

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.accountguard.aws.plugins.module_utils._access_keys import (
    REASON_AGE,
    REASON_TOO_MANY,
    REASON_UNUSED,
    deactivation_reasons,
    describe,
    evaluate,
    keys_from_rows,
    match_key_ids,
    to_result,
    users_to_deactivate,
)
from ansible_collections.accountguard.aws.plugins.module_utils._common import (
    AccountGuardAWSError,
    IAMErrors,
    arn_account_id,
    arn_partition,
    caller_identity,
    client,
    iam_client,
    iso,
    range_errors,
    retry,
    root_arn,
    utcnow,
)
from ansible_collections.accountguard.aws.plugins.module_utils._credential_report import (
    REPORT_RANGES,
    fetch_credential_report,
    report_options,
    root_row,
)
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding

RANGES = {
    "max_age_days": (1, 3650),
    "max_unused_days": (1, 3650),
    "max_active_keys": (0, 2),
    **REPORT_RANGES,
}
# Which CIS recommendation each reason tests (the check names of _findings.CONTROLS["access_key_rotation"]).
CHECK_OF_REASON = {REASON_AGE: "rotation", REASON_UNUSED: "unused", REASON_TOO_MANY: "one_active"}
CONTROL = "access_key_rotation"


@IAMErrors.list_error_handler("list access keys", default_value=[])
@retry()
def list_access_keys(iam, user_name: str) -> list:
    paginator = iam.get_paginator("list_access_keys")
    return paginator.paginate(UserName=user_name).build_full_result().get("AccessKeyMetadata", [])


@IAMErrors.common_error_handler("deactivate an access key")
@retry()
def deactivate(iam, user_name: str, access_key_id: str) -> None:
    iam.update_access_key(UserName=user_name, AccessKeyId=access_key_id, Status="Inactive")


def match_live_keys(iam, keys: list, now, params: dict) -> list:
    """Give the keys about to be deactivated their ids and live status (one ListAccessKeys per such user).

    The live status wins over the report (up to four hours old), so a key deactivated since is left alone.
    """
    to_list = users_to_deactivate(keys)
    if not to_list:
        return keys
    live = {name: list_access_keys(iam, name) for name in to_list}
    matched = []
    for name in dict.fromkeys(k["user_name"] for k in keys):
        user_keys = [k for k in keys if k["user_name"] == name]
        matched.extend(match_key_ids(user_keys, live[name]) if name in live else user_keys)
    return evaluate(matched, now, *limits(params))


def validate(module) -> None:
    errors = range_errors(module.params, RANGES)
    names = module.params["users"]
    if names is not None:
        bad = [name for name in names if not isinstance(name, str) or not name.strip()]
        if bad:
            errors.append(f"users must be IAM user names, got {bad!r}")
    if errors:
        module.fail_json(msg="; ".join(errors) + " (nothing was read)")


def limits(params: dict) -> tuple:
    return params["max_age_days"], params["max_unused_days"], params["max_active_keys"]


def build_findings(keys: list, params: dict, account_resource: str) -> list:
    findings = []
    by_user = {}
    for key in keys:
        by_user.setdefault(key["user_name"], []).append(key)
    for user_name, user_keys in by_user.items():
        resource = user_keys[0]["arn"] or account_resource
        failing = False
        for key in user_keys:
            for reason in key["stale_reasons"]:
                failing = True
                message = describe({**key, "stale_reasons": [reason]}, *limits(params))
                findings.append(finding(CONTROL, "fail", resource, message, check=CHECK_OF_REASON[reason]))
        if not failing:
            findings.append(
                finding(CONTROL, "pass", resource, f"the {len(user_keys)} access key(s) of {user_name} comply")
            )
    if not by_user:
        findings.append(finding(CONTROL, "pass", account_resource, "no IAM user checked has an access key"))
    return findings


def main():
    argument_spec = dict(
        max_age_days=dict(type="int", default=90),
        max_unused_days=dict(type="int", default=45),
        max_active_keys=dict(type="int", default=1, no_log=False),
        users=dict(type="list", elements="str"),
        deactivate_stale=dict(type="bool", default=False),
        **report_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    iam = iam_client(module)
    now = utcnow()
    deactivated = []
    try:
        rows, generated_time = fetch_credential_report(iam, max_wait=params["report_max_wait"])
        keys = evaluate(keys_from_rows(rows, params["users"]), now, *limits(params))
        if params["users"]:
            known = {(row.get("user") or "").lower() for row in rows}
            missing = [name for name in params["users"] if name.lower() not in known]
            if missing:
                module.warn(
                    "not in the credential report (no such user, or created after the report): " + ", ".join(missing)
                )

        found = keys
        if params["deactivate_stale"] and not module.check_mode:
            found = match_live_keys(iam, keys, now, params)
        final = [dict(k) for k in found]
        if params["deactivate_stale"]:
            for key in final:
                reasons = deactivation_reasons(key)
                if not reasons:
                    continue
                if not module.check_mode:
                    if not key["access_key_id"]:
                        module.warn(
                            f"access key {key['slot']} of {key['user_name']} was not deactivated: no live key "
                            "matches it (changed since the credential report); the next report will tell"
                        )
                        continue
                    deactivate(iam, key["user_name"], key["access_key_id"])
                deactivated.append(
                    {
                        "user_name": key["user_name"],
                        "key_slot": key["slot"],
                        "access_key_id": key["access_key_id"],
                        "stale_reasons": reasons,
                    }
                )
                key["active"] = False
        final = evaluate(final, now, *limits(params))

        row = root_row(rows)
        account_arn = (row or {}).get("arn") or next((k["arn"] for k in keys if k["arn"]), None)
        if arn_account_id(account_arn):
            account_resource = root_arn(arn_account_id(account_arn), arn_partition(account_arn))
        else:
            identity = caller_identity(client(module, "sts"))
            account_resource = root_arn(identity["account"], arn_partition(identity["arn"]))
    except AccountGuardAWSError as e:
        fail(module, e, changed=bool(deactivated), deactivated=deactivated)

    # Findings describe the end of the run: a key deactivated now no longer breaks a rule. Under check mode
    # nothing changed, so they describe the keys as found, which is the drift to show.
    findings = build_findings(found if module.check_mode else final, params, account_resource)
    compliant = all(f["status"] == "pass" for f in findings)
    result = dict(
        changed=bool(deactivated),
        compliant=compliant,
        access_keys=[
            {**to_result(e), "stale_reasons": list(f["stale_reasons"])} for f, e in zip(found, final, strict=True)
        ],
        findings=findings,
        deactivated=deactivated,
        credential_report={"generated_time": iso(generated_time)},
    )
    if not compliant and params["fail_on_noncompliance"]:
        failing = [f["message"] for f in findings if f["status"] == "fail"]
        module.fail_json(msg="Not compliant: " + "; ".join(failing), **result)
    module.exit_json(**result)


def fail(module, error, **result):
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message, **result)
    module.fail_json(msg=error.message, **result)


if __name__ == "__main__":
    main()
