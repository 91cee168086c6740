# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of STS: every boto3 call on it, and nothing else.

sts:AssumeRole is not here: botocore makes it (and renews it) for the connection option ``assume_role_arn``
(see _connection). It happens inside the first call of an assumed-role client, so a refused role surfaces
as the failure of that call, with AWS's error code and message.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler


@AWSErrorHandler.common_error_handler("open the account session (sts:GetCallerIdentity)")
def get_caller_identity(client) -> dict:
    """GetCallerIdentity's answer: Account, Arn and UserId."""
    return client.get_caller_identity(aws_retry=True)
