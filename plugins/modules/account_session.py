#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: account_session
short_description: Open a session in one AWS account and prove the caller is really in it
version_added: 0.1.0
description:
  - Assumes O(role_arn) when it is given (C(sts:AssumeRole)), then asks C(sts:GetCallerIdentity) who the
    resulting credentials are and compares the account with O(account_id) (the account guard).
  - Both calls are read-only, so the module runs under C(--check) too, unlike M(amazon.aws.sts_assume_role),
    which is skipped in check mode and so cannot open per-account sessions for a drift check.
  - Returns the connection options later tasks need (RV(aws_connection)), ready for C(module_defaults) of
    C(group/amazon.aws.aws) and C(group/accountguard.aws.aws). They hold session credentials, so
    run this module with C(no_log=true).
  - Because C(no_log) also hides failure messages, O(fail_on_error=false) returns failures in RV(error)
    instead, for a following task without C(no_log) to report; the C(accountguard.aws.baseline) role does that.
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
      - Omit it to use the module's own connection options (profile, keys, environment) as they are.
    type: str
  role_session_name:
    description:
      - Session name of the assumed role, visible in CloudTrail of the target account.
    type: str
    default: accountguard
  duration_seconds:
    description:
      - Lifetime of the assumed-role credentials, 900 to 43200 seconds (the role's maximum session
        duration applies as well).
    type: int
    default: 3600
  external_id:
    description:
      - External id the role's trust policy requires, if any.
    type: str
  fail_on_error:
    description:
      - When V(false), invalid options, AWS errors and an account mismatch do not fail the task; the module
        returns RV(ok=false) and the reason in RV(error), so that a task without C(no_log) can fail with a
        readable message.
    type: bool
    default: true
notes:
  - Calls C(sts:AssumeRole) (only with O(role_arn)) and C(sts:GetCallerIdentity); both are read-only.
  - RV(aws_connection) contains a secret access key and a session token whenever a role was assumed.
  - To renew the session before it expires on long runs, pass the registered result through the
    P(accountguard.aws.session_connection#filter) filter in C(module_defaults) instead of using
    RV(aws_connection) directly.
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.checking
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
seealso:
  - plugin: accountguard.aws.session_connection
    plugin_type: filter
  - module: amazon.aws.sts_assume_role
  - module: amazon.aws.aws_caller_info
"""

EXAMPLES = r"""
- name: Open the account session (assume the role, verify the account)
  accountguard.aws.account_session:
    account_id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole
  register: session
  no_log: true

- name: Every AWS task of the block runs in that account
  module_defaults:
    group/amazon.aws.aws: "{{ session.aws_connection }}"
    group/accountguard.aws.aws: "{{ session.aws_connection }}"
  block:
    - name: Check the root account
      accountguard.aws.root_key_check:

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
  description: Why the session could not be opened, when O(fail_on_error=false); V(null) otherwise.
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
  description: Whether O(role_arn) was assumed.
  returned: always
  type: bool
  sample: true
expiration:
  description: When the assumed-role credentials expire (ISO 8601), V(null) without a role.
  returned: always
  type: str
  sample: "2026-11-27T23:00:00+00:00"
aws_connection:
  description:
    - amazon.aws connection options for the following tasks, for C(module_defaults).
    - C(access_key), C(secret_key) and C(session_token) after assuming a role; C(profile) when only a
      profile was given; empty when the ambient credentials are used as they are.
    - Secret. Register it only in a task with C(no_log).
  returned: always
  type: dict
  sample: {"access_key": "ASIAEXAMPLE", "secret_key": "...", "session_token": "..."}
renewal:
  description:
    - The non-secret parameters that open this session again, for the P(accountguard.aws.session_connection#filter)
      filter, which renews the session shortly before RV(expiration) with the controller's credentials.
    - V(null) without O(role_arn) and when the session could not be opened or proved.
  returned: always
  type: dict
  sample:
    account_id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole
    role_session_name: accountguard
    duration_seconds: 3600
    external_id: null
    profile: null
    endpoint_url: null
    region: us-east-1
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.accountguard.aws.plugins.module_utils._common import (
    AccountGuardAWSError,
    STSErrors,
    caller_identity,
    client,
    iso,
    retry,
)
from ansible_collections.accountguard.aws.plugins.module_utils._session import (
    assume_role_request,
    connection_options,
    guard_error,
    renewal_parameters,
    validate,
)


@STSErrors.common_error_handler("assume the role")
@retry()
def assume_role(sts, params: dict) -> dict:
    request = assume_role_request(
        params["role_arn"], params["role_session_name"], params["duration_seconds"], params["external_id"]
    )
    return sts.assume_role(**request)["Credentials"]


def open_session(module) -> dict:
    params = module.params
    credentials = None
    if params["role_arn"]:
        credentials = assume_role(client(module, "sts"), params)
        sts = client(
            module,
            "sts",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    else:
        sts = client(module, "sts")
    identity = caller_identity(sts)
    return {
        "account_id": identity["account"],
        "arn": identity["arn"],
        "user_id": identity["user_id"],
        "assumed_role": credentials is not None,
        "expiration": iso(credentials["Expiration"]) if credentials else None,
        "aws_connection": connection_options(credentials, params["profile"]),
        "renewal": renewal_parameters(params, identity["account"]),
        "guard": guard_error(params["account_id"], identity, params["role_arn"]),
    }


def main():
    argument_spec = dict(
        account_id=dict(type="str"),
        role_arn=dict(type="str"),
        role_session_name=dict(type="str", default="accountguard"),
        duration_seconds=dict(type="int", default=3600),
        external_id=dict(type="str", no_log=False),
        fail_on_error=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    failed = {
        "changed": False,
        "ok": False,
        "assumed_role": False,
        "expiration": None,
        "aws_connection": {},
        "renewal": None,
    }

    def fail(msg, exception=None):
        if params["fail_on_error"]:
            if exception is not None:
                module.fail_json_aws_error(exception)
            module.fail_json(msg=msg, **failed)
        module.exit_json(error=msg, **failed)

    errors = validate(params["account_id"], params["role_arn"], params["role_session_name"], params["duration_seconds"])
    if errors:
        fail("; ".join(errors))

    try:
        session = open_session(module)
    except AccountGuardAWSError as e:
        fail(str(e), e)

    guard = session.pop("guard")
    if guard:
        # Never hand out credentials of the wrong account: no later task may use them.
        session.update(aws_connection={}, expiration=None, renewal=None)
        if params["fail_on_error"]:
            module.fail_json(msg=guard, ok=False, changed=False, **session)
        module.exit_json(changed=False, ok=False, error=guard, **session)
    module.exit_json(changed=False, ok=True, error=None, **session)


if __name__ == "__main__":
    main()
