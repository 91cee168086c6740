# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of the account-wide IAM sources: every boto3 call on them, and nothing else.

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (the client is
amazon.aws's retrying wrapper, see _connection) and maps errors with amazon.aws's ``IAMErrorHandler``,
which raises ``AnsibleIAMError`` naming what failed. Results are the API's own shapes; plans and checks turn
them into the collection's.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler


@IAMErrorHandler.list_error_handler("get the account password policy", None)
def get_password_policy(client) -> dict | None:
    """GetAccountPasswordPolicy's PasswordPolicy, or None when the account has no custom policy."""
    return client.get_account_password_policy(aws_retry=True)["PasswordPolicy"]


@IAMErrorHandler.common_error_handler("update the account password policy")
def update_password_policy(client, request: dict) -> None:
    client.update_account_password_policy(aws_retry=True, **request)


@IAMErrorHandler.deletion_error_handler("delete the account password policy")
def delete_password_policy(client) -> bool:
    client.delete_account_password_policy(aws_retry=True)
    return True
