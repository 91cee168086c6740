# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_users (module and action plugin): read, plan, store secrets, apply.

The plan is ``_users`` (pure), every AWS call is in ``_gateway/users.py`` and ``_gateway/groups.py``, and
the order of file writes around a call that creates a secret is ``_secret_files``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict

from ansible_collections.accountguard.aws.plugins.module_utils import _policies as policies
from ansible_collections.accountguard.aws.plugins.module_utils import _secret_files as files
from ansible_collections.accountguard.aws.plugins.module_utils import _users as model
from ansible_collections.accountguard.aws.plugins.module_utils._common import iso
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import groups as group_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import sts as sts_gateway
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import users as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._passwords import generate_password
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import ControlFailure, ControlSpec
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    AUTHORIZATION_DETAILS,
    PASSWORD_POLICY,
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)
from ansible_collections.accountguard.aws.plugins.module_utils._users import Op, PasswordFile

USER_SPEC = dict(
    name=dict(type="str", required=True),
    path=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=False),
    groups=dict(type="list", elements="str"),
    purge_groups=dict(type="bool", default=False),
    console_access=dict(type="bool", default=False),
    programmatic_access=dict(type="bool", default=False),
    password_reset_required=dict(type="bool", default=True, no_log=False),
)
ARGUMENT_SPEC = dict(
    users=dict(type="list", elements="dict", required=True, options=USER_SPEC),
    credentials_dir=dict(type="path", default="~/.accountguard/credentials"),
    pending_groups=dict(type="list", elements="str", default=[]),
    purge_users=dict(type="bool", default=False),
    purge_console_access=dict(type="bool", default=False),
    purge_access_keys=dict(type="bool", default=False, no_log=False),
    replace_lost_access_keys=dict(type="bool", default=False, no_log=False),
    max_concurrency=dict(type="int", default=8),
    validate_only=dict(type="bool", default=False),
    **SOURCES_ARGUMENT_SPEC,
)
# A login profile can be "temporarily unmodifiable" a while after any change to it, not only for new users.
LOGIN_PROFILE_OPS = frozenset({Op.CREATE_LOGIN_PROFILE, Op.DELETE_LOGIN_PROFILE})
EMPTY_RESULT = dict(users=[], undeclared_users=[], deleted_users=[], secrets_files=[], lost_access_keys=[], findings=[])


@dataclass
class Entry:
    """One declared user through the run: its plan, and what applying it did and left on disk."""

    plan: model.UserPlan
    key_marker: str | None = None  # the pending access-key marker found at read time
    login_marker: str | None = None  # a pending login marker whose CreateLoginProfile did land
    keep_key_marker: bool = False
    done: list[model.Action] = field(default_factory=list)
    secrets_files: list[str] = field(default_factory=list)


class UsersRun:
    """One task: read the account, plan, and (unless check mode) apply."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.params = ctx.params
        self.base = self.params["credentials_dir"]
        self.iam = ctx.client("iam")
        self.account_id = None
        self.entries: list[Entry] = []
        self.to_delete: list[str] = []
        self.deleted: list[str] = []
        self.sources = AccountSources(ctx)

    # --- read and plan ---------------------------------------------------------------------------------------

    def user_details(self) -> list[dict]:
        """Every user with its path, tags, groups and policies: from the account's authorization details when
        the task was handed them (the session's one read, which also serves the policy checks), else one
        GetAccountAuthorizationDetails of the users alone (paginated)."""
        if self.sources.has(AUTHORIZATION_DETAILS):
            return policies.user_details(self.sources.get(AUTHORIZATION_DETAILS))
        return gateway.list_user_details(self.iam)

    def read(self) -> None:
        details = self.user_details()
        self.details = {d["UserName"].lower(): d for d in details}
        for detail in details:
            self.account_id = self.account_id or model.account_id_from_arn(detail.get("Arn"))
        haves = [self.details.get(want["name"].lower()) for want in self.params["users"]]
        haves = [model.state_from_details(d) if d is not None else None for d in haves]

        def read_access(have):
            have.console_access = gateway.get_login_profile(self.iam, have.name) is not None
            have.access_keys = model.access_keys_from_api(gateway.list_access_keys(self.iam, have.name))

        # Two reads per existing declared user, independent of each other: overlap them (IAM latency, not
        # CPU, is the cost), bounded so one account cannot burst into IAM's rate limit.
        self.parallel(read_access, [h for h in haves if h is not None])
        self.haves = haves
        self.undeclared = model.undeclared([d["UserName"] for d in details], [u["name"] for u in self.params["users"]])

    def saved_key_ids(self, name: str, keys: list[model.AccessKey]) -> set:
        return {
            k.access_key_id
            for k in keys
            if os.path.lexists(files.access_key_file(self.base, self.account_id, name, k.access_key_id))
        }

    def plan_users(self) -> None:
        params = self.params
        for want, have in zip(params["users"], self.haves, strict=True):
            user_plan = model.plan_user(
                want,
                have,
                purge_console_access=params["purge_console_access"],
                purge_access_keys=params["purge_access_keys"],
            )
            entry = Entry(user_plan)
            self.entries.append(entry)
            if have is None or self.account_id is None:
                continue
            login_marker = files.pending_login_marker(self.base, self.account_id, have.name)
            if have.console_access and os.path.lexists(login_marker):
                # CreateLoginProfile landed, the run died before removing the marker: nothing is pending.
                entry.login_marker = login_marker
            marker_path = files.pending_key_marker(self.base, self.account_id, have.name)
            marker = files.read_marker(marker_path)
            if marker is None:
                continue
            entry.key_marker = marker_path
            keys = have.access_keys
            lost = [model.LostKey(k) for k in model.lost_access_keys(marker, keys, self.saved_key_ids(have.name, keys))]
            if params["replace_lost_access_keys"]:
                # Only to decide a replacement: a key that was used has a holder, marker or not.
                for item in lost:
                    item.last_used_date = iso(gateway.access_key_last_used(self.iam, item.key.access_key_id))
            model.plan_lost_keys(user_plan, lost, replace_lost=params["replace_lost_access_keys"])
            user_plan.reported += [
                model.lost_key_message(have.name, item, self.base) for item in user_plan.lost if not item.replaced
            ]
        self.resolve_groups()
        if params["purge_users"] and self.undeclared:
            me = sts_gateway.get_caller_identity(self.ctx.client("sts"))
            self.account_id = self.account_id or me["Account"]
            own = model.own_user_name(me["Arn"])
            self.to_delete = [n for n in self.undeclared if n.lower() != (own or "").lower()]

    def resolve_groups(self) -> None:
        plans = [e.plan for e in self.entries]
        needed = model.groups_to_resolve(plans)
        if not needed:
            return
        existing = group_gateway.list_group_names(self.iam)
        missing = model.missing_groups(needed, existing, self.params["pending_groups"], self.ctx.check_mode)
        if missing:
            declared = sorted({g for p in plans for g in p.want["groups"] or [] if g.lower() in missing})
            raise ControlFailure(
                f"IAM group(s) {', '.join(declared)} do not exist; create them first (or list them in "
                "pending_groups when an earlier task of this run creates them). Nothing was changed.",
                changed=False,
            )
        names = {g.lower(): g for g in existing}
        for user_plan in plans:
            model.use_existing_group_names(user_plan, names)

    def preflight_secrets(self) -> None:
        """Refuse, before any write, a run whose secrets could not be stored safely.

        Under check mode too (local reads only, plus at most one STS read): a run that would fail to store a
        secret is drift worth showing before anyone applies it. A password file an apply would refuse to
        replace is reported there, not a failure: check mode shows what an apply would do.
        """
        creating = [e for e in self.entries if e.plan.has(*model.SECRET_OPS)]
        if not creating:
            return
        if self.account_id is None:
            self.account_id = sts_gateway.get_caller_identity(self.ctx.client("sts"))["Account"]
        problems = files.check_target(self.base, self.account_id)
        for entry in creating:
            if not entry.plan.has(Op.CREATE_LOGIN_PROFILE):
                continue
            name = entry.plan.name
            path = files.password_file(self.base, self.account_id, name)
            marker = files.pending_login_marker(self.base, self.account_id, name)
            entry.plan.password_file = model.password_file_decision(os.path.lexists(path), os.path.lexists(marker))
            if entry.plan.password_file is PasswordFile.REFUSE:
                message = model.refused_password_file_message(path, entry.plan.want["name"])
                if self.ctx.check_mode:
                    note = f"an apply would fail before any write: {message}"
                    entry.plan.reported.append(note)
                    self.ctx.warn(f"iam_users: {note}")
                else:
                    problems.append(message)
        if problems:
            raise ControlFailure("Cannot store new secrets: " + "; ".join(problems) + ". Nothing was changed.")

    # --- apply -----------------------------------------------------------------------------------------------

    def parallel(self, func, items) -> None:
        """Run ``func`` over ``items`` on at most max_concurrency threads; re-raise the first error at the end."""
        workers = min(self.params["max_concurrency"], len(items))
        if workers <= 1:
            for item in items:
                func(item)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(func, item) for item in items]
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error

    def apply(self) -> None:
        pending = [e for e in self.entries if e.plan.actions]
        if any(e.plan.password_file is PasswordFile.CREATE and e.plan.has(Op.CREATE_LOGIN_PROFILE) for e in pending):
            # Read once, before the threads: every generated password satisfies the same policy.
            self.sources.get(PASSWORD_POLICY)
        if any(e.plan.has(*model.SECRET_OPS) for e in pending):
            files.ensure_dir(files.account_dir(self.base, self.account_id))

        def converge(entry: Entry):
            created_now = entry.plan.have is None
            for action in entry.plan.actions:
                if (created_now and action.op is not Op.CREATE_USER) or action.op in LOGIN_PROFILE_OPS:
                    model.retry_while_unknown(lambda action=action: self.execute(entry, action))
                else:
                    self.execute(entry, action)
                entry.done.append(action)

        # Users are independent; each user's operations stay in order on one thread.
        self.parallel(converge, pending)
        for entry in self.entries:
            # A marker whose keys all have their secret (or were replaced) has nothing left to say.
            kept = [item for item in entry.plan.lost if not item.replaced]
            if entry.key_marker and not kept and not entry.keep_key_marker:
                files.remove_marker(entry.key_marker)
            if entry.login_marker:
                files.remove_marker(entry.login_marker)
        for name in self.to_delete:
            self.delete_user_completely(self.details[name.lower()])
            self.deleted.append(name)

    def execute(self, entry: Entry, action: model.Action) -> None:
        name, iam, op = entry.plan.name, self.iam, action.op
        if op is Op.CREATE_USER:
            entry.plan.after.arn = gateway.create_user(iam, name, action.path, dict(action.tags))["Arn"]
        elif op is Op.UPDATE_PATH:
            gateway.update_path(iam, name, action.path)
        elif op is Op.TAG_USER:
            gateway.tag_user(iam, name, dict(action.tags))
        elif op is Op.UNTAG_USER:
            gateway.untag_user(iam, name, action.tag_keys)
        elif op is Op.ADD_TO_GROUP:
            gateway.add_to_group(iam, name, action.group)
        elif op is Op.REMOVE_FROM_GROUP:
            gateway.remove_from_group(iam, name, action.group)
        elif op is Op.CREATE_LOGIN_PROFILE:
            self.create_console_access(entry, action)
        elif op is Op.DELETE_LOGIN_PROFILE:
            gateway.delete_login_profile(iam, name)
        elif op is Op.CREATE_ACCESS_KEY:
            self.create_programmatic_access(entry)
        elif op is Op.DELETE_ACCESS_KEY:
            gateway.delete_access_key(iam, name, action.access_key_id)

    def create_console_access(self, entry: Entry, action: model.Action) -> None:
        name = entry.plan.name

        def create(password):
            gateway.create_login_profile(self.iam, name, password, action.password_reset_required)

        if entry.plan.password_file is PasswordFile.RESUME:
            path = files.resume_login_profile(self.base, self.account_id, name, create)
        else:
            password = generate_password(self.sources.get(PASSWORD_POLICY)["policy"])
            reset = action.password_reset_required
            path = files.store_login_profile(
                self.base, self.account_id, name, password, reset, create, model.may_have_landed
            )
        entry.secrets_files.append(path)

    def create_programmatic_access(self, entry: Entry) -> None:
        name = entry.plan.name
        key, path, marker = files.store_access_key(
            self.base,
            self.account_id,
            name,
            create=lambda: gateway.create_access_key(self.iam, name),
            delete=lambda key_id: gateway.delete_access_key(self.iam, name, key_id),
        )
        after = entry.plan.after
        after.access_keys = [k for k in after.access_keys if k.access_key_id is not None]
        after.access_keys.append(model.AccessKey(key["AccessKeyId"], key["Status"]))
        entry.secrets_files.append(path)
        # Read back: a retried CreateAccessKey whose first answer was lost on the way made a second key.
        keys = model.access_keys_from_api(gateway.list_access_keys(self.iam, name))
        # A key this run deleted a moment ago may still be listed (IAM is eventually consistent).
        deleted = {a.access_key_id for a in entry.done if a.op is Op.DELETE_ACCESS_KEY}
        keys = [k for k in keys if k.access_key_id not in deleted]
        extra = model.lost_access_keys(marker, keys, self.saved_key_ids(name, keys))
        marker_path = files.pending_key_marker(self.base, self.account_id, name)
        if not extra:
            files.remove_marker(marker_path)
            return
        entry.keep_key_marker = True
        entry.key_marker = marker_path
        decided = [model.LostKey(k, reason="it appeared while this run created a key") for k in extra]
        entry.plan.lost += decided
        entry.plan.reported += [model.lost_key_message(name, item, self.base) for item in decided]

    def delete_user_completely(self, detail: dict) -> None:
        """DeleteUser refuses a user that still has credentials, policies or groups: remove those first.

        Each call fails on its own error, named (a NoSuchEntity from an MFA device or a policy says nothing
        about the user), and only GetUser answering NoSuchEntity counts the user as deleted.
        """
        iam, name = self.iam, detail["UserName"]
        gateway.delete_login_profile(iam, name)
        for key in gateway.list_access_keys(iam, name):
            gateway.delete_access_key(iam, name, key["AccessKeyId"])
        for device in gateway.list_mfa_devices(iam, name):
            serial = device["SerialNumber"]
            gateway.deactivate_mfa_device(iam, name, serial)
            if (parse_aws_arn(serial) or {}).get("resource_type") == "mfa":
                gateway.delete_virtual_mfa_device(iam, serial)
        for cert in gateway.list_signing_certificates(iam, name):
            gateway.delete_signing_certificate(iam, name, cert["CertificateId"])
        for ssh_key in gateway.list_ssh_public_keys(iam, name):
            gateway.delete_ssh_public_key(iam, name, ssh_key["SSHPublicKeyId"])
        for group in detail.get("GroupList") or []:
            gateway.remove_from_group(iam, name, group)
        for policy in detail.get("AttachedManagedPolicies") or []:
            gateway.detach_user_policy(iam, name, policy["PolicyArn"])
        for policy in detail.get("UserPolicyList") or []:
            gateway.delete_user_policy(iam, name, policy["PolicyName"])
        try:
            gateway.delete_user(iam, name)
        except AnsibleAWSError as error:
            if model.error_code(error) != "DeleteConflict":
                raise
            # Service-specific credentials (CodeCommit, Keyspaces) are rare: list them only when they block.
            for credential in gateway.list_service_specific_credentials(iam, name):
                gateway.delete_service_specific_credential(iam, name, credential["ServiceSpecificCredentialId"])
            gateway.delete_user(iam, name)
        if gateway.get_user(iam, name) is not None:
            raise ControlFailure(f"DeleteUser of {name} succeeded but IAM still shows the user")

    # --- result ----------------------------------------------------------------------------------------------

    def result(self, applied: bool) -> dict:
        users, before, after = [], {}, {}
        changed = False
        for entry in self.entries:
            user_plan = entry.plan
            actions = entry.done if applied else user_plan.actions
            changed = changed or bool(actions)
            # After a failure part-way, a user that was not fully converged is shown as it was read.
            state = user_plan.after if len(actions) == len(user_plan.actions) else None
            source = state if state is not None else user_plan.have
            shown = model.view(source)
            users.append(
                {
                    "user_name": user_plan.name,
                    "arn": source.arn if source else None,
                    "created": user_plan.have is None,
                    "changed": bool(actions),
                    "actions": [a.label for a in actions],
                    "reported": user_plan.reported,
                    "secrets_files": entry.secrets_files,
                    **(shown or {}),
                }
            )
            if actions:
                before[user_plan.name] = model.view(user_plan.have)
                after[user_plan.name] = shown
        deleted = self.deleted if applied else self.to_delete
        for name in deleted:
            changed = True
            detail = self.details[name.lower()]
            before[detail["UserName"]] = model.view(model.state_from_details(detail))
            after[detail["UserName"]] = None
        result = {
            "changed": changed,
            "users": users,
            "undeclared_users": self.undeclared,
            "deleted_users": list(deleted),
            "secrets_files": [path for entry in self.entries for path in entry.secrets_files],
            **self.lost_keys(applied),
        }
        if self.ctx.diff_mode:
            result["diff"] = {"before": before, "after": after}
        return result

    def lost_keys(self, applied: bool) -> dict:
        lost, findings = [], []
        for entry in self.entries:
            done = {a.access_key_id for a in entry.done if a.lost}
            for item in entry.plan.lost:
                replaced = item.replaced and (not applied or item.key.access_key_id in done)
                lost.append(
                    {
                        "user_name": entry.plan.name,
                        "access_key_id": item.key.access_key_id,
                        "status": item.key.status,
                        "created": iso(model.as_utc(item.key.create_date)),
                        "replaced": replaced,
                    }
                )
                if not replaced:
                    message = model.lost_key_message(entry.plan.name, item, self.base)
                    arn = entry.plan.have.arn if entry.plan.have else ""
                    findings.append(finding("iam_users", "fail", arn or "", message))
        return {"lost_access_keys": lost, "findings": findings}


def validate_only(ctx) -> dict:
    """Everything that can refuse the run, without reading users or writing: for a play's first task."""
    params = ctx.params
    pending = {g.lower() for g in params["pending_groups"]}
    declared = {g.lower(): g for u in params["users"] for g in u["groups"] or [] if g.lower() not in pending}
    problems = []
    if declared:
        existing = {g.lower() for g in group_gateway.list_group_names(ctx.client("iam"))}
        missing = sorted(name for lower, name in declared.items() if lower not in existing)
        if missing:
            problems.append(
                f"IAM group(s) {', '.join(missing)} do not exist and are not in pending_groups; create them first"
            )
    if any(u["console_access"] or u["programmatic_access"] for u in params["users"]):
        problems += [p for p in [files.directory_problem(params["credentials_dir"])] if p]
    if problems:
        raise ControlFailure("; ".join(problems) + ". Nothing was changed.", changed=False)
    return dict(changed=False, validated=True, **EMPTY_RESULT)


def aws_failure_fields(error: AnsibleAWSError) -> dict:
    """What a module's fail_json_aws adds for an AWS error (its code and response), for a failure that also
    carries the run's partial result."""
    response = getattr(error.exception, "response", None)
    return camel_dict_to_snake_dict(response) if isinstance(response, dict) else {}


def warned(ctx, result: dict) -> dict:
    """A warning per failing finding: a lost key must catch the eye even where nobody reads the report."""
    for found in result["findings"]:
        ctx.warn(f"iam_users: {found['message']}")
    return result


def run(ctx) -> dict:
    errors = model.validate_params(ctx.params)
    if errors:
        raise ControlFailure("Invalid users (nothing was read or changed): " + "; ".join(errors))
    if ctx.params["validate_only"]:
        return validate_only(ctx)
    users_run = UsersRun(ctx)
    users_run.read()
    users_run.plan_users()
    users_run.preflight_secrets()
    if ctx.check_mode:
        return warned(ctx, users_run.result(applied=False))
    try:
        users_run.apply()
    except AnsibleAWSError as error:
        partial = {**users_run.result(applied=True), **aws_failure_fields(error)}
        raise ControlFailure(str(error), **partial) from error
    except (OSError, files.SecretFileError) as error:
        raise ControlFailure(f"Failed to store a new secret: {error}", **users_run.result(applied=True)) from error
    except ControlFailure as failure:
        raise ControlFailure(failure.msg, **{**users_run.result(applied=True), **failure.result}) from failure
    return warned(ctx, users_run.result(applied=True))


SPEC = ControlSpec(name="iam_users", argument_spec=ARGUMENT_SPEC, run=run)
