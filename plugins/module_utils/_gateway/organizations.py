# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gateway of AWS Organizations for the modules: every boto3 call on it, and nothing else.

(The inventory plugin reads the Organization on the controller through plugin_utils/_organizations.)
Each function passes ``aws_retry=True`` and maps errors with amazon.aws's ``AWSErrorHandler``, which raises
``AnsibleAWSError`` naming what failed; results are the API's own shapes.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

from ansible_collections.accountguard.aws.plugins.module_utils._gateway import paginated


class OrganizationsErrorHandler(AWSErrorHandler):
    @classmethod
    def _is_missing(cls):
        # An account in no Organization: an answer, not a failure.
        return is_boto3_error_code("AWSOrganizationsNotInUseException")


@OrganizationsErrorHandler.list_error_handler("describe the Organization (organizations:DescribeOrganization)", None)
def describe_organization(client) -> dict | None:
    """DescribeOrganization's Organization, or None when the account is in no Organization."""
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
