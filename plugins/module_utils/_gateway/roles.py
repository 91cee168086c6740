# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of IAM roles: every boto3 call on roles (the roles themselves are read with the account's
authorization details, ``users.get_authorization_details``)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler


@IAMErrorHandler.deletion_error_handler("detach a managed policy from the role (DetachRolePolicy)")
def detach_role_policy(client, name: str, policy_arn: str) -> bool:
    """Detach; False when the role or the attachment is already gone."""
    client.detach_role_policy(aws_retry=True, RoleName=name, PolicyArn=policy_arn)
    return True
