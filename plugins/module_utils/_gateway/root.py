# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of centralized root access: sts:AssumeRoot, IAM's Organizations features, and the root-scoped IAM
calls of a root session. Every boto3 call on them, and nothing else.

Inside an ``sts:AssumeRoot`` session the IAM calls name no user: they act on the target account's root user.
They are separate from the user gateway's (which always pass ``UserName``) because a root session refuses any
call that names a user. Each function passes ``aws_retry=True`` and maps errors with amazon.aws's handlers.
"""

from __future__ import annotations

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


@AWSErrorHandler.common_error_handler("describe the Organization")
def describe_organization(client) -> dict:
    return client.describe_organization(aws_retry=True)["Organization"]


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
