#!/usr/bin/python

# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_users
short_description: Manage all declared IAM users of an account in one call
version_added: 0.1.0
description:
  - Brings every user listed in O(users) to its declared state in one module call, whatever the number of
    users, so a playbook's task count does not grow with the team.
  - Creates missing users with their path and tags, updates path and tags, adds group memberships, gives
    console access with a generated initial password that satisfies the account password policy and must be
    changed at first sign-in, and gives programmatic access with one access key, created only when the user
    has no access key at all (M(amazon.aws.iam_access_key) creates a new key on every run without C(id)).
  - Initial passwords and secret access keys are written once, at creation, to files of mode 0600 under
    O(credentials_dir); they never appear in the module result or logs, and an existing file is never
    overwritten.
  - Nothing is deleted unless asked; undeclared users (RV(undeclared_users)), undeclared group memberships,
    console access and access keys are reported. O(purge_users), O(users[].purge_groups),
    O(purge_console_access), O(purge_access_keys) and O(replace_lost_access_keys) opt into removal.
  - Before C(iam:CreateAccessKey) a marker without any secret, C(<user>.access-key-pending.json), is written
    next to the secrets files, and removed once the new secret is in its file. When a run dies in between
    (killed, power cut), the next run finds the marker and reports each key of that user created since then
    that has no secrets file as lost (RV(lost_access_keys), a warning, and a failing C(iam_users) finding),
    since the key exists but nobody holds its secret. It is kept as it is unless O(replace_lost_access_keys=true).
  - Likewise C(<user>.login-profile-pending.json) is written before an initial password file and removed once
    C(iam:CreateLoginProfile) succeeded. A run that died in between left a password file that was never in
    use; the next run creates the login profile with that password rather than refusing to replace the file.
  - All input is validated against the IAM rules (names, paths, tags, duplicates) before any API call, and a
    group that does not exist fails the task before any write.
author:
  - accountguard.aws maintainers (@accountguard)
options:
  users:
    description:
      - The declared users. Users of the account not listed here are only reported unless O(purge_users=true).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - IAM user name (1 to 64 letters, numbers and V(+=,.@_-)). Names are unique case-insensitively.
        type: str
        required: true
      path:
        description:
          - IAM path of the user, V(/) or starting and ending with V(/).
          - New users get V(/) when unset; an existing user's path is only changed when this is set.
        type: str
      tags:
        description:
          - Tags the user must have. Tags not listed are kept unless O(users[].purge_tags=true).
          - At most 50 tags, keys up to 128 and values up to 256 characters; keys are case-insensitive and
            must not start with V(aws:).
          - Unset means the user's tags are not managed.
        type: dict
      purge_tags:
        description:
          - Remove tags that are not in O(users[].tags).
        type: bool
        default: false
      groups:
        description:
          - Groups the user must belong to. Unset means memberships are not managed.
          - Every group must exist (or be listed in O(pending_groups) under check mode).
        type: list
        elements: str
      purge_groups:
        description:
          - Remove the user from groups that are not in O(users[].groups).
        type: bool
        default: false
      console_access:
        description:
          - Whether the user signs in to the AWS Management Console (has a login profile).
          - When V(true) and the user has no login profile, one is created with a generated password that
            satisfies the account password policy (the AWS default rules when there is none).
          - When V(false), existing console access is reported, and removed only with O(purge_console_access).
        type: bool
        default: false
      programmatic_access:
        description:
          - Whether the user has an access key.
          - When V(true) and the user has no access key at all, exactly one is created. A user whose keys are
            all inactive is reported, not given a new key.
          - When V(false), existing keys are reported, and deleted only with O(purge_access_keys).
        type: bool
        default: false
      password_reset_required:
        description:
          - Whether a new console user must change the initial password at first sign-in.
          - Applies when the login profile is created; an existing login profile is left as it is.
        type: bool
        default: true
  credentials_dir:
    description:
      - Directory on the managed node (the controller, with a local connection) that receives the secrets
        of new users, as C(<credentials_dir>/<account id>/<user>.password.json) and
        C(<credentials_dir>/<account id>/<user>.<access key id>.json).
      - Directories are created with mode 0700 and files with 0600. An existing directory that other users
        can read is refused, and an existing file is never overwritten (the task fails before any write),
        except that a password file left by a run that died before C(iam:CreateLoginProfile) is used as it is.
    type: path
    default: ~/.accountguard/credentials
  pending_groups:
    description:
      - Groups that an earlier task of the same run creates, for example the baseline's admin group.
      - Under check mode that task created nothing, so these groups may be missing and their membership is
        predicted; when applying they must exist like any other group.
    type: list
    elements: str
    default: []
  purge_users:
    description:
      - Delete users of the account that are not declared in O(users), with their login profile, access
        keys, MFA devices, certificates, SSH keys, service credentials, policies and group memberships.
      - The IAM user the module runs as is never deleted, and an empty O(users) list is refused rather than
        taken as "delete every user".
    type: bool
    default: false
  purge_console_access:
    description:
      - Delete the login profile of declared users whose O(users[].console_access) is V(false).
    type: bool
    default: false
  purge_access_keys:
    description:
      - Delete the access keys of declared users whose O(users[].programmatic_access) is V(false).
    type: bool
    default: false
  replace_lost_access_keys:
    description:
      - Delete each lost access key (see RV(lost_access_keys)) and give its user a new key, whose secret is
        written to its file like any new key's.
      - Only for users declared with O(users[].programmatic_access=true), and only for keys that have never
        been used (one C(iam:GetAccessKeyLastUsed) per lost key); a key that was used has a holder, so it is
        reported, not replaced.
      - Needs C(iam:DeleteAccessKey) and C(iam:GetAccessKeyLastUsed) besides the apply policy.
    type: bool
    default: false
  max_concurrency:
    description:
      - How many users are read or changed at the same time, from V(1) to V(32). Each user's own changes
        always run in order. Lower it when many accounts share one IAM rate limit budget, for example with
        high C(forks); throttled calls are retried with jittered backoff either way.
    type: int
    default: 8
  validate_only:
    description:
      - Only check what could refuse the run, then stop without reading users or writing anything. That is the
        validation of O(users), that every declared group exists or is in O(pending_groups) (one
        C(iam:ListGroups), only when groups are declared), and that O(credentials_dir) is usable.
      - For a play's first task, so bad input fails before any other task writes.
      - The usual return values are then empty, and RV(validated) is V(true).
    type: bool
    default: false
notes:
  - "API calls: one paginated C(iam:GetAccountAuthorizationDetails) (users only) per run, then
    C(iam:GetLoginProfile) and C(iam:ListAccessKeys) for each declared user that exists. C(iam:ListGroups)
    only when a membership must be added, C(iam:GetAccountPasswordPolicy) only when a password is generated,
    one more C(iam:ListAccessKeys) after each key created (to catch a key a retried call made twice),
    C(sts:GetCallerIdentity) only to name a secrets file for an account with no user yet, or with
    O(purge_users)."
  - The module does not print, log or return any secret; the task does not need C(no_log).
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
seealso:
  - module: accountguard.aws.iam_access_keys
  - module: accountguard.aws.iam_password_policy
  - module: amazon.aws.iam_user
  - module: amazon.aws.iam_access_key
"""

EXAMPLES = r"""
- name: Declare the account's IAM users
  accountguard.aws.iam_users:
    users:
      - name: alice
        console_access: true
        groups: [Cloudadmin]
        tags:
          team: platform
      - name: deploy-bot
        path: /service/
        programmatic_access: true
        tags:
          team: platform
          purpose: ci
    credentials_dir: "{{ playbook_dir }}/.credentials"
    pending_groups: [Cloudadmin]
  register: iam_users

- name: Tell the operator where the new secrets are
  ansible.builtin.debug:
    msg: "New credentials: {{ iam_users.secrets_files }}"
  when: iam_users.secrets_files | length > 0

- name: Converge strictly, removing what is not declared
  accountguard.aws.iam_users:
    users:
      - name: alice
        console_access: true
        groups: [Cloudadmin]
        purge_groups: true
        tags: {team: platform}
        purge_tags: true
    purge_console_access: true
    purge_access_keys: true

- name: Replace keys whose secret a killed run never saved
  accountguard.aws.iam_users:
    users:
      - name: deploy-bot
        path: /service/
        programmatic_access: true
    replace_lost_access_keys: true
"""

RETURN = r"""
changed:
  description: Whether a user was (or, in check mode, would be) changed.
  returned: always
  type: bool
  sample: true
users:
  description: Every declared user after the run (predicted in check mode), in the order declared.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The user name.
      type: str
      sample: alice
    arn:
      description: ARN of the user; V(null) for a user that check mode would create.
      type: str
      sample: arn:aws:iam::123456789012:user/alice
    created:
      description: Whether the user was (would be) created by this run.
      type: bool
      sample: false
    changed:
      description: Whether this user was (would be) changed.
      type: bool
      sample: true
    actions:
      description:
        - What was (would be) done, one entry per IAM write, for example V(create_user),
          V(add_to_group:Cloudadmin), V(create_login_profile), V(create_access_key), V(tag_user:team),
          V(delete_lost_access_key:AKIAIOSFODNN7EXAMPLE).
      type: list
      elements: str
      sample: ["create_user", "add_to_group:Cloudadmin", "create_login_profile"]
    reported:
      description: Drift left alone because no purge option asked to remove it.
      type: list
      elements: str
      sample: ["has console access that is not declared (purge_console_access is false)"]
    path:
      description: The user's path.
      type: str
      sample: /
    tags:
      description: The user's tags.
      type: dict
      sample: {"team": "platform"}
    groups:
      description: The groups the user belongs to.
      type: list
      elements: str
      sample: ["Cloudadmin"]
    console_access:
      description: Whether the user has a login profile.
      type: bool
      sample: true
    programmatic_access:
      description: Whether the user has at least one access key.
      type: bool
      sample: false
    access_keys:
      description: The user's access keys (ids are not secret); a key check mode would create has id V(null).
      type: list
      elements: dict
      sample: [{"access_key_id": "AKIAIOSFODNN7EXAMPLE", "status": "Active"}]
    secrets_files:
      description: Files this run wrote the user's new secrets to.
      type: list
      elements: str
      sample: ["/home/ops/.accountguard/credentials/123456789012/alice.password.json"]
validated:
  description: V(true) when O(validate_only=true) found nothing wrong.
  returned: when O(validate_only=true)
  type: bool
  sample: true
undeclared_users:
  description: Users of the account that are not declared (deleted only with O(purge_users=true)).
  returned: always
  type: list
  elements: str
  sample: ["legacy-admin"]
deleted_users:
  description: Undeclared users that were (would be) deleted because of O(purge_users=true).
  returned: always
  type: list
  elements: str
  sample: []
secrets_files:
  description:
    - Every file this run wrote a secret to (paths only, never the secrets). Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["/home/ops/.accountguard/credentials/123456789012/deploy-bot.AKIAIOSFODNN7EXAMPLE.json"]
lost_access_keys:
  description:
    - Access keys that a run which died between C(iam:CreateAccessKey) and saving the secret left behind. The
      key exists but no secrets file holds it. Found from the marker that run left in O(credentials_dir).
    - Each kept one is also a warning, a line in the user's RV(users[].reported) and a failing finding.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The key's user.
      type: str
      sample: deploy-bot
    access_key_id:
      description: The key's id (not secret).
      type: str
      sample: AKIAIOSFODNN7EXAMPLE
    status:
      description: The key's status when it was read, V(Active) or V(Inactive).
      type: str
      sample: Active
    created:
      description: When the key was created (ISO 8601).
      type: str
      sample: "2026-11-28T01:02:03+00:00"
    replaced:
      description:
        - Whether the key was (in check mode, would be) deleted and its user given a new key, because of
          O(replace_lost_access_keys).
      type: bool
      sample: false
  sample: []
findings:
  description:
    - One failing C(iam_users) finding per lost access key that is kept (the drift gate and the report show
      them). Empty when nothing is lost.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The control id, V(iam_users).
      type: str
      sample: iam_users
    status:
      description: V(fail).
      type: str
      sample: fail
    resource:
      description: ARN of the key's user.
      type: str
      sample: arn:aws:iam::123456789012:user/deploy-bot
    message:
      description: What is wrong and what the operator can do, without any secret.
      type: str
      sample: "access key AKIAIOSFODNN7EXAMPLE of deploy-bot was created by an interrupted run and its secret
        was never saved (no secrets file under /home/ops/.accountguard/credentials): nobody holds it; kept"
    cis:
      description: CIS recommendations of the control.
      type: list
      elements: str
      sample: ["cis-aws-3.0:1.15", "cis-aws-5.0:1.14"]
  sample: []
diff:
  description: Before and after of the users that change, keyed by user name.
  returned: when run with C(--diff)
  type: dict
  sample: {"before": {"alice": null}, "after": {"alice": {"path": "/", "tags": {}, "groups": ["Cloudadmin"],
           "console_access": true, "programmatic_access": false, "access_keys": []}}}
"""

import os
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.accountguard.aws.plugins.module_utils._common import (
    AccountGuardAWSError,
    IAMErrors,
    caller_identity,
    client,
    iso,
    retry,
    utcnow,
)
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding
from ansible_collections.accountguard.aws.plugins.module_utils._passwords import generate_password
from ansible_collections.accountguard.aws.plugins.module_utils._secret_files import (
    SecretFileError,
    access_key_file,
    account_dir,
    check_target,
    directory_problem,
    ensure_dir,
    password_file,
    pending_key_marker,
    pending_login_marker,
    read_marker,
    read_secret_file,
    remove_marker,
    remove_quietly,
    write_marker,
    write_secret_file,
)
from ansible_collections.accountguard.aws.plugins.module_utils._users import (
    account_id_from_arn,
    action_label,
    groups_to_resolve,
    lost_access_keys,
    lost_key_message,
    may_have_landed,
    missing_groups,
    password_file_decision,
    plan_lost_keys,
    plan_user,
    retry_while_unknown,
    state_from_details,
    undeclared,
    use_existing_group_names,
    validate_users,
    view,
)

# --- reads --------------------------------------------------------------------------------------------------


@IAMErrors.common_error_handler("list the account's users (GetAccountAuthorizationDetails)")
@retry()
def list_user_details(iam) -> list:
    paginator = iam.get_paginator("get_account_authorization_details")
    return paginator.paginate(Filter=["User"]).build_full_result().get("UserDetailList", [])


@IAMErrors.list_error_handler("get the login profile", default_value=False)
@retry()
def has_login_profile(iam, user_name: str) -> bool:
    iam.get_login_profile(UserName=user_name)
    return True


@IAMErrors.common_error_handler("list access keys")
@retry()
def list_access_keys(iam, user_name: str) -> list:
    paginator = iam.get_paginator("list_access_keys")
    keys = paginator.paginate(UserName=user_name).build_full_result().get("AccessKeyMetadata", [])
    return [
        {"access_key_id": k["AccessKeyId"], "status": k["Status"], "create_date": k.get("CreateDate")} for k in keys
    ]


@IAMErrors.common_error_handler("get when an access key was last used")
@retry()
def access_key_last_used(iam, access_key_id: str):
    return iam.get_access_key_last_used(AccessKeyId=access_key_id).get("AccessKeyLastUsed", {}).get("LastUsedDate")


@IAMErrors.common_error_handler("list groups")
@retry()
def list_group_names(iam) -> list:
    paginator = iam.get_paginator("list_groups")
    return [g["GroupName"] for g in paginator.paginate().build_full_result().get("Groups", [])]


@IAMErrors.list_error_handler("get the account password policy")
@retry()
def get_password_policy(iam):
    return iam.get_account_password_policy()["PasswordPolicy"]


@IAMErrors.list_error_handler("list MFA devices", default_value=[])
@retry()
def list_mfa_serials(iam, user_name: str) -> list:
    paginator = iam.get_paginator("list_mfa_devices")
    return [d["SerialNumber"] for d in paginator.paginate(UserName=user_name).build_full_result()["MFADevices"]]


# --- writes -------------------------------------------------------------------------------------------------


@IAMErrors.common_error_handler("create the user")
@retry()
def create_user(iam, user_name: str, path: str, tags: dict) -> dict:
    request = {"UserName": user_name, "Path": path}
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return iam.create_user(**request)["User"]


@IAMErrors.common_error_handler("update the user's path")
@retry()
def update_path(iam, user_name: str, path: str) -> None:
    iam.update_user(UserName=user_name, NewPath=path)


@IAMErrors.common_error_handler("tag the user")
@retry()
def tag_user(iam, user_name: str, tags: dict) -> None:
    iam.tag_user(UserName=user_name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


@IAMErrors.common_error_handler("untag the user")
@retry()
def untag_user(iam, user_name: str, keys: list) -> None:
    iam.untag_user(UserName=user_name, TagKeys=keys)


@IAMErrors.common_error_handler("add the user to a group")
@retry()
def add_to_group(iam, user_name: str, group: str) -> None:
    iam.add_user_to_group(UserName=user_name, GroupName=group)


@IAMErrors.deletion_error_handler("remove the user from a group")
@retry()
def remove_from_group(iam, user_name: str, group: str) -> None:
    iam.remove_user_from_group(UserName=user_name, GroupName=group)


@IAMErrors.common_error_handler("create the login profile")
@retry(catch_extra_error_codes=["EntityTemporarilyUnmodifiable"])
def create_login_profile(iam, user_name: str, password: str, reset_required: bool) -> None:
    iam.create_login_profile(UserName=user_name, Password=password, PasswordResetRequired=reset_required)


@IAMErrors.deletion_error_handler("delete the login profile")
@retry(catch_extra_error_codes=["EntityTemporarilyUnmodifiable"])
def delete_login_profile(iam, user_name: str) -> None:
    iam.delete_login_profile(UserName=user_name)


@IAMErrors.common_error_handler("create an access key")
@retry()
def create_access_key(iam, user_name: str) -> dict:
    return iam.create_access_key(UserName=user_name)["AccessKey"]


@IAMErrors.deletion_error_handler("delete an access key")
@retry()
def delete_access_key(iam, user_name: str, access_key_id: str) -> None:
    iam.delete_access_key(UserName=user_name, AccessKeyId=access_key_id)


@IAMErrors.deletion_error_handler("delete the user and what is attached to it")
@retry()
def delete_user_completely(iam, detail: dict) -> None:
    """DeleteUser refuses a user that still has credentials, policies or groups: remove those first."""
    name = detail["UserName"]
    delete_login_profile(iam, name)
    for key in list_access_keys(iam, name):
        delete_access_key(iam, name, key["access_key_id"])
    for serial in list_mfa_serials(iam, name):
        iam.deactivate_mfa_device(UserName=name, SerialNumber=serial)
        if ":mfa/" in serial:
            iam.delete_virtual_mfa_device(SerialNumber=serial)
    for cert in iam.list_signing_certificates(UserName=name).get("Certificates", []):
        iam.delete_signing_certificate(UserName=name, CertificateId=cert["CertificateId"])
    for ssh_key in iam.list_ssh_public_keys(UserName=name).get("SSHPublicKeys", []):
        iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=ssh_key["SSHPublicKeyId"])
    for group in detail.get("GroupList") or []:
        remove_from_group(iam, name, group)
    for policy in detail.get("AttachedManagedPolicies") or []:
        iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    for policy in detail.get("UserPolicyList") or []:
        iam.delete_user_policy(UserName=name, PolicyName=policy["PolicyName"])
    try:
        iam.delete_user(UserName=name)
    except is_boto3_error_code("DeleteConflict"):
        # Service-specific credentials (CodeCommit, Keyspaces) are rare: list them only when they block deletion.
        listed = iam.list_service_specific_credentials(UserName=name).get("ServiceSpecificCredentials", [])
        for credential in listed:
            iam.delete_service_specific_credential(
                UserName=name, ServiceSpecificCredentialId=credential["ServiceSpecificCredentialId"]
            )
        iam.delete_user(UserName=name)


# --- the run --------------------------------------------------------------------------------------------------


class Run:
    """One module execution: read the account, plan, and (unless check mode) apply."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.iam = client(module, "iam")
        self.check_mode = module.check_mode
        self.group_names = {}
        self.password_policy = None
        self.account_id = None

    def read(self):
        details = list_user_details(self.iam)
        self.details = {d["UserName"].lower(): d for d in details}
        for detail in details:
            self.account_id = self.account_id or account_id_from_arn(detail.get("Arn"))
        self.entries = []
        for want in self.params["users"]:
            detail = self.details.get(want["name"].lower())
            have = state_from_details(detail) if detail is not None else None
            self.entries.append({"want": want, "have": have})

        def read_access(entry):
            have = entry["have"]
            have["console_access"] = has_login_profile(self.iam, have["name"])
            have["access_keys"] = list_access_keys(self.iam, have["name"])

        # Two reads per existing declared user, independent of each other: overlap them (IAM latency, not
        # CPU, is the cost), bounded so one account cannot burst into IAM's rate limit.
        self.parallel(read_access, [e for e in self.entries if e["have"] is not None])
        self.undeclared = undeclared([d["UserName"] for d in details], [u["name"] for u in self.params["users"]])
        self.read_markers()

    def saved_key_ids(self, name: str, keys: list) -> set:
        base = self.params["credentials_dir"]
        return {
            k["access_key_id"]
            for k in keys
            if os.path.lexists(access_key_file(base, self.account_id, name, k["access_key_id"]))
        }

    def read_markers(self):
        """Find what interrupted runs left pending: local reads, plus GetAccessKeyLastUsed only to replace a key."""
        for entry in self.entries:
            entry["marker"], entry["lost"], entry["login_marker"] = None, [], None
            have = entry["have"]
            if have is None or self.account_id is None:
                continue
            login_marker = pending_login_marker(self.params["credentials_dir"], self.account_id, have["name"])
            if have["console_access"] and os.path.lexists(login_marker):
                # CreateLoginProfile landed, the run died before removing the marker: nothing is pending.
                entry["login_marker"] = login_marker
            path = pending_key_marker(self.params["credentials_dir"], self.account_id, have["name"])
            marker = read_marker(path)
            if marker is None:
                continue
            entry["marker"] = path
            keys = have["access_keys"]
            entry["lost"] = lost_access_keys(marker, keys, self.saved_key_ids(have["name"], keys))
            if self.params["replace_lost_access_keys"]:
                # Only to decide a replacement: a key that was used has a holder, marker or not.
                for key in entry["lost"]:
                    key["last_used_date"] = iso(access_key_last_used(self.iam, key["access_key_id"]))

    def parallel(self, func, items):
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

    def plan(self):
        for entry in self.entries:
            plan = plan_user(
                entry["want"],
                entry["have"],
                purge_console_access=self.params["purge_console_access"],
                purge_access_keys=self.params["purge_access_keys"],
            )
            entry.update(plan)
            entry["lost"] = plan_lost_keys(
                entry, entry["want"], entry["lost"], replace=self.params["replace_lost_access_keys"]
            )
            entry["reported"] += [
                lost_key_message(iam_name(entry), k, self.params["credentials_dir"])
                for k in entry["lost"]
                if not k["replaced"]
            ]
        needed = groups_to_resolve(self.entries)
        if needed:
            existing = list_group_names(self.iam)
            self.group_names = {g.lower(): g for g in existing}
            missing = missing_groups(needed, existing, self.params["pending_groups"], self.check_mode)
            if missing:
                declared = sorted({g for e in self.entries for g in e["want"]["groups"] or [] if g.lower() in missing})
                self.module.fail_json(
                    msg=f"IAM group(s) {', '.join(declared)} do not exist; create them first (or list them in "
                    "pending_groups when an earlier task of this run creates them). Nothing was changed.",
                    changed=False,
                )
            for entry in self.entries:
                use_existing_group_names(entry, self.group_names)
        self.to_delete = []
        if self.params["purge_users"] and self.undeclared:
            me = caller_identity(client(self.module, "sts"))
            self.account_id = self.account_id or me["account"]
            own = me["arn"].rsplit("/", 1)[-1].lower() if ":user/" in me["arn"] else None
            self.to_delete = [n for n in self.undeclared if n.lower() != own]

    def preflight_secrets(self):
        """Refuse, before any write, a run whose secrets could not be stored safely."""
        creating = [e for e in self.entries if any(op["op"] in SECRET_OPS for op in e["ops"])]
        if not creating:
            return
        if self.account_id is None:
            self.account_id = caller_identity(client(self.module, "sts"))["account"]
        base = self.params["credentials_dir"]
        problems = check_target(base, self.account_id)
        for entry in creating:
            for op in entry["ops"]:
                if op["op"] != "create_login_profile":
                    continue
                path = password_file(base, self.account_id, iam_name(entry))
                marker = pending_login_marker(base, self.account_id, iam_name(entry))
                decision = password_file_decision(os.path.lexists(path), os.path.lexists(marker))
                op["resume"] = decision == "resume"
                if decision == "refuse":
                    problems.append(
                        f"{path} already exists (a previous initial password of {entry['want']['name']}); "
                        "secrets files are never overwritten: move it away to create a new login profile"
                    )
        if problems:
            self.module.fail_json(msg="Cannot store new secrets: " + "; ".join(problems) + ". Nothing was changed.")

    def apply(self):
        pending = [e for e in self.entries if e["ops"]]
        for entry in self.entries:
            entry["secrets_files"] = []
            entry["done"] = []
        if any(op["op"] == "create_login_profile" for e in pending for op in e["ops"]):
            self.password_policy = get_password_policy(self.iam)
        if any(op["op"] in SECRET_OPS for e in pending for op in e["ops"]):
            ensure_dir(account_dir(self.params["credentials_dir"], self.account_id))

        def converge(entry):
            created_now = entry["have"] is None
            for op in entry["ops"]:
                if created_now and op["op"] != "create_user":
                    retry_while_unknown(lambda op=op: self.execute(entry, iam_name(entry), op))
                else:
                    self.execute(entry, iam_name(entry), op)
                entry["done"].append(op)

        # Users are independent; each user's operations stay in order on one thread.
        self.parallel(converge, pending)
        for entry in self.entries:
            # A marker whose keys all have their secret (or were replaced) has nothing left to say.
            kept = [k for k in entry["lost"] if not k["replaced"]]
            if entry["marker"] and not kept and not entry.get("keep_marker"):
                remove_marker(entry["marker"])
            if entry["login_marker"]:
                remove_marker(entry["login_marker"])
        for user_name in self.to_delete:
            delete_user_completely(self.iam, self.details[user_name.lower()])

    def execute(self, entry, name, op):
        kind = op["op"]
        iam = self.iam
        if kind == "create_user":
            user = create_user(iam, name, op["path"], op["tags"])
            entry["after"]["arn"] = user["Arn"]
        elif kind == "update_path":
            update_path(iam, name, op["path"])
        elif kind == "tag_user":
            tag_user(iam, name, op["tags"])
        elif kind == "untag_user":
            untag_user(iam, name, op["keys"])
        elif kind == "add_to_group":
            add_to_group(iam, name, op["group"])
        elif kind == "remove_from_group":
            remove_from_group(iam, name, op["group"])
        elif kind == "create_login_profile":
            self.create_console_access(entry, name, op)
        elif kind == "delete_login_profile":
            delete_login_profile(iam, name)
        elif kind == "create_access_key":
            self.create_programmatic_access(entry, name)
        elif kind == "delete_access_key":
            delete_access_key(iam, name, op["access_key_id"])

    def create_console_access(self, entry, name, op):
        base = self.params["credentials_dir"]
        path = password_file(base, self.account_id, name)
        marker_path = pending_login_marker(base, self.account_id, name)
        if op.get("resume"):
            # A run died between writing this file and CreateLoginProfile: the password in it was never in
            # use, and the file stays the operator's one copy. On failure both stay, for the next run.
            password = read_secret_file(path).get("password")
            if not isinstance(password, str) or not password:
                raise SecretFileError(f"{path} holds no password; move it away to create a new login profile")
            self.module.no_log_values.add(password)
            create_login_profile(self.iam, name, password, op["password_reset_required"])
            remove_marker(marker_path)
            entry["secrets_files"].append(path)
            return
        password = generate_password(self.password_policy)
        self.module.no_log_values.add(password)
        write_marker(marker_path, {"account_id": self.account_id, "user_name": name, "started": iso(utcnow())})
        # The file first: if it cannot be written, no login profile exists whose password nobody knows.
        try:
            write_secret_file(
                path,
                {
                    "account_id": self.account_id,
                    "user_name": name,
                    "console_sign_in_url": f"https://{self.account_id}.signin.aws.amazon.com/console",
                    "password": password,
                    "password_reset_required": op["password_reset_required"],
                    "created": iso(utcnow()),
                },
            )
        except BaseException:
            remove_marker(marker_path)
            raise
        try:
            create_login_profile(self.iam, name, password, op["password_reset_required"])
        except Exception as error:
            # Refused: nothing uses this password, drop it. Perhaps landed: keep file and marker, so the next
            # run either finds the login profile (and the operator holds its password) or resumes with it.
            if not may_have_landed(error):
                remove_quietly(path)
                remove_marker(marker_path)
            raise
        remove_marker(marker_path)
        entry["secrets_files"].append(path)

    def create_programmatic_access(self, entry, name):
        base = self.params["credentials_dir"]
        marker_path = pending_key_marker(base, self.account_id, name)
        marker = {"account_id": self.account_id, "user_name": name, "started": iso(utcnow())}
        # On disk before the key exists: if the run dies before the secret is saved, the next run knows the
        # key it finds was made here and that nobody received its secret.
        write_marker(marker_path, marker)
        key = create_access_key(self.iam, name)
        self.module.no_log_values.add(key["SecretAccessKey"])
        path = access_key_file(base, self.account_id, name, key["AccessKeyId"])
        try:
            write_secret_file(
                path,
                {
                    "account_id": self.account_id,
                    "user_name": name,
                    "access_key_id": key["AccessKeyId"],
                    "secret_access_key": key["SecretAccessKey"],
                    "created": iso(utcnow()),
                },
            )
        except (OSError, SecretFileError):
            # A key whose secret is lost is useless and a liability: remove it, then fail.
            delete_access_key(self.iam, name, key["AccessKeyId"])
            remove_marker(marker_path)
            raise
        entry["after"]["access_keys"] = [k for k in entry["after"]["access_keys"] if k["access_key_id"] is not None] + [
            {"access_key_id": key["AccessKeyId"], "status": key["Status"]}
        ]
        entry["secrets_files"].append(path)
        # Read back: a retried CreateAccessKey whose first answer was lost on the way made a second key.
        keys = list_access_keys(self.iam, name)
        # A key this run deleted a moment ago may still be listed (IAM is eventually consistent).
        deleted = {op["access_key_id"] for op in entry["done"] if op["op"] == "delete_access_key"}
        keys = [k for k in keys if k["access_key_id"] not in deleted]
        extra = lost_access_keys(marker, keys, self.saved_key_ids(name, keys))
        if extra:
            entry["keep_marker"] = True
            decided = [{**k, "replaced": False, "reason": "it appeared while this run created a key"} for k in extra]
            entry["lost"] += decided
            entry["reported"] += [lost_key_message(name, k, base) for k in decided]
        else:
            remove_marker(marker_path)

    def result(self, applied: bool) -> dict:
        users = []
        before, after = {}, {}
        changed = False
        for entry in self.entries:
            ops = entry.get("done", []) if applied else entry["ops"]
            user_changed = bool(ops)
            changed = changed or user_changed
            # After a failure part-way, a user that was not fully converged is shown as it was read.
            state = entry["after"] if len(ops) == len(entry["ops"]) else None
            shown = view(state) if state is not None else view(entry["have"])
            users.append(
                {
                    "user_name": iam_name(entry),
                    "arn": (state or entry["have"] or {}).get("arn"),
                    "created": entry["have"] is None,
                    "changed": user_changed,
                    "actions": [action_label(op) for op in ops],
                    "reported": entry["reported"],
                    "secrets_files": entry.get("secrets_files", []),
                    **(shown or {}),
                }
            )
            if user_changed:
                before[iam_name(entry)] = view(entry["have"])
                after[iam_name(entry)] = shown
        for name in self.to_delete:
            changed = True
            detail = self.details[name.lower()]
            before[detail["UserName"]] = view(state_from_details(detail) | {"console_access": None, "access_keys": []})
            after[detail["UserName"]] = None
        lost, findings = [], []
        for entry in self.entries:
            done_deletes = {op.get("access_key_id") for op in entry.get("done", []) if op.get("lost")}
            for key in entry.get("lost", []):
                replaced = key["replaced"] and (not applied or key["access_key_id"] in done_deletes)
                lost.append(
                    {
                        "user_name": iam_name(entry),
                        "access_key_id": key["access_key_id"],
                        "status": key["status"],
                        "created": iso(key.get("create_date")),
                        "replaced": replaced,
                    }
                )
                if not replaced:
                    message = lost_key_message(iam_name(entry), key, self.params["credentials_dir"])
                    findings.append(finding("iam_users", "fail", (entry["have"] or {}).get("arn") or "", message))
        result = {
            "changed": changed,
            "users": users,
            "undeclared_users": self.undeclared,
            "deleted_users": list(self.to_delete),
            "secrets_files": [path for entry in self.entries for path in entry.get("secrets_files", [])],
            "lost_access_keys": lost,
            "findings": findings,
        }
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result


SECRET_OPS = ("create_login_profile", "create_access_key")


def iam_name(entry: dict) -> str:
    """The user's name as IAM spells it (names are unique ignoring case; declared Alice may exist as alice)."""
    return entry["have"]["name"] if entry["have"] else entry["want"]["name"]


def validate_only(module) -> None:
    """Everything that can refuse the run, without reading users or writing: for a play's first task."""
    params = module.params
    pending = {g.lower() for g in params["pending_groups"]}
    declared = {g.lower(): g for u in params["users"] for g in u["groups"] or [] if g.lower() not in pending}
    problems = []
    if declared:
        try:
            existing = {g.lower() for g in list_group_names(client(module, "iam"))}
        except AccountGuardAWSError as e:
            module.fail_json_aws_error(e)
        missing = sorted(name for lower, name in declared.items() if lower not in existing)
        if missing:
            problems.append(
                f"IAM group(s) {', '.join(missing)} do not exist and are not in pending_groups; create them first"
            )
    if any(u["console_access"] or u["programmatic_access"] for u in params["users"]):
        problems += [p for p in [directory_problem(params["credentials_dir"])] if p]
    if problems:
        module.fail_json(msg="; ".join(problems) + ". Nothing was changed.", changed=False)
    module.exit_json(
        changed=False,
        validated=True,
        users=[],
        undeclared_users=[],
        deleted_users=[],
        secrets_files=[],
        lost_access_keys=[],
        findings=[],
    )


def main():
    user_spec = dict(
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
    argument_spec = dict(
        users=dict(type="list", elements="dict", required=True, options=user_spec),
        credentials_dir=dict(type="path", default="~/.accountguard/credentials"),
        pending_groups=dict(type="list", elements="str", default=[]),
        purge_users=dict(type="bool", default=False),
        purge_console_access=dict(type="bool", default=False),
        purge_access_keys=dict(type="bool", default=False, no_log=False),
        replace_lost_access_keys=dict(type="bool", default=False, no_log=False),
        max_concurrency=dict(type="int", default=8),
        validate_only=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    errors = validate_users(module.params["users"])
    if module.params["purge_users"] and not module.params["users"]:
        # An empty list with purge_users would delete every IAM user: almost certainly a missing variable.
        errors.append("purge_users with an empty users list would delete every IAM user; declare the users to keep")
    if not 1 <= module.params["max_concurrency"] <= 32:
        errors.append(f"max_concurrency must be between 1 and 32 (inclusive), got {module.params['max_concurrency']}")
    if errors:
        module.fail_json(msg="Invalid users (nothing was read or changed): " + "; ".join(errors))

    if module.params["validate_only"]:
        validate_only(module)

    run = Run(module)
    try:
        run.read()
        run.plan()
        # Also under check mode (local reads only, plus at most one STS read): a run that would fail to
        # store a secret is drift worth showing before anyone applies it.
        run.preflight_secrets()
    except AccountGuardAWSError as e:
        module.fail_json_aws_error(e)

    if module.check_mode:
        module.exit_json(**warned(module, run.result(applied=False)))
    try:
        run.apply()
    except AccountGuardAWSError as e:
        partial = run.result(applied=True)
        if e.exception is not None:
            module.fail_json_aws(e.exception, msg=e.message, **partial)
        module.fail_json(msg=e.message, **partial)
    except (OSError, SecretFileError) as e:
        partial = run.result(applied=True)
        module.fail_json(msg=f"Failed to store a new secret: {e}", **partial)
    module.exit_json(**warned(module, run.result(applied=True)))


def warned(module, result: dict) -> dict:
    """A warning per failing finding: a lost key must catch the eye even where nobody reads the report."""
    for found in result["findings"]:
        module.warn(f"iam_users: {found['message']}")
    return result


if __name__ == "__main__":
    main()
