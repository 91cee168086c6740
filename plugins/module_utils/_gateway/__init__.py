# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The gateways: every boto3 call of the collection, one module per area, one function per AWS call.

Each function passes ``aws_retry=True`` (clients are amazon.aws's retrying wrapper, see _connection), maps errors
with amazon.aws's error handlers, and returns the API's own shapes; plans and checks turn them into the
collection's. Listings go through :func:`paginated`.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.accountguard.aws.plugins.module_utils._connection import RETRY_DECORATOR


def paginated(client, operation: str, key: str | None, **params):
    """Every item under ``key`` of a paginated listing (botocore's paginator, retried by amazon.aws as one
    query), or with ``key=None`` the whole merged answer (GetGroup: the group and all its members)."""
    answer = paginated_query_with_retries(client, operation, retry_decorator=RETRY_DECORATOR, **params)
    return answer if key is None else answer.get(key, [])
