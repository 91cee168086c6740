"""iam_users (and iam_admin_group) give the same result through both front ends.

The controller front end (the action plugin running the backend in the Ansible worker) and the module
process (``ACCOUNTGUARD_CONTROLLER_EXECUTION=false``) run the same task against the same fresh emulator
state; their results must agree in every field but timing and AWS-generated identifiers: ``changed``,
``diff``, ``warnings``, the failure message of bad input and of an AWS error.
"""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest
from helpers.ansible_run import run_module

ACCOUNT = "123456789012"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
# Differ from run to run by nature: when it ran, AWS's random ids, the traceback and the HTTP exchange.
VOLATILE = {"_rc", "_stdout", "_stderr", "start", "end", "delta", "exception", "response_metadata"}
RANDOM_IDS = re.compile(r"\b(AKIA|AIDA|ASIA|ANPA|AGPA)[A-Z0-9]{12,20}\b")


# Ids AWS (moto) makes up for each new entity, in fields of their own.
# credential_cache_dir: the emulator gives each reset its own credential cache.
RANDOM_ID_FIELDS = re.compile(r'"(group_id|user_id|credential_cache_dir)": "[^"]*"')


def normalized(result: dict) -> dict:
    kept = {key: value for key, value in result.items() if key not in VOLATILE}
    text = RANDOM_IDS.sub(r"\1<id>", json.dumps(kept, sort_keys=True, default=str))
    return json.loads(RANDOM_ID_FIELDS.sub(r'"\1": "<id>"', text))


def both_front_ends(emulator, tmp_path, module, args, arrange, *, check=False, diff=True, env=None):
    """The task's result through the controller and through a module process, each from fresh state."""
    results = []
    for setting in ("true", "false"):
        emulator.reset()
        shutil.rmtree(tmp_path / "credentials", ignore_errors=True)
        run_env = (env or emulator.env()) | LOCAL_PYTHON | {"ACCOUNTGUARD_CONTROLLER_EXECUTION": setting}
        context = arrange(emulator)
        if context:
            run_env |= context
        results.append(run_module(module, args, check=check, diff=diff, env=run_env))
        emulator.enforce_iam_authorization(False)
    return results


# --- iam_users --------------------------------------------------------------------------------------------

USERS_MODULE = "accountguard.aws.iam_users"


def arrange_users(emulator):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin")
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "old"}])
    iam.create_user(UserName="legacy")
    iam.create_access_key(UserName="legacy")


def users_args(tmp_path, **options):
    users = [
        {"name": "alice", "console_access": True, "groups": ["cloudadmin"], "tags": {"team": "platform"}},
        {"name": "deploy-bot", "path": "/service/", "programmatic_access": True},
    ]
    return {"users": users, "credentials_dir": str(tmp_path / "credentials"), **options}


@pytest.mark.parametrize("check", [True, False], ids=["check", "apply"])
def test_users_same_result_changed_and_diff(emulator, tmp_path, check):
    controller, module = both_front_ends(
        emulator, tmp_path, USERS_MODULE, users_args(tmp_path), arrange_users, check=check
    )
    assert controller["_rc"] == 0 and module["_rc"] == 0, (controller.get("msg"), module.get("msg"))
    assert controller["changed"] is True
    assert controller["diff"]["after"]["alice"]["groups"] == ["Cloudadmin"]
    assert controller["undeclared_users"] == ["legacy"]
    assert normalized(controller) == normalized(module)


@pytest.mark.parametrize("check", [True, False], ids=["check", "apply"])
def test_users_from_the_session_authorization_details_same_result_and_no_read(emulator, tmp_path, check):
    """Handed the session's authorization details (the baseline's one read), both front ends converge the same
    users as from their own read, and neither reads the users again."""
    args = users_args(tmp_path)
    own = both_front_ends(emulator, tmp_path, USERS_MODULE, dict(args), arrange_users, check=check)

    def arrange(emulator):
        arrange_users(emulator)
        session = run_module(
            "accountguard.aws.account_session",
            {"account_id": ACCOUNT, "sources": ["authorization_details"]},
            env=emulator.env() | LOCAL_PYTHON,
        )
        args["account_sources"] = session["sources"]
        emulator.clear_requests()

    controller, module = both_front_ends(emulator, tmp_path, USERS_MODULE, args, arrange, check=check)
    assert controller["_rc"] == 0 and module["_rc"] == 0, (controller.get("msg"), module.get("msg"))
    # the module process ran last: its requests are the log since the arrangement
    assert "GetAccountAuthorizationDetails" not in [r["action"] for r in emulator.requests()]
    assert controller["undeclared_users"] == ["legacy"]
    assert normalized(controller) == normalized(module)
    without_invocation = [{k: v for k, v in normalized(r).items() if k != "invocation"} for r in (controller, *own)]
    assert without_invocation[0] == without_invocation[1] == without_invocation[2]


def test_users_same_warning_in_check_mode(emulator, tmp_path):
    def arrange(emulator):
        arrange_users(emulator)
        target = tmp_path / "credentials" / ACCOUNT
        target.mkdir(parents=True, mode=0o700)
        (tmp_path / "credentials").chmod(0o700)
        (target / "alice.password.json").write_text("{}")

    controller, module = both_front_ends(emulator, tmp_path, USERS_MODULE, users_args(tmp_path), arrange, check=True)
    assert controller["_rc"] == 0, controller.get("msg")
    assert any("alice.password.json" in w for w in controller.get("warnings", [])), controller.get("warnings")
    assert normalized(controller) == normalized(module)


def test_users_same_failure_of_bad_input(emulator, tmp_path):
    args = {"users": [{"name": "bad name"}, {"name": "a", "path": "nopath"}], "max_concurrency": 0}
    controller, module = both_front_ends(emulator, tmp_path, USERS_MODULE, args, lambda emulator: None)
    assert controller.get("failed") is True
    assert controller["msg"].startswith("Invalid users (nothing was read or changed)")
    assert controller["msg"] == module["msg"]
    assert emulator.requests() == []


def test_users_same_failure_of_an_aws_error(emulator, tmp_path):
    """Runs as an IAM user allowed everything but iam:CreateLoginProfile: the apply fails part-way."""

    def arrange(emulator):
        arrange_users(emulator)
        iam = emulator.client("iam")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:CreateLoginProfile", "Resource": "*"},
            ],
        }
        iam.create_user(UserName="runner")
        iam.put_user_policy(UserName="runner", PolicyName="all-but", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="runner")["AccessKey"]
        emulator.enforce_iam_authorization()
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    env = emulator.env()
    env.pop("AWS_SESSION_TOKEN", None)
    args = users_args(tmp_path)
    args["users"].append({"name": "runner"})
    controller, module = both_front_ends(emulator, tmp_path, USERS_MODULE, args, arrange, env=env)
    assert controller.get("failed") is True
    assert "create the login profile" in controller["msg"] and "AccessDenied" in controller["msg"]
    assert controller["error"]["code"] == "AccessDenied"
    assert normalized(controller) == normalized(module)


# --- iam_admin_group --------------------------------------------------------------------------------------

GROUP_MODULE = "accountguard.aws.iam_admin_group"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
GUARD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "NotAction": ["iam:ChangePassword"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    ],
}
GROUP_ARGS = {
    "name": "Cloudadmin",
    "path": "/admins/",
    "managed_policies": [ADMIN],
    "purge_policies": True,
    "mfa_guard": {"policy_name": "RequireMFA", "policy_document": GUARD},
}


def arrange_group(emulator):
    iam = emulator.client("iam")
    iam.create_group(GroupName="Cloudadmin")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=READONLY)
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="Cloudadmin", UserName="alice")


@pytest.mark.parametrize("check", [True, False], ids=["check", "apply"])
def test_admin_group_same_result_changed_and_diff(emulator, tmp_path, check):
    controller, module = both_front_ends(emulator, tmp_path, GROUP_MODULE, GROUP_ARGS, arrange_group, check=check)
    assert controller["_rc"] == 0 and module["_rc"] == 0, (controller.get("msg"), module.get("msg"))
    assert controller["changed"] is True
    assert controller["diff"]["after"]["managed_policies"] == [ADMIN]
    assert normalized(controller) == normalized(module)


def test_admin_group_same_failure_of_bad_input(emulator, tmp_path):
    args = {"name": "Cloud admin", "path": "admins", "managed_policies": ["AdministratorAccess"]}
    controller, module = both_front_ends(emulator, tmp_path, GROUP_MODULE, args, lambda emulator: None)
    assert controller.get("failed") is True and "name must be 1 to 128 characters" in controller["msg"]
    assert controller["msg"] == module["msg"]
    assert emulator.requests() == []


def test_admin_group_same_failure_of_an_aws_error(emulator, tmp_path):
    def arrange(emulator):
        arrange_group(emulator)
        iam = emulator.client("iam")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:AttachGroupPolicy", "Resource": "*"},
            ],
        }
        iam.create_user(UserName="runner")
        iam.put_user_policy(UserName="runner", PolicyName="all-but", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="runner")["AccessKey"]
        emulator.enforce_iam_authorization()
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    env = emulator.env()
    env.pop("AWS_SESSION_TOKEN", None)
    controller, module = both_front_ends(emulator, tmp_path, GROUP_MODULE, GROUP_ARGS, arrange, env=env)
    assert controller.get("failed") is True
    assert "AttachGroupPolicy" in controller["msg"] and "AccessDenied" in controller["msg"], controller["msg"]
    assert normalized(controller) == normalized(module)
