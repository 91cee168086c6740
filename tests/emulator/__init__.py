"""accountguard.aws's local AWS emulator: moto's server plus what moto lacks (see README.md)."""

from emulator.client import DEFAULT_ACCOUNT_ID, Emulator, EmulatorError

__all__ = ["DEFAULT_ACCOUNT_ID", "Emulator", "EmulatorError"]
