"""The accountguard.aws benchmark (issue 6; what it measures and why: docs/scaling.md).

Starts the local AWS emulator, seeds it, and measures playbooks/baseline.yml side by side with
bench/reference/check.yml (the same checks written with amazon.aws modules only) on the same data:

  (a) one account with 10, 100 and 1,000 IAM users, check mode;
  (b) 1, 10 and 50 accounts with 20 users each, check mode, at several forks values;
  (c) the apply run of (b) from the insecure seed, and its idempotent re-run;
  (t) what one task costs the controller, by kind (controller-only, module, AWS module, the same AWS call
      from an action plugin), to explain where the time of (a)-(c) goes.

For every scenario it prints wall time (median of N runs), module executions per account, AWS API calls per
account (reads/writes, counted by the emulator), the controller's peak memory, and the ratio ours/reference.
Results go to bench/results/ (JSON + the Markdown table). Every check is one of three kinds:
- structural (no wall clock: budgets, zero writes in check mode, idempotence, and the issue's API-call target:
  calls per account do not grow with unmanaged users beyond pagination): always checked, a failure makes the
  exit code non-zero;
- timing: the wall-clock targets; reported, and only fail the run with --strict.

  .venv/bin/python bench/run.py            # the full benchmark (long)
  .venv/bin/python bench/run.py --quick    # small sizes, 1 repeat, no timing targets (make test, CI)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
for extra_path in (ROOT / "tests", ROOT / "bench"):
    if str(extra_path) not in sys.path:
        sys.path.insert(0, str(extra_path))

import measure
import seed

OURS = ROOT / "playbooks" / "baseline.yml"
REFERENCE = ROOT / "bench" / "reference" / "check.yml"
# 11 before the policy task and the support role / server certificates task; the first host of a run also
# carries the read once per run (root_credentials: the Organization, which host is its management account)
MAX_EXECUTIONS_PER_ACCOUNT = 14
TARGET_SPEEDUP_A100 = 20.0
TARGET_SECONDS_PER_ACCOUNT_B50 = 1.5
# Ansible settings measured in scenario (b) at the largest account count and the best forks.
VARIANTS = {
    "default": {},
    "free": {"ANSIBLE_STRATEGY": "free"},
    "pipelining": {"ANSIBLE_PIPELINING": "True"},
    "free+pipelining": {"ANSIBLE_STRATEGY": "free", "ANSIBLE_PIPELINING": "True"},
}
TASK_COST_DIR = ROOT / "bench" / "task_cost"
TASK_COST_HOSTS = 20
# One task per host; the cost of each kind is its CPU time minus that of a play without tasks.
TASK_COSTS = {
    "controller-only task (ansible.builtin.debug)": {"ansible.builtin.debug": {"msg": "benchmark"}},
    "module without AWS (ansible.builtin.ping)": {"ansible.builtin.ping": {}},
    "AWS module (amazon.aws.aws_caller_info: sts:GetCallerIdentity)": {"amazon.aws.aws_caller_info": {}},
    "action plugin, same AWS call on the controller": {"bench_caller_identity": {}},
}
# Runs over more accounts than this are repeated --repeats-large times: a 50-account run takes minutes.
LARGE_ACCOUNTS = 1
# IAM list calls return at most 1,000 items a page: the API-call budget allows one more call per 1,000 users.
PAGE = 1000

# The users the baseline manages in every account; the seeded users are all unmanaged.
DECLARED_USERS = [
    {
        "name": "bench-admin",
        "console_access": True,
        "programmatic_access": False,
        "groups": ["Cloudadmin"],
        "tags": {"team": "platform"},
    },
    {"name": "bench-ci", "console_access": False, "programmatic_access": True, "tags": {"team": "ci"}},
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    def ints(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x.strip()]

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, 1 repeat, no timing targets (CI)")
    p.add_argument("--scenarios", help="which of a,b,c,t to run (default: all; quick: a,b,c)")
    p.add_argument("--repeats", type=int, help="runs per measurement, the median is reported (default 3; quick 1)")
    p.add_argument("--users", type=ints, help="scenario (a) user counts (default 10,100,1000; quick 5,120)")
    p.add_argument("--accounts", type=ints, help="scenario (b)/(c) account counts (default 1,10,50; quick 3)")
    p.add_argument("--users-per-account", type=int, help="scenario (b)/(c) users per account (default 20; quick 5)")
    p.add_argument("--forks", type=ints, help="scenario (b) forks values (default 5,10,25; quick 5)")
    p.add_argument(
        "--reference-users",
        type=ints,
        help="scenario (a) user counts the reference also runs at (default 10,100; quick 5): it takes minutes",
    )
    p.add_argument(
        "--reference-accounts",
        type=ints,
        help="scenario (b) account counts the reference also runs at, at the best forks (default 1,10; quick none)",
    )
    p.add_argument("--reference-repeats", type=int, default=1, help="runs of the reference per measurement")
    p.add_argument(
        "--repeats-large",
        type=int,
        default=1,
        help=f"runs per measurement over more than {LARGE_ACCOUNTS} accounts (default 1)",
    )
    p.add_argument(
        "--variants-accounts",
        type=int,
        help="scenario (b) account count at which every settings variant is measured (default 10; quick: the "
        "largest); larger counts only repeat the fastest variant",
    )
    p.add_argument("--apply-repeats", type=int, default=1, help="scenario (c) apply runs (each needs a fresh seed)")
    p.add_argument(
        "--variants",
        type=lambda t: [v for v in t.split(",") if v],
        help=f"scenario (b) Ansible settings tried at the largest account count, of {', '.join(VARIANTS)} "
        "(default: all; quick: default)",
    )
    p.add_argument("--no-reference", action="store_true", help="skip the reference playbook")
    p.add_argument(
        "--vars",
        type=json.loads,
        default={},
        help="extra inventory variables as JSON, e.g. '{\"baseline_access_keys_enabled\": false}'",
    )
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results directory")
    p.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="RESULTS_DIR",
        help="print one table from the results.json of earlier runs (a later run's row replaces an earlier one's "
        "with the same scenario, sizes, forks, settings and mode) and exit",
    )
    p.add_argument("--strict", action="store_true", help="also fail (exit 1) when a timing target is missed")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        "scenarios": "a,b,c" if quick else "a,b,c,t",
        "repeats": 1 if quick else 3,
        "users": [5, 120] if quick else [10, 100, 1000],
        "accounts": [3] if quick else [1, 10, 50],
        "users_per_account": 5 if quick else 20,
        "forks": [5] if quick else [5, 10, 25],
        "reference_users": [5] if quick else [10, 100],
        "reference_accounts": [] if quick else [1, 10],
        "variants": ["default"] if quick else list(VARIANTS),
        "variants_accounts": None if quick else 10,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.no_reference:
        args.reference_users, args.reference_accounts = [], []
    args.scenarios = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        p.error(f"unknown variant(s) {', '.join(sorted(unknown))}; choose from {', '.join(VARIANTS)}")
    return args


class Bench:
    def __init__(self, emu, args: argparse.Namespace, run_dir: Path):
        self.emu = emu
        self.args = args
        self.run_dir = run_dir
        self.rows: list[dict] = []
        self.checks: list[dict] = []
        self.runs = 0
        self.best_forks: int | None = None
        self.task_costs: list[dict] = []
        self.machine: dict = {}
        self.progress = lambda: None

    # ----- helpers ----------------------------------------------------------------------------------------

    def inventory(self, accounts: list[dict], name: str) -> Path:
        hosts = {
            a["name"]: {"aws_account_id": a["id"], "baseline_role_arn": a["role_arn"], "aws_account_name": a["name"]}
            for a in accounts
        }
        doc = {
            "all": {
                "hosts": hosts,
                "vars": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    "baseline_users": DECLARED_USERS,
                    # One directory per seed: account ids repeat after every reset of the emulator.
                    "baseline_credentials_dir": str(self.run_dir / f"credentials-{name}"),
                    **self.args.vars,
                },
            }
        }
        path = self.run_dir / f"inventory-{name}.yml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    def seed(self, accounts: int, users: int) -> list[dict]:
        started = time.perf_counter()
        members = seed.seed(self.emu, accounts, users)
        print(f"  seeded {accounts} account(s) x {users} users in {time.perf_counter() - started:.1f} s", flush=True)
        return members

    def measure(
        self,
        playbook: Path,
        inventory: Path,
        *,
        check: bool,
        forks: int,
        repeats: int,
        label: str,
        variant: str = "default",
    ) -> dict:
        runs = []
        for n in range(repeats):
            self.runs += 1
            log = self.run_dir / f"{self.runs:03d}-{label}-{n}.log"
            res = measure.run(
                self.emu, playbook, inventory, check=check, forks=forks, log_path=log, extra_env=VARIANTS[variant]
            )
            print(
                f"    {label} run {n + 1}/{repeats}: {res['wall_s']:.1f} s, rc {res['rc']}, "
                f"load {res['load_avg_1m_before']}",
                flush=True,
            )
            runs.append(res)
        return {"runs": runs, **aggregate(runs)}

    def check(self, name: str, ok: bool, detail: str, kind: str = "structural") -> None:
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail, "kind": kind})
        print(f"  [{'PASS' if ok else 'FAIL'}] ({kind}) {name}: {detail}", flush=True)

    def row(
        self,
        scenario: str,
        accounts: int,
        users: int,
        forks: int,
        mode: str,
        ours: dict,
        ref: dict | None,
        variant: str = "default",
    ) -> dict:
        row = {
            "scenario": scenario,
            "accounts": accounts,
            "users_per_account": users,
            "forks": forks,
            "settings": variant,
            "mode": mode,
            "ours": strip_runs(ours),
            "reference": strip_runs(ref) if ref else None,
        }
        if ref:
            row["ratio"] = {
                "wall": safe_div(ours["wall_s"], ref["wall_s"]),
                "executions": safe_div(ours["executions_per_account"], ref["executions_per_account"]),
                "api_calls": safe_div(ours["api_calls_per_account"], ref["api_calls_per_account"]),
            }
        self.rows.append(row)
        self.progress()
        return row

    def check_run_health(self, what: str, result: dict, *, expect_no_writes: bool) -> None:
        failed = [r for r in result["runs"] if r["rc"] != 0]
        self.check(
            f"{what}: every run succeeded",
            not failed,
            "rc 0" if not failed else f"rc {failed[0]['rc']}, see {failed[0]['log']}",
        )
        if expect_no_writes:
            writes = max(r["api_writes_total"] for r in result["runs"])
            self.check(f"{what}: no write API call", writes == 0, f"{writes} write call(s)")

    # ----- scenarios --------------------------------------------------------------------------------------

    def scenario_a(self) -> None:
        print("scenario (a): one account, growing number of IAM users, check mode", flush=True)
        per_users = {}
        for users in self.args.users:
            members = self.seed(1, users)
            inv = self.inventory(members, f"a{users}")
            ours = self.measure(OURS, inv, check=True, forks=5, repeats=self.args.repeats, label=f"a{users}-ours")
            self.check_run_health(f"(a) {users} users, ours --check", ours, expect_no_writes=True)
            ref = None
            if users in self.args.reference_users:
                ref = self.measure(
                    REFERENCE, inv, check=True, forks=5, repeats=self.args.reference_repeats, label=f"a{users}-ref"
                )
                self.check_run_health(f"(a) {users} users, reference", ref, expect_no_writes=True)
                self.check_reference_findings(f"(a) {users} users", ref, users)
            self.row("a", 1, users, 5, "check", ours, ref)
            per_users[users] = ours
        self.check_budget("(a)", per_users)
        if 100 in per_users and 100 in self.args.reference_users:
            row = next(r for r in self.rows if r["scenario"] == "a" and r["users_per_account"] == 100)
            speedup = 1 / row["ratio"]["wall"] if row.get("ratio") and row["ratio"]["wall"] else 0
            self.check(
                "(a) 100 users: at least 20x faster than the reference, same run",
                speedup >= TARGET_SPEEDUP_A100,
                f"{speedup:.1f}x ({row['reference']['wall_s']:.1f} s vs {row['ours']['wall_s']:.1f} s)",
                kind="timing",
            )

    def repeats_for(self, accounts: int) -> int:
        return self.args.repeats if accounts <= LARGE_ACCOUNTS else self.args.repeats_large

    def scenario_b(self) -> None:
        print("scenario (b): growing number of accounts, check mode, several forks", flush=True)
        users = self.args.users_per_account
        variants_at = self.args.variants_accounts or max(self.args.accounts)
        best_variant = "default"
        for accounts in self.args.accounts:
            members = self.seed(accounts, users)
            inv = self.inventory(members, f"b{accounts}")
            repeats = self.repeats_for(accounts)
            measured: dict[tuple[int, str], dict] = {}
            for forks in self.args.forks:
                if forks > max(accounts, 1) and forks != min(self.args.forks):
                    continue  # more forks than hosts measures nothing new
                label = f"b{accounts}-f{forks}-ours"
                ours = self.measure(OURS, inv, check=True, forks=forks, repeats=repeats, label=label)
                self.check_run_health(
                    f"(b) {accounts} accounts forks {forks}, ours --check", ours, expect_no_writes=True
                )
                measured[forks, "default"] = ours
            best = min(measured, key=lambda k: measured[k]["wall_s"])[0]
            self.best_forks = best
            ref = None
            if accounts in self.args.reference_accounts:
                ref = self.measure(
                    REFERENCE,
                    inv,
                    check=True,
                    forks=best,
                    repeats=self.args.reference_repeats,
                    label=f"b{accounts}-f{best}-ref",
                )
                self.check_run_health(f"(b) {accounts} accounts, reference", ref, expect_no_writes=True)
                self.check_reference_findings(f"(b) {accounts} accounts", ref, users)
            # Settings variants: all of them at one account count (the cost of the comparison), and the
            # fastest of those again at every larger count.
            variants = []
            if accounts == variants_at:
                variants = [v for v in self.args.variants if v != "default"]
            elif accounts > variants_at and best_variant != "default":
                variants = [best_variant]
            for variant in variants:
                label = f"b{accounts}-f{best}-{variant}-ours"
                res = self.measure(OURS, inv, check=True, forks=best, repeats=repeats, label=label, variant=variant)
                self.check_run_health(f"(b) {accounts} accounts {variant}, ours --check", res, expect_no_writes=True)
                measured[best, variant] = res
            if accounts == variants_at:
                best_variant = min((k for k in measured if k[0] == best), key=lambda k: measured[k]["wall_s"])[1]
            for (forks, variant), ours in measured.items():
                is_ref_row = (forks, variant) == (best, "default")
                self.row("b", accounts, users, forks, "check", ours, ref if is_ref_row else None, variant=variant)
            worst = max(o["max_executions_per_account"] for o in measured.values())
            self.check(
                f"(b) {accounts} accounts: module executions per account <= {MAX_EXECUTIONS_PER_ACCOUNT}",
                worst <= MAX_EXECUTIONS_PER_ACCOUNT,
                f"at most {worst}",
            )
            if accounts == 50:
                top = min(measured, key=lambda k: measured[k]["wall_s"])
                per_account = measured[top]["wall_s"] / accounts
                self.check(
                    "(b) 50 accounts: under 1.5 s per account at the best forks",
                    per_account < TARGET_SECONDS_PER_ACCOUNT_B50,
                    f"{per_account:.2f} s per account at forks {top[0]}, {top[1]} settings "
                    f"({measured[top]['wall_s']:.1f} s; {measured[top]['cpu_s'] / accounts:.2f} CPU s per account)",
                    kind="timing",
                )

    def scenario_t(self) -> None:
        print(f"scenario (t): cost of one task by kind, {TASK_COST_HOSTS} hosts x 1 task, forks 5", flush=True)
        hosts = {f"h{n:02d}": {} for n in range(TASK_COST_HOSTS)}
        inv = self.run_dir / "inventory-t.yml"
        inv.write_text(
            yaml.safe_dump(
                {
                    "all": {
                        "hosts": hosts,
                        "vars": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        },
                    }
                }
            ),
            encoding="utf-8",
        )
        env = {"ANSIBLE_ACTION_PLUGINS": str(TASK_COST_DIR / "action_plugins")}
        results = {}
        for name, task in {"no task (playbook start and end)": None, **TASK_COSTS}.items():
            play = {"name": "task cost", "hosts": "all", "gather_facts": False, "tasks": []}
            if task:
                play["tasks"].append({"name": name, **task})
            path = self.run_dir / f"task-cost-{len(results)}.yml"
            path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
            runs = []
            for n in range(self.args.repeats):
                self.runs += 1
                log = self.run_dir / f"{self.runs:03d}-t{len(results)}-{n}.log"
                runs.append(measure.run(self.emu, path, inv, check=False, forks=5, log_path=log, extra_env=env))
            self.check(
                f"(t) {name}: every run succeeded",
                all(r["rc"] == 0 for r in runs),
                "rc " + ", ".join(str(r["rc"]) for r in runs),
            )
            results[name] = {
                "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                "wall_s": statistics.median(r["wall_s"] for r in runs),
            }
        base = next(iter(results.values()))
        self.task_costs = [
            {
                "kind": name,
                "cpu_s_per_execution": round((m["cpu_s"] - base["cpu_s"]) / TASK_COST_HOSTS, 3),
                "wall_s_per_host": round((m["wall_s"] - base["wall_s"]) / TASK_COST_HOSTS, 3),
                "run_cpu_s": m["cpu_s"],
                "run_wall_s": m["wall_s"],
            }
            for name, m in results.items()
        ]
        for t in self.task_costs:
            print(f"  {t['kind']}: {t['cpu_s_per_execution']:.3f} CPU s per execution", flush=True)

    def scenario_c(self) -> None:
        print("scenario (c): apply from the insecure seed, then the idempotent re-run", flush=True)
        users = self.args.users_per_account
        # The forks that were fastest for the most accounts in (b), if it ran.
        forks = self.best_forks or max(self.args.forks)
        # The quick run only needs to prove apply + idempotence work over several accounts.
        for accounts in [max(self.args.accounts)] if self.args.quick else self.args.accounts:
            applies = []
            for n in range(self.args.apply_repeats):
                members = self.seed(accounts, users)
                inv = self.inventory(members, f"c{accounts}-{n}")
                applies.append(
                    self.measure(OURS, inv, check=False, forks=forks, repeats=1, label=f"c{accounts}-apply{n}")
                )
            apply_runs = [r for a in applies for r in a["runs"]]
            apply = {"runs": apply_runs, **aggregate(apply_runs)}
            self.check_run_health(f"(c) {accounts} accounts, apply", apply, expect_no_writes=False)
            self.check(
                f"(c) {accounts} accounts: the apply run changed every account",
                all(s.get("changed", 0) > 0 for r in apply_runs for s in r["stats"].values()),
                "changed > 0 on every host",
            )
            rerun = self.measure(
                OURS, inv, check=False, forks=forks, repeats=self.repeats_for(accounts), label=f"c{accounts}-rerun"
            )
            self.check_run_health(f"(c) {accounts} accounts, idempotent re-run", rerun, expect_no_writes=True)
            changed = sum(s.get("changed", 0) for r in rerun["runs"] for s in r["stats"].values())
            self.check(f"(c) {accounts} accounts: re-run changed nothing", changed == 0, f"changed={changed}")
            self.row("c", accounts, users, forks, "apply", apply, None)
            self.row("c", accounts, users, forks, "re-run", rerun, None)

    # ----- targets ----------------------------------------------------------------------------------------

    def check_budget(self, what: str, per_users: dict[int, dict]) -> None:
        execs = {u: r["max_executions_per_account"] for u, r in per_users.items()}
        self.check(
            f"{what}: module executions per account <= {MAX_EXECUTIONS_PER_ACCOUNT} and equal for every user count",
            max(execs.values()) <= MAX_EXECUTIONS_PER_ACCOUNT and len(set(execs.values())) == 1,
            ", ".join(f"{u} users: {n}" for u, n in execs.items()),
        )
        counts = sorted(per_users)
        lo, hi = counts[0], counts[-1]
        if lo == hi:
            return
        calls_lo, calls_hi = per_users[lo]["api_actions"], per_users[hi]["api_actions"]
        pages = math.ceil(hi / PAGE) - math.ceil(lo / PAGE)
        # Issue 6's target: only pagination may add calls (one more per 1,000 users and list); no call per
        # unmanaged user, offending or not.
        beyond_pages = []
        for action in sorted(set(calls_lo) | set(calls_hi)):
            growth = calls_hi.get(action, 0) - calls_lo.get(action, 0)
            if growth > pages:
                beyond_pages.append(f"{action} +{growth:g} (allowed {pages})")
        total_lo, total_hi = per_users[lo]["api_calls_per_account"], per_users[hi]["api_calls_per_account"]
        figures = f"{total_lo:g} calls at {lo} users, {total_hi:g} at {hi} users"
        self.check(
            f"{what}: API calls per account do not grow with unmanaged users beyond pagination (issue target)",
            not beyond_pages,
            figures + (f"; grows: {'; '.join(beyond_pages)}" if beyond_pages else ""),
        )

    def check_reference_findings(self, what: str, ref: dict, users: int) -> None:
        """The reference must find what was seeded, or the comparison would be against a broken check."""
        want = seed.expected(users)
        got = [
            f.get("reference_findings", {})
            for r in ref["runs"][-1:]
            for f in r["facts"].values()
            if isinstance(f, dict)
        ]
        ok = bool(got) and all(
            sorted(g.get("users_without_mfa", [])) == want["console_users_without_mfa"]
            and sorted(g.get("users_with_several_active_keys", [])) == want["users_with_several_active_keys"]
            and len(g.get("old_active_keys", [])) == want["old_active_keys"]
            for g in got
        )
        self.check(
            f"{what}: the reference finds the seeded MFA and key problems",
            ok,
            f"{len(want['console_users_without_mfa'])} console users without MFA, "
            f"{len(want['users_with_several_active_keys'])} users with 2 active keys, "
            f"{want['old_active_keys']} old keys per account",
        )


def safe_div(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def aggregate(runs: list[dict]) -> dict:
    """Median wall time; counts from the last run (they are the same in every run of a measurement)."""
    last = runs[-1]
    hosts = len(last["executions"]) or 1
    member_calls = {a: v for a, v in last["requests"].items() if a != measure.MANAGEMENT_ACCOUNT_ID}
    accounts = max(len(member_calls), hosts)
    reads = sum(v["reads"] for v in last["requests"].values())
    writes = sum(v["writes"] for v in last["requests"].values())
    actions: dict[str, float] = {}
    for v in last["requests"].values():
        for action, n in v["actions"].items():
            actions[action] = actions.get(action, 0) + n / accounts
    for r in runs:
        r["api_writes_total"] = sum(v["writes"] for v in r["requests"].values())
    return {
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "wall_s_all": [r["wall_s"] for r in runs],
        "executions_per_account": round(sum(last["executions"].values()) / hosts, 2),
        "max_executions_per_account": max(last["executions"].values(), default=0),
        "api_calls_per_account": round((reads + writes) / accounts, 2),
        "api_reads_per_account": round(reads / accounts, 2),
        "api_writes_per_account": round(writes / accounts, 2),
        "api_actions": {k: round(v, 2) for k, v in sorted(actions.items())},
        "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in runs),
        "max_process_rss_mb": max(r["max_process_rss_mb"] for r in runs),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
    }


def strip_runs(result: dict) -> dict:
    """The aggregate plus, per run, what is worth keeping (the task timings of the last run)."""
    out = {k: v for k, v in result.items() if k != "runs"}
    out["runs"] = [
        {k: r[k] for k in ("wall_s", "rc", "load_avg_1m_before", "cpu_s", "peak_tree_rss_mb", "log")}
        for r in result["runs"]
    ]
    last = result["runs"][-1]
    out["tasks"] = last["tasks"]
    out["by_action"] = next(iter(last["by_action"].values()), {})
    out["findings"] = next(iter(last["findings"].values()), {})
    return out


def fmt_ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}" if x < 0.1 else f"{x:.2f}"


def table(rows: list[dict]) -> str:
    head = (
        "| scenario | accounts | users/acct | forks | settings | mode | playbook | wall s (median) | s/account "
        "| CPU s/account "
        "| module execs/account | API calls/account (reads/writes) | peak RSS MB (tree / 1 proc) "
        "| ours/ref wall | ours/ref execs | ours/ref calls |"
    )
    lines = [head, "|" + "|".join(["---"] * 16) + "|"]
    for r in rows:
        for who in ("ours", "reference"):
            m = r[who]
            if not m:
                continue
            ratio = r.get("ratio") if who == "ours" else None
            lines.append(
                f"| {r['scenario']} | {r['accounts']} | {r['users_per_account']} | {r['forks']} | {r['settings']} "
                f"| {r['mode']} "
                f"| {'baseline' if who == 'ours' else 'reference'} | {m['wall_s']:.1f} "
                f"| {m['wall_s'] / r['accounts']:.2f} | {m['cpu_s'] / r['accounts']:.2f} "
                f"| {m['executions_per_account']:g} "
                f"| {m['api_calls_per_account']:g} ({m['api_reads_per_account']:g}/{m['api_writes_per_account']:g}) "
                f"| {m['peak_tree_rss_mb']:.0f} / {m['max_process_rss_mb']:.0f} "
                f"| {fmt_ratio(ratio and ratio['wall'])} | {fmt_ratio(ratio and ratio['executions'])} "
                f"| {fmt_ratio(ratio and ratio['api_calls'])} |"
            )
    return "\n".join(lines)


def task_cost_table(costs: list[dict]) -> str:
    if not costs:
        return ""
    lines = [
        f"| task kind ({TASK_COST_HOSTS} hosts, forks 5) | CPU s per execution | run CPU s | run wall s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c['kind']} | {c['cpu_s_per_execution']:.3f} | {c['run_cpu_s']:.2f} | {c['run_wall_s']:.1f} |"
        for c in costs
    ]
    return "\n".join(lines)


def profile(rows: list[dict]) -> str:
    """Where the time goes: per task of the largest runs, seconds (all hosts) and module executions."""
    picks = []
    for scenario, mode in (("a", "check"), ("b", "check"), ("c", "re-run")):
        cands = [r for r in rows if r["scenario"] == scenario and r["mode"] == mode and r["settings"] == "default"]
        with_ref = [r for r in cands if r.get("reference")]
        for group in (cands, with_ref):
            if not group:
                continue
            top = max(group, key=lambda r: (r["accounts"] * r["users_per_account"], -r["ours"]["wall_s"]))
            title = f"({scenario}) {top['accounts']} account(s) x {top['users_per_account']} users"
            title += f", forks {top['forks']}, {mode}"
            if any(t == f"baseline, {title}" for t, _m in picks):
                continue
            picks.append((f"baseline, {title}", top["ours"]))
            if top.get("reference"):
                picks.append((f"reference, {title}", top["reference"]))
    out = []
    for title, m in picks:
        out += [
            f"#### {title}: {m['wall_s']:.1f} s",
            "",
            "| task | module | executions | seconds |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {t['name'][:70]} | {t['action']} | {t['executions']} | {t['seconds']:.2f} |" for t in m.get("tasks", [])
        ]
        out.append("")
    return "\n".join(out)


def machine() -> dict:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    versions = subprocess.run(
        [str(measure.BIN / "ansible-playbook"), "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    try:
        import moto

        moto_version = moto.__version__
    except ImportError:
        moto_version = "unknown"
    import ansible_collections.amazon.aws.plugins.module_utils.common as aws_common

    return {
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip(),
        "cpu": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"),
        "python": platform.python_version(),
        "ansible_core": versions[0] if versions else "unknown",
        "amazon_aws": getattr(aws_common, "AMAZON_AWS_COLLECTION_VERSION", "unknown"),
        "moto": moto_version,
        "kernel": platform.release(),
    }


def write_results(bench: Bench, args: argparse.Namespace, command: str, elapsed: float, complete: bool) -> str:
    """Write results.json and table.md (also as latest.*); called after every scenario, so an interrupted
    long run still leaves what it measured."""
    text = table(bench.rows)
    doc = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": complete,
        "command": command,
        "quick": args.quick,
        "options": {
            k: sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
        },
        "machine": bench.machine,
        "elapsed_s": round(elapsed, 1),
        "rows": bench.rows,
        "task_costs": bench.task_costs,
        "checks": bench.checks,
        "table": text,
    }
    checks_md = "\n".join(
        f"- [{'x' if c['ok'] else ' '}] ({c['kind']}) {c['name']}: {c['detail']}" for c in bench.checks
    )
    markdown = (
        f"{text}\n\n{checks_md}\n\n### Cost of one task\n\n{task_cost_table(bench.task_costs)}\n\n"
        f"### Task profile\n\n{profile(bench.rows)}\n"
    )
    for directory, prefix in ((bench.run_dir, ""), (args.out, "latest.")):
        (directory / f"{prefix or 'results.'}json").write_text(json.dumps(doc, indent=1, default=str), "utf-8")
        (directory / f"{prefix or 'table.'}md").write_text(markdown, encoding="utf-8")
    return checks_md


def merge(dirs: list[Path]) -> str:
    rows: dict[tuple, dict] = {}
    for directory in dirs:
        doc = json.loads((directory / "results.json").read_text(encoding="utf-8"))
        for r in doc["rows"]:
            rows[r["scenario"], r["accounts"], r["users_per_account"], r["forks"], r["settings"], r["mode"]] = r
    order = sorted(rows, key=lambda k: (k[0], k[1], k[2], k[5] != "apply", k[3], k[4] != "default", k[4]))
    return table([rows[k] for k in order])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.merge:
        print(merge(args.merge))
        return 0
    from emulator import Emulator
    from emulator.environ import scrub_os_environ

    # This process seeds and reads the emulator with boto3, and its environment is the playbooks' base
    # (measure.ansible_env): none of the user's AWS settings may reach either.
    scrub_os_environ()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = args.out / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    # The drift reports of the measured runs stay with the run, not in the checkout's ./reports.
    os.environ["ACCOUNTGUARD_REPORT_DIR"] = str(run_dir / "reports")
    command = "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"benchmark {'(quick) ' if args.quick else ''}-> {run_dir}", flush=True)
    started = time.perf_counter()
    with Emulator(log_file=run_dir / "emulator.log") as emu:
        bench = Bench(emu, args, run_dir)
        bench.machine = machine()
        bench.progress = lambda: write_results(bench, args, command, time.perf_counter() - started, complete=False)
        for name in ("t", "a", "b", "c"):
            if name in args.scenarios:
                getattr(bench, f"scenario_{name}")()
                write_results(bench, args, command, time.perf_counter() - started, complete=False)
    elapsed = time.perf_counter() - started
    checks_md = write_results(bench, args, command, elapsed, complete=True)
    failed = [c for c in bench.checks if not c["ok"] and (args.strict or c["kind"] == "structural")]
    missed = [c for c in bench.checks if not c["ok"] and c["kind"] != "structural"]
    print()
    print(table(bench.rows))
    print()
    print(task_cost_table(bench.task_costs))
    print()
    print(checks_md)
    print(
        f"\n{sum(c['ok'] for c in bench.checks)}/{len(bench.checks)} targets hold "
        f"({len(missed)} timing target(s) missed); "
        f"{elapsed:.0f} s in all; results in {run_dir}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
