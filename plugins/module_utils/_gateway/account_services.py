# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of the account's security alternate contact (AWS Account Management) and of IAM Access Analyzer's
analyzers: every boto3 call on them, and nothing else.

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (the listing: amazon.aws's
``paginated_query_with_retries`` with the collection's retry decorator) and maps errors with amazon.aws's
``AWSErrorHandler`` family, which raises ``AnsibleAWSError`` naming what failed.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated

SECURITY = "SECURITY"
# ListAnalyzers' largest page: one call covers every analyzer of a region.
ANALYZER_PAGE_SIZE = 100


class AccountErrorHandler(AWSErrorHandler):
    """Account Management and Access Analyzer answer ResourceNotFoundException for what does not exist."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def _target(account_id: str | None) -> dict:
    # Without AccountId the call acts on the caller's own account; with it, on a member account, from the
    # management account (or the Account Management delegated administrator) with trusted access on.
    return {"AccountId": account_id} if account_id else {}


@AccountErrorHandler.list_error_handler("read the security alternate contact (account:GetAlternateContact)", None)
def get_security_contact(client, account_id: str | None = None) -> dict | None:
    """GetAlternateContact's AlternateContact of type SECURITY, or None when the account has none."""
    return client.get_alternate_contact(aws_retry=True, AlternateContactType=SECURITY, **_target(account_id))[
        "AlternateContact"
    ]


@AccountErrorHandler.common_error_handler("set the security alternate contact (account:PutAlternateContact)")
def put_security_contact(client, contact: dict, account_id: str | None = None) -> None:
    client.put_alternate_contact(
        aws_retry=True,
        AlternateContactType=SECURITY,
        Name=contact["name"],
        Title=contact["title"],
        EmailAddress=contact["email"],
        PhoneNumber=contact["phone"],
        **_target(account_id),
    )


@AccountErrorHandler.common_error_handler("list IAM Access Analyzer analyzers (access-analyzer:ListAnalyzers)")
def list_analyzers(client) -> list[dict]:
    """Every analyzer of the client's region, of every type (one call: a region holds a handful)."""
    return paginated(client, "list_analyzers", "analyzers", PaginationConfig={"PageSize": ANALYZER_PAGE_SIZE})


@AccountErrorHandler.common_error_handler("create an IAM Access Analyzer analyzer (access-analyzer:CreateAnalyzer)")
def create_analyzer(client, name: str, analyzer_type: str, tags: dict) -> str:
    """The new analyzer's ARN."""
    return client.create_analyzer(aws_retry=True, analyzerName=name, type=analyzer_type, tags=tags)["arn"]
