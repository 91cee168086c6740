# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of IAM groups: every boto3 call on groups, their policies and members, and nothing else.

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (paginated reads:
amazon.aws's ``paginated_query_with_retries`` with the collection's retry decorator) and maps errors with
amazon.aws's ``IAMErrorHandler``, which raises ``AnsibleIAMError`` naming what failed.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._connection import RETRY_DECORATOR


def _paginated(client, operation: str, **params) -> dict:
    return paginated_query_with_retries(client, operation, retry_decorator=RETRY_DECORATOR, **params)


@IAMErrorHandler.common_error_handler("list groups")
def list_group_names(client) -> list[str]:
    return [group["GroupName"] for group in _paginated(client, "list_groups").get("Groups", [])]
