"""For management commands, a number an option cannot take is a usage error
(exit 2, the option named in the message), never a traceback from deep inside the command
(an OverflowError, a DataError, a lookup of version 0) and never a silently rounded value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
HUGE = "1" + "0" * 30
ALWAYS_BAD = ["NaN", "inf", "-Infinity", "1e999", "abc", ""]

# (command, arguments before the option, option, values it refuses beyond ALWAYS_BAD)
REFUSED = [
    ("approve_model", [], "--model-version", ["0", "-1", "2147483648", HUGE, "1.5"]),
    ("promote_model", [], "--model-version", ["0", "-1", "2147483648", HUGE, "1.5"]),
    ("rollback_model", [], "--to", ["0", "-1", "2147483648", HUGE, "2.5"]),
    ("set_model_alias", [], "--model-version", ["0", "-1", "2147483648", HUGE]),
    ("train_model", [], "--seed", ["-1", "2147483648", HUGE, "0.5"]),
    ("train_model", [], "--holdout-fraction", ["0", "1", "-0.2", "0.0000001", HUGE]),
    ("issue_api_token", [], "--days", ["0", "-3", "366", HUGE, "1.5"]),
    ("trading_shutdown", [], "--order-timeout", ["-1", "86401", "0.0001", HUGE]),
    ("trading_shutdown", [], "--drain-timeout", ["-1", "86401", HUGE]),
    ("soak", [], "--trading-days", ["0", "367", HUGE, "1.5"]),
    ("soak", [], "--instruments", ["0", "1000", HUGE]),
    ("soak", [], "--speed", ["-1", "100001", "0.0000001", HUGE]),
    ("soak", [], "--history-sessions", ["0", "2521", HUGE]),
    ("soak_stack", ["seed"], "--instruments", ["0", "1000", HUGE]),
    ("soak_stack", ["seed"], "--history-sessions", ["0", HUGE]),
    ("soak_stack", ["seed"], "--schedule-seconds", ["0", "86401", HUGE]),
    ("soak_stack", ["seed"], "--max-price-age-s", ["0", "-5", HUGE, "1.5"]),
    ("staging_run", ["start"], "--trading-days", ["0", "367", HUGE]),
    ("run_trade_stream", [], "--metrics-port", ["-1", "65536", HUGE]),
    ("run_broker_simulator", [], "--port", ["-1", "65536", HUGE]),
]
CASES = [
    pytest.param(name, before, option, value, id=f"{name} {option} {value[:12]!r}")
    for name, before, option, values in REFUSED
    for value in [*values, *ALWAYS_BAD]
]

# (command, full argument list, option's destination, the value the command is handed)
ACCEPTED = [
    ("approve_model", ["--strategy", "s", "--reason", "r", "--model-version", "3"], "number", 3),
    ("rollback_model", ["--strategy", "s", "--to", "2147483647"], "to", 2147483647),
    ("train_model", ["--seed", "7", "--holdout-fraction", "0.25"], "holdout_fraction", 0.25),
    ("train_model", ["--seed", "7"], "seed", 7),
    ("issue_api_token", ["--user", "u", "--name", "n", "--days", "365"], "days", 365),
    ("trading_shutdown", ["--mode", "graceful", "--reason", "r", "--order-timeout", "0"],
     "order_timeout", 0.0),
    ("soak", ["--speed", "1.5", "--trading-days", "14"], "speed", 1.5),
    ("soak_stack", ["seed", "--first-open", "2026-01-05T14:30:00+00:00",
                    "--max-price-age-s", "900"], "max_price_age_s", 900),
    ("run_broker_simulator", ["--port", "0"], "port", 0),
]  # fmt: skip


def _command_line_parser(name: str):
    """The parser ``manage.py NAME`` uses: from the command line, a usage error exits 2."""
    command = load_command_class(get_commands()[name], name)
    command._called_from_command_line = True
    return command.create_parser("manage.py", name)


@pytest.mark.parametrize(("name", "before", "option", "value"), CASES)
def test_a_number_the_option_cannot_take_is_a_usage_error_naming_the_option(
    name, before, option, value, capsys
):
    parser = _command_line_parser(name)

    with pytest.raises(SystemExit) as exited:
        parser.parse_args([*before, f"{option}={value}"])

    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert f"argument {option}:" in error
    assert "Traceback" not in error


@pytest.mark.parametrize(("name", "argv", "dest", "expected"), ACCEPTED)
def test_a_number_in_range_reaches_the_command_exactly(name, argv, dest, expected):
    options = _command_line_parser(name).parse_args(argv)

    assert getattr(options, dest) == expected
    assert type(getattr(options, dest)) is type(expected)


@pytest.mark.parametrize(
    "argv",
    [
        ["issue_api_token", "--user", "u", "--name", "n", "--days", HUGE],
        ["promote_model", "--strategy", "s", "--model-version", "0"],
    ],
    ids=["issue_api_token --days 10**30", "promote_model --model-version 0"],
)
def test_manage_py_exits_2_with_the_option_named_and_no_traceback(argv):
    # Parsing fails before any database access, so the default settings do.
    env = {k: v for k, v in os.environ.items() if k != "TRADINGOPS_API_TOKEN"}
    done = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert f"argument {argv[-2]}:" in done.stderr
    assert "Traceback" not in done.stderr
