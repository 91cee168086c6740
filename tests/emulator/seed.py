"""The demo data set: an Organization whose three member accounts are insecure in different ways.

Everything the demo shows comes from DEMO below, the one place to read or change it. Account ids are
deterministic because the emulator numbers the accounts it creates (111111111111, 222222222222, ...), and
seed_demo() starts from a reset emulator.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.client import Emulator

MANAGEMENT_ACCOUNT_ID = "123456789012"
# Only the emulator ever sees this password; it makes the console users "console users".
DEMO_CONSOLE_PASSWORD = "Demo-only-Passw0rd!"

WEAK_PASSWORD_POLICY = {
    "MinimumPasswordLength": 8,
    "RequireSymbols": False,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "HardExpiry": False,
}  # MaxPasswordAge and PasswordReusePrevention left out: passwords never expire and may be reused

# users: console (has a password), mfa ("virtual" or None), access_keys (each: created_days_ago,
# last_used_days_ago or None for never used, active), password_last_used_days_ago, managed_policies (ARNs
# attached to the user). roles (optional): name, managed_policies (ARNs), customer_policies (name -> document,
# created in the account and attached).
ALLOW_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# The security contact inventories/demo declares (baseline_security_contact), as PutAlternateContact takes it.
DEMO_SECURITY_CONTACT = {
    "Name": "Demo security team",
    "Title": "Security operations",
    "EmailAddress": "security@example.com",
    "PhoneNumber": "+1 555 0100",
}


DEMO = {
    # Centralized root access is on (trusted access for iam.amazonaws.com, then the IAM features
    # RootCredentialsManagement and RootSessions): the baseline audits the member accounts' root users through
    # sts:AssumeRoot and, with baseline_root_remove_credentials, removes their credentials; the management
    # account's root stays a person's job (sts:AssumeRoot cannot target it).
    "centralized_root_access": True,
    "management": {
        "password_policy": {
            **WEAK_PASSWORD_POLICY,
            "MinimumPasswordLength": 14,
            "RequireSymbols": True,
            "RequireUppercaseCharacters": True,
            "PasswordReusePrevention": 24,
            "MaxPasswordAge": 90,
        },
        # a root access key no API can delete: the management account's root is out of sts:AssumeRoot's reach
        "root": {
            "access_keys": [{"active": True, "age_days": 300, "last_used_days_ago": 100, "last_used_service": "iam"}],
            "mfa": "hardware",
            "password_last_used_days_ago": 40,
        },
        "users": [],
    },
    "organizational_units": ["Workloads", "Workloads/Prod", "Workloads/Dev", "Sandbox"],
    "accounts": [
        {
            "name": "prod",
            "email": "aws-prod@example.com",
            "ou_path": "Root/Workloads/Prod",
            "tags": {"environment": "prod", "owner": "platform"},
            "password_policy": WEAK_PASSWORD_POLICY,
            "root": {
                "access_keys": [
                    {"active": True, "age_days": 400, "last_used_days_ago": 20, "last_used_service": "s3"},
                    {"active": False, "age_days": 700},
                ],
                "mfa": "none",
                "password_last_used_days_ago": 3,
            },
            "users": [
                {"name": "alice", "console": True, "mfa": None, "password_last_used_days_ago": 1},
                {"name": "bob", "console": True, "mfa": "virtual", "password_last_used_days_ago": 2},
                {
                    "name": "deploy-bot",
                    "access_keys": [{"created_days_ago": 200, "last_used_days_ago": 1}],
                },
                {
                    "name": "legacy-etl",
                    "access_keys": [{"created_days_ago": 100, "last_used_days_ago": None}],
                    # permissions of its own, not through a group (group_permissions)
                    "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                },
            ],
            "server_certificates": [{"name": "www-prod", "not_after_days": 200}],
            # the security contact the demo inventory declares, and an external access analyzer (both pass)
            "security_contact": DEMO_SECURITY_CONTACT,
            "analyzers": [{"region": "us-east-1", "name": "prod-external-access", "type": "ACCOUNT"}],
        },
        {
            "name": "dev",
            "email": "aws-dev@example.com",
            "ou_path": "Root/Workloads/Dev",
            "tags": {"environment": "dev", "owner": "platform"},
            "password_policy": None,
            "root": {
                "access_keys": [
                    {"active": True, "age_days": 250, "last_used_days_ago": 60, "last_used_service": "iam"},
                ],
                "mfa": "virtual",
                "password_last_used_days_ago": 30,
            },
            "users": [
                {
                    "name": "carol",
                    "console": True,
                    "mfa": None,
                    "password_last_used_days_ago": 5,
                    # handed out with her console access and never used (initial_access_keys)
                    "access_keys": [{"created_days_ago": 10, "last_used_days_ago": None}],
                },
                {"name": "dave", "console": True, "mfa": "virtual", "password_last_used_days_ago": 7},
                {
                    "name": "ci-runner",
                    "access_keys": [
                        {"created_days_ago": 200, "last_used_days_ago": 3},
                        {"created_days_ago": 10, "last_used_days_ago": 1},
                    ],
                },
            ],
            # a full "*:*" administrator policy on a role (admin_policies)
            "roles": [{"name": "ops-automation", "customer_policies": {"AllowEverything": ALLOW_EVERYTHING}}],
            # an outdated security contact (security_contact: the apply replaces it with the declared one) and an
            # unused-access analyzer only, which looks for no external access (access_analyzer)
            "security_contact": {
                "Name": "Former admin",
                "Title": "Ops",
                "EmailAddress": "former-admin@example.com",
                "PhoneNumber": "+1 555 0199",
            },
            "analyzers": [{"region": "us-east-1", "name": "dev-unused-access", "type": "ACCOUNT_UNUSED_ACCESS"}],
        },
        {
            "name": "sandbox",
            "email": "aws-sandbox@example.com",
            "ou_path": "Root/Sandbox",
            "tags": {"environment": "sandbox", "owner": "research"},
            "password_policy": {**WEAK_PASSWORD_POLICY, "MinimumPasswordLength": 6, "RequireNumbers": False},
            "root": {
                "access_keys": [{"active": False, "age_days": 500}],
                "mfa": "none",
                "password_last_used_days_ago": 1,
            },
            "users": [
                {"name": "erin", "console": True, "mfa": None, "password_last_used_days_ago": None},
                {
                    "name": "frank",
                    "console": True,
                    "mfa": None,
                    "password_last_used_days_ago": 90,
                    "access_keys": [{"created_days_ago": 200, "last_used_days_ago": 120}],
                },
                {"name": "experiments", "access_keys": [{"created_days_ago": 100, "last_used_days_ago": None}]},
            ],
            "server_certificates": [{"name": "old-demo-site", "not_after_days": -40}],
            # CloudShell full access (cloudshell_access)
            "roles": [{"name": "notebook", "managed_policies": ["arn:aws:iam::aws:policy/AWSCloudShellFullAccess"]}],
        },
    ],
}


def seed_demo(emulator: Emulator, reset: bool = True, centralized_root_access: bool | None = None) -> dict:
    """Create the demo Organization and return its description (ids are strings). ``centralized_root_access``:
    turn it on (trusted access for IAM and both IAM features) or leave it off; None: as DEMO says (on)."""
    if reset:
        emulator.reset()
    org = emulator.client("organizations")
    organization = org.create_organization(FeatureSet="ALL")["Organization"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    ou_ids = {"Root": root_id}
    for path in DEMO["organizational_units"]:
        parent, _sep, name = f"Root/{path}".rpartition("/")
        ou_ids[f"Root/{path}"] = org.create_organizational_unit(ParentId=ou_ids[parent], Name=name)[
            "OrganizationalUnit"
        ]["Id"]

    _seed_account(emulator, MANAGEMENT_ACCOUNT_ID, DEMO["management"])
    accounts = []
    for spec in DEMO["accounts"]:
        status = org.create_account(
            AccountName=spec["name"],
            Email=spec["email"],
            Tags=[{"Key": k, "Value": v} for k, v in spec["tags"].items()],
        )["CreateAccountStatus"]
        account_id = status["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_ids[spec["ou_path"]])
        _seed_account(emulator, account_id, spec)
        accounts.append(
            {
                "id": account_id,
                "name": spec["name"],
                "email": spec["email"],
                "ou_path": spec["ou_path"],
                "tags": dict(spec["tags"]),
                "users": [user["name"] for user in spec["users"]],
            }
        )
    if DEMO["centralized_root_access"] if centralized_root_access is None else centralized_root_access:
        emulator.enable_root_access()
    emulator.clear_requests()
    return {
        "management_account_id": MANAGEMENT_ACCOUNT_ID,
        "organization_id": organization["Id"],
        "role_name": "OrganizationAccountAccessRole",
        "accounts": accounts,
    }


def _seed_account(emulator: Emulator, account_id: str, spec: dict) -> None:
    iam = emulator.client("iam", account_id)
    if spec.get("password_policy"):
        iam.update_account_password_policy(**spec["password_policy"])
    emulator.set_root(account_id, **spec["root"])
    for cert in spec.get("server_certificates", []):
        emulator.upload_server_certificate(account_id, cert["name"], cert["not_after_days"])
    if spec.get("security_contact"):
        emulator.client("account", account_id).put_alternate_contact(
            AlternateContactType="SECURITY", **spec["security_contact"]
        )
    for analyzer in spec.get("analyzers", []):
        emulator.put_analyzer(account_id, analyzer["region"], analyzer["name"], type=analyzer["type"])
    for user in spec["users"]:
        name = user["name"]
        iam.create_user(UserName=name)
        if user.get("console"):
            iam.create_login_profile(UserName=name, Password=DEMO_CONSOLE_PASSWORD, PasswordResetRequired=False)
            if user.get("password_last_used_days_ago") is not None:
                emulator.backdate_password_last_used(account_id, name, user["password_last_used_days_ago"])
        if user.get("mfa") == "virtual":
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
            # The emulator accepts any pair of codes.
            iam.enable_mfa_device(
                UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
            )
        for arn in user.get("managed_policies", []):
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        for key in user.get("access_keys", []):
            key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
            if not key.get("active", True):
                iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
            emulator.backdate_access_key(
                account_id,
                name,
                key_id,
                created_days_ago=key["created_days_ago"],
                last_used_days_ago=key.get("last_used_days_ago"),
            )
    for role in spec.get("roles", []):
        iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        for arn in role.get("managed_policies", []):
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=arn)
        for policy_name, document in role.get("customer_policies", {}).items():
            arn = iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=arn)
