# Copyright: (c) 2026, accountguard.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the iam_admin_group module in the Ansible worker when the connection is local (see _direct_execution)."""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.plugin_utils._direct_execution import DirectExecutionAction


class ActionModule(DirectExecutionAction):
    pass
