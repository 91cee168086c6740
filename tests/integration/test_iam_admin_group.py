"""accountguard.aws.iam_admin_group against the local AWS emulator.

Ground truth is what the emulator holds afterwards (read with boto3); check mode is proved by the request log
holding no write call. Each test makes as few Ansible starts as it can: several tasks share one playbook.
"""

from __future__ import annotations

import json
import sys

import yaml
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.iam_admin_group"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
GUARD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyAllExceptSelfServiceWithoutMFA",
            "Effect": "Deny",
            "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    ],
}
OUTDATED = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}
ARGS = {
    "name": "Cloudadmin",
    "path": "/",
    "managed_policies": [ADMIN],
    "mfa_guard": {"policy_name": "RequireMFA", "policy_document": GUARD},
}
READS = {"GetGroup", "ListAttachedGroupPolicies", "GetGroupPolicy"}


def run(emulator, args, check=False, diff=False, env=None):
    return run_module(MODULE, args, check=check, diff=diff, env=(env or emulator.env()) | LOCAL_PYTHON)


def iam_calls(emulator, writes_only=False):
    return [r["action"] for r in emulator.requests(writes_only=writes_only) if r["service"] == "iam"]


def held(iam, group="Cloudadmin", guard="RequireMFA"):
    """What the account holds: path, members, attached policy ARNs, the guard's document (None if missing)."""
    found = iam.get_group(GroupName=group)
    try:
        document = iam.get_group_policy(GroupName=group, PolicyName=guard)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        document = None
    return {
        "path": found["Group"]["Path"],
        "members": sorted(u["UserName"] for u in found["Users"]),
        "attached": sorted(
            p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]
        ),
        "guard": document,
    }


def test_new_group_check_apply_and_idempotence(emulator):
    iam = emulator.client("iam")

    # --check: the group, its policy and its guard are all predicted; nothing is written
    check = run(emulator, ARGS, check=True, diff=True)
    assert check["_rc"] == 0, check.get("msg")
    assert check["changed"] is True
    assert check["actions"] == ["create_group:/", f"attach_policy:{ADMIN}", "put_group_policy:RequireMFA"]
    assert check["diff"]["before"] is None
    assert check["diff"]["after"]["mfa_guard"] == {"policy_name": "RequireMFA", "policy_document": GUARD}
    assert check["group"]["arn"] is None and check["group"]["users"] == []
    assert check["mfa_guard"] == {"policy_name": "RequireMFA", "present": False, "up_to_date": False}
    assert iam_calls(emulator, writes_only=True) == []
    assert iam.list_groups()["Groups"] == []

    # apply: the emulator holds what check mode predicted
    emulator.clear_requests()
    apply = run(emulator, ARGS, diff=True)
    assert apply["_rc"] == 0, apply.get("msg")
    assert apply["changed"] is True
    assert iam_calls(emulator, writes_only=True) == ["CreateGroup", "AttachGroupPolicy", "PutGroupPolicy"]
    assert held(iam) == {"path": "/", "members": [], "attached": [ADMIN], "guard": GUARD}
    assert apply["group"]["arn"] == iam.get_group(GroupName="Cloudadmin")["Group"]["Arn"]
    assert apply["attached_policies"] == [{"policy_arn": ADMIN, "policy_name": "AdministratorAccess"}]
    assert apply["diff"]["after"] == check["diff"]["after"]

    # a second check and a second apply: no change, no write, reads only
    emulator.clear_requests()
    again_check = run(emulator, ARGS, check=True)
    again = run(emulator, ARGS)
    assert again_check["changed"] is False and again["changed"] is False
    assert again["actions"] == [] and again["mfa_guard"]["up_to_date"] is True
    assert iam_calls(emulator, writes_only=True) == []
    assert set(iam_calls(emulator)) == READS


def test_drifted_group_is_brought_back_without_removing_anything(emulator):
    iam = emulator.client("iam")
    emulator.create_users("123456789012", [{"name": "alice", "groups": ["Cloudadmin"]}, {"name": "bob"}])
    iam.add_user_to_group(GroupName="Cloudadmin", UserName="bob")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=READONLY)
    iam.put_group_policy(GroupName="Cloudadmin", PolicyName="RequireMFA", PolicyDocument=json.dumps(OUTDATED))
    iam.put_group_policy(GroupName="Cloudadmin", PolicyName="ByHand", PolicyDocument=json.dumps(OUTDATED))

    check = run(emulator, ARGS, check=True, diff=True)
    assert check["_rc"] == 0, check.get("msg")
    assert check["actions"] == [f"attach_policy:{ADMIN}", "put_group_policy:RequireMFA"]
    assert check["mfa_guard"] == {"policy_name": "RequireMFA", "present": True, "up_to_date": False}
    assert [u["user_name"] for u in check["group"]["users"]] == ["alice", "bob"]
    assert check["diff"]["before"]["mfa_guard"]["policy_document"] == OUTDATED
    assert check["diff"]["after"]["managed_policies"] == sorted([ADMIN, READONLY])
    assert iam_calls(emulator, writes_only=True) == []

    apply = run(emulator, ARGS)
    assert apply["_rc"] == 0, apply.get("msg")
    # the hand-attached policy, the members and the other inline policy stay: nothing was asked to go
    assert held(iam) == {
        "path": "/",
        "members": ["alice", "bob"],
        "attached": sorted([ADMIN, READONLY]),
        "guard": GUARD,
    }
    assert iam.get_group_policy(GroupName="Cloudadmin", PolicyName="ByHand")["PolicyDocument"] == OUTDATED
    assert [u["user_name"] for u in apply["group"]["users"]] == ["alice", "bob"]
    assert sorted(p["policy_arn"] for p in apply["attached_policies"]) == sorted([ADMIN, READONLY])


def test_a_group_at_another_path_is_moved_check_mode_first(emulator):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin", Path="/legacy/")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=ADMIN)
    args = ARGS | {"mfa_guard": None}

    check = run(emulator, args, check=True, diff=True)
    assert check["actions"] == ["update_path:/"]
    assert (check["diff"]["before"]["path"], check["diff"]["after"]["path"]) == ("/legacy/", "/")
    assert iam_calls(emulator, writes_only=True) == []

    apply = run(emulator, args)
    assert apply["_rc"] == 0, apply.get("msg")
    assert iam_calls(emulator, writes_only=True) == ["UpdateGroup"]


def test_a_moved_group_is_at_its_new_path(emulator):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin", Path="/legacy/")
    result = run(emulator, {"name": "Cloudadmin", "path": "/"})
    assert result["_rc"] == 0, result.get("msg")
    assert held(iam)["path"] == "/"


def test_purge_policies_detaches_and_an_unmanaged_guard_is_not_read(emulator):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=READONLY)
    iam.put_group_policy(GroupName="Cloudadmin", PolicyName="RequireMFA", PolicyDocument=json.dumps(OUTDATED))
    args = {"name": "Cloudadmin", "managed_policies": [ADMIN], "purge_policies": True}

    result = run(emulator, args)
    assert result["_rc"] == 0, result.get("msg")
    assert result["actions"] == [f"detach_policy:{READONLY}", f"attach_policy:{ADMIN}"]
    assert "mfa_guard" not in result
    assert held(iam) == {"path": "/", "members": [], "attached": [ADMIN], "guard": OUTDATED}
    assert "GetGroupPolicy" not in iam_calls(emulator)


def test_guard_written_as_json_string_in_another_order_is_up_to_date(emulator):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=ADMIN)
    iam.put_group_policy(GroupName="Cloudadmin", PolicyName="RequireMFA", PolicyDocument=json.dumps(GUARD))
    statement = dict(GUARD["Statement"][0], NotAction=list(reversed(GUARD["Statement"][0]["NotAction"])))
    reordered = json.dumps({"Statement": [statement], "Version": "2012-10-17"}, indent=2)

    result = run(emulator, ARGS | {"mfa_guard": {"policy_name": "RequireMFA", "policy_document": reordered}})
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert iam_calls(emulator, writes_only=True) == []


def test_new_group_is_read_back_once_iam_shows_it(emulator):
    # IAM may answer NoSuchEntity about a group for a moment after CreateGroup: the module waits, then reports
    emulator.set_eventual_consistency(2)
    result = run(emulator, ARGS)
    assert result["_rc"] == 0, result.get("msg")
    assert result["group"]["arn"] == emulator.client("iam").get_group(GroupName="Cloudadmin")["Group"]["Arn"]
    assert result["attached_policies"] == [{"policy_arn": ADMIN, "policy_name": "AdministratorAccess"}]
    assert iam_calls(emulator, writes_only=True) == ["CreateGroup", "AttachGroupPolicy", "PutGroupPolicy"]


def credentials_without(emulator, name: str, denied: str) -> dict:
    """An IAM user allowed every call of the module except `denied`; its keys as module options."""
    iam = emulator.client("iam")
    allowed = sorted({"iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:GetGroupPolicy"} - {denied})
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}]}
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="reads", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


def test_access_denied_on_any_read_fails_naming_the_permission(emulator, tmp_path):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=ADMIN)
    denied = sorted(READS)
    tasks = [
        {
            "name": action,
            MODULE: ARGS | credentials_without(emulator, f"reader{i}", f"iam:{action}"),
            "ignore_errors": True,
        }
        for i, action in enumerate(denied)
    ]
    playbook = tmp_path / "denied.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}])
    )
    env = emulator.env() | LOCAL_PYTHON
    env.pop("AWS_SESSION_TOKEN", None)
    emulator.enforce_iam_authorization()
    try:
        result = run_playbook(playbook, check=True, env=env)
    finally:
        emulator.enforce_iam_authorization(False)
    outcomes = result.task_results()
    assert [o["_task"] for o in outcomes] == denied, result.stderr[-2000:]
    for action, outcome in zip(denied, outcomes, strict=True):
        assert outcome.get("failed") is True, (action, outcome)
        assert f"iam:{action}" in outcome["msg"] and "AccessDenied" in outcome["msg"], outcome["msg"]
    assert iam_calls(emulator, writes_only=True) == []


BAD_INPUTS = [
    ({"name": "Cloud admin"}, "name must be 1 to 128 characters"),
    ({"name": "Cloudadmin", "path": "admins"}, "path must be / or start and end with /"),
    ({"name": "Cloudadmin", "managed_policies": ["AdministratorAccess"]}, "is not a managed policy ARN"),
    ({"name": "Cloudadmin", "managed_policies": [ADMIN, ADMIN]}, "more than once"),
    ({"name": "Cloudadmin", "mfa_guard": {"policy_name": "RequireMFA", "policy_document": "{x"}}, "not valid JSON"),
    ({"name": "Cloudadmin", "mfa_guard": {"policy_name": "RequireMFA"}}, "policy_document"),
    ({"name": "Cloudadmin", "state": "absent"}, "state"),
    ({"name": "Cloudadmin", "users": ["alice"]}, "users"),
]


def test_bad_input_fails_before_any_api_call(emulator, tmp_path):
    tasks = [{"name": f"bad {i}", MODULE: args, "ignore_errors": True} for i, (args, _message) in enumerate(BAD_INPUTS)]
    playbook = tmp_path / "bad_inputs.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}])
    )
    result = run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON)
    outcomes = result.task_results()
    assert len(outcomes) == len(BAD_INPUTS), result.stdout[-2000:]
    for outcome, (args, message) in zip(outcomes, BAD_INPUTS, strict=True):
        assert outcome.get("failed") is True, args
        assert message in outcome["msg"], (args, outcome["msg"])
    assert emulator.requests() == []
