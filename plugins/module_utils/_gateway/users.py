# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of IAM users: every boto3 call on users, their tags, login profiles, access keys, group
memberships, and what must go before DeleteUser (MFA devices, SSH keys, signing certificates, service
credentials, policies).

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (paginated reads:
amazon.aws's ``paginated_query_with_retries`` with the collection's retry decorator) and maps errors with
amazon.aws's ``IAMErrorHandler``, which raises ``AnsibleIAMError`` naming what failed. Results are the API's
own shapes; the plan in ``_users`` turns them into the collection's.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated

# --- reads --------------------------------------------------------------------------------------------------


@IAMErrorHandler.common_error_handler("read the account's authorization details (GetAccountAuthorizationDetails)")
def get_authorization_details(client, entities: list[str]) -> dict:
    """GetAccountAuthorizationDetails for the entity types ``entities`` (User, Group, Role, LocalManagedPolicy,
    AWSManagedPolicy), every page merged: UserDetailList, GroupDetailList, RoleDetailList, Policies."""
    return paginated(client, "get_account_authorization_details", None, Filter=list(entities))


def list_user_details(client) -> list[dict]:
    return get_authorization_details(client, ["User"]).get("UserDetailList", [])


@IAMErrorHandler.list_error_handler("get the user", None)
def get_user(client, user_name: str) -> dict | None:
    """GetUser's User, or None when there is no such user."""
    return client.get_user(aws_retry=True, UserName=user_name)["User"]


@IAMErrorHandler.list_error_handler("get the login profile", None)
def get_login_profile(client, user_name: str) -> dict | None:
    """GetLoginProfile's LoginProfile, or None when the user has no console access."""
    return client.get_login_profile(aws_retry=True, UserName=user_name)["LoginProfile"]


@IAMErrorHandler.list_error_handler("list access keys", default_value=[])
def list_access_keys(client, user_name: str) -> list[dict]:
    """ListAccessKeys' AccessKeyMetadata of a user (empty when the user no longer exists)."""
    return paginated(client, "list_access_keys", "AccessKeyMetadata", UserName=user_name)


@IAMErrorHandler.common_error_handler("get when an access key was last used")
def access_key_last_used(client, access_key_id: str):
    answer = client.get_access_key_last_used(aws_retry=True, AccessKeyId=access_key_id)
    return answer.get("AccessKeyLastUsed", {}).get("LastUsedDate")


@IAMErrorHandler.common_error_handler("deactivate an access key")
def deactivate_access_key(client, user_name: str, access_key_id: str) -> None:
    client.update_access_key(aws_retry=True, UserName=user_name, AccessKeyId=access_key_id, Status="Inactive")


# --- writes -------------------------------------------------------------------------------------------------


@IAMErrorHandler.common_error_handler("create the user")
def create_user(client, user_name: str, path: str, tags: dict) -> dict:
    request = {"UserName": user_name, "Path": path}
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_user(aws_retry=True, **request)["User"]


@IAMErrorHandler.common_error_handler("update the user's path")
def update_path(client, user_name: str, path: str) -> None:
    client.update_user(aws_retry=True, UserName=user_name, NewPath=path)


@IAMErrorHandler.common_error_handler("tag the user")
def tag_user(client, user_name: str, tags: dict) -> None:
    client.tag_user(aws_retry=True, UserName=user_name, Tags=ansible_dict_to_boto3_tag_list(tags))


@IAMErrorHandler.common_error_handler("untag the user")
def untag_user(client, user_name: str, keys: list) -> None:
    client.untag_user(aws_retry=True, UserName=user_name, TagKeys=list(keys))


@IAMErrorHandler.common_error_handler("add the user to a group")
def add_to_group(client, user_name: str, group: str) -> None:
    client.add_user_to_group(aws_retry=True, UserName=user_name, GroupName=group)


@IAMErrorHandler.deletion_error_handler("remove the user from a group")
def remove_from_group(client, user_name: str, group: str) -> bool:
    client.remove_user_from_group(aws_retry=True, UserName=user_name, GroupName=group)
    return True


@IAMErrorHandler.common_error_handler("create the login profile")
def create_login_profile(client, user_name: str, password: str, reset_required: bool) -> None:
    client.create_login_profile(
        aws_retry=True, UserName=user_name, Password=password, PasswordResetRequired=reset_required
    )


@IAMErrorHandler.deletion_error_handler("delete the login profile")
def delete_login_profile(client, user_name: str) -> bool:
    client.delete_login_profile(aws_retry=True, UserName=user_name)
    return True


@IAMErrorHandler.common_error_handler("create an access key")
def create_access_key(client, user_name: str) -> dict:
    return client.create_access_key(aws_retry=True, UserName=user_name)["AccessKey"]


@IAMErrorHandler.deletion_error_handler("delete an access key")
def delete_access_key(client, user_name: str, access_key_id: str) -> bool:
    client.delete_access_key(aws_retry=True, UserName=user_name, AccessKeyId=access_key_id)
    return True


# --- deleting a user ----------------------------------------------------------------------------------------
# DeleteUser refuses a user that still has credentials, policies or memberships, so each is removed first.
# Every call has its own handler: a failure names the call that failed. These raise on NoSuchEntity too
# (common_error_handler): an MFA device, key or policy that vanished between list and delete is not proof
# that the user is gone, only GetUser says that (see the backend).


@IAMErrorHandler.list_error_handler("list the user's MFA devices", default_value=[])
def list_mfa_devices(client, user_name: str) -> list[dict]:
    """ListMFADevices' MFADevices of a user (empty when the user no longer exists)."""
    return paginated(client, "list_mfa_devices", "MFADevices", UserName=user_name)


@IAMErrorHandler.common_error_handler("deactivate an MFA device of the user")
def deactivate_mfa_device(client, user_name: str, serial: str) -> None:
    client.deactivate_mfa_device(aws_retry=True, UserName=user_name, SerialNumber=serial)


@IAMErrorHandler.common_error_handler("delete a virtual MFA device of the user")
def delete_virtual_mfa_device(client, serial: str) -> None:
    client.delete_virtual_mfa_device(aws_retry=True, SerialNumber=serial)


@IAMErrorHandler.common_error_handler("list the user's signing certificates")
def list_signing_certificates(client, user_name: str) -> list[dict]:
    return paginated(client, "list_signing_certificates", "Certificates", UserName=user_name)


@IAMErrorHandler.common_error_handler("delete a signing certificate of the user")
def delete_signing_certificate(client, user_name: str, certificate_id: str) -> None:
    client.delete_signing_certificate(aws_retry=True, UserName=user_name, CertificateId=certificate_id)


@IAMErrorHandler.common_error_handler("list the user's SSH public keys")
def list_ssh_public_keys(client, user_name: str) -> list[dict]:
    return paginated(client, "list_ssh_public_keys", "SSHPublicKeys", UserName=user_name)


@IAMErrorHandler.common_error_handler("delete an SSH public key of the user")
def delete_ssh_public_key(client, user_name: str, key_id: str) -> None:
    client.delete_ssh_public_key(aws_retry=True, UserName=user_name, SSHPublicKeyId=key_id)


@IAMErrorHandler.common_error_handler("list the user's service-specific credentials")
def list_service_specific_credentials(client, user_name: str) -> list[dict]:
    answer = client.list_service_specific_credentials(aws_retry=True, UserName=user_name)
    return answer.get("ServiceSpecificCredentials", [])


@IAMErrorHandler.common_error_handler("delete a service-specific credential of the user")
def delete_service_specific_credential(client, user_name: str, credential_id: str) -> None:
    client.delete_service_specific_credential(
        aws_retry=True, UserName=user_name, ServiceSpecificCredentialId=credential_id
    )


@IAMErrorHandler.common_error_handler("detach a managed policy from the user")
def detach_user_policy(client, user_name: str, policy_arn: str) -> None:
    client.detach_user_policy(aws_retry=True, UserName=user_name, PolicyArn=policy_arn)


@IAMErrorHandler.common_error_handler("delete an inline policy of the user")
def delete_user_policy(client, user_name: str, policy_name: str) -> None:
    client.delete_user_policy(aws_retry=True, UserName=user_name, PolicyName=policy_name)


@IAMErrorHandler.common_error_handler("delete the user")
def delete_user(client, user_name: str) -> None:
    client.delete_user(aws_retry=True, UserName=user_name)
