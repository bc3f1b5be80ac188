"""The embedded broker: kombu's filesystem transport, made safe for concurrent processes.

kombu's own filesystem transport (5.7) lets web, beat and the worker corrupt each other:
a message file is created in the queue folder and filled afterwards, and a reader that lists
the folder between the two reads an empty file and dies of ``JSONDecodeError``;
a claimed file is moved into the system temp folder, which may be another filesystem, where
``shutil.move`` copies and two readers can both get the message; the exchange tables are
rewritten in place, so a reader can catch one half-written. Here every file appears by
``os.replace`` from a staging folder on the same filesystem (complete or absent), a reader
claims a message by one atomic rename (exactly one reader wins), and a file that still does not
decode is moved to ``rejected/``, logged and counted instead of stopping the worker.

Why not kombu's SQLAlchemy transport on SQLite: it has no fanout exchange, which Celery's
remote control (``trading_shutdown``'s broadcast, ``control.ping``) needs, and it never deletes
a consumed row, so a ``make run`` of days grows its table without bound.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from time import monotonic, sleep
from typing import Any

import structlog
from celery import signals
from celery.worker import state as worker_state
from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

from monitoring.metrics import BROKER_MESSAGES_REJECTED

logger = structlog.get_logger(__name__)


def reject(reason: str, **context: Any) -> None:
    """Log and count a message the worker refuses, so it shows on dashboards and alerts."""
    BROKER_MESSAGES_REJECTED.labels(reason=reason).inc()
    logger.error("broker_message_rejected", reason=reason, **context)


def _check_envelope(payload: Any) -> None:
    """Raise unless ``payload`` has what the consumer reads and what an unacknowledged message
    needs to be put back (its exchange and routing key)."""
    properties = payload["properties"]
    info = properties["delivery_info"]
    if "delivery_tag" not in properties or not {"exchange", "routing_key"} <= set(info):
        raise ValueError("not a kombu message envelope")


class Channel(filesystem.Channel):
    """A filesystem channel whose files are only ever seen whole."""

    def _put(self, queue: str, payload: dict, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        self._write_atomically(Path(self.data_folder_out) / name, dumps(payload))

    def _get(self, queue: str) -> dict:
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = Path(self.processed_folder) / name
            try:
                os.rename(Path(self.data_folder_in) / name, claimed)  # one reader wins
            except FileNotFoundError:
                continue
            payload = self._read_claimed(claimed)
            if payload is not None:
                return payload
        raise Empty()

    def _read_claimed(self, path: Path) -> dict | None:
        """The message in ``path``, or None once a message that cannot be delivered has been
        moved to ``rejected/``."""
        with path.open("rb") as claimed:
            # A writer of kombu's own transport (an older process on the same folder) holds an
            # exclusive lock while it fills the file: wait for it rather than read it half done.
            fcntl.flock(claimed, fcntl.LOCK_SH)
            raw = claimed.read()
        try:
            payload = loads(raw)
            _check_envelope(payload)
            self.Message(payload, channel=self)  # what the consumer will build: must not raise
        except Exception as exc:  # any way a file can be broken; the worker must go on
            os.replace(path, Path(self.rejected_folder) / path.name)
            reject("undecodable_file", file=path.name, size=len(raw), error=repr(exc))
            return None
        path.unlink()
        return payload

    def get_table(self, exchange: str) -> list:
        try:
            return super().get_table(exchange)
        except ValueError as exc:  # a table an older kombu left half-written
            reject("undecodable_exchange_table", exchange=exchange, error=repr(exc))
            return []

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(exchange):
            table = self.get_table(exchange)
            if binding not in table:
                self._write_table(exchange, [binding, *table])

    def _delete(
        self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any, **kwargs: Any
    ) -> None:
        # The virtual channel's bookkeeping, not kombu's in-place rewrite of the table file.
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern, *args)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(exchange):
            table = self.get_table(exchange)
            if binding in table:
                self._write_table(exchange, [row for row in table if row != binding])

    def _write_table(self, exchange: str, table: list) -> None:
        self._write_atomically(self._exchange_file(exchange), dumps(table))

    @contextlib.contextmanager
    def _table_lock(self, exchange: str) -> Iterator[None]:
        """Writers of one exchange table take turns (read, change, replace); readers need no
        lock since a replaced file is always whole. The lock is a file beside the table, not
        the table, which each write replaces by a new file."""
        with self._exchange_file(exchange).with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _write_atomically(self, target: Path, text: str) -> None:
        staging = Path(self.transport_options.get("staging_folder", target.parent))
        descriptor, temporary = tempfile.mkstemp(dir=staging, prefix=".", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(text.encode())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @property
    def rejected_folder(self) -> str:
        return str(self.transport_options.get("rejected_folder", self.processed_folder))


class Transport(filesystem.Transport):
    """The filesystem transport with the channel above (``CELERY_BROKER_TRANSPORT``)."""

    Channel = Channel

    def establish_connection(self) -> Any:
        # Connecting is opening folders: a missing or read-only one (var/ deleted, a full or
        # read-only disk) fails here, so /health/ready reports it instead of tasks vanishing.
        options = self.client.transport_options
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "staging_folder"):
            folder = options.get(key)
            if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
                raise OSError(f"broker folder {folder} ({key}) is not a writable directory")
        return super().establish_connection()

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        """kombu's polling loop, except that it stops polling once the worker has been told to
        stop. The filesystem transport has no event loop, so the worker runs Celery's
        ``synloop``: the SIGTERM handler only sets a flag, kombu's loop keeps polling for its
        whole 2 s timeout and ``synloop`` then runs one more cycle, so a warm shutdown would
        spend up to 4 s here before it began. No message is claimed after the flag is set:
        one claimed now would only go back to the queue."""
        started = monotonic()
        while not _worker_stopping():
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if timeout is not None and monotonic() - started >= timeout:
                    break
                self._nap(started, timeout)
        raise TimeoutError()  # socket.timeout, which synloop expects

    def _nap(self, started: float, timeout: float | None) -> None:
        """Wait out the polling interval in short steps, each ending early once the worker is
        told to stop, never past ``timeout``."""
        until = monotonic() + (self.polling_interval or 0)
        if timeout is not None:
            until = min(until, started + timeout)
        while monotonic() < until and not _worker_stopping():
            sleep(min(_STOP_CHECK_S, max(until - monotonic(), 0)))


# How often a polling worker looks at its stop flag: the delay a shutdown waits at most here.
_STOP_CHECK_S = 0.1


def _worker_stopping() -> bool:
    """True once this process is a worker told to shut down (warm or cold); never in web or
    beat, which only publish."""
    # Celery's own test (state.maybe_shutdown): a warm shutdown sets the flag to exit code 0.
    flags = (worker_state.should_stop, worker_state.should_terminate)
    return any(flag is not None and flag is not False for flag in flags)


class Consumer(CeleryConsumer):
    """Celery's consumer, counting the messages it throws away (``CELERY_WORKER_CONSUMER``):
    Celery already logs and acknowledges a body it cannot decode; we also count it."""

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        BROKER_MESSAGES_REJECTED.labels(reason="undecodable_body").inc()
        super().on_decode_error(message, exc)


@signals.task_rejected.connect
def _count_rejected(exc: Exception | None = None, **kwargs: Any) -> None:
    BROKER_MESSAGES_REJECTED.labels(reason="invalid_task" if exc else "unknown_format").inc()


@signals.task_unknown.connect
def _count_unknown(**kwargs: Any) -> None:
    BROKER_MESSAGES_REJECTED.labels(reason="unknown_task").inc()
