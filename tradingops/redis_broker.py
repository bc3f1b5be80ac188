"""kombu's Redis transport, whose channels fail as a lost connection once the broker is gone.

When Redis goes away while a task acknowledged late is still running, Celery's consumer collects
the dead connection (which detaches it from its transport) and closes its channel. Two later
steps then need a new connection pool, built from the detached connection's settings, and raise
``AttributeError`` ("'NoneType' object has no attribute 'hostname'" / "'client'"; kombu 5.7,
the old bug of celery/kombu#582 and #970 on new paths):

- closing the channel tries to put the unacknowledged message back (``restore_unacked``);
- the task finishes and acknowledges its message on that closed channel.

Celery does not count ``AttributeError`` as a connection error: "Unrecoverable error", the
worker exits, and the stack stops trading after a Redis restart (the game day
``redis-restarted``, about one run in ten, and always when a task was running at the restart).

Here both fail as what they are, a lost broker connection, which Celery logs ("Couldn't ack")
and gets over. Nothing is lost by not trying: without a connection there is nowhere to put the
message; it stays in Redis' unacked set and comes back after the visibility timeout, or is gone
with a Redis that restarted empty, and the next beat tick sends the periodic work again (tasks
are idempotent). A warm shutdown, whose connection is intact, still puts its unacknowledged
messages back at once.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(redis.Channel):
    def close(self) -> None:
        if self._detached() and self._qos is not None:
            self._qos.restore_at_shutdown = False  # no broker to put the messages back into
        super().close()

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self._detached():
            raise RedisConnectionError("the broker connection of this channel was closed")
        return super()._connparams(asynchronous=asynchronous)

    def _detached(self) -> bool:
        return self.connection is None or self.connection.client is None


class Transport(redis.Transport):
    Channel = Channel
