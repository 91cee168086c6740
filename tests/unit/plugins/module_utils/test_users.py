"""Validation, plan and diff of accountguard.aws.iam_users (no AWS)."""

from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _users as u


def want(name="alice", **kw):
    base = {
        "name": name,
        "path": None,
        "tags": None,
        "purge_tags": False,
        "groups": None,
        "purge_groups": False,
        "console_access": False,
        "programmatic_access": False,
        "password_reset_required": True,
    }
    base.update(kw)
    return base


def have(name="alice", **kw):
    base = {
        "name": name,
        "arn": f"arn:aws:iam::123456789012:user/{name}",
        "path": "/",
        "tags": {},
        "groups": [],
        "console_access": False,
        "access_keys": [],
    }
    base.update(kw)
    base["access_keys"] = [k if isinstance(k, u.AccessKey) else u.AccessKey(**k) for k in base["access_keys"]]
    return u.UserState(**base)


def ops(plan):
    return [action.label for action in plan.actions]


# --- validation -------------------------------------------------------------------------------------------

VALID = [
    [want()],
    [want("a.b+c=d,e@f_g-h", path="/ops/team-1/", tags={"team": "platform", "cost:center": "1 2/3"})],
    [want("x" * 64, groups=["G" * 128])],
    [want(tags={f"k{i}": "v" * 256 for i in range(50)})],
    [want(tags={"k" * 128: ""})],
    [want(tags={"équipe": "sécurité"})],
    [want(groups=[], purge_groups=True), want("bob", tags={}, purge_tags=True)],
]


@pytest.mark.parametrize("users", VALID)
def test_valid_input(users):
    assert u.validate_users(users) == []


INVALID = [
    ([want("")], "users[0].name must be 1 to 64 characters"),
    ([want("x" * 65)], ").name must be 1 to 64"),
    ([want("bad name")], "users[0] (bad name).name must be"),
    ([want("alice/x")], ".name must be"),
    ([want(), want("Alice")], "users[1] (Alice).name duplicates users[0]"),
    ([want(path="ops")], "users[0] (alice).path must be '/'"),
    ([want(path="/ops")], ".path must be"),
    ([want(path="/a b/")], ".path must be"),
    ([want(path="/" + "a" * 511 + "/")], ".path must be"),
    ([want(tags={f"k{i}": "v" for i in range(51)})], "has 51 tags; IAM allows at most 50"),
    ([want(tags={"k" * 129: "v"})], "must be 1 to 128 characters"),
    ([want(tags={"": "v"})], "must be 1 to 128 characters"),
    ([want(tags={"k": "v" * 257})], "is 257 characters long; IAM allows at most 256"),
    ([want(tags={"aws:owner": "me"})], "reserved prefix 'aws:'"),
    ([want(tags={"Team": "a", "team": "b"})], "differ only in case"),
    ([want(tags={"bad#key": "v"})], "may only hold letters"),
    ([want(tags={"k": "semi;colon"})], "may only hold letters"),
    ([want(tags={"k": None})], "must be a string"),
    ([want(tags={"k": ["list"]})], "must be a string"),
    ([want(tags=["not", "a", "dict"])], "must be a dictionary"),
    ([want(groups=["bad group"])], "is not a valid IAM group name"),
    ([want(groups=["Admins", "admins"])], "lists 'admins' twice"),
    ([want(purge_groups=True)], "purge_groups needs groups"),
    ([want(purge_tags=True)], "purge_tags needs tags"),
]


@pytest.mark.parametrize(("users", "message"), INVALID)
def test_invalid_input_named_in_message(users, message):
    errors = u.validate_users(users)
    assert errors, "expected a validation error"
    assert any(message in e for e in errors), errors


def test_every_error_is_reported_not_just_the_first():
    errors = u.validate_users([want("bad name", path="x", tags={"aws:x": "y"}), want("ok", groups=["a b"])])
    assert len(errors) == 4


def test_numeric_tag_values_are_accepted_and_stringified():
    assert u.validate_users([want(tags={"cost": 42})]) == []
    assert u.normalize_tags({"cost": 42}) == {"cost": "42"}


# --- plan -------------------------------------------------------------------------------------------------

PLANS = [
    pytest.param(want(), None, {}, ["create_user"], [], id="create-minimal"),
    pytest.param(
        want(path="/ops/", tags={"team": "p"}, groups=["Cloudadmin"], console_access=True, programmatic_access=True),
        None,
        {},
        ["create_user", "add_to_group:Cloudadmin", "create_login_profile", "create_access_key"],
        [],
        id="create-everything",
    ),
    pytest.param(want(), have(), {}, [], [], id="unchanged"),
    pytest.param(want(path="/ops/"), have(), {}, ["update_path:/ops/"], [], id="path-changed"),
    pytest.param(want(), have(path="/ops/"), {}, [], [], id="path-not-declared-is-kept"),
    pytest.param(want(tags={"a": "1"}), have(tags={"a": "1"}), {}, [], [], id="tags-same"),
    pytest.param(
        want(tags={"a": "2", "b": "3"}), have(tags={"a": "1"}), {}, ["tag_user:a,b"], [], id="tag-added-changed"
    ),
    pytest.param(want(tags={"a": "1"}), have(tags={"a": "1", "x": "9"}), {}, [], [], id="extra-tag-kept-without-purge"),
    pytest.param(
        want(tags={"a": "1"}, purge_tags=True),
        have(tags={"a": "1", "x": "9", "y": ""}),
        {},
        ["untag_user:x,y"],
        [],
        id="extra-tags-removed-with-purge",
    ),
    pytest.param(want(tags=None, purge_tags=False), have(tags={"x": "9"}), {}, [], [], id="tags-not-managed"),
    pytest.param(want(groups=["G1", "G2"]), have(groups=["G1"]), {}, ["add_to_group:G2"], [], id="group-added"),
    pytest.param(want(groups=["g1"]), have(groups=["G1"]), {}, [], [], id="group-case-insensitive"),
    pytest.param(
        want(groups=["G1"]),
        have(groups=["G1", "Old"]),
        {},
        [],
        ["undeclared groups ['Old']"],
        id="extra-group-reported",
    ),
    pytest.param(
        want(groups=["G1"], purge_groups=True),
        have(groups=["G1", "Old"]),
        {},
        ["remove_from_group:Old"],
        [],
        id="extra-group-purged",
    ),
    pytest.param(want(console_access=True), have(), {}, ["create_login_profile"], [], id="console-added"),
    pytest.param(want(console_access=True), have(console_access=True), {}, [], [], id="console-kept"),
    pytest.param(
        want(), have(console_access=True), {}, [], ["console access that is not declared"], id="console-reported"
    ),
    pytest.param(
        want(),
        have(console_access=True),
        {"purge_console_access": True},
        ["delete_login_profile"],
        [],
        id="console-purged",
    ),
    pytest.param(want(programmatic_access=True), have(), {}, ["create_access_key"], [], id="key-created-when-none"),
    pytest.param(
        want(programmatic_access=True),
        have(access_keys=[{"access_key_id": "AKIA1", "status": "Active"}]),
        {},
        [],
        [],
        id="key-never-created-twice",
    ),
    pytest.param(
        want(programmatic_access=True),
        have(access_keys=[{"access_key_id": "AKIA1", "status": "Inactive"}]),
        {},
        [],
        ["every access key is inactive"],
        id="inactive-key-not-replaced",
    ),
    pytest.param(
        want(),
        have(access_keys=[{"access_key_id": "AKIA1", "status": "Active"}]),
        {},
        [],
        ["has 1 access key(s) but programmatic access is not declared"],
        id="key-reported",
    ),
    pytest.param(
        want(),
        have(
            access_keys=[
                {"access_key_id": "AKIA1", "status": "Active"},
                {"access_key_id": "AKIA2", "status": "Inactive"},
            ]
        ),
        {"purge_access_keys": True},
        ["delete_access_key:AKIA1", "delete_access_key:AKIA2"],
        [],
        id="keys-purged",
    ),
    pytest.param(
        want(programmatic_access=True),
        have(access_keys=[{"access_key_id": "AKIA1", "status": "Active"}]),
        {"purge_access_keys": True},
        [],
        [],
        id="purge-never-touches-wanted-keys",
    ),
]


@pytest.mark.parametrize(("w", "h", "opts", "expected_ops", "expected_reported"), PLANS)
def test_plan_table(w, h, opts, expected_ops, expected_reported):
    plan = u.plan_user(w, h, **opts)
    assert ops(plan) == expected_ops
    assert len(plan.reported) == len(expected_reported)
    for fragment, line in zip(expected_reported, plan.reported, strict=True):
        assert fragment in line


def test_plan_of_a_converged_user_is_empty_and_after_equals_before():
    h = have(
        path="/ops/",
        tags={"team": "p"},
        groups=["Cloudadmin"],
        console_access=True,
        access_keys=[{"access_key_id": "AKIA1", "status": "Active"}],
    )
    w = want(
        path="/ops/",
        tags={"team": "p"},
        groups=["Cloudadmin"],
        console_access=True,
        programmatic_access=True,
        purge_tags=True,
        purge_groups=True,
    )
    plan = u.plan_user(w, h)
    assert plan.actions == []
    assert u.view(plan.after) == u.view(h)


def test_create_plan_carries_path_tags_and_reset_flag():
    plan = u.plan_user(want(path="/x/", tags={"a": 1}, console_access=True, password_reset_required=False), None)
    assert plan.actions[0] == u.Action(u.Op.CREATE_USER, path="/x/", tags=(("a", "1"),))
    assert plan.actions[1] == u.Action(u.Op.CREATE_LOGIN_PROFILE, password_reset_required=False)
    after = u.view(plan.after)
    assert after == {
        "path": "/x/",
        "tags": {"a": "1"},
        "groups": [],
        "console_access": True,
        "programmatic_access": False,
        "access_keys": [],
    }


def test_plan_does_not_mutate_current_state():
    h = have(tags={"x": "1"}, groups=["Old"])
    snapshot = h.copy()
    u.plan_user(want(tags={"a": "b"}, purge_tags=True, groups=["New"], purge_groups=True), h)
    assert h == snapshot


# --- helpers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needed", "existing", "pending", "check_mode", "missing"),
    [
        ({"cloudadmin"}, ["Cloudadmin"], None, False, []),
        ({"cloudadmin"}, [], ["Cloudadmin"], True, []),  # created by an earlier task that check mode skipped
        ({"cloudadmin"}, [], ["Cloudadmin"], False, ["cloudadmin"]),  # applying: it must exist by now
        ({"dev", "ops"}, ["Ops"], None, True, ["dev"]),
        (set(), [], None, False, []),
    ],
)
def test_missing_groups(needed, existing, pending, check_mode, missing):
    assert u.missing_groups(needed, existing, pending, check_mode) == missing


def test_groups_to_resolve_only_counts_additions():
    plans = [u.plan_user(want(groups=["A"]), have(groups=["A"])), u.plan_user(want(groups=["B"]), None)]
    assert u.groups_to_resolve(plans) == {"b"}


def test_undeclared_is_case_insensitive_and_sorted():
    assert u.undeclared(["zed", "Alice", "bob", "carol"], ["alice", "BOB"]) == ["carol", "zed"]


def test_state_from_details():
    detail = {
        "UserName": "alice",
        "Path": "/ops/",
        "Arn": "arn:aws:iam::111111111111:user/ops/alice",
        "GroupList": ["B", "A"],
        "Tags": [{"Key": "team", "Value": "p"}],
    }
    state = u.state_from_details(detail)
    assert state.groups == ["A", "B"]
    assert state.tags == {"team": "p"}
    assert u.account_id_from_arn(state.arn) == "111111111111"


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        ("arn:aws:iam::123456789012:user/a", "123456789012"),
        ("arn:aws-us-gov:iam::210987654321:user/p/a", "210987654321"),
        (None, None),
        ("garbage", None),
    ],
)
def test_account_id_from_arn(arn, account):
    assert u.account_id_from_arn(arn) == account


class FakeAWSError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.exception = type("ClientError", (), {"response": {"Error": {"Code": code}}})()


def test_retry_while_unknown_rides_out_eventual_consistency():
    answers = [FakeAWSError("NoSuchEntity"), FakeAWSError("NoSuchEntity"), "done"]
    slept = []

    def call():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert u.retry_while_unknown(call, sleep=slept.append, delays=(1, 2, 4)) == "done"
    assert slept == [1, 2]


@pytest.mark.parametrize(("code", "attempts"), [("AccessDenied", 1), ("NoSuchEntity", 4)])
def test_retry_while_unknown_gives_up(code, attempts):
    calls = []

    def call():
        calls.append(1)
        raise FakeAWSError(code)

    with pytest.raises(FakeAWSError):
        u.retry_while_unknown(call, sleep=lambda _delay: None, delays=(1, 2, 4))
    assert len(calls) == attempts


def test_groups_joined_are_spelled_as_iam_spells_them():
    plan = u.plan_user(want(groups=["cloudadmin", "NewOne"]), have())
    u.use_existing_group_names(plan, {"cloudadmin": "Cloudadmin"})
    assert ops(plan) == ["add_to_group:Cloudadmin", "add_to_group:NewOne"]
    assert plan.after.groups == ["Cloudadmin", "NewOne"]


# --- access keys whose secret an interrupted run never saved ----------------------------------------------------

STARTED = "2026-11-28T01:00:00+00:00"


def key(key_id, created="2026-11-28T01:00:01+00:00", status="Active"):
    return u.AccessKey(key_id, status, created)


def lost(key_id, last_used_date=None):
    return u.LostKey(key(key_id), last_used_date=last_used_date)


@pytest.mark.parametrize(
    ("marker", "keys", "saved", "lost"),
    [
        pytest.param(None, [key("AKIA1")], set(), [], id="no-marker-nothing-lost"),
        pytest.param({"started": STARTED}, [key("AKIA1")], set(), ["AKIA1"], id="key-without-file-is-lost"),
        pytest.param({"started": STARTED}, [key("AKIA1")], {"AKIA1"}, [], id="key-with-file-is-not"),
        pytest.param({"started": STARTED}, [], set(), [], id="create-never-landed"),
        pytest.param(
            {"started": STARTED},
            [key("AKIAOLD", created="2026-11-01T00:00:00+00:00"), key("AKIA1")],
            set(),
            ["AKIA1"],
            id="key-older-than-the-run-is-someone-elses",
        ),
        pytest.param(
            {"started": STARTED},
            [key("AKIA1", created="2026-11-28T00:57:00+00:00")],
            set(),
            ["AKIA1"],
            id="aws-clock-behind-within-skew",
        ),
        pytest.param({}, [key("AKIAOLD", created="2020-01-01T00:00:00+00:00")], set(), ["AKIAOLD"], id="unreadable"),
        pytest.param({"started": "garbage"}, [key("AKIA1")], set(), ["AKIA1"], id="unparsable-time"),
    ],
)
def test_lost_access_keys(marker, keys, saved, lost):
    assert [k.access_key_id for k in u.lost_access_keys(marker, keys, saved)] == lost


def test_lost_access_keys_accepts_boto3_datetimes():
    from datetime import UTC, datetime

    created = datetime(2026, 11, 28, 1, 0, 1, tzinfo=UTC)
    assert u.lost_access_keys({"started": STARTED}, [key("AKIA1", created=created)], set())


@pytest.mark.parametrize(
    ("w", "keys", "lost_keys", "replace", "expected_ops", "replaced", "reason"),
    [
        pytest.param(
            want(programmatic_access=True),
            [key("AKIA1")],
            [lost("AKIA1")],
            False,
            [],
            [False],
            "replace_lost_access_keys is false",
            id="reported-by-default",
        ),
        pytest.param(
            want(programmatic_access=True),
            [key("AKIA1")],
            [lost("AKIA1")],
            True,
            ["delete_lost_access_key:AKIA1", "create_access_key"],
            [True],
            None,
            id="replaced-when-asked",
        ),
        pytest.param(
            want(programmatic_access=True),
            [key("AKIA1")],
            [lost("AKIA1", last_used_date="2026-11-28T02:00:00+00:00")],
            True,
            [],
            [False],
            "someone holds its secret",
            id="used-key-is-never-replaced",
        ),
        pytest.param(
            want(programmatic_access=False),
            [key("AKIA1")],
            [lost("AKIA1")],
            True,
            [],
            [False],
            "programmatic access is not declared",
            id="not-replaced-for-a-user-without-programmatic-access",
        ),
        pytest.param(
            want(programmatic_access=True),
            [key("AKIAMINE", created="2026-01-01T00:00:00+00:00"), key("AKIA1")],
            [lost("AKIA1")],
            True,
            ["delete_lost_access_key:AKIA1"],
            [True],
            None,
            id="no-new-key-when-an-active-one-remains",
        ),
    ],
)
def test_plan_lost_keys(w, keys, lost_keys, replace, expected_ops, replaced, reason):
    plan = u.plan_user(w, have(access_keys=keys))
    u.plan_lost_keys(plan, lost_keys, replace_lost=replace)
    assert ops(plan) == expected_ops
    assert [item.replaced for item in plan.lost] == replaced
    if reason:
        assert reason in plan.lost[0].reason
    after_ids = [k.access_key_id for k in plan.after.access_keys]
    assert ("AKIA1" in after_ids) is not replaced[0]
    if expected_ops and expected_ops[-1] == "create_access_key":
        assert after_ids == [None]


def test_lost_key_message_names_key_user_directory_and_the_way_out():
    kept = u.lost_key_message("bob", u.LostKey(key("AKIA1"), replaced=False, reason="x"), "/creds")
    assert "AKIA1" in kept and "bob" in kept and "/creds" in kept
    assert "replace_lost_access_keys" in kept and "baseline_users_replace_lost_access_keys" in kept
    replaced = u.lost_key_message("bob", u.LostKey(key("AKIA1"), replaced=True), "/creds")
    assert "replaced by a new key" in replaced


@pytest.mark.parametrize(
    ("file_exists", "marker_exists", "decision"),
    [(False, False, "create"), (False, True, "create"), (True, True, "resume"), (True, False, "refuse")],
)
def test_password_file_decision(file_exists, marker_exists, decision):
    assert u.password_file_decision(file_exists, marker_exists).value == decision


@pytest.mark.parametrize(
    ("error", "landed"),
    [
        pytest.param(ConnectionError("dropped"), True, id="no-answer"),
        pytest.param(FakeAWSError("EntityAlreadyExists"), True, id="retry-after-lost-answer"),
        pytest.param(FakeAWSError("PasswordPolicyViolation"), False, id="refused"),
        pytest.param(FakeAWSError("Throttling"), False, id="throttled-to-the-end"),
    ],
)
def test_may_have_landed(error, landed):
    assert u.may_have_landed(error) is landed


# --- options, caller, labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"users": [], "purge_users": True, "max_concurrency": 8}, "would delete every IAM user"),
        ({"users": [want()], "purge_users": False, "max_concurrency": 0}, "max_concurrency must be between 1 and 32"),
        ({"users": [want()], "purge_users": False, "max_concurrency": 33}, "got 33"),
        ({"users": [want("bad name")], "purge_users": False, "max_concurrency": 8}, "(bad name).name must be"),
    ],
)
def test_validate_params(params, message):
    errors = u.validate_params(params)
    assert len(errors) == 1 and message in errors[0]


def test_validate_params_accepts_empty_users_without_purge():
    assert u.validate_params({"users": [], "purge_users": False, "max_concurrency": 1}) == []


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::123456789012:user/alice", "alice"),
        ("arn:aws:iam::123456789012:user/ops/team/alice", "alice"),
        ("arn:aws:sts::123456789012:assumed-role/Admin/session", None),
        ("arn:aws:iam::123456789012:root", None),
    ],
)
def test_own_user_name(arn, name):
    assert u.own_user_name(arn) == name


@pytest.mark.parametrize(
    ("action", "label"),
    [
        (u.Action(u.Op.CREATE_USER, path="/", tags=(("b", "1"), ("a", "2"))), "create_user"),
        (u.Action(u.Op.TAG_USER, tags=(("b", "1"), ("a", "2"))), "tag_user:a,b"),
        (u.Action(u.Op.UNTAG_USER, tag_keys=("x", "y")), "untag_user:x,y"),
        (u.Action(u.Op.UPDATE_PATH, path="/ops/"), "update_path:/ops/"),
        (u.Action(u.Op.DELETE_ACCESS_KEY, access_key_id="AKIA1"), "delete_access_key:AKIA1"),
        (u.Action(u.Op.DELETE_ACCESS_KEY, access_key_id="AKIA1", lost=True), "delete_lost_access_key:AKIA1"),
        (u.Action(u.Op.CREATE_LOGIN_PROFILE, password_reset_required=False), "create_login_profile"),
    ],
)
def test_action_labels_carry_no_secret_and_name_the_target(action, label):
    assert action.label == label


def test_retry_while_unknown_rides_out_a_temporarily_unmodifiable_login_profile():
    answers = [FakeAWSError("EntityTemporarilyUnmodifiable"), "done"]

    def call():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert u.retry_while_unknown(call, sleep=lambda _delay: None, delays=(1,)) == "done"
