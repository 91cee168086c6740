# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of IAM groups: every boto3 call on groups, their policies and members, and nothing else.

Each function is the one reader (or writer) of its AWS call: it passes ``aws_retry=True`` (paginated reads:
amazon.aws's ``paginated_query_with_retries`` with the collection's retry decorator) and maps errors with
amazon.aws's ``IAMErrorHandler``, which raises ``AnsibleIAMError`` naming what failed.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated


@IAMErrorHandler.common_error_handler("list groups")
def list_group_names(client) -> list[str]:
    return [group["GroupName"] for group in paginated(client, "list_groups", "Groups")]


@IAMErrorHandler.list_error_handler("get the IAM group (GetGroup)", None)
def get_group(client, name: str) -> dict | None:
    """GetGroup's answer with every member (all pages), or None when there is no such group."""
    return paginated(client, "get_group", None, GroupName=name, PaginationConfig={"PageSize": 1000})


@IAMErrorHandler.common_error_handler("list the group's managed policies (ListAttachedGroupPolicies)")
def list_attached_policy_arns(client, name: str) -> list[str]:
    attached = paginated(
        client, "list_attached_group_policies", "AttachedPolicies", GroupName=name, PaginationConfig={"PageSize": 1000}
    )
    return [policy["PolicyArn"] for policy in attached]


@IAMErrorHandler.list_error_handler("get the group's inline policy (GetGroupPolicy)", None)
def get_group_policy_document(client, name: str, policy_name: str):
    """The inline policy's document as the API gives it, or None when the group has no policy of that name."""
    return client.get_group_policy(aws_retry=True, GroupName=name, PolicyName=policy_name)["PolicyDocument"]


@IAMErrorHandler.common_error_handler("create the IAM group (CreateGroup)")
def create_group(client, name: str, path: str) -> dict:
    return client.create_group(aws_retry=True, GroupName=name, Path=path)["Group"]


@IAMErrorHandler.common_error_handler("change the group's path (UpdateGroup)")
def update_group_path(client, name: str, path: str) -> None:
    client.update_group(aws_retry=True, GroupName=name, NewPath=path)


@IAMErrorHandler.common_error_handler("attach a managed policy to the group (AttachGroupPolicy)")
def attach_group_policy(client, name: str, policy_arn: str) -> None:
    client.attach_group_policy(aws_retry=True, GroupName=name, PolicyArn=policy_arn)


@IAMErrorHandler.deletion_error_handler("detach a managed policy from the group (DetachGroupPolicy)")
def detach_group_policy(client, name: str, policy_arn: str) -> bool:
    client.detach_group_policy(aws_retry=True, GroupName=name, PolicyArn=policy_arn)
    return True


@IAMErrorHandler.common_error_handler("put the group's inline policy (PutGroupPolicy)")
def put_group_policy(client, name: str, policy_name: str, document: str) -> None:
    client.put_group_policy(aws_retry=True, GroupName=name, PolicyName=policy_name, PolicyDocument=document)
