"""Seed the emulator with A member accounts x U IAM users in the insecure state the benchmark measures.

Everything is deterministic (user i of every account looks the same), and every call goes through the
emulator's internal clients, which bypass its request log: seeding never shows up in the measured figures.
Users are created straight with boto3 (about 3 calls per user), in a few threads, which seeds 1,000 users
in well under a minute on two cores.

The mix, per account (U users named u0000, u0001, ...):
- 25% console users (i % 4 == 0), with an initial password;
- MFA: every second console user has a virtual device (i % 8 == 0), one user in 100 a hardware TOTP device
  (i % 100 == 4, a console user), and one user in 10 among the programmatic ones a virtual device too
  (i % 10 == 3);
- access keys: every odd user has one key, aged 5/30/120/200 days and last used 1 day ago/never/60 days
  ago/10 days ago in turn; one user in 20 (i % 20 == 3) has a second active key;
- the account has no custom password policy (even account index) or a weak one (odd), and root has an old
  active access key, no MFA and signs in regularly.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

KEY_AGES = (5, 30, 120, 200)
KEY_LAST_USED = (1, None, 60, 10)
INITIAL_PASSWORD = "Bench-Initial-Passw0rd!"
ROLE_NAME = "OrganizationAccountAccessRole"


@dataclass
class UserSpec:
    name: str
    console: bool
    mfa: str  # none | virtual | hardware
    keys: list[tuple[int, int | None]] = field(default_factory=list)  # (age days, last used days ago)


def user_spec(i: int) -> UserSpec:
    console = i % 4 == 0
    if i % 100 == 4:
        mfa = "hardware"
    elif i % 8 == 0 or i % 10 == 3:
        mfa = "virtual"
    else:
        mfa = "none"
    keys = []
    if i % 2 == 1:
        k = (i // 2) % 4
        keys.append((KEY_AGES[k], KEY_LAST_USED[k]))
        if i % 20 == 3:
            keys.append((10, 2))
    return UserSpec(f"u{i:04d}", console, mfa, keys)


def expected(users: int, max_age_days: int = 90, max_unused_days: int = 45) -> dict:
    """What a correct check must find among the seeded users of one account (console_users MFA rule)."""
    specs = [user_spec(i) for i in range(users)]
    old_keys = stale_keys = 0
    offenders = set()
    for s in specs:
        for age, used in s.keys:
            old_keys += age > max_age_days
            # Never-used keys count from their creation (docs/cis-mapping.md, unlike Prowler).
            stale = (age if used is None else used) > max_unused_days or age > max_age_days
            stale_keys += stale
            if stale or len(s.keys) > 1:
                offenders.add(s.name)
    return {
        "users": users,
        "console_users": sum(s.console for s in specs),
        "console_users_without_mfa": sorted(s.name for s in specs if s.console and s.mfa == "none"),
        "hardware_mfa_users": sum(s.mfa == "hardware" for s in specs),
        "virtual_mfa_users": sum(s.mfa == "virtual" for s in specs),
        "old_active_keys": old_keys,
        "stale_active_keys": stale_keys,
        "users_with_several_active_keys": sorted(s.name for s in specs if len(s.keys) > 1),
        "key_offender_users": sorted(offenders),
    }


def create_accounts(emu, count: int) -> list[dict]:
    """An Organization in the management account with `count` member accounts (fresh emulator state)."""
    org = emu.client("organizations")
    org.create_organization(FeatureSet="ALL")
    accounts = []
    for n in range(count):
        status = org.create_account(AccountName=f"bench-{n:03d}", Email=f"bench-{n:03d}@example.com")
        account_id = status["CreateAccountStatus"]["AccountId"]
        accounts.append(
            {
                "name": f"bench-{n:03d}",
                "id": account_id,
                "role_arn": f"arn:aws:iam::{account_id}:role/{ROLE_NAME}",
            }
        )
    return accounts


def _seed_users(emu, account_id: str, indexes: range) -> None:
    iam = emu.client("iam", account_id=account_id)
    for i in indexes:
        spec = user_spec(i)
        iam.create_user(UserName=spec.name, Tags=[{"Key": "seeded-by", "Value": "bench"}])
        if spec.console:
            iam.create_login_profile(UserName=spec.name, Password=INITIAL_PASSWORD, PasswordResetRequired=True)
        if spec.mfa == "virtual":
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=spec.name)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(
                UserName=spec.name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
            )
        elif spec.mfa == "hardware":
            iam.enable_mfa_device(
                UserName=spec.name,
                SerialNumber=f"GAHT{i:08d}",
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
        for age, used in spec.keys:
            key_id = iam.create_access_key(UserName=spec.name)["AccessKey"]["AccessKeyId"]
            emu.backdate_access_key(
                account_id,
                spec.name,
                key_id,
                created_days_ago=age,
                last_used_days_ago=used,
                last_used_service="s3" if used is not None else None,
            )


def _seed_account_state(emu, index: int, account_id: str) -> None:
    if index % 2:
        emu.client("iam", account_id=account_id).update_account_password_policy(
            MinimumPasswordLength=8, RequireSymbols=False, AllowUsersToChangePassword=True
        )
    emu.set_root(
        account_id,
        access_keys=[{"active": True, "age_days": 400, "last_used_days_ago": 3, "last_used_service": "s3"}],
        mfa="none",
        password_last_used_days_ago=2,
    )


def seed(emu, accounts: int, users: int, threads: int = 4) -> list[dict]:
    """Reset the emulator and seed it; returns the member accounts [{name, id, role_arn}]."""
    emu.reset()
    members = create_accounts(emu, accounts)
    # boto3 sessions are not thread-safe, clients are: build (and cache) every client before the threads.
    for acct in members:
        emu.client("iam", account_id=acct["id"])
    chunk = max(1, math.ceil(users / max(1, threads // len(members) or 1)))
    jobs = [(a["id"], range(lo, min(users, lo + chunk))) for a in members for lo in range(0, users, chunk)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(_seed_account_state, emu, n, a["id"]) for n, a in enumerate(members)]
        futures += [pool.submit(_seed_users, emu, acct, idx) for acct, idx in jobs]
        for fut in futures:
            fut.result()
    return members
