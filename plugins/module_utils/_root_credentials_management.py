# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning of centralized root access (accountguard.aws.root_credentials_management).

Centralized root access is a setting of the Organization, not of an account: trusted access for IAM in
Organizations (``iam.amazonaws.com``) and IAM's two Organizations features, ``RootCredentialsManagement`` and
``RootSessions``. It is read and changed from the management account only, so the control runs once per
Organization, on the management account's host; every other host says why it does not run it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding

CONTROL = "root_credentials_management"
IAM_PRINCIPAL = "iam.amazonaws.com"
FEATURES = ("RootCredentialsManagement", "RootSessions")
ALL_FEATURES_MODE = "ALL"

# Where the host stands in its Organization.
MANAGEMENT = "management"
MEMBER = "member"
STANDALONE = "standalone"


@dataclass(frozen=True)
class Placement:
    """The host's account in (or out of) an Organization, from DescribeOrganization."""

    role: str
    account_id: str
    organization_id: str | None = None
    organization_arn: str | None = None
    management_account_id: str | None = None
    feature_set: str | None = None

    @classmethod
    def of(cls, account_id: str, organization: dict | None) -> Placement:
        """``organization``: DescribeOrganization's Organization, or None (AWSOrganizationsNotInUseException)."""
        if not organization:
            return cls(STANDALONE, account_id)
        management = str(organization.get("MasterAccountId") or "")
        return cls(
            MANAGEMENT if management == account_id else MEMBER,
            account_id,
            organization.get("Id"),
            organization.get("Arn"),
            management or None,
            organization.get("FeatureSet"),
        )

    def skip_reason(self) -> str | None:
        """Why this host does not run the control, or None for the management account."""
        if self.role == STANDALONE:
            return (
                f"account {self.account_id} is not in an AWS Organization (AWSOrganizationsNotInUseException): "
                "centralized root access is a setting of an Organization"
            )
        if self.role == MEMBER:
            return (
                f"account {self.account_id} is a member of the Organization {self.organization_id}: the control "
                f"runs once per Organization, on the host of its management account {self.management_account_id}"
            )
        return None


def member_hint_reason(account_id: str, organization: dict | None = None) -> str:
    """The skip reason when the run already knows the account is not the management account: from the inventory
    (aws_management_account), or from the Organization read once per run (``organization``)."""
    if organization:
        return (
            f"account {account_id} is not the management account {organization.get('MasterAccountId')} of the "
            f"Organization {organization.get('Id')} (read once per run with the credentials of centralized root "
            "access): the control runs once per Organization, on the management account's host; the management "
            "account of another Organization needs aws_management_account: true on its host"
        )
    return (
        f"account {account_id} is not its Organization's management account (inventory variable "
        "aws_management_account): the control runs once per Organization, on the management account's host"
    )


@dataclass(frozen=True)
class State:
    """Trusted access for IAM and the IAM features enabled, as read from the management account."""

    trusted_access: bool
    features: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """The shape of the result and of the diff: every setting by name, on or off."""
        return {
            "trusted_access": self.trusted_access,
            "features": {name: name in self.features for name in FEATURES},
        }

    @property
    def enabled(self) -> bool:
        return self.trusted_access and all(name in self.features for name in FEATURES)

    def missing(self) -> list[str]:
        """What is off, in words the messages use."""
        off = [] if self.trusted_access else [f"trusted access for {IAM_PRINCIPAL}"]
        return off + [name for name in FEATURES if name not in self.features]


def trusted(principals: list[dict]) -> bool:
    """Whether ListAWSServiceAccessForOrganization's EnabledServicePrincipals include IAM."""
    return any(p.get("ServicePrincipal") == IAM_PRINCIPAL for p in principals or ())


@dataclass(frozen=True)
class Plan:
    enable_trusted_access: bool
    enable_features: tuple[str, ...]

    @property
    def changes(self) -> bool:
        return self.enable_trusted_access or bool(self.enable_features)

    def after(self, state: State) -> State:
        """The state the plan leaves."""
        features = tuple(name for name in FEATURES if name in state.features or name in self.enable_features)
        return State(state.trusted_access or self.enable_trusted_access, features)


def plan(state: State, enable: bool) -> Plan:
    """What to enable: nothing unless asked, and then only what is off (trusted access first: the IAM
    feature calls refuse an Organization without it)."""
    if not enable:
        return Plan(False, ())
    return Plan(not state.trusted_access, tuple(name for name in FEATURES if name not in state.features))


def findings(state: State, placement: Placement) -> list[dict]:
    """One finding for the Organization: pass when trusted access and both features are on."""
    resource = placement.organization_arn or ""
    if placement.feature_set and placement.feature_set != ALL_FEATURES_MODE:
        return [
            finding(
                CONTROL,
                "fail",
                resource,
                f"the Organization {placement.organization_id} is in {placement.feature_set} mode: centralized "
                "root access needs all features enabled (organizations:EnableAllFeatures)",
            )
        ]
    if state.enabled:
        return [
            finding(
                CONTROL,
                "pass",
                resource,
                f"centralized root access is enabled for the Organization {placement.organization_id} "
                f"(trusted access for {IAM_PRINCIPAL}, {', '.join(FEATURES)})",
            )
        ]
    return [
        finding(
            CONTROL,
            "fail",
            resource,
            f"centralized root access is not enabled for the Organization {placement.organization_id}: "
            f"{', '.join(state.missing())} off",
        )
    ]
