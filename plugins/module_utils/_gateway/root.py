# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of centralized root access: sts:AssumeRoot, the Organization and its trusted access for IAM, IAM's
Organizations features, and the root-scoped IAM calls of a root session. Every boto3 call on them, and nothing
else (the inventory plugin reads the Organization on the controller through plugin_utils/_organizations).

Inside an ``sts:AssumeRoot`` session the IAM calls name no user: they act on the target account's root user.
They are separate from the user gateway's (which always pass ``UserName``) because a root session refuses any
call that names a user. Each function passes ``aws_retry=True`` and maps errors with amazon.aws's handlers.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated

# --- the session and the features (the management account's or delegated administrator's credentials) ---------


@AWSErrorHandler.common_error_handler("open a root session (sts:AssumeRoot)")
def assume_root(client, account_id: str, task_policy_arn: str, duration_seconds: int) -> dict:
    """AssumeRoot's Credentials for the root user of ``account_id``: kept in memory by the caller, never returned."""
    return client.assume_root(
        aws_retry=True,
        TargetPrincipal=account_id,
        TaskPolicyArn={"arn": task_policy_arn},
        DurationSeconds=duration_seconds,
    )["Credentials"]


@IAMErrorHandler.common_error_handler("list the Organization's IAM features (iam:ListOrganizationsFeatures)")
def list_organizations_features(client) -> dict:
    """ListOrganizationsFeatures' OrganizationId and EnabledFeatures."""
    answer = client.list_organizations_features(aws_retry=True)
    return {"OrganizationId": answer.get("OrganizationId"), "EnabledFeatures": answer.get("EnabledFeatures", [])}


class OrganizationsErrorHandler(AWSErrorHandler):
    @classmethod
    def _is_missing(cls):
        # An account in no Organization: an answer, not a failure.
        return is_boto3_error_code("AWSOrganizationsNotInUseException")


@OrganizationsErrorHandler.list_error_handler("describe the Organization (organizations:DescribeOrganization)", None)
def describe_organization(client) -> dict | None:
    """DescribeOrganization's Organization (any account of it may read it; MasterAccountId names the management
    account), or None when the caller's account is in no Organization."""
    return client.describe_organization(aws_retry=True)["Organization"]


@AWSErrorHandler.common_error_handler(
    "list trusted access of the Organization (organizations:ListAWSServiceAccessForOrganization)"
)
def list_aws_service_access(client) -> list[dict]:
    """The EnabledServicePrincipals of ListAWSServiceAccessForOrganization, every page."""
    return paginated(client, "list_aws_service_access_for_organization", "EnabledServicePrincipals")


@AWSErrorHandler.common_error_handler("enable trusted access (organizations:EnableAWSServiceAccess)")
def enable_aws_service_access(client, principal: str) -> None:
    client.enable_aws_service_access(aws_retry=True, ServicePrincipal=principal)


@IAMErrorHandler.common_error_handler("enable the IAM Organizations feature RootCredentialsManagement")
def enable_root_credentials_management(client) -> list[str]:
    """EnableOrganizationsRootCredentialsManagement; the EnabledFeatures after."""
    return client.enable_organizations_root_credentials_management(aws_retry=True).get("EnabledFeatures", [])


@IAMErrorHandler.common_error_handler("enable the IAM Organizations feature RootSessions")
def enable_root_sessions(client) -> list[str]:
    """EnableOrganizationsRootSessions; the EnabledFeatures after."""
    return client.enable_organizations_root_sessions(aws_retry=True).get("EnabledFeatures", [])


# --- reads inside a root session (IAMAuditRootUserCredentials) -------------------------------------------------


@IAMErrorHandler.common_error_handler("list the root user's access keys")
def list_root_access_keys(client) -> list[dict]:
    return paginated(client, "list_access_keys", "AccessKeyMetadata")


@IAMErrorHandler.common_error_handler("get when a root access key was last used")
def root_access_key_last_used(client, access_key_id: str) -> dict:
    """GetAccessKeyLastUsed's AccessKeyLastUsed (LastUsedDate absent when never used)."""
    return client.get_access_key_last_used(aws_retry=True, AccessKeyId=access_key_id).get("AccessKeyLastUsed", {})


@IAMErrorHandler.list_error_handler("get the root user's login profile", None)
def get_root_login_profile(client) -> dict | None:
    """GetLoginProfile's LoginProfile of root, or None when root has no console password."""
    return client.get_login_profile(aws_retry=True)["LoginProfile"]


@IAMErrorHandler.common_error_handler("get the root user")
def get_root_user(client) -> dict:
    """GetUser's User of root (PasswordLastUsed)."""
    return client.get_user(aws_retry=True)["User"]


@IAMErrorHandler.common_error_handler("list the root user's MFA devices")
def list_root_mfa_devices(client) -> list[dict]:
    return paginated(client, "list_mfa_devices", "MFADevices")


@IAMErrorHandler.common_error_handler("list the root user's signing certificates")
def list_root_signing_certificates(client) -> list[dict]:
    return paginated(client, "list_signing_certificates", "Certificates")


# --- writes inside a root session (IAMDeleteRootUserCredentials) -----------------------------------------------


@IAMErrorHandler.deletion_error_handler("delete a root access key")
def delete_root_access_key(client, access_key_id: str) -> bool:
    client.delete_access_key(aws_retry=True, AccessKeyId=access_key_id)
    return True


@IAMErrorHandler.deletion_error_handler("delete a root signing certificate")
def delete_root_signing_certificate(client, certificate_id: str) -> bool:
    client.delete_signing_certificate(aws_retry=True, CertificateId=certificate_id)
    return True


@IAMErrorHandler.deletion_error_handler("delete the root user's login profile")
def delete_root_login_profile(client) -> bool:
    client.delete_login_profile(aws_retry=True)
    return True


@IAMErrorHandler.deletion_error_handler("deactivate a root MFA device")
def deactivate_root_mfa_device(client, serial: str) -> bool:
    client.deactivate_mfa_device(aws_retry=True, SerialNumber=serial)
    return True


@IAMErrorHandler.deletion_error_handler("delete a root virtual MFA device")
def delete_root_virtual_mfa_device(client, serial: str) -> bool:
    client.delete_virtual_mfa_device(aws_retry=True, SerialNumber=serial)
    return True
