# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.root_key_check (module and action plugin)."""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils import _credential_report as report
from ansible_collections.accountguard.aws.plugins.module_utils._common import range_errors, utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._root import USAGE_WINDOW_RANGE, assess_root
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlSpec,
    checked_result,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    ACCOUNT_SUMMARY,
    CREDENTIAL_REPORT,
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)

RANGES = {"root_usage_window_days": USAGE_WINDOW_RANGE, **report.REPORT_RANGES}

ARGUMENT_SPEC = dict(
    allow_inactive_keys=dict(type="bool", default=False),
    # root_usage_days: the option's name before the window became a role variable (issue #13.9).
    root_usage_window_days=dict(type="int", default=1, aliases=["root_usage_days"]),
    **report.report_options(),
    **SOURCES_ARGUMENT_SPEC,
)


def run(ctx) -> dict:
    params = ctx.params
    fail_on_errors(range_errors(params, RANGES))
    sources = AccountSources(ctx)
    summary = sources.get(ACCOUNT_SUMMARY)
    rows, generated_time = report.from_source(sources.get(CREDENTIAL_REPORT))
    row = report.root_row(rows)
    result = assess_root(
        summary,
        row,
        resource=sources.root_arn([row and row.get("arn")]),
        generated_time=generated_time,
        now=utcnow(),
        allow_inactive_keys=params["allow_inactive_keys"],
        usage_days=params["root_usage_window_days"],
    )
    for warning in result.pop("warnings"):
        ctx.warn(warning)
    return checked_result(ctx, **result)


SPEC = ControlSpec(name="root_key_check", argument_spec=ARGUMENT_SPEC, run=run)
