"""``manage.py run_broker_simulator``: a local server that speaks Alpaca's trading API."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.numeric import column_argument, range_spec
from harness.simulator import simulator_server_build


class Command(BaseCommand):
    help = (
        "Serve Alpaca's trading API v2 and trade_updates stream locally, filling orders against "
        "the project's bars (state in ALPACA_SIMULATOR_DB_PATH; keys ALPACA_API_KEY_ID/SECRET)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port",
            type=column_argument(range_spec("--port", "(a TCP port)", minimum=0, maximum=65535)),
            default=18100,
        )
        parser.add_argument("--db-path", default=None, help="default: ALPACA_SIMULATOR_DB_PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.ALPACA_API_KEY_ID and settings.ALPACA_API_SECRET_KEY):
            raise CommandError("set ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY for the simulator")
        server = simulator_server_build(db_path=options["db_path"])
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._serve(server, options["host"], options["port"]))

    async def _serve(self, server: Any, host: str, port: int) -> None:
        bound = await server.start(host, port)
        self.stdout.write(
            f"Alpaca simulator: http://{host}:{bound}  stream ws://{host}:{bound}/stream"
        )
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()
