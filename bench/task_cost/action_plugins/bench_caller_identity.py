# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only action plugin: one sts:GetCallerIdentity made on the controller, in the worker process.

bench/run.py compares its cost per execution with amazon.aws.aws_caller_info, which makes the same call
from a module: the difference is what a module execution (a new Python process, AnsiballZ, imports,
client setup) costs, and so what the baseline would save by checking accounts from action plugins.
"""

from __future__ import annotations

import boto3
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        identity = boto3.session.Session().client("sts").get_caller_identity()
        result.update(changed=False, account=identity["Account"], arn=identity["Arn"])
        return result
