# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of the per-user reads of iam_mfa_status: every boto3 call on them, and nothing else.

Only users the bulk sources cannot answer for cost these calls (see _mfa.plan_users).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway.account import iam_pages


@IAMErrorHandler.list_error_handler("list MFA devices of a user", None)
def list_mfa_device_serials(client, user_name: str) -> list[str] | None:
    """Serials of a user's MFA devices; None when the user no longer exists."""
    devices = iam_pages(client.list_mfa_devices, "MFADevices", UserName=user_name)
    return [device["SerialNumber"] for device in devices]


@IAMErrorHandler.list_error_handler("get a login profile", False)
def has_login_profile(client, user_name: str) -> bool:
    """Whether the user has a console password (False when the user or its profile does not exist)."""
    client.get_login_profile(aws_retry=True, UserName=user_name)
    return True
