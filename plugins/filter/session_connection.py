# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
name: session_connection
short_description: Connection options of an account session, renewed shortly before it expires
version_added: 0.1.0
description:
  - Takes the registered result of M(accountguard.aws.account_session) and returns the amazon.aws connection
    options for C(module_defaults), like its RV(accountguard.aws.account_session#module:aws_connection).
  - When the session's assumed-role credentials expire within O(margin_seconds), it assumes the same role
    again (same role ARN, session name, duration, external id, profile, endpoint and region, from
    RV(accountguard.aws.account_session#module:renewal)) with the controller's credentials, checks that the
    new credentials act in the account the session proved, and returns those instead.
  - Without a role (a profile or the ambient credentials) the options are returned unchanged and nothing is called.
  - The result holds session credentials. Use it only where amazon.aws hides them, in C(module_defaults)
    (C(secret_key) and C(session_token) are C(no_log) options), never in C(debug) or C(environment).
  - Templating runs in a short-lived worker, so a renewal is not written back to the registered variable;
    once a host is inside the margin each of its later tasks renews again (one C(sts:AssumeRole) per task).
author:
  - accountguard.aws maintainers (@accountguard)
options:
  _input:
    description: The registered result of M(accountguard.aws.account_session).
    type: dict
    required: true
  margin_seconds:
    description:
      - Renew when the credentials expire in this many seconds or fewer.
      - A margin larger than the session duration renews for every task.
    type: int
    default: 600
notes:
  - Calls C(sts:AssumeRole) (read-only, so also under C(--check)) only when a renewal is due.
seealso:
  - module: accountguard.aws.account_session
"""

EXAMPLES = r"""
- name: Open the account session
  accountguard.aws.account_session:
    account_id: "111111111111"
    role_arn: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole
  register: session
  no_log: true

- name: Every AWS task of the block runs in that account, with credentials renewed 10 minutes before expiry
  module_defaults:
    group/accountguard.aws.aws: "{{ session | accountguard.aws.session_connection(600) }}"
  block:
    - name: Check the root account
      accountguard.aws.root_key_check:
"""

RETURN = r"""
_value:
  description:
    - amazon.aws connection options, C(access_key), C(secret_key) and C(session_token) after a role was assumed
      (renewed or not), C(profile) with only a profile, empty otherwise. Secret.
  type: dict
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.module_utils._session import (
    assume_role_request,
    assumed_account,
    connection_options,
    needs_renewal,
    reuse_renewal,
)

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    boto3 = None

try:
    # The collection's one bounded retry policy (docs/reliability.md), so a renewal gives up as fast as a module.
    from ansible_collections.accountguard.aws.plugins.module_utils._common import BOTOCORE_RETRIES, retry
except ImportError:
    retry = None

# Renewals made by this process: key -> (issued_at, expiration, connection). Workers are forked per task,
# so this only spares repeated templating within one task; nothing is ever written to disk.
_RENEWED = {}


def _assume(renewal: dict) -> dict:
    session = boto3.session.Session(profile_name=renewal.get("profile"), region_name=renewal.get("region"))
    if retry is None:
        sts = session.client("sts", endpoint_url=renewal.get("endpoint_url"))
        call = sts.assume_role
    else:
        config = Config(retries=dict(BOTOCORE_RETRIES))
        sts = session.client("sts", endpoint_url=renewal.get("endpoint_url"), config=config)
        call = retry()(sts.assume_role)
    request = assume_role_request(
        renewal["role_arn"], renewal["role_session_name"], int(renewal["duration_seconds"]), renewal.get("external_id")
    )
    return call(**request)


def session_connection(session, margin_seconds=600):
    if not isinstance(session, Mapping):
        raise AnsibleFilterError("session_connection expects the registered result of accountguard.aws.account_session")
    try:
        margin = int(margin_seconds)
    except (TypeError, ValueError):
        raise AnsibleFilterError(
            f"session_connection: margin_seconds must be an integer, got {margin_seconds!r}"
        ) from None
    if margin < 0:
        raise AnsibleFilterError(f"session_connection: margin_seconds must not be negative, got {margin}")

    connection = dict(session.get("aws_connection") or {})
    renewal = session.get("renewal")
    now = datetime.now(UTC)
    if not renewal or not connection or not needs_renewal(session.get("expiration"), now, margin):
        return connection

    key = tuple(str(renewal.get(k)) for k in sorted(renewal))
    cached = _RENEWED.get(key)
    if cached and reuse_renewal(cached[0], cached[1], now, margin):
        return dict(cached[2])

    account = renewal.get("account_id")
    if boto3 is None:
        raise AnsibleFilterError("session_connection needs boto3 on the controller to renew the session")
    try:
        response = _assume(renewal)
    except (BotoCoreError, ClientError) as e:
        # botocore messages name the role and the error code, never credentials
        raise AnsibleFilterError(f"{account}: could not renew the session with {renewal['role_arn']}: {e}") from None
    got = assumed_account(response.get("AssumedRoleUser", {}).get("Arn"))
    if got != account:
        raise AnsibleFilterError(
            f"account guard: the renewed session of {renewal['role_arn']} acts in account {got}, "
            f"but this host is account {account}; it was not used"
        )
    credentials = response["Credentials"]
    fresh = connection_options(credentials, None)
    _RENEWED[key] = (now, credentials["Expiration"], fresh)
    return dict(fresh)


class FilterModule:
    def filters(self):
        return {"session_connection": session_connection}
