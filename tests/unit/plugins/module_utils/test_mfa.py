from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _mfa

ACCOUNT = "123456789012"


def arn(name):
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone", "virtual"),
        (f"arn:aws:iam::{ACCOUNT}:mfa/path/to/device", "virtual"),
        (f"arn:aws-us-gov:iam::{ACCOUNT}:mfa/x", "virtual"),
        (f"arn:aws:iam::{ACCOUNT}:u2f/user/alice/yubikey-ABCDEF", "fido"),
        ("GAHT12345678", "hardware"),
        ("123456", "hardware"),
        # a device *named* like a FIDO key or a virtual device is still judged by its serial
        ("u2f-yubikey", "hardware"),
        (f"arn:aws:iam::{ACCOUNT}:sms-mfa/alice", "hardware"),
        ("", "hardware"),
    ],
)
def test_mfa_type_from_serial(serial, expected):
    assert _mfa.mfa_type_from_serial(serial) == expected


ROOT_VIRTUAL = {
    "serial_number": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
    "user_arn": f"arn:aws:iam::{ACCOUNT}:root",
}
# a user device whose *name* says root: ownership comes from the user ARN, never the name
USER_NAMED_ROOT = {"serial_number": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device", "user_arn": arn("mallory")}


@pytest.mark.parametrize(
    ("enabled", "devices", "expected"),
    [
        (False, [], "none"),
        (False, None, "none"),
        (True, [ROOT_VIRTUAL], "virtual"),
        (True, [], "hardware"),
        (True, [USER_NAMED_ROOT], "hardware"),
        (True, None, "unknown"),
    ],
)
def test_root_mfa_type(enabled, devices, expected):
    assert _mfa.root_mfa_type(enabled, devices) == expected


def test_normalize_virtual_device():
    device = {"SerialNumber": "arn:aws:iam::1:mfa/a", "User": {"UserName": "a", "Arn": arn("a")}, "EnableDate": "x"}
    assert _mfa.normalize_virtual_device(device) == {
        "serial_number": "arn:aws:iam::1:mfa/a",
        "user_arn": arn("a"),
        "user_name": "a",
    }
    assert _mfa.normalize_virtual_device({"SerialNumber": "s"})["user_arn"] is None


def test_virtual_devices_by_user_skips_root():
    devices = [
        ROOT_VIRTUAL,
        {"serial_number": "arn:aws:iam::1:mfa/a1", "user_arn": arn("a")},
        {"serial_number": "arn:aws:iam::1:mfa/a2", "user_arn": arn("a")},
        {"serial_number": "arn:aws:iam::1:mfa/free", "user_arn": None},
    ]
    assert _mfa.virtual_devices_by_user(devices) == {arn("a"): ["arn:aws:iam::1:mfa/a1", "arn:aws:iam::1:mfa/a2"]}


def row(name, password, mfa):
    return {"user": name, "arn": arn(name), "password_enabled": password, "mfa_active": mfa}


ROWS = [row("alice", True, True), row("bob", True, False), row("carol", False, True), row("dave", False, False)]
LIVE = [{"user_name": n, "arn": arn(n)} for n in ("alice", "bob", "carol", "dave", "erin")]
VIRTUAL = {arn("alice"): ["arn:aws:iam::1:mfa/alice"], arn("dave"): ["arn:aws:iam::1:mfa/dave"]}


def by_name(plan):
    return {item.user_name: item for item in plan.users}


def test_plan_users_uses_bulk_data_and_looks_up_only_what_it_must():
    plan = _mfa.plan_users(ROWS, LIVE, VIRTUAL, None)
    items = by_name(plan)
    assert list(items) == ["alice", "bob", "carol", "dave", "erin"]
    # alice: virtual device found in bulk -> no call
    assert not items["alice"].lookup_devices and not items["alice"].lookup_console
    # bob: no MFA in report and no virtual device -> no call
    assert not items["bob"].lookup_devices
    # carol: MFA per report but no virtual device -> FIDO or hardware: one ListMFADevices
    assert items["carol"].lookup_devices and not items["carol"].lookup_console
    # dave: virtual device newer than the report -> counts, no call, report flagged as behind
    assert items["dave"].virtual_serials and not items["dave"].lookup_devices
    assert plan.mfa_newer_than_report == 1
    # erin: newer than the report -> login profile and devices looked up
    assert items["erin"].lookup_console and items["erin"].lookup_devices
    assert plan.missing_from_report == 1
    assert plan.not_found == []


@pytest.mark.parametrize(
    ("lookup_for", "looked_up", "unlisted"),
    [
        pytest.param(None, ["carol", "erin"], [], id="unset-every-non-virtual-user"),
        pytest.param([], ["erin"], ["carol"], id="empty-none-but-users-newer-than-the-report"),
        pytest.param(["CAROL"], ["carol", "erin"], [], id="named-case-insensitive"),
        pytest.param(["alice", "bob"], ["erin"], ["carol"], id="others-named"),
    ],
)
def test_plan_users_limits_device_lookups(lookup_for, looked_up, unlisted):
    plan = _mfa.plan_users(ROWS, LIVE, VIRTUAL, None, lookup_for)
    assert [i.user_name for i in plan.users if i.lookup_devices] == looked_up
    assert [i.user_name for i in plan.users if i.devices_unlisted] == unlisted


def test_device_lookups_do_not_grow_with_users_not_named():
    """Issue 6: 10 or 500 users with hardware MFA, the same lookups when only the managed ones are named."""
    for count in (10, 500):
        names = [f"hw{i:03d}" for i in range(count)]
        rows = [row(n, True, True) for n in names]
        live = [{"user_name": n, "arn": arn(n)} for n in names]
        plan = _mfa.plan_users(rows, live, {}, None, ["hw001", "nobody"])
        assert [i.user_name for i in plan.users if i.lookup_devices] == ["hw001"]
        assert sum(i.devices_unlisted for i in plan.users) == count - 1


def test_plan_users_filter_and_unknown_names():
    plan = _mfa.plan_users(ROWS, LIVE, VIRTUAL, ["bob", "zed", "alice", "bob"])
    assert [item.user_name for item in plan.users] == ["alice", "bob"]
    assert plan.not_found == ["zed"]


def test_plan_users_drops_users_deleted_since_the_report():
    plan = _mfa.plan_users(ROWS, [{"user_name": "alice", "arn": arn("alice")}], VIRTUAL, None)
    assert [item.user_name for item in plan.users] == ["alice"]


def test_build_user_types_devices_from_serials():
    user = _mfa.build_user("carol", arn("carol"), False, ["GAHT1", "arn:aws:iam::1:u2f/user/carol/key"])
    assert user == {
        "user_name": "carol",
        "arn": arn("carol"),
        "console_access": False,
        "mfa_active": True,
        "mfa_devices": [
            {"serial_number": "GAHT1", "type": "hardware"},
            {"serial_number": "arn:aws:iam::1:u2f/user/carol/key", "type": "fido"},
        ],
    }
    assert _mfa.build_user("bob", arn("bob"), True, [])["mfa_active"] is False


def test_build_user_unlisted_has_one_placeholder_device():
    user = _mfa.build_user("hank", arn("hank"), True, [], unlisted=True)
    assert user["mfa_active"] is True
    assert user["mfa_devices"] == [{"serial_number": None, "type": "unknown"}]
    # Listed devices win over the placeholder.
    assert _mfa.build_user("hank", arn("hank"), True, ["GAHT1"], unlisted=True)["mfa_devices"] == [
        {"serial_number": "GAHT1", "type": "hardware"}
    ]


USERS = [
    _mfa.build_user("alice", arn("alice"), True, ["arn:aws:iam::1:mfa/alice"]),
    _mfa.build_user("bob", arn("bob"), True, []),
    _mfa.build_user("carol", arn("carol"), False, ["GAHT1"]),
    _mfa.build_user("dave", arn("dave"), False, []),
]


@pytest.mark.parametrize(
    ("require_for", "without", "in_scope", "statuses"),
    [
        ("console_users", ["bob"], 2, {"alice": "pass", "bob": "fail"}),
        ("all_users", ["bob", "dave"], 4, {"alice": "pass", "bob": "fail", "carol": "pass", "dave": "fail"}),
    ],
)
def test_assess_users(require_for, without, in_scope, statuses):
    names, findings, summary = _mfa.assess_users(USERS, require_for)
    assert names == without
    assert {f["resource"].rsplit("/", 1)[1]: f["status"] for f in findings} == statuses
    assert all(
        f["id"] == "user_mfa"
        and f["cis"]
        == ["cis-aws-3.0:1.10", "cis-aws-4.0.1:1.10", "cis-aws-5.0:1.9", "cis-aws-6.0:2.9", "cis-aws-7.0:2.10"]
        for f in findings
    )
    assert summary == {
        "users": 4,
        "console_users": 2,
        "users_in_scope": in_scope,
        "users_with_mfa": 2,
        "users_without_mfa": len(without),
        "virtual_mfa_devices": 1,
        "hardware_mfa_devices": 1,
        "fido_mfa_devices": 0,
        "users_with_unlisted_mfa": 0,
    }


def test_unlisted_devices_count_as_mfa_but_not_as_devices():
    users = [*USERS, _mfa.build_user("hank", arn("hank"), True, [], unlisted=True)]
    names, findings, summary = _mfa.assess_users(users, "console_users")
    assert names == ["bob"]
    hank = next(f for f in findings if f["resource"] == arn("hank"))
    assert hank["status"] == "pass"
    assert hank["message"] == "console user hank has MFA (not virtual, devices not listed)"
    assert summary["users_with_unlisted_mfa"] == 1
    assert (summary["virtual_mfa_devices"], summary["hardware_mfa_devices"], summary["fido_mfa_devices"]) == (1, 1, 0)


def test_assess_users_rejects_unknown_scope():
    with pytest.raises(ValueError, match="require_for"):
        _mfa.assess_users(USERS, "everyone")


@pytest.mark.parametrize(
    ("mfa_type", "require_hardware", "status", "cis"),
    [
        (
            "none",
            False,
            "fail",
            ["cis-aws-3.0:1.5", "cis-aws-4.0.1:1.5", "cis-aws-5.0:1.4", "cis-aws-6.0:2.4", "cis-aws-7.0:2.5"],
        ),
        (
            "none",
            True,
            "fail",
            ["cis-aws-3.0:1.5", "cis-aws-4.0.1:1.5", "cis-aws-5.0:1.4", "cis-aws-6.0:2.4", "cis-aws-7.0:2.5"],
        ),
        (
            "virtual",
            False,
            "pass",
            ["cis-aws-3.0:1.5", "cis-aws-4.0.1:1.5", "cis-aws-5.0:1.4", "cis-aws-6.0:2.4", "cis-aws-7.0:2.5"],
        ),
        (
            "virtual",
            True,
            "fail",
            ["cis-aws-3.0:1.6", "cis-aws-4.0.1:1.6", "cis-aws-5.0:1.5", "cis-aws-6.0:2.5", "cis-aws-7.0:2.6"],
        ),
        (
            "hardware",
            True,
            "pass",
            ["cis-aws-3.0:1.6", "cis-aws-4.0.1:1.6", "cis-aws-5.0:1.5", "cis-aws-6.0:2.5", "cis-aws-7.0:2.6"],
        ),
        (
            "hardware",
            False,
            "pass",
            ["cis-aws-3.0:1.5", "cis-aws-4.0.1:1.5", "cis-aws-5.0:1.4", "cis-aws-6.0:2.4", "cis-aws-7.0:2.5"],
        ),
        (
            "unknown",
            False,
            "pass",
            ["cis-aws-3.0:1.5", "cis-aws-4.0.1:1.5", "cis-aws-5.0:1.4", "cis-aws-6.0:2.4", "cis-aws-7.0:2.5"],
        ),
        (
            "unknown",
            True,
            "fail",
            ["cis-aws-3.0:1.6", "cis-aws-4.0.1:1.6", "cis-aws-5.0:1.5", "cis-aws-6.0:2.5", "cis-aws-7.0:2.6"],
        ),
    ],
)
def test_assess_root(mfa_type, require_hardware, status, cis):
    result = _mfa.assess_root(mfa_type, require_hardware, f"arn:aws:iam::{ACCOUNT}:root")
    assert result["id"] == "root_mfa"
    assert result["status"] == status
    assert result["cis"] == cis


# Issue #13.5: users the run creates. created, users option, live users -> (user, arn known, console, created)
CREATED_CASES = {
    "check-mode-user-not-yet-created": (["frank"], None, LIVE, [("frank", False, True)]),
    "apply-created-user-exists-newer-than-report": (["erin"], None, LIVE, [("erin", True, False)]),
    "case-insensitive-match-of-an-existing-user": (["ERIN"], None, LIVE, [("erin", True, False)]),
    "outside-an-explicit-users-list": (["frank"], ["bob"], LIVE, []),
    "named-in-users-and-not-created-yet": (["frank"], ["frank"], LIVE, [("frank", False, True)]),
}


@pytest.mark.parametrize(
    ("created", "names", "live", "expected"), list(CREATED_CASES.values()), ids=list(CREATED_CASES)
)
def test_plan_users_created_in_this_run(created, names, live, expected):
    plan = _mfa.plan_users(ROWS, live, VIRTUAL, names, created=created)
    got = [(i.user_name, i.arn is not None, i.console_access) for i in plan.users if i.created]
    assert got == expected
    assert plan.not_found == []
    # a user that does not exist yet costs no call
    assert not any(i.lookup_console or i.lookup_devices for i in plan.users if i.arn is None)


@pytest.mark.parametrize(
    ("created", "message"),
    [
        (frozenset({"frank"}), "console user frank created in this run, MFA not enrolled yet"),
        (frozenset(), "console user frank has no MFA"),
    ],
)
def test_created_console_user_without_mfa_fails_with_its_own_message(created, message):
    frank = _mfa.build_user("frank", _mfa.user_arn("arn:aws:iam::1:root", "frank"), True, [])
    without, findings, summary = _mfa.assess_users([frank], "console_users", created)
    assert without == ["frank"]
    assert [(f["id"], f["status"], f["resource"], f["message"]) for f in findings] == [
        ("user_mfa", "fail", "arn:aws:iam::1:user/frank", message)
    ]
    assert summary["users_without_mfa"] == 1


def test_created_user_with_mfa_passes():
    dave = _mfa.build_user("dave", arn("dave"), True, ["arn:aws:iam::1:mfa/dave"])
    _without, findings, _summary = _mfa.assess_users([dave], "console_users", frozenset({"dave"}))
    assert findings[0]["status"] == "pass"
