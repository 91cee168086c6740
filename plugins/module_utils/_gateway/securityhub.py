# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of AWS Security Hub: every boto3 call on it, and nothing else.

Each function passes ``aws_retry=True`` (reads through amazon.aws's ``paginated_query_with_retries``) and maps
errors with amazon.aws's ``AWSErrorHandler``, which raises ``AnsibleAWSError`` naming what failed and keeping
the botocore error (its code, ``InvalidAccessException`` when Security Hub is not enabled in the account).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated

# GetFindings' largest page.
PAGE_SIZE = 100


@AWSErrorHandler.common_error_handler("read this collection's earlier Security Hub findings (securityhub:GetFindings)")
def get_findings(client, product_arn: str, account_id: str, generator_prefix: str) -> list[dict]:
    """The ACTIVE findings of the account's default product whose generator starts with ``generator_prefix``."""
    filters = {
        "ProductArn": [{"Value": product_arn, "Comparison": "EQUALS"}],
        "AwsAccountId": [{"Value": account_id, "Comparison": "EQUALS"}],
        "GeneratorId": [{"Value": generator_prefix, "Comparison": "PREFIX"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    return paginated(client, "get_findings", "Findings", Filters=filters, PaginationConfig={"PageSize": PAGE_SIZE})


@AWSErrorHandler.common_error_handler("import findings into Security Hub (securityhub:BatchImportFindings)")
def batch_import_findings(client, findings: list[dict]) -> dict:
    """BatchImportFindings of at most 100 findings: {FailedCount, SuccessCount, FailedFindings}."""
    return client.batch_import_findings(aws_retry=True, Findings=findings)


@AWSErrorHandler.common_error_handler("set the workflow status of findings (securityhub:BatchUpdateFindings)")
def batch_update_findings(client, identifiers: list[dict], status: str, note: str | None, author: str) -> dict:
    """BatchUpdateFindings of at most 100 findings ({Id, ProductArn}): {ProcessedFindings, UnprocessedFindings}."""
    params = {"FindingIdentifiers": identifiers, "Workflow": {"Status": status}}
    if note:
        params["Note"] = {"Text": note, "UpdatedBy": author}
    return client.batch_update_findings(aws_retry=True, **params)
