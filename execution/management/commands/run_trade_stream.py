"""``manage.py run_trade_stream``: Alpaca's trade updates into the order update service."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

from common.numeric import column_argument, range_spec
from execution.brokers.alpaca_stream import trade_stream_build, trade_stream_run, trade_stream_stop
from execution.services import order_update_apply


class Command(BaseCommand):
    help = (
        "Listen to the broker's trade_updates stream (Alpaca or the simulator) and apply each "
        "update; reconnects with backoff and never stops on a bad message."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="stream URL (default: ALPACA_TRADING_STREAM_URL)")
        parser.add_argument(
            "--metrics-port",
            type=column_argument(
                range_spec("--metrics-port", "(a TCP port)", minimum=0, maximum=65535)
            ),
            default=settings.TRADE_STREAM_METRICS_PORT,
            help="serve this process's metrics on 127.0.0.1:PORT (0: off)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.ALPACA_API_KEY_ID and settings.ALPACA_API_SECRET_KEY):
            raise CommandError("ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY must be set")
        if options["metrics_port"]:
            self._serve_metrics(options["metrics_port"])
        stream = trade_stream_build(url=options["url"], apply=order_update_apply)
        stop = threading.Event()

        def _shutdown(signum: int, frame: object) -> None:
            stop.set()
            threading.Thread(target=trade_stream_stop, args=(stream,), daemon=True).start()

        signal.signal(signal.SIGTERM, _shutdown)
        signal.signal(signal.SIGINT, _shutdown)
        self.stdout.write(f"trade stream: {options['url'] or settings.ALPACA_TRADING_STREAM_URL}")
        trade_stream_run(stream, stop=stop)

    @staticmethod
    def _serve_metrics(port: int) -> None:
        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr="127.0.0.1", registry=registry)
