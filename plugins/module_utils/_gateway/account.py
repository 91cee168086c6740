# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of the account-wide IAM sources (and of who the caller is): every boto3 call on them, and nothing else.

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (the client is
amazon.aws's retrying wrapper, see _connection) and maps errors with amazon.aws's ``IAMErrorHandler``,
which raises ``AnsibleIAMError`` naming what failed. Results are the API's own shapes; plans and checks turn
them into the collection's.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated

# The API's largest page: one call covers 1,000 users or devices.
PAGE_SIZE = 1000


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


# Not ready yet, or expired/absent (generate again): both mean "poll again" to the caller.
REPORT_NOT_READY_CODES = (
    "ReportInProgress",
    "ReportNotPresent",
    "ReportExpired",
    "CredentialReportNotReadyException",
    "CredentialReportNotPresentException",
    "CredentialReportExpiredException",
)


@IAMErrorHandler.common_error_handler("generate the IAM credential report")
def generate_credential_report(client) -> str:
    """GenerateCredentialReport's State (STARTED, INPROGRESS or COMPLETE)."""
    return client.generate_credential_report(aws_retry=True).get("State", "")


@IAMErrorHandler.common_error_handler("fetch the IAM credential report")
def get_credential_report(client) -> dict | None:
    """GetCredentialReport's answer, or None while the report is not ready (or expired: generate again)."""
    try:
        return client.get_credential_report(aws_retry=True)
    except is_boto3_error_code(REPORT_NOT_READY_CODES):
        return None


@IAMErrorHandler.common_error_handler("get the account summary")
def get_account_summary(client) -> dict:
    return client.get_account_summary(aws_retry=True)["SummaryMap"]


@IAMErrorHandler.common_error_handler("list assigned virtual MFA devices")
def list_assigned_virtual_mfa_devices(client) -> list[dict]:
    """ListVirtualMFADevices of the assigned devices, 1,000 per page (the API's largest)."""
    return paginated(
        client,
        "list_virtual_mfa_devices",
        "VirtualMFADevices",
        AssignmentStatus="Assigned",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )


@IAMErrorHandler.common_error_handler("list IAM users")
def list_users(client) -> list[dict]:
    return paginated(client, "list_users", "Users", PaginationConfig={"PageSize": PAGE_SIZE})
