"""Centralized root access, which moto 5.2.5 lacks entirely (every call answers HTTP 500).

- IAM's Organizations features: ListOrganizationsFeatures and Enable/Disable OrganizationsRootCredentialsManagement
  / OrganizationsRootSessions, kept per Organization in ``patches.STATE.org_features``.
- ``sts:AssumeRoot``: short-term credentials that act in a member account *as its root user*, scoped by one of
  the five AWS managed root-task policies.
- What those credentials can do: the root-scoped IAM calls (no ``UserName``) on the account's root state in
  ``patches.STATE`` (the state GetAccountSummary and the credential report already show), each checked
  against the session's task policy.

The rules live here as plain functions that return result dicts or raise ``AwsError``; ``server.py`` decides
which requests reach them and writes the answers in the wire format. Runs only in the server process.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from moto.iam import models as iam_models
from moto.organizations.models import OrganizationsBackend, organizations_backends

from emulator import patches
from emulator.patches import IAM_SERVICE_PRINCIPAL, STATE, make_id, utcnow

TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
TASK_POLICIES = (
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
)
FEATURES = ("RootCredentialsManagement", "RootSessions")
MAX_DURATION = 900
FEATURE_ACTIONS = {
    "ListOrganizationsFeatures",
    "EnableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions",
    "DisableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootSessions",
}
# What a root session answers itself, from the account's root state; any other action its task policy allows
# goes on to moto, acting in the target account.
ROOT_IAM_ACTIONS = {
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    "DeleteAccessKey",
    "GetLoginProfile",
    "CreateLoginProfile",
    "DeleteLoginProfile",
    "ListMFADevices",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "ListSigningCertificates",
    "DeleteSigningCertificate",
    "GetUser",
}


def make_secret(length: int) -> str:
    """Secret material in the alphabet AWS uses for secret keys and session tokens (base64)."""
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(secrets.choice(alphabet) for _i in range(length))


class AwsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class RootSession:
    account_id: str
    caller_account_id: str
    task_policy_arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime

    @property
    def task_policy(self) -> str:
        return self.task_policy_arn.rsplit("/", 1)[-1]

    @property
    def expired(self) -> bool:
        return utcnow() >= self.expiration

    def describe(self) -> dict:
        return {
            "account_id": self.account_id,
            "caller_account_id": self.caller_account_id,
            "task_policy_arn": self.task_policy_arn,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "session_token": self.session_token,
            "expiration": self.expiration.strftime(patches.DATE_FORMAT),
        }


@functools.cache
def _task_policy_actions() -> dict[str, frozenset[str]]:
    data = json.loads(iam_models.aws_managed_policies_data)
    actions = {}
    for name in TASK_POLICIES:
        deny_others = [
            s for s in data[name]["Document"]["Statement"] if s.get("Sid") == "DenyAllOtherActionsOnAnyResource"
        ]
        actions[name] = frozenset(deny_others[0]["NotAction"])
    return actions


def allowed_actions(task_policy: str) -> frozenset[str]:
    """``service:Action`` names the task policy allows: the NotAction list of its "deny all other actions"
    statement, read from the AWS managed policy document moto ships (the policy AWS publishes)."""
    return _task_policy_actions()[task_policy]


# ----- Organizations -----------------------------------------------------------------------------------------


def management_backend(account_id: str) -> OrganizationsBackend | None:
    """The Organizations backend of the management account of the Organization the account belongs to."""
    own = organizations_backends[account_id]["aws"]
    if own.org is not None:
        return own
    owner = organizations_backends.master_accounts.get(account_id)
    if owner is None:
        return None
    backend = organizations_backends[owner[0]][owner[1]]
    if backend.org is None or not any(account.id == account_id for account in backend.accounts):
        return None
    return backend


def is_iam_delegated_admin(backend: OrganizationsBackend, account_id: str) -> bool:
    return any(admin.account.id == account_id and IAM_SERVICE_PRINCIPAL in admin.services for admin in backend.admins)


def trusted_access_enabled(backend: OrganizationsBackend) -> bool:
    return any(service["ServicePrincipal"] == IAM_SERVICE_PRINCIPAL for service in backend.services)


def enabled_features(backend: OrganizationsBackend) -> set[str]:
    with STATE.lock:
        return STATE.org_features.setdefault(backend.org.id, set())


def organizations_feature(caller: str, action: str) -> dict:
    """One of the five IAM Organizations-feature actions, called by an account; raises AwsError."""
    backend = management_backend(caller)
    if backend is None:
        raise AwsError(400, "OrganizationNotFoundException", "No organization is associated with your account.")
    if backend.org.feature_set != "ALL":
        raise AwsError(
            400, "OrganizationNotInAllFeaturesModeException", "Your organization does not have All features enabled."
        )
    if not trusted_access_enabled(backend):
        raise AwsError(
            400,
            "ServiceAccessNotEnabledException",
            f"Trusted access for {IAM_SERVICE_PRINCIPAL} is not enabled in AWS Organizations.",
        )
    management = caller == backend.org.master_account_id
    if action.startswith("Enable") and not management:
        raise AwsError(
            400,
            "CallerIsNotManagementAccountException",
            "The account making the request is not the management account of the organization.",
        )
    if not management and not is_iam_delegated_admin(backend, caller):
        raise AwsError(
            400,
            "AccountNotManagementOrDelegatedAdministratorException",
            "The account making the request is not the management account or delegated administrator account "
            "for centralized root access.",
        )
    features = enabled_features(backend)
    with STATE.lock:
        for feature in FEATURES:
            if action == f"EnableOrganizations{feature}":
                features.add(feature)
            elif action == f"DisableOrganizations{feature}":
                features.discard(feature)
        return {"OrganizationId": backend.org.id, "EnabledFeatures": sorted(features)}


# ----- sts:AssumeRoot ---------------------------------------------------------------------------------------


def _target_account(principal: str) -> str:
    match = re.fullmatch(r"(\d{12})|arn:aws:iam::(\d{12}):root", principal or "")
    if not match:
        raise AwsError(
            400,
            "ValidationError",
            f"TargetPrincipal must be a 12-digit member account id or its root ARN, got {principal!r}.",
        )
    return match.group(1) or match.group(2)


def root_resource(params: dict) -> str:
    """The resource sts:AssumeRoot acts on, for the caller's policies: the target account's root user."""
    return f"arn:aws:iam::{_target_account(params.get('TargetPrincipal', ''))}:root"


def assume_root_context(params: dict) -> dict:
    """The condition keys AWS sets on sts:AssumeRoot (the caller's policies may condition on them)."""
    policy_arn = params.get("TaskPolicyArn.arn")
    return {"sts:TaskPolicyArn": policy_arn} if policy_arn else {}


def assume_root(caller: str, params: dict) -> dict:
    """sts:AssumeRoot from an account's credentials (query parameters as sent); raises AwsError."""
    target = _target_account(params.get("TargetPrincipal", ""))
    policy_arn = params.get("TaskPolicyArn.arn", "")
    if not policy_arn.startswith(TASK_POLICY_PREFIX) or policy_arn[len(TASK_POLICY_PREFIX) :] not in TASK_POLICIES:
        raise AwsError(
            400,
            "ValidationError",
            f"TaskPolicyArn must be one of the AWS managed root-task policies {TASK_POLICY_PREFIX}"
            f"{{{','.join(TASK_POLICIES)}}}, got {policy_arn!r}.",
        )
    try:
        duration = int(params.get("DurationSeconds", MAX_DURATION))
    except ValueError:
        raise AwsError(400, "ValidationError", "DurationSeconds must be a number.") from None
    if not 0 <= duration <= MAX_DURATION:
        raise AwsError(
            400,
            "ValidationError",
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_DURATION}",
        )

    def denied(reason: str) -> AwsError:
        return AwsError(
            403,
            "AccessDenied",
            f"User: arn:aws:iam::{caller}:user/emulator is not authorized to perform: sts:AssumeRoot on resource: "
            f"arn:aws:iam::{target}:root because {reason}",
        )

    backend = management_backend(caller)
    if backend is None:
        raise denied("the calling account is not in an organization")
    management = backend.org.master_account_id
    if caller != management and not is_iam_delegated_admin(backend, caller):
        raise denied("the calling account is neither the management account nor a delegated administrator for IAM")
    if not trusted_access_enabled(backend) or "RootSessions" not in enabled_features(backend):
        raise denied("root sessions (IAM Organizations feature RootSessions) are not enabled in the organization")
    if target == management:
        raise denied("the target is the organization's management account")
    if not any(account.id == target for account in backend.accounts):
        raise denied("the target account is not a member of the organization")
    session = RootSession(
        account_id=target,
        caller_account_id=caller,
        task_policy_arn=policy_arn,
        access_key_id=make_id("ASIA", 20),
        secret_access_key=make_secret(40),
        session_token="IQoJb3JpZ2luX2VjE" + make_secret(240),
        expiration=utcnow() + timedelta(seconds=duration),
    )
    with STATE.lock:
        STATE.root_sessions[session.access_key_id] = session
    return {
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.session_token,
            "Expiration": session.expiration,
        }
    }


def root_session(access_key_id: str) -> RootSession | None:
    return STATE.root_sessions.get(access_key_id) if access_key_id else None


def expire_root_sessions(account_id: str | None = None) -> int:
    """End every root session (of one target account): their next call answers ExpiredToken."""
    with STATE.lock:
        sessions = [s for s in STATE.root_sessions.values() if account_id in (None, s.account_id)]
        for session in sessions:
            session.expiration = utcnow() - timedelta(seconds=1)
    return len(sessions)


# ----- calls inside a root session --------------------------------------------------------------------------


def check_allowed(session: RootSession, service: str, action: str, params: dict) -> None:
    """AccessDenied unless the session's task policy allows the action on the root user."""
    account = session.account_id
    resource = f"arn:aws:iam::{account}:root"
    if service == "iam" and params.get("UserName"):
        resource = f"arn:aws:iam::{account}:user/{params['UserName']}"
    allowed = f"{service}:{action}" in allowed_actions(session.task_policy)
    if not allowed or resource != f"arn:aws:iam::{account}:root":
        raise AwsError(
            403,
            "AccessDenied",
            f"User: arn:aws:iam::{account}:root is not authorized to perform: {service}:{action} on resource: "
            f"{resource} with an explicit deny in an identity-based policy: {session.task_policy_arn}",
        )


def _no_such_entity(message: str) -> AwsError:
    return AwsError(404, "NoSuchEntity", message)


def _key(root: patches.RootState, access_key_id: str) -> patches.RootKey:
    for key in root.access_keys:
        if key.access_key_id == access_key_id:
            return key
    raise _no_such_entity(f"The Access Key with id {access_key_id} cannot be found")


def root_iam_call(session: RootSession, action: str, params: dict) -> dict | None:
    """A root-scoped IAM action on the session's account (already allowed by check_allowed)."""
    account = session.account_id
    with STATE.lock:
        root = STATE.root_of(account)
        if action == "ListAccessKeys":
            return {
                "AccessKeyMetadata": [
                    {
                        "AccessKeyId": key.access_key_id,
                        "Status": "Active" if key.active else "Inactive",
                        "CreateDate": key.created,
                    }
                    for key in root.access_keys
                ],
                "IsTruncated": False,
            }
        if action == "GetAccessKeyLastUsed":
            key = _key(root, params.get("AccessKeyId", ""))
            last = {"ServiceName": key.last_used_service or "N/A", "Region": key.last_used_region or "N/A"}
            if key.last_used:
                last["LastUsedDate"] = key.last_used
            return {"AccessKeyLastUsed": last}
        if action == "DeleteAccessKey":
            root.access_keys.remove(_key(root, params.get("AccessKeyId", "")))
            return None
        if action == "GetLoginProfile":
            if not root.password:
                raise _no_such_entity(f"Login Profile for User arn:aws:iam::{account}:root cannot be found.")
            return {"LoginProfile": {"CreateDate": root.password_created, "PasswordResetRequired": False}}
        if action == "CreateLoginProfile":
            if root.password:
                raise AwsError(409, "EntityAlreadyExists", f"Login Profile for user {account} already exists.")
            root.password, root.password_created = True, utcnow()
            # Without a Password the root user must reset it at first sign-in (the IAMCreateRootUserPassword task).
            reset = params.get("PasswordResetRequired", "").lower() == "true" or not params.get("Password")
            return {"LoginProfile": {"CreateDate": root.password_created, "PasswordResetRequired": reset}}
        if action == "DeleteLoginProfile":
            if not root.password:
                raise _no_such_entity(f"Login Profile for User arn:aws:iam::{account}:root cannot be found.")
            root.password, root.password_created = False, None
            return None
        if action == "ListMFADevices":
            serial = root.mfa_serial(account)
            devices = [{"SerialNumber": serial, "EnableDate": root.mfa_enabled_at or utcnow()}] if serial else []
            return {"MFADevices": devices, "IsTruncated": False}
        if action in ("DeactivateMFADevice", "DeleteVirtualMFADevice"):
            serial = params.get("SerialNumber", "")
            if not serial or serial != root.mfa_serial(account):
                raise _no_such_entity(f"MFA Device with serial number {serial} does not exist.")
            if action == "DeleteVirtualMFADevice" and root.mfa != "virtual":
                raise _no_such_entity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
            root.mfa, root.mfa_enabled_at = "none", None
            return None
        if action == "ListSigningCertificates":
            return {
                "Certificates": [
                    {
                        "CertificateId": cert.certificate_id,
                        "CertificateBody": ROOT_CERTIFICATE_BODY,
                        "Status": "Active" if cert.active else "Inactive",
                        "UploadDate": cert.uploaded,
                    }
                    for cert in root.signing_certificates
                ],
                "IsTruncated": False,
            }
        if action == "DeleteSigningCertificate":
            wanted = params.get("CertificateId", "")
            cert = next((c for c in root.signing_certificates if c.certificate_id == wanted), None)
            if cert is None:
                raise _no_such_entity(f"The Certificate with id {wanted} cannot be found.")
            root.signing_certificates.remove(cert)
            return None
        if action == "GetUser":
            user = {
                "Path": "/",
                "UserId": account,
                "Arn": f"arn:aws:iam::{account}:root",
                "CreateDate": utcnow() - timedelta(days=1000),
            }
            if root.password_last_used:
                user["PasswordLastUsed"] = root.password_last_used
            return {"User": user}
    raise AwsError(400, "InvalidAction", f"{action} is not emulated in a root session.")


def caller_identity(session: RootSession) -> dict:
    return {
        "UserId": session.account_id,
        "Account": session.account_id,
        "Arn": f"arn:aws:iam::{session.account_id}:root",
    }


# A placeholder body: the emulator keeps no certificate material for root, only ids and status.
ROOT_CERTIFICATE_BODY = "-----BEGIN CERTIFICATE-----\nRU1VTEFUT1IgUk9PVCBDRVJUSUZJQ0FURQ==\n-----END CERTIFICATE-----"
