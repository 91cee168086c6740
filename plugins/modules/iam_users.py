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
      - Under check mode an existing password file does not fail the task; the user's RV(users[].reported)
        and a warning name the file and say that an apply would refuse it.
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
  - "API calls: one paginated C(iam:GetAccountAuthorizationDetails) (users only) per run, none when
    O(account_sources) holds C(authorization_details) (the account session's read, which also serves
    M(accountguard.aws.iam_policy_check)), then C(iam:GetLoginProfile) and C(iam:ListAccessKeys) for each
    declared user that exists. C(iam:ListGroups) only when a membership must be added,
    C(iam:GetAccountPasswordPolicy) only when a password is generated, one more C(iam:ListAccessKeys) after
    each key created (to catch a key a retried call made twice), C(sts:GetCallerIdentity) only to name a
    secrets file for an account with no user yet, or with O(purge_users)."
  - The module does not print, log or return any secret; the task does not need C(no_log).
extends_documentation_fragment:
  - accountguard.aws.attributes
  - accountguard.aws.attributes.enforcing
  - accountguard.aws.connection
  - accountguard.aws.sources
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
  description:
    - Undeclared users that were (would be) deleted because of O(purge_users=true).
    - A user is listed once C(iam:GetUser) confirms it is gone. When removing anything of a user fails, the
      task fails naming the call, and that user is not listed.
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
      description:
        - CIS recommendations of the control; none, since the control C(group_permissions) of
          M(accountguard.aws.iam_policy_check) checks CIS 1.15 (v3.0) / 1.14 (v5.0) for every user.
      type: list
      elements: str
      sample: []
  sample: []
diff:
  description: Before and after of the users that change, keyed by user name.
  returned: when run with C(--diff)
  type: dict
  sample: {"before": {"alice": null}, "after": {"alice": {"path": "/", "tags": {}, "groups": ["Cloudadmin"],
           "console_access": true, "programmatic_access": false, "access_keys": []}}}
"""

from ansible_collections.accountguard.aws.plugins.module_utils._backends.iam_users import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import run_module


def main():
    run_module(SPEC)


if __name__ == "__main__":
    main()
