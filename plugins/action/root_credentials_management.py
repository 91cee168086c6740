# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs root_credentials_management's backend on the controller for local-connection hosts (see _controller)."""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils._backends.root_credentials_management import SPEC
from ansible_collections.accountguard.aws.plugins.plugin_utils._controller import ControllerAction


class ActionModule(ControllerAction):
    spec = SPEC
