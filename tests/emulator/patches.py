"""Class-level patches of moto, applied only inside the emulator's server process.

moto has no root user: AccountSummary hard-codes the root flags to 0, the credential report lacks the
``<root_account>`` row and no virtual MFA device can belong to root. The emulator keeps a small per-account
root state here and makes those three views agree with it, the way AWS does. It also fixes what moto gets
wrong for our purposes (PasswordResetRequired on CreateLoginProfile, the report's fixed 2015 timestamp,
``not_supported`` last-use region/service, UpdateGroup ignoring NewPath without NewGroupName, DeleteUser
deleting a user that still has credentials or groups, server certificates answered with a fixed 2012 expiration
and one shared id) and makes Organizations account ids deterministic.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam import models as iam_models
from moto.iam import policy_validation
from moto.iam import responses as iam_responses
from moto.iam.exceptions import (
    DeleteConflictException,
    EntityAlreadyExists,
    IAMException,
    InvalidInput,
    NotFoundException,
)
from moto.organizations import models as org_models
from moto.organizations import utils as org_utils

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"
MFA_KINDS = ("none", "virtual", "hardware")
REPORT_HEADER_FIELDS = 22
IAM_SERVICE_PRINCIPAL = "iam.amazonaws.com"


def utcnow() -> datetime:
    # moto stores naive UTC datetimes; keep the same so comparisons and strftime agree.
    return datetime.now(UTC).replace(tzinfo=None)


def days_ago(days: float | None) -> datetime | None:
    return None if days is None else utcnow() - timedelta(days=days)


def make_id(prefix: str, length: int) -> str:
    """An AWS-style id: the prefix, then upper-case letters and digits up to ``length`` characters."""
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _i in range(length - len(prefix)))


@dataclass
class RootKey:
    active: bool
    created: datetime
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None
    access_key_id: str = field(default_factory=lambda: make_id("AKIA", 20))


@dataclass
class RootCertificate:
    active: bool
    uploaded: datetime
    certificate_id: str = field(default_factory=lambda: make_id("", 32))


@dataclass
class RootState:
    access_keys: list[RootKey] = field(default_factory=list)
    mfa: str = "none"
    password_last_used: datetime | None = None
    mfa_enabled_at: datetime | None = None
    # A console password (login profile); AWS writes not_supported for root's password_enabled in the report.
    password: bool = False
    password_created: datetime | None = None
    signing_certificates: list[RootCertificate] = field(default_factory=list)
    hardware_serial: str = field(default_factory=lambda: make_id("GAHT", 14))

    def mfa_serial(self, account_id: str) -> str | None:
        if self.mfa == "virtual":
            return f"arn:aws:iam::{account_id}:mfa/root-account-mfa-device"
        return self.hardware_serial if self.mfa == "hardware" else None

    def describe(self, account_id: str) -> dict:
        """The whole root state, ids included (never a secret: root keys have none here)."""
        return {
            "access_keys": [
                {
                    "access_key_id": key.access_key_id,
                    "active": key.active,
                    "created": _fmt(key.created, None),
                    "last_used": _fmt(key.last_used, None),
                    "last_used_service": key.last_used_service,
                }
                for key in self.access_keys
            ],
            "mfa": self.mfa,
            "mfa_serial": self.mfa_serial(account_id),
            "password": self.password,
            "password_last_used": _fmt(self.password_last_used, None),
            "signing_certificates": [
                {"certificate_id": cert.certificate_id, "active": cert.active} for cert in self.signing_certificates
            ],
        }


class EmulatorState:
    """Everything the emulator adds to moto, reset together with moto's own state."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.root: dict[str, RootState] = {}
            self.report_generated_at: dict[str, datetime] = {}
            self.frozen_reports: dict[str, tuple[str, datetime]] = {}
            self.account_counter = 0
            # Centralized root access (root_access.py): enabled features per Organization id, and the sessions
            # sts:AssumeRoot handed out, by access key id.
            self.org_features: dict[str, set[str]] = {}
            self.root_sessions: dict[str, object] = {}
            # Page sizes of IAM (query protocol) lists the emulator pages itself, by action: the page a caller
            # without MaxItems gets (set_page_size("iam:GetAccountAuthorizationDetails", n)).
            self.iam_page_sizes: dict[str, int] = {}

    def root_of(self, account_id: str) -> RootState:
        with self.lock:
            return self.root.setdefault(account_id, RootState())

    def set_root(
        self,
        account_id: str,
        access_keys: list[dict] | None = None,
        mfa: str = "none",
        password_last_used_days_ago: float | None = None,
        password: bool | None = None,
        signing_certificates: list[dict] | None = None,
    ) -> RootState:
        """Replace the root state of one account. ``password`` (a console password) defaults to whether
        the password was ever used; each signing certificate is ``{"active": bool, "age_days": int}``."""
        if mfa not in MFA_KINDS:
            raise ValueError(f"mfa must be one of {', '.join(MFA_KINDS)}, got {mfa!r}")
        keys = list(access_keys or [])
        if len(keys) > 2:
            raise ValueError("root has at most 2 access keys")
        slots = []
        for key in keys:
            unknown = set(key) - {"active", "age_days", "last_used_days_ago", "last_used_service"}
            if unknown:
                raise ValueError(f"unknown root access key field(s): {', '.join(sorted(unknown))}")
            last_used = days_ago(key.get("last_used_days_ago"))
            slots.append(
                RootKey(
                    active=bool(key.get("active", True)),
                    created=days_ago(key.get("age_days", 0)),
                    last_used=last_used,
                    last_used_service=(key.get("last_used_service") or "iam") if last_used else None,
                    last_used_region="us-east-1" if last_used else None,
                )
            )
        certificates = list(signing_certificates or [])
        if len(certificates) > 2:
            raise ValueError("root has at most 2 signing certificates")
        certs = []
        for cert in certificates:
            unknown = set(cert) - {"active", "age_days"}
            if unknown:
                raise ValueError(f"unknown root signing certificate field(s): {', '.join(sorted(unknown))}")
            certs.append(
                RootCertificate(active=bool(cert.get("active", True)), uploaded=days_ago(cert.get("age_days", 0)))
            )
        has_password = password_last_used_days_ago is not None if password is None else bool(password)
        state = RootState(
            access_keys=slots,
            mfa=mfa,
            password_last_used=days_ago(password_last_used_days_ago),
            mfa_enabled_at=utcnow() if mfa != "none" else None,
            password=has_password,
            password_created=days_ago(1000) if has_password else None,
            signing_certificates=certs,
        )
        with self.lock:
            self.root[account_id] = state
        return state

    def next_account_id(self) -> str:
        # 111111111111 … 999999999999, then 000000000010, 000000000011 …: stable across runs, and the
        # later ones start with 0 so code that turns account ids into numbers gets caught.
        master = getattr(_CREATING_ORG, "account_id", None)
        if master:
            # moto builds the management account's entry as a new account and then overwrites its id.
            return master
        with self.lock:
            self.account_counter += 1
            n = self.account_counter
        return str(n) * 12 if n <= 9 else f"{n:012d}"


STATE = EmulatorState()
_CREATING_ORG = threading.local()


def _create_organization(original):
    def create_organization(self, region: str, **kwargs):
        _CREATING_ORG.account_id = self.account_id
        try:
            return original(self, region, **kwargs)
        finally:
            _CREATING_ORG.account_id = None

    return create_organization


def _fmt(value: datetime | None, missing: str = "N/A") -> str:
    return value.strftime(DATE_FORMAT) if value else missing


def root_report_row(account_id: str) -> str:
    root = STATE.root_of(account_id)
    fields = [
        "<root_account>",
        f"arn:aws:iam::{account_id}:root",
        _fmt(utcnow() - timedelta(days=1000)),
        "not_supported",
        _fmt(root.password_last_used, "no_information"),
        "not_supported",
        "not_supported",
        "true" if root.mfa != "none" else "false",
    ]
    for index in range(2):
        key = root.access_keys[index] if index < len(root.access_keys) else None
        if key is None:
            fields += ["false", "N/A", "N/A", "N/A", "N/A"]
        else:
            fields += [
                "true" if key.active else "false",
                _fmt(key.created),
                _fmt(key.last_used),
                key.last_used_region or "N/A",
                key.last_used_service or "N/A",
            ]
    for index in range(2):
        cert = root.signing_certificates[index] if index < len(root.signing_certificates) else None
        fields += ["true" if cert.active else "false", _fmt(cert.uploaded)] if cert else ["false", "N/A"]
    return ",".join(fields) + "\n"


def _user_to_csv(original):
    def to_csv(self: iam_models.User) -> str:
        fields = original(self).rstrip("\n").split(",")
        # moto writes not_supported for the last-used region and service; AWS writes them (or N/A).
        for index, offset in ((0, 8), (1, 13)):
            key = self.access_keys[index] if index < len(self.access_keys) else None
            last = getattr(key, "last_used", None) if key else None
            region = getattr(last, "region", None) if last else None
            service = getattr(last, "service", None) if last else None
            fields[offset + 3] = region or "N/A"
            fields[offset + 4] = service or "N/A"
        # moto writes the user's creation as password_last_changed, even without a password, and
        # no_information / not_supported for a password never used / absent; AWS writes when the password was
        # set, and N/A (no_information only for a last use before AWS tracked it, October 2014).
        if self.password:
            fields[4] = _fmt(self.password_last_used)
            fields[5] = _fmt(password_set_at(self))
        else:
            fields[4] = fields[5] = "N/A"
        return ",".join(fields) + "\n"

    return to_csv


def password_set_at(user: iam_models.User) -> datetime:
    """When the user's console password was last set (CreateLoginProfile, UpdateLoginProfile with a password,
    or back-dated); moto does not track it, so a password set some other way counts from the user's creation."""
    return getattr(user, "password_changed", None) or user.create_date


def _set_password(original):
    """CreateLoginProfile / UpdateLoginProfile record when the password was set; only a new password counts."""

    def set_password(self: iam_models.IAMBackend, user_name: str, password, *args, **kwargs):
        user = original(self, user_name, password, *args, **kwargs)
        if password:
            user.password_changed = utcnow()
            if original.__name__ == "create_login_profile":
                user.password_created = user.password_changed
        return user

    return set_password


def _get_login_profile_response(self: iam_responses.IamResponse):
    # moto answers the user's creation as the login profile's CreateDate; AWS, when the password was created.
    user = self.backend.get_login_profile(self._get_param("UserName"))
    return iam_responses.ActionResult(
        {
            "LoginProfile": {
                "UserName": user.name,
                "CreateDate": getattr(user, "password_created", None) or user.create_date,
                "PasswordResetRequired": user.password_reset_required,
            }
        }
    )


def _summary_map(original_property):
    def summary_map(self: iam_models.AccountSummary) -> dict:
        summary = dict(original_property.fget(self))
        root = STATE.root_of(self._iam_backend.account_id)
        summary["AccountMFAEnabled"] = 1 if root.mfa != "none" else 0
        # AWS counts inactive root keys as present too.
        summary["AccountAccessKeysPresent"] = 1 if root.access_keys else 0
        summary["AccountSigningCertificatesPresent"] = 1 if root.signing_certificates else 0
        return summary

    return property(summary_map)


def _get_credential_report(original):
    def get_credential_report(self: iam_models.IAMBackend) -> str:
        frozen = STATE.frozen_reports.get(self.account_id)
        if frozen:
            return frozen[0]
        report = original(self)
        header, _sep, rows = report.partition("\n")
        # AWS lists root first.
        return header + "\n" + root_report_row(self.account_id) + rows

    return get_credential_report


def _generate_report(original):
    def generate_report(self: iam_models.IAMBackend) -> None:
        original(self)
        with STATE.lock:
            STATE.report_generated_at.setdefault(self.account_id, utcnow())

    return generate_report


def _root_virtual_mfa(account_id: str, root: RootState) -> iam_models.VirtualMfaDevice:
    device = iam_models.VirtualMfaDevice(account_id, "us-east-1", "/root-account-mfa-device")
    device.enable_date = root.mfa_enabled_at or utcnow()
    # AWS describes root with its account id as UserId, the :root ARN and no UserName.
    device.user_attribute = {
        "Path": "/",
        "UserId": account_id,
        "Arn": f"arn:aws:iam::{account_id}:root",
        "CreateDate": utcnow() - timedelta(days=1000),
    }
    if root.password_last_used:
        device.user_attribute["PasswordLastUsed"] = root.password_last_used
    device.user = device.user_attribute
    return device


def _list_virtual_mfa_devices(original):
    def list_virtual_mfa_devices(self, assignment_status, marker, max_items):
        root = STATE.root_of(self.account_id)
        if root.mfa != "virtual" or assignment_status == "Unassigned":
            return original(self, assignment_status, marker, max_items)
        device = _root_virtual_mfa(self.account_id, root)
        serial = device.serial_number
        # Lend moto the device for this one call, so its filtering and paging treat it like any other.
        with STATE.lock:
            added = serial not in self.virtual_mfa_devices
            if added:
                self.virtual_mfa_devices = {serial: device, **self.virtual_mfa_devices}
            try:
                return original(self, assignment_status, marker, max_items)
            finally:
                if added:
                    self.virtual_mfa_devices.pop(serial, None)

    return list_virtual_mfa_devices


def _create_login_profile_response(self: iam_responses.IamResponse):
    # moto drops PasswordResetRequired; AWS stores it and GetLoginProfile returns it.
    user_name = self._get_param("UserName")
    password = self._get_param("Password")
    user = self.backend.create_login_profile(user_name, password)
    user.password_reset_required = self._get_bool_param("PasswordResetRequired", False)
    return iam_responses.ActionResult(
        {
            "LoginProfile": {
                "UserName": user.name,
                "CreateDate": getattr(user, "password_created", None) or user.create_date,
                "PasswordResetRequired": user.password_reset_required,
            }
        }
    )


def _get_credential_report_response(self: iam_responses.IamResponse):
    # moto answers a fixed 2015 GeneratedTime, which would make every report look years stale.
    content = self.backend.get_credential_report()
    frozen = STATE.frozen_reports.get(self.backend.account_id)
    generated = frozen[1] if frozen else STATE.report_generated_at.get(self.backend.account_id, utcnow())
    return iam_responses.ActionResult(
        {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated.replace(tzinfo=UTC)}
    )


def _update_group(original):
    def update_group(
        self: iam_models.IAMBackend, group_name: str, new_group_name: str | None, new_path: str | None
    ) -> None:
        # moto applies NewPath only together with NewGroupName; AWS moves the group on NewPath alone.
        if new_path and not new_group_name:
            try:
                group = self.groups[group_name]
            except KeyError:
                raise NotFoundException(f"The group with name {group_name} cannot be found.") from None
            group.path = new_path
            return None
        return original(self, group_name, new_group_name, new_path)

    return update_group


def _delete_user(original):
    def delete_user(self: iam_models.IAMBackend, user_name: str) -> None:
        # moto refuses only while policies remain; AWS answers DeleteConflict while the user has anything that
        # DeleteUser's reference says must go first, so code that forgets a step fails here as it would there.
        user = self.get_user(user_name)
        remaining = (
            ("delete the login profile", user.password),
            ("delete access keys", user.access_keys),
            ("delete signing certificates", user.signing_certificates),
            ("delete SSH public keys", user.ssh_public_keys),
            ("deactivate MFA devices", user.mfa_devices),
            ("remove the user from groups", self.get_groups_for_user(user_name)),
        )
        for step, present in remaining:
            if present:
                raise DeleteConflictException(f"Cannot delete entity, must {step} first.")
        return original(self, user_name)

    return delete_user


class MalformedCertificateException(IAMException):
    code = "MalformedCertificate"


def _certificate_init(original):
    def init(self: iam_models.Certificate, *args, **kwargs) -> None:
        # moto answers every server certificate with UploadDate 2010, Expiration 2012 and one shared id; AWS
        # reads the expiration from the certificate (its NotAfter) and refuses a body that is no certificate.
        original(self, *args, **kwargs)
        try:
            parsed = x509.load_pem_x509_certificate((self.cert_body or "").encode())
        except ValueError:
            raise MalformedCertificateException(
                "Unable to parse certificate. Please ensure the certificate is in PEM format."
            ) from None
        self.expiration = parsed.not_valid_after_utc.replace(tzinfo=None)
        self.upload_date = utcnow()
        self.certificate_id = make_id("ASCA", 21)

    return init


def _upload_server_certificate(original):
    def upload_server_certificate(self: iam_models.IAMBackend, cert_name: str, *args, **kwargs):
        # AWS refuses a second certificate of the same name; moto stored both.
        if any(cert.cert_name == cert_name for cert in self.certificates.values()):
            raise EntityAlreadyExists(f"The Server Certificate with name {cert_name} already exists.")
        return original(self, cert_name, *args, **kwargs)

    return upload_server_certificate


def _certificate_metadata(cert: iam_models.Certificate) -> dict:
    return {
        "ServerCertificateName": cert.cert_name,
        "Path": cert.path,
        "Arn": cert.arn,
        "UploadDate": cert.upload_date.replace(tzinfo=UTC),
        "ServerCertificateId": cert.certificate_id,
        "Expiration": cert.expiration.replace(tzinfo=UTC),
    }


def _upload_server_certificate_response(self: iam_responses.IamResponse):
    cert = self.backend.upload_server_certificate(
        self._get_param("ServerCertificateName"),
        self._get_param("CertificateBody"),
        self._get_param("PrivateKey"),
        cert_chain=self._get_param("CertificateChain"),
        path=self._get_param("Path"),
    )
    return iam_responses.ActionResult({"ServerCertificateMetadata": _certificate_metadata(cert)})


def _list_server_certificates_response(self: iam_responses.IamResponse):
    prefix = self._get_param("PathPrefix") or "/"
    certs = [cert for cert in self.backend.list_server_certificates() if cert.path.startswith(prefix)]
    return iam_responses.ActionResult(
        {"ServerCertificateMetadataList": [_certificate_metadata(cert) for cert in certs], "IsTruncated": False}
    )


# GetAccountAuthorizationDetails: moto answers every item in one page and ignores MaxItems and Marker. AWS pages
# the four lists together (users, then groups, roles, policies), at most MaxItems items a page (default 100,
# at most 1000), with IsTruncated and an opaque Marker. The emulator honours a caller's MaxItems and Marker, and
# a page size set for the action; with neither it answers everything in one page, as moto did.
IAM_PAGED = {"GetAccountAuthorizationDetails"}
_GAAD_LISTS = (("users", "UserDetailList"), ("groups", "GroupDetailList"), ("roles", "RoleDetailList"))
_GAAD_LISTS += (("managed_policies", "Policies"),)


def set_iam_page_size(action: str, size: int | None) -> None:
    if action not in IAM_PAGED:
        raise ValueError(f"the emulator pages only iam:{', iam:'.join(sorted(IAM_PAGED))} of IAM, not iam:{action}")
    with STATE.lock:
        if size is None:
            STATE.iam_page_sizes.pop(action, None)
        else:
            STATE.iam_page_sizes[action] = int(size)


def _get_account_authorization_details_response(self: iam_responses.IamResponse):
    details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
    items = [(key, item) for source, key in _GAAD_LISTS for item in details[source]]
    marker = self._get_param("Marker")
    try:
        offset = int(base64.b64decode(marker).decode().split(":", 1)[1]) if marker else 0
    except (ValueError, IndexError):
        raise InvalidInput("Invalid Marker.") from None
    sizes = [self._get_param("MaxItems"), STATE.iam_page_sizes.get("GetAccountAuthorizationDetails")]
    sizes = [int(n) for n in sizes if n]
    page = items[offset : offset + min(sizes)] if sizes else items[offset:]
    result = {key: [item for list_key, item in page if list_key == key] for _source, key in _GAAD_LISTS}
    end = offset + len(page)
    result["IsTruncated"] = end < len(items)
    if result["IsTruncated"]:
        result["Marker"] = base64.b64encode(f"emulator:{end}".encode()).decode()
    return iam_responses.ActionResult(result)


def _get_server_certificate_response(self: iam_responses.IamResponse):
    cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
    answer = {"ServerCertificateMetadata": _certificate_metadata(cert), "CertificateBody": cert.cert_body}
    if cert.cert_chain:
        answer["CertificateChain"] = cert.cert_chain
    return iam_responses.ActionResult({"ServerCertificate": answer})


def make_server_certificate(not_after_days: float, not_before_days: float | None = None) -> tuple[str, str]:
    """A self-signed certificate (PEM) valid until ``not_after_days`` from now (negative: already expired) and
    its private key (PEM), made here so that no test or case file holds key material."""
    now = datetime.now(UTC)
    start = now + timedelta(days=min(not_after_days, 0) - 365 if not_before_days is None else not_before_days)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + timedelta(days=not_after_days))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key.decode()


def upload_server_certificate(account_id: str, name: str, not_after_days: float, path: str | None = None) -> dict:
    """Upload a made-up server certificate that expires ``not_after_days`` from now (negative: expired), through
    the same backend call as UploadServerCertificate; returns its metadata (no key material)."""
    body, key = make_server_certificate(not_after_days)
    cert = iam_backend(account_id).upload_server_certificate(name, body, key, path=path)
    meta = _certificate_metadata(cert)
    return {
        "name": meta["ServerCertificateName"],
        "arn": meta["Arn"],
        "path": meta["Path"],
        "server_certificate_id": meta["ServerCertificateId"],
        "expiration": meta["Expiration"].isoformat(),
    }


_MANAGED_POLICY_DATA: list[tuple[str, dict]] | None = None


def _init_aws_policies(original):
    """Build the ~1,600 AWS managed policies from data parsed once, and only for the aws partition.

    moto parses and re-serialises the whole policy file for every IAM backend it creates, in every partition
    (and looking an access key up touches all six), which made each new account and each reset cost seconds.
    """

    def init_aws_policies(self: iam_models.IAMBackend) -> list:
        global _MANAGED_POLICY_DATA
        if self.region_name != "aws" or not iam_models.load_iam_aws_managed_policies():
            return [] if self.region_name != "aws" else original(self)
        if _MANAGED_POLICY_DATA is None:
            parsed = json.loads(iam_models.aws_managed_policies_data)
            _MANAGED_POLICY_DATA = [
                (
                    name,
                    {
                        "default_version_id": data.get("DefaultVersionId"),
                        "path": data.get("Path"),
                        "document": json.dumps(data.get("Document")),
                        "create_date": datetime.fromisoformat(data["CreateDate"]),
                        "update_date": datetime.fromisoformat(data["UpdateDate"]),
                    },
                )
                for name, data in parsed.items()
            ]
        return [
            iam_models.AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, **kwargs)
            for name, kwargs in _MANAGED_POLICY_DATA
        ]

    return init_aws_policies


def _skip_reset(self) -> None:
    # moto's reset rebuilds every IAM backend and then throws them all away (BackendDict.reset clears the
    # dicts right after); rebuilding is the expensive part, so skip it.
    return None


def _authenticate_and_authorize_action(original):
    def authenticate_and_authorize_action(self, iam_request_cls, resource: str = "*") -> None:
        # The test's own clients arrange state and read the truth even while IAM policies are enforced.
        if self.headers.get("X-Emulator-Internal"):
            return None
        return original(self, iam_request_cls, resource)

    return authenticate_and_authorize_action


NO_ENFORCEMENT = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT


def enforce_iam_authorization(enforce: bool) -> None:
    """moto checks signatures and IAM policies on every call after the first INITIAL_NO_AUTH_ACTION_COUNT."""
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if enforce else NO_ENFORCEMENT
    ActionAuthenticatorMixin.request_count = 0


def iam_authorization_enforced() -> bool:
    """Whether IAM policies are enforced (then the emulator authorizes the calls it answers itself, too)."""
    return moto_settings.INITIAL_NO_AUTH_ACTION_COUNT == 0


_APPLIED = False


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    _APPLIED = True
    iam_models.User.to_csv = _user_to_csv(iam_models.User.to_csv)
    iam_models.AccountSummary.summary_map = _summary_map(iam_models.AccountSummary.summary_map)
    iam_models.IAMBackend.get_credential_report = _get_credential_report(iam_models.IAMBackend.get_credential_report)
    iam_models.IAMBackend.generate_report = _generate_report(iam_models.IAMBackend.generate_report)
    iam_models.IAMBackend.list_virtual_mfa_devices = _list_virtual_mfa_devices(
        iam_models.IAMBackend.list_virtual_mfa_devices
    )
    iam_responses.IamResponse.create_login_profile = _create_login_profile_response
    iam_responses.IamResponse.get_login_profile = _get_login_profile_response
    iam_models.IAMBackend.create_login_profile = _set_password(iam_models.IAMBackend.create_login_profile)
    iam_models.IAMBackend.update_login_profile = _set_password(iam_models.IAMBackend.update_login_profile)
    iam_models.IAMBackend.update_group = _update_group(iam_models.IAMBackend.update_group)
    iam_models.IAMBackend.delete_user = _delete_user(iam_models.IAMBackend.delete_user)
    iam_responses.IamResponse.get_credential_report = _get_credential_report_response
    iam_models.Certificate.__init__ = _certificate_init(iam_models.Certificate.__init__)
    iam_models.IAMBackend.upload_server_certificate = _upload_server_certificate(
        iam_models.IAMBackend.upload_server_certificate
    )
    iam_responses.IamResponse.upload_server_certificate = _upload_server_certificate_response
    iam_responses.IamResponse.list_server_certificates = _list_server_certificates_response
    iam_responses.IamResponse.get_server_certificate = _get_server_certificate_response
    iam_responses.IamResponse.get_account_authorization_details = _get_account_authorization_details_response
    org_utils.make_random_account_id = STATE.next_account_id
    # Centralized root access needs trusted access for IAM and an IAM delegated administrator; moto knows
    # neither service principal.
    for services in (
        org_models.FakeServiceAccess.TRUSTED_SERVICES,
        org_models.FakeDelegatedAdministrator.SUPPORTED_SERVICES,
    ):
        if IAM_SERVICE_PRINCIPAL not in services:
            services.append(IAM_SERVICE_PRINCIPAL)
    org_models.OrganizationsBackend.create_organization = _create_organization(
        org_models.OrganizationsBackend.create_organization
    )
    iam_models.IAMBackend._init_aws_policies = _init_aws_policies(iam_models.IAMBackend._init_aws_policies)
    # The IAM resource type "root" (arn:aws:iam::<account>:root, what sts:AssumeRoot acts on): moto's policy
    # validator does not know it and refuses a policy that names it, which AWS accepts.
    iam_paths = policy_validation.VALID_RESOURCE_PATH_STARTING_VALUES["iam"]["values"]
    if "root" not in iam_paths:
        iam_paths.append("root")
    iam_models.IAMBackend.reset = _skip_reset
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action(
        ActionAuthenticatorMixin._authenticate_and_authorize_action
    )


def iam_backend(account_id: str) -> iam_models.IAMBackend:
    return iam_models.iam_backends[account_id]["aws"]


def backdate_access_key(
    account_id: str,
    user_name: str,
    access_key_id: str,
    created_days_ago: float | None = None,
    last_used_days_ago: float | None = None,
    last_used_service: str | None = None,
) -> None:
    user = iam_backend(account_id).get_user(user_name)
    key = user.get_access_key_by_id(access_key_id)
    if created_days_ago is not None:
        key.create_date = days_ago(created_days_ago)
    if last_used_days_ago is not None:
        key.last_used = iam_models.AccessKeyLastUsed(
            timestamp=days_ago(last_used_days_ago), service=last_used_service or "iam", region="us-east-1"
        )


def backdate_password_last_used(account_id: str, user_name: str, days: float) -> None:
    iam_backend(account_id).get_user(user_name).password_last_used = days_ago(days)


def backdate_password_last_changed(account_id: str, user_name: str, days: float) -> None:
    """When the user's console password was set: the report's password_last_changed and GetLoginProfile's
    CreateDate (a password set that long ago, never changed since)."""
    user = iam_backend(account_id).get_user(user_name)
    if not user.password:
        raise ValueError(f"user {user_name} has no console password")
    user.password_changed = user.password_created = days_ago(days)


def freeze_credential_report(account_id: str, hours_ago: float | None) -> None:
    """Serve the report as it is now, generated hours_ago, until unfrozen (None) or reset: AWS keeps a report
    for up to 4 hours, so it can disagree with the live account summary."""
    with STATE.lock:
        STATE.frozen_reports.pop(account_id, None)
        if hours_ago is None:
            return
        if hours_ago < 0:
            raise ValueError("hours_ago must not be negative")
        backend = iam_backend(account_id)
        backend.credential_report = True
        STATE.frozen_reports[account_id] = (
            backend.get_credential_report(),
            utcnow() - timedelta(hours=hours_ago),
        )


USER_FIELDS = {"name", "path", "tags", "groups", "console", "password_reset_required", "password_last_used_days_ago"}
USER_FIELDS |= {"password_last_changed_days_ago"}
USER_FIELDS |= {"mfa", "access_keys"}
KEY_FIELDS = {"active", "created_days_ago", "last_used_days_ago", "last_used_service"}


def create_users(account_id: str, users: list[dict]) -> list[dict]:
    """Create many users straight in moto's backend (what thousands of API calls would build, in one call).

    Returns [{"name", "access_key_ids", "mfa_serial"}]. Secrets are never returned: tests have no use for them.
    """
    backend = iam_backend(account_id)
    for spec in users:
        unknown = set(spec) - USER_FIELDS
        if unknown or "name" not in spec:
            raise ValueError(f"user spec needs a name and knows only {sorted(USER_FIELDS)}; got {sorted(spec)}")
        if spec.get("mfa", "none") not in MFA_KINDS:
            raise ValueError(f"mfa must be one of {', '.join(MFA_KINDS)}")
        for key in spec.get("access_keys", []):
            if set(key) - KEY_FIELDS:
                raise ValueError(f"access key spec knows only {sorted(KEY_FIELDS)}; got {sorted(key)}")
    names = [spec["name"] for spec in users]
    clashes = sorted({n for n in names if names.count(n) > 1 or n in backend.users})
    if clashes:
        raise ValueError(f"users already exist or are listed twice: {', '.join(clashes[:10])}")
    created = []
    with STATE.lock:
        for spec in users:
            name = spec["name"]
            tags = [{"Key": k, "Value": v} for k, v in (spec.get("tags") or {}).items()]
            user = backend.create_user("us-east-1", name, spec.get("path") or "/", tags)
            for group in spec.get("groups", []):
                if group not in backend.groups:
                    backend.create_group(group)
                backend.add_user_to_group(group, name)
            if spec.get("console"):
                user.password = "emulator-bulk-" + name
                user.password_reset_required = bool(spec.get("password_reset_required", False))
                user.password_last_used = days_ago(spec.get("password_last_used_days_ago"))
                set_days = spec.get("password_last_changed_days_ago") or 0
                user.password_changed = user.password_created = days_ago(set_days)
            serial = None
            if spec.get("mfa") == "virtual":
                serial = backend.create_virtual_mfa_device(name, "/").serial_number
                backend.enable_mfa_device(name, serial, "123456", "654321")
            elif spec.get("mfa") == "hardware":
                serial = f"GAHT{abs(hash((account_id, name))) % 10**10:010d}"
                backend.enable_mfa_device(name, serial, "123456", "654321")
            key_ids = []
            for key in spec.get("access_keys", []):
                access_key = backend.create_access_key(name, status="Active" if key.get("active", True) else "Inactive")
                backdate_access_key(
                    account_id,
                    name,
                    access_key.access_key_id,
                    created_days_ago=key.get("created_days_ago"),
                    last_used_days_ago=key.get("last_used_days_ago"),
                    last_used_service=key.get("last_used_service"),
                )
                key_ids.append(access_key.access_key_id)
            created.append({"name": name, "access_key_ids": key_ids, "mfa_serial": serial})
    return created
