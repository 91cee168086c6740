# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of iam_access_keys' per-user calls: every boto3 call on them, and nothing else.

Only a real run that deactivates keys makes them: the rules are decided from the credential report.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway.account import iam_pages


@IAMErrorHandler.list_error_handler("list access keys", default_value=[])
def list_access_keys(client, user_name: str) -> list[dict]:
    """ListAccessKeys' AccessKeyMetadata of a user (empty when the user no longer exists)."""
    return iam_pages(client.list_access_keys, "AccessKeyMetadata", UserName=user_name)


@IAMErrorHandler.common_error_handler("deactivate an access key")
def deactivate_access_key(client, user_name: str, access_key_id: str) -> None:
    client.update_access_key(aws_retry=True, UserName=user_name, AccessKeyId=access_key_id, Status="Inactive")
