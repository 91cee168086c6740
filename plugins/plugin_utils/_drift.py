# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What counts as drift, defined once: for the baseline role's drift gate and for the report callback.

Drift is (1) a task that would change something under --check, and (2) in any mode, a failing finding of a
checking module. Besides the drift, an account's assessment says what only a person can do (no API call can:
root credentials) and what the baseline reported but did not change (undeclared users kept, undeclared members
of the administrators group), and for every drift item the role variable that would fix it, where one exists.

Controller-only and pure: no Ansible import, no I/O, so the rules are unit-tested with plain tables. The
drift_gate action plugin turns the role's registered results into `AccountResults` and `Settings`; the report
callback decides each account/control cell with `task_drifts()` and shows the gate's `Assessment`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.module_utils._iam_account import NAME_TAKEN
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import AccountContext, Exceptions

# At most this many drift lines in the summary; the rest are counted.
DRIFT_LINES = 20
# At most this many undeclared user names in the summary's note.
NOTE_NAMES = 10

# Tasks that enforce a control, in the order their "would change" items are listed.
ENFORCING = (
    "password_policy",
    "admin_group",
    "iam_users",
    "access_key_rotation",
    "console_access_unused",
    "cloudshell_access",
    "support_role",
    "server_certificates",
    "root_credentials_management",
    # Checking controls whose task removes root credentials of a member account on request
    # (baseline_root_remove_credentials): root_credentials says which in changed_controls.
    "root_access_keys",
    "root_mfa",
    "security_contact",
    "access_analyzer",
)
APPLY_RUN = "an apply run (without --check) makes it so"
ROOT_ACCESS_VARIABLE = "baseline_root_credentials_management_enable"
REMOVE_ROOT_VARIABLE = "baseline_root_remove_credentials"
# The root credential kinds whose removal settles each root control on a member account: a root user with no
# password, access keys or signing certificates passes all three.
ROOT_FIX_KINDS = {
    "root_access_keys": ("access_keys",),
    "root_mfa": ("login_profile", "access_keys", "signing_certificates"),
    "root_usage": ("login_profile", "access_keys", "signing_certificates"),
}
ROOT_ACCESS_MODES = ("off", "assume_root", "management")


def _manual_help(root_require_hardware_mfa: bool, root_access: str = "off") -> dict[str, str]:
    """What no API can do for the operator: root credentials are managed by a person signed in as root.

    On a member account checked through sts:AssumeRoot an API can (see _root_fix); on the management account
    sts:AssumeRoot cannot, and the text says so."""
    hardware = " (a hardware device)" if root_require_hardware_mfa else ""
    if root_access == "management":
        return {
            "root_access_keys": (
                "sign in as the root user of the management account and delete its access keys (Security "
                "credentials page): sts:AssumeRoot cannot target the management account"
            ),
            "root_mfa": f"sign in as the root user of the management account and enrol an MFA device for it{hardware}",
            "root_usage": (
                "stop using the management account's root user for daily work; sign in as a member of the "
                "administrators group instead"
            ),
        }
    return {
        "root_access_keys": (
            "sign in as the root user and delete its access keys (Security credentials page): no API call can do it"
        ),
        "root_mfa": f"sign in as the root user and enrol an MFA device for it{hardware}",
        "root_usage": (
            "stop using the root user for daily work; sign in as a member of the administrators group instead"
        ),
    }


@dataclass(frozen=True)
class Finding:
    """One finding of a checking module ({id, status, resource, message, cis})."""

    control: str
    status: str
    resource: str = ""
    message: str = ""
    cis: tuple[str, ...] = ()

    @property
    def failing(self) -> bool:
        return self.status == "fail"

    @property
    def check(self) -> str | None:
        """Which check of its control the finding is (e.g. access_key_rotation's "rotation"), from its CIS ids."""
        control = CONTROLS.get(self.control)
        if control is None:
            return None
        return next((name for name in control["checks"] if tuple(cis_ids(self.control, name)) == self.cis), None)

    @classmethod
    def parse(cls, raw) -> Finding | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            return None
        return cls(
            control=raw["id"],
            status="fail" if raw.get("status") == "fail" else "pass",
            resource=str(raw.get("resource") or ""),
            message=str(raw.get("message") or ""),
            cis=tuple(str(c) for c in raw.get("cis") or ()),
        )


def findings_of(result) -> list[Finding] | None:
    """The findings a (loop) task result carries, or None when it carries none at all (not a checking task)."""
    if not isinstance(result, Mapping):
        return None
    lists = []
    if isinstance(result.get("findings"), list):
        lists.append(result["findings"])
    for item in result.get("results") or ():
        if isinstance(item, Mapping) and isinstance(item.get("findings"), list):
            lists.append(item["findings"])
    if not lists:
        return None
    return [found for raw in (r for one in lists for r in one) if (found := Finding.parse(raw)) is not None]


def failing_of(result) -> list[Finding]:
    return [found for found in findings_of(result) or () if found.failing]


def task_drifts(*, changed: bool, check_mode: bool, failing: Sequence[Finding] = ()) -> bool:
    """The rule: a task drifts when it would change under --check, or returned a failing finding."""
    return bool(changed and check_mode) or bool(failing)


@dataclass(frozen=True)
class DriftItem:
    control: str
    message: str
    resource: str = ""
    # The role variable that would fix it, where one exists; `fix` says in words what would.
    fix_variable: str | None = None
    fix: str | None = None
    manual: bool = False
    # The expired exception that covered this finding until it lapsed ({index, reason, owner, expires, ticket}).
    expired_exception: Mapping | None = None

    @property
    def line(self) -> str:
        lapsed = self.expired_exception
        if lapsed:
            return f"{self.control}: {self.message} (exception #{lapsed['index']} expired on {lapsed['expires']})"
        return f"{self.control}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "control": self.control,
            "message": self.message,
            "resource": self.resource,
            "fix_variable": self.fix_variable,
            "fix": self.fix,
            "manual": self.manual,
            "expired_exception": dict(self.expired_exception) if self.expired_exception else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> DriftItem:
        return cls(
            control=str(raw.get("control") or ""),
            message=str(raw.get("message") or ""),
            resource=str(raw.get("resource") or ""),
            fix_variable=raw.get("fix_variable") if isinstance(raw.get("fix_variable"), str) else None,
            fix=raw.get("fix") if isinstance(raw.get("fix"), str) else None,
            manual=raw.get("manual") is True,
            expired_exception=_exception_of(raw.get("expired_exception")),
        )


def _exception_of(raw) -> dict | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("index"), int):
        return None
    return {key: raw.get(key) for key in ("index", "reason", "owner", "expires", "ticket")}


@dataclass(frozen=True)
class AcceptedItem:
    """A failing finding an unexpired exception accepts: not drift, shown with the exception."""

    control: str
    message: str
    resource: str
    exception: Mapping

    @property
    def line(self) -> str:
        exc = self.exception
        return f"{self.control}: {self.message} (exception #{exc['index']}, {exc['owner']}, until {exc['expires']})"

    def to_dict(self) -> dict:
        return {
            "control": self.control,
            "message": self.message,
            "resource": self.resource,
            "exception": dict(self.exception),
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> AcceptedItem | None:
        exception = _exception_of(raw.get("exception"))
        if exception is None:
            return None
        return cls(
            control=str(raw.get("control") or ""),
            message=str(raw.get("message") or ""),
            resource=str(raw.get("resource") or ""),
            exception=exception,
        )


@dataclass(frozen=True)
class Note:
    """Something the baseline reported and deliberately did not change."""

    control: str
    message: str
    names: tuple[str, ...] = ()
    fix_variable: str | None = None
    fix: str | None = None

    @property
    def line(self) -> str:
        return f"{self.control}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "control": self.control,
            "message": self.message,
            "names": list(self.names),
            "fix_variable": self.fix_variable,
            "fix": self.fix,
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> Note:
        return cls(
            control=str(raw.get("control") or ""),
            message=str(raw.get("message") or ""),
            names=tuple(str(n) for n in raw.get("names") or ()),
            fix_variable=raw.get("fix_variable") if isinstance(raw.get("fix_variable"), str) else None,
            fix=raw.get("fix") if isinstance(raw.get("fix"), str) else None,
        )


@dataclass(frozen=True)
class DeclaredUser:
    name: str
    groups: tuple[str, ...] = ()
    console_access: bool = False


@dataclass(frozen=True)
class Settings:
    """The role variables the assessment reads (each commented with the variable's name)."""

    account_id: str
    users: tuple[DeclaredUser, ...] = ()  # baseline_users
    users_purge: bool = False  # baseline_users_purge
    admin_group_name: str = "Cloudadmin"  # baseline_admin_group_name
    root_require_hardware_mfa: bool = False  # baseline_root_require_hardware_mfa
    access_keys_deactivate_stale: bool = False  # baseline_access_keys_deactivate_stale
    users_replace_lost_access_keys: bool = False  # baseline_users_replace_lost_access_keys
    exceptions: Exceptions | None = None  # baseline_exceptions_file, loaded (and baseline_exceptions_warn_days)
    account: AccountContext = field(default_factory=AccountContext)  # what its `account` patterns match
    support_role_declared: bool = False  # baseline_support_role is set
    server_certificates_delete_expired: bool = False  # baseline_server_certificates_delete_expired
    security_contact_declared: bool = False  # baseline_security_contact is set
    access_analyzer_create: bool = False  # baseline_access_analyzer
    cloudshell_access_detach: bool = False  # baseline_cloudshell_access_detach
    console_access_remove_unused: bool = False  # baseline_console_access_remove_unused
    # How the host's root was checked: off (no API can act), assume_root (a member account with root sessions
    # on), management (the Organization's management account; sts:AssumeRoot cannot target it).
    root_access: str = "off"
    root_remove_credentials: tuple[str, ...] = ()  # baseline_root_remove_credentials
    root_credentials_management_enable: bool = False  # baseline_root_credentials_management_enable

    @staticmethod
    def declared_users(raw) -> tuple[DeclaredUser, ...]:
        """baseline_users as far as the assessment needs them (names, groups, console access; never passwords or
        keys)."""
        users = []
        for entry in raw or ():
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                groups = entry.get("groups")
                groups = tuple(str(g) for g in groups) if isinstance(groups, (list, tuple)) else ()
                users.append(DeclaredUser(entry["name"], groups, entry.get("console_access") is True))
        return tuple(users)


@dataclass(frozen=True)
class AccountResults:
    """The registered results of the role's control tasks for one account ({} when a task did not run)."""

    password_policy: Mapping = field(default_factory=dict)  # _baseline_password_policy
    root: Mapping = field(default_factory=dict)  # _baseline_root
    root_live: Mapping = field(default_factory=dict)  # _baseline_root_live_result (through sts:AssumeRoot)
    mfa: Mapping = field(default_factory=dict)  # _baseline_mfa
    admin_group: Mapping = field(default_factory=dict)  # _baseline_admin_group
    iam_users: Mapping = field(default_factory=dict)  # _baseline_iam_users
    access_keys: Mapping = field(default_factory=dict)  # _baseline_access_keys
    # _baseline_iam_account (support_role, server_certificates, security_contact, access_analyzer)
    iam_account: Mapping = field(default_factory=dict)
    policies: Mapping = field(default_factory=dict)  # _baseline_policies
    root_credentials_management: Mapping = field(default_factory=dict)  # _baseline_root_credentials_management

    def enforcing(self) -> dict[str, Mapping]:
        """Control id -> the result of the task that enforces it, in ENFORCING order."""
        by_control = {
            "password_policy": self.password_policy,
            "admin_group": self.admin_group,
            "iam_users": self.iam_users,
            "access_key_rotation": self.access_keys,
            "cloudshell_access": self.policies,
            # A task that covers several controls says in changed_controls which one changed (iam_access_keys:
            # access_key_rotation and console_access_unused; iam_account_check: the support role, the
            # server certificates, the security contact and the access analyzers).
            "console_access_unused": self.access_keys,
            "support_role": self.iam_account,
            "server_certificates": self.iam_account,
            "root_credentials_management": self.root_credentials_management,
            "root_access_keys": self.root_live,
            "root_mfa": self.root_live,
            "security_contact": self.iam_account,
            "access_analyzer": self.iam_account,
        }
        return {cid: by_control[cid] for cid in ENFORCING}

    def checking(self) -> tuple[Mapping, ...]:
        """The results that carry findings, in the order their failing findings are listed."""
        return (
            self.root_live,
            self.root,
            self.mfa,
            self.access_keys,
            self.iam_users,
            self.iam_account,
            self.policies,
            self.root_credentials_management,
        )


@dataclass(frozen=True)
class Assessment:
    account_id: str
    drift: tuple[DriftItem, ...] = ()
    manual: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    accepted: tuple[AcceptedItem, ...] = ()
    # The exceptions file as the gate applied it, and the account its patterns were matched against: the report
    # applies the same entries on the same day ({file, today, warn_days, entries, account}); None without a file.
    exceptions: Mapping | None = None

    def _exceptions(self) -> tuple[Exceptions | None, AccountContext]:
        raw = self.exceptions or {}
        return Exceptions.from_dict(raw), AccountContext.from_dict(raw.get("account"))

    def warnings(self) -> list[str]:
        """The exceptions of this account that have expired or expire within the warning window."""
        exceptions, account = self._exceptions()
        if exceptions is None:
            return []
        out = []
        for entry in exceptions.for_account(account):
            where = f"{entry.control} {entry.resource or '(every resource)'}, owner {entry.owner}"
            if entry.expired(exceptions.today):
                out.append(
                    f"exception #{entry.index} ({where}) expired on {entry.expires.isoformat()}: its findings are "
                    f"drift again; renew it in {exceptions.source} or fix them"
                )
            elif entry.expiring(exceptions.today, exceptions.warn_days):
                days = entry.days_left(exceptions.today)
                out.append(
                    f"exception #{entry.index} ({where}) expires on {entry.expires.isoformat()}, in {days} day(s)"
                )
        return out

    def summary(self, limit: int = DRIFT_LINES) -> list[str]:
        """The lines the console shows: the drift (at most `limit`), what only a person can do, the notes."""
        count = len(self.drift)
        lines = [f"account {self.account_id}: " + (f"{count} drift item(s)" if count else "no drift")]
        lines += [item.line for item in self.drift[:limit]]
        if count > limit:
            lines.append(f"... and {count - limit} more")
        if self.accepted:
            lines.append(f"accepted by an exception ({len(self.accepted)}):")
            lines += [item.line for item in self.accepted[:limit]]
            if len(self.accepted) > limit:
                lines.append(f"... and {len(self.accepted) - limit} more")
        if self.manual:
            lines += ["only a person can:", *self.manual]
        if self.notes:
            lines += ["reported, not changed:", *(note.line for note in self.notes)]
        return lines

    def to_dict(self) -> dict:
        return {
            "account_id": self.account_id,
            "drift": [item.to_dict() for item in self.drift],
            "manual": list(self.manual),
            "notes": [note.to_dict() for note in self.notes],
            "accepted": [item.to_dict() for item in self.accepted],
            "exceptions": dict(self.exceptions) if self.exceptions else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> Assessment:
        """Read back what the drift gate returned (the report callback sees the gate's task result)."""
        accepted = (AcceptedItem.from_dict(a) for a in raw.get("accepted") or () if isinstance(a, Mapping))
        exceptions = raw.get("exceptions")
        return cls(
            account_id=str(raw.get("account_id") or ""),
            drift=tuple(DriftItem.from_dict(d) for d in raw.get("drift") or () if isinstance(d, Mapping)),
            manual=tuple(str(m) for m in raw.get("manual") or ()),
            notes=tuple(Note.from_dict(n) for n in raw.get("notes") or () if isinstance(n, Mapping)),
            accepted=tuple(a for a in accepted if a is not None),
            exceptions=exceptions if isinstance(exceptions, Mapping) else None,
        )


# Controls enforced by a task that enforces another control first: they changed only when the task's
# changed_controls names them (iam_access_keys: access_key_rotation first, then console_access_unused;
# iam_account_check: support_role, then server_certificates, security_contact and access_analyzer; root_credentials:
# root_access_keys, then root_mfa).
SECOND_CONTROLS = frozenset(
    {"console_access_unused", "server_certificates", "security_contact", "access_analyzer", "root_mfa"}
)


def _changed(result: Mapping, control: str | None = None) -> bool:
    """Whether the task changed (or would change) something for ``control``: a task that enforces several
    controls says which in ``changed_controls``; without that list its change is its first control's."""
    if not (isinstance(result, Mapping) and result.get("changed") is True):
        return False
    controls = result.get("changed_controls")
    if isinstance(controls, (list, tuple)):
        return control is None or control in controls
    return control not in SECOND_CONTROLS


def _user_name(arn: str) -> str:
    """The user name of a user ARN (after its path), else the ARN."""
    return arn.rsplit("/", 1)[-1] if ":user/" in arn else arn


def _root_fix(control: str, settings: Settings) -> tuple[str, str]:
    """(variable, words) for a failing root finding of a member account checked through sts:AssumeRoot."""
    kinds = ROOT_FIX_KINDS[control]
    missing = [kind for kind in kinds if kind not in settings.root_remove_credentials]
    if not missing:
        return REMOVE_ROOT_VARIABLE, f"{APPLY_RUN}: {REMOVE_ROOT_VARIABLE} deletes them through sts:AssumeRoot"
    why = (
        "a root user without password, access keys and signing certificates needs no MFA and cannot be used"
        if control != "root_access_keys"
        else "they are deleted through sts:AssumeRoot (centralized root access)"
    )
    return REMOVE_ROOT_VARIABLE, f"add {', '.join(missing)} to {REMOVE_ROOT_VARIABLE}: {why}"


def _finding_fix(found: Finding, settings: Settings, manual_help: dict) -> tuple[str | None, str | None]:
    """(variable, words) that would fix a failing finding."""
    if found.control in ROOT_FIX_KINDS and settings.root_access == "assume_root":
        return _root_fix(found.control, settings)
    if found.control in manual_help:
        return None, manual_help[found.control]
    if found.control == "access_key_rotation":
        if found.check in ("rotation", "unused"):
            variable = "baseline_access_keys_deactivate_stale"
            if settings.access_keys_deactivate_stale:
                return variable, f"{APPLY_RUN}: {variable} deactivates the key (never deletes it)"
            return variable, f"set {variable}: true to deactivate the key (never deletes it)"
        if found.check == "one_active":
            return None, "deactivate the user's spare key: which one is spare only its owner knows"
        return None, None
    if found.control == "iam_users":
        # iam_users' failing findings are access keys whose secret a killed run never saved.
        variable = "baseline_users_replace_lost_access_keys"
        if settings.users_replace_lost_access_keys:
            return variable, f"{APPLY_RUN}: {variable} replaces the key"
        return variable, f"set {variable}: true to replace the key nobody holds"
    if found.control == "user_mfa":
        return None, "the user enrols an MFA device (no API call can do it for them)"
    if found.control == "support_role":
        variable = "baseline_support_role"
        if settings.support_role_declared:
            return variable, f"{APPLY_RUN}: {variable} creates the role and attaches AWSSupportAccess"
        return variable, f"set {variable}: {{name, trusted_principals}} to create a role with AWSSupportAccess"
    if found.control == "server_certificates":
        variable = "baseline_server_certificates_delete_expired"
        if settings.server_certificates_delete_expired:
            return variable, f"{APPLY_RUN}: {variable} deletes the expired certificate"
        return variable, f"set {variable}: true to delete expired certificates (never a valid one), or replace it"
    if found.control == "security_contact":
        variable = "baseline_security_contact"
        if settings.security_contact_declared:
            return variable, f"{APPLY_RUN}: {variable} registers the declared security contact"
        return variable, f"set {variable}: {{name, title, email, phone}} to register the account's security contact"
    if found.control == "access_analyzer":
        variable = "baseline_access_analyzer"
        if NAME_TAKEN in found.message:
            return None, (
                "an analyzer of baseline_access_analyzer_name exists in that region but is not active: enable or "
                "replace it by hand (never deleted), or choose another baseline_access_analyzer_name"
            )
        if settings.access_analyzer_create:
            return variable, f"{APPLY_RUN}: {variable} creates an account analyzer in that region"
        return variable, f"set {variable}: true to create an account analyzer (external access) in that region"
    if found.control == "cloudshell_access":
        variable = "baseline_cloudshell_access_detach"
        if settings.cloudshell_access_detach:
            return variable, f"{APPLY_RUN}: {variable} detaches the policy"
        return variable, f"set {variable}: true to detach the policy (nothing is deleted)"
    if found.control == "group_permissions":
        return None, "give the permissions through a group, then detach or delete the user's own policies"
    if found.control == "admin_policies":
        return None, (
            "replace the policy with narrower permissions or detach it; a deliberate administrator belongs in "
            "the administrators group (docs/exceptions.md)"
        )
    if found.control == "console_access_unused":
        name = _user_name(found.resource).lower()
        if any(u.console_access and u.name.lower() == name for u in settings.users):
            return None, (
                "declared in baseline_users with console_access: true, so never removed: the user signs in, or "
                "the declaration drops console_access"
            )
        variable = "baseline_console_access_remove_unused"
        if settings.console_access_remove_unused:
            return variable, f"{APPLY_RUN}: {variable} removes the console password (the user and its keys stay)"
        return variable, f"set {variable}: true to remove the console password (the user and its keys stay)"
    if found.control == "initial_access_keys":
        return None, "the key's owner deletes the never-used key, or starts using it (reported, never changed)"
    if found.control == "root_credentials_management":
        variable = ROOT_ACCESS_VARIABLE
        if "all features" in found.message:
            return None, "enable all features in AWS Organizations (every member account approves): a person decides"
        if settings.root_credentials_management_enable:
            return variable, f"{APPLY_RUN}: {variable} enables what is off (never disables anything)"
        return variable, (
            f"set {variable}: true for the management account's host to enable trusted access for IAM and the "
            "features RootCredentialsManagement and RootSessions"
        )
    return None, None


def _would_change_fix(control: str, settings: Settings) -> tuple[str | None, str]:
    if control == "access_key_rotation":
        return "baseline_access_keys_deactivate_stale", APPLY_RUN
    if control == "support_role":
        return "baseline_support_role", APPLY_RUN
    if control == "server_certificates":
        return "baseline_server_certificates_delete_expired", APPLY_RUN
    if control == "security_contact":
        return "baseline_security_contact", APPLY_RUN
    if control == "access_analyzer":
        return "baseline_access_analyzer", APPLY_RUN
    if control == "cloudshell_access":
        return "baseline_cloudshell_access_detach", APPLY_RUN
    if control == "console_access_unused":
        return "baseline_console_access_remove_unused", APPLY_RUN
    if control == "root_credentials_management":
        return ROOT_ACCESS_VARIABLE, APPLY_RUN
    if control in ROOT_FIX_KINDS:
        return REMOVE_ROOT_VARIABLE, APPLY_RUN
    return None, APPLY_RUN


def _notes(results: AccountResults, settings: Settings) -> tuple[Note, ...]:
    notes = []
    if settings.root_remove_credentials and settings.root_access != "assume_root":
        where = (
            "the management account (sts:AssumeRoot cannot target it)"
            if settings.root_access == "management"
            else "an account without centralized root access (not a member of an Organization with root sessions on)"
        )
        notes.append(
            Note(
                "root_access_keys",
                f"{REMOVE_ROOT_VARIABLE} ({', '.join(settings.root_remove_credentials)}) not applied: this is {where}",
                (),
                None,
                "a person signed in as the root user removes them (Security credentials page)",
            )
        )
    undeclared = results.iam_users.get("undeclared_users") if isinstance(results.iam_users, Mapping) else None
    undeclared = [str(u) for u in undeclared or ()] if not settings.users_purge else []
    if undeclared:
        shown = ", ".join(undeclared[:NOTE_NAMES]) + (" ..." if len(undeclared) > NOTE_NAMES else "")
        notes.append(
            Note(
                "iam_users",
                f"{len(undeclared)} user(s) not in baseline_users, kept: {shown}",
                tuple(undeclared),
                "baseline_users_purge",
                "set baseline_users_purge: true to delete them, or declare them in baseline_users",
            )
        )
    group = results.admin_group.get("group") if isinstance(results.admin_group, Mapping) else None
    members = group.get("users") if isinstance(group, Mapping) else None
    declared_admins = {u.name for u in settings.users if settings.admin_group_name in u.groups}
    extra = [
        str(m["user_name"])
        for m in members or ()
        if isinstance(m, Mapping) and m.get("user_name") and m["user_name"] not in declared_admins
    ]
    if extra:
        notes.append(
            Note(
                "admin_group",
                f"members of {settings.admin_group_name} not declared in baseline_users: {', '.join(extra)}",
                tuple(extra),
                None,
                f"declare them in baseline_users with the group {settings.admin_group_name}, or remove them from "
                "it (baseline_users[].purge_groups for declared users)",
            )
        )
    accepted = results.policies.get("accepted") if isinstance(results.policies, Mapping) else None
    for entry in accepted or ():
        if isinstance(entry, Mapping) and entry.get("message"):
            notes.append(
                Note(
                    str(entry.get("id") or "admin_policies"),
                    str(entry["message"]),
                    (str(entry.get("resource") or ""),),
                    None,
                    "kept on purpose; docs/exceptions.md says why and what to do instead",
                )
            )
    return tuple(notes)


def assess(results: AccountResults, settings: Settings, check_mode: bool) -> Assessment:
    """One account's drift, what only a person can do, and what was reported but not changed."""
    drift = []
    if check_mode:
        for control, result in results.enforcing().items():
            if task_drifts(changed=_changed(result, control), check_mode=True):
                variable, fix = _would_change_fix(control, settings)
                drift.append(DriftItem(control, "would change", "", variable, fix))
    would_change = len(drift)
    manual_help = _manual_help(settings.root_require_hardware_mfa, settings.root_access)
    if settings.root_access == "assume_root":
        manual_help = {cid: text for cid, text in manual_help.items() if cid not in ROOT_FIX_KINDS}
    manual_controls, accepted = [], []
    exceptions = settings.exceptions
    account = settings.account
    if not account.account_id:
        account = replace(account, account_id=settings.account_id)
    for result in results.checking():
        for found in failing_of(result):
            entry = exceptions.match(account, found.control, found.resource) if exceptions else None
            if entry is not None:
                accepted.append(AcceptedItem(found.control, found.message, found.resource, entry.exception()))
                continue
            lapsed = exceptions.lapsed(account, found.control, found.resource) if exceptions else None
            variable, fix = _finding_fix(found, settings, manual_help)
            manual = found.control in manual_help
            drift.append(
                DriftItem(
                    found.control,
                    found.message,
                    found.resource,
                    variable,
                    fix,
                    manual,
                    lapsed.exception() if lapsed else None,
                )
            )
            if manual and found.control not in manual_controls:
                manual_controls.append(found.control)
    return Assessment(
        account_id=settings.account_id,
        drift=tuple(drift),
        manual=tuple(manual_help[cid] for cid in manual_controls),
        notes=_notes(results, settings) + _root_notes(drift[would_change:], settings),
        accepted=tuple(accepted),
        exceptions={**exceptions.to_dict(), "account": account.to_dict()} if exceptions else None,
    )


def _root_notes(drift: list[DriftItem], settings: Settings) -> tuple[Note, ...]:
    """On a member account checked through sts:AssumeRoot, the root steps a person used to take (its failing
    root findings, not what the run would change), with the variable that takes them instead (once per control,
    only while the variable does not list them yet)."""
    if settings.root_access != "assume_root":
        return ()
    notes = []
    for control in dict.fromkeys(item.control for item in drift if item.control in ROOT_FIX_KINDS):
        variable, fix = _root_fix(control, settings)
        if fix.startswith("add "):
            notes.append(Note(control, f"no person needed (centralized root access): {fix}", (), variable, fix))
    return tuple(notes)
