# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of the support role and the IAM server certificates: every boto3 call on them, and nothing else.

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (paginated reads:
amazon.aws's ``paginated_query_with_retries`` with the collection's retry decorator) and maps errors with
amazon.aws's ``IAMErrorHandler``, which raises ``AnsibleIAMError`` naming what failed.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated

# The API's largest page: one call covers 1,000 roles or certificates.
PAGE_SIZE = 1000


@IAMErrorHandler.common_error_handler("list the roles a managed policy is attached to (ListEntitiesForPolicy)")
def list_roles_for_policy(client, policy_arn: str) -> list[str]:
    """Names of the roles the managed policy is attached to (one call for up to 1,000 roles)."""
    roles = paginated(
        client,
        "list_entities_for_policy",
        "PolicyRoles",
        PolicyArn=policy_arn,
        EntityFilter="Role",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return [role["RoleName"] for role in roles]


@IAMErrorHandler.list_error_handler("get the IAM role (GetRole)", None)
def get_role(client, name: str) -> dict | None:
    """GetRole's Role (its trust policy decoded by botocore), or None when there is no such role."""
    return client.get_role(aws_retry=True, RoleName=name)["Role"]


@IAMErrorHandler.common_error_handler("create the IAM role (CreateRole)")
def create_role(client, name: str, path: str, trust_policy: dict, description: str) -> dict:
    return client.create_role(
        aws_retry=True,
        RoleName=name,
        Path=path,
        AssumeRolePolicyDocument=json.dumps(trust_policy),
        Description=description,
    )["Role"]


@IAMErrorHandler.common_error_handler("attach a managed policy to the role (AttachRolePolicy)")
def attach_role_policy(client, name: str, policy_arn: str) -> None:
    client.attach_role_policy(aws_retry=True, RoleName=name, PolicyArn=policy_arn)


@IAMErrorHandler.common_error_handler("set the role's trust policy (UpdateAssumeRolePolicy)")
def update_trust_policy(client, name: str, trust_policy: dict) -> None:
    client.update_assume_role_policy(aws_retry=True, RoleName=name, PolicyDocument=json.dumps(trust_policy))


@IAMErrorHandler.common_error_handler("list IAM server certificates (ListServerCertificates)")
def list_server_certificates(client) -> list[dict]:
    """ListServerCertificates' metadata (name, path, ARN, id, upload date, expiration), never a certificate body."""
    return paginated(
        client, "list_server_certificates", "ServerCertificateMetadataList", PaginationConfig={"PageSize": PAGE_SIZE}
    )


@IAMErrorHandler.deletion_error_handler("delete an IAM server certificate (DeleteServerCertificate)")
def delete_server_certificate(client, name: str) -> bool:
    """True when deleted, False when it was already gone."""
    client.delete_server_certificate(aws_retry=True, ServerCertificateName=name)
    return True
