"""Callbacks other apps register with risk, so risk acts on them without importing them.

Execution registers, in its ``AppConfig.ready``:
- a kill switch handler that cancels every open order at the broker;
- validators saying whether a strategy name or an instrument symbol exists (for 400s on
  unknown names in limit and state changes).
Risk stays importable alone: with nothing registered, engaging still halts every order
(the cancel step reports zero), and names cannot be validated, so changes naming a strategy
or an instrument are refused (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable

KillSwitchHandler = Callable[[str], int]  # reason -> number of orders cancelled
NameValidator = Callable[[str], bool]

_kill_switch_handlers: dict[str, KillSwitchHandler] = {}
_name_validators: dict[str, NameValidator] = {}


def kill_switch_handler_register(name: str, handler: KillSwitchHandler) -> None:
    """Register (or replace, by name: ``ready()`` may run twice) a kill switch handler."""
    _kill_switch_handlers[name] = handler


def kill_switch_handlers() -> dict[str, KillSwitchHandler]:
    return dict(_kill_switch_handlers)


def name_validator_register(scope: str, validator: NameValidator) -> None:
    """``scope`` is "strategy" or "instrument"."""
    _name_validators[scope] = validator


def name_validator(scope: str) -> NameValidator | None:
    return _name_validators.get(scope)
