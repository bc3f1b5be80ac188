"""The embedded broker's transport on its own: files appear whole, a broken one is set aside and
counted, and the exchange tables survive concurrent binders. No worker: a kombu connection on a
scratch broker folder, so each test takes well under a second."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from queue import Empty

import pytest
from celery.worker import state as worker_state
from kombu import Connection, Exchange, Queue

from monitoring.metrics import BROKER_MESSAGES_REJECTED


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, str]:
    names = ("queue", "processed", "control", "staging", "rejected")
    for name in names:
        (tmp_path / name).mkdir()
    return {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "staging_folder": str(tmp_path / "staging"),
        "rejected_folder": str(tmp_path / "rejected"),
    }


@pytest.fixture
def connection(folders):
    with Connection(
        "filesystem://", transport="tradingops.broker:Transport", transport_options=folders
    ) as conn:
        yield conn


# kombu keeps the bindings it declared in process-wide state and skips a binding it knows, so
# each test uses queue names of its own (its scratch control folder starts empty).


def _rejected(reason: str) -> float:
    return BROKER_MESSAGES_REJECTED.labels(reason=reason)._value.get()


def test_a_message_file_is_only_ever_seen_whole(connection, folders):
    queue = connection.SimpleQueue("whole")
    queue.put({"n": 1})

    # The message was written in staging/ and renamed: nothing is left half-written there.
    assert list(Path(folders["staging_folder"]).iterdir()) == []
    assert [p.name.endswith(".whole.msg") for p in Path(folders["data_folder_in"]).iterdir()] == [
        True
    ]
    message = queue.get(timeout=1)
    assert message.payload == {"n": 1}
    message.ack()
    assert list(Path(folders["data_folder_in"]).iterdir()) == []
    assert list(Path(folders["processed_folder"]).iterdir()) == []
    queue.close()


def test_broken_files_are_set_aside_counted_and_the_good_message_behind_them_delivered(
    connection, folders
):
    queue_dir = Path(folders["data_folder_in"])
    broken = {
        "0001_empty.jobs.msg": b"",  # what the worker read from a file beat had just created
        "0002_half.jobs.msg": b'{"body": "eyJ',
        "0003_not_an_envelope.jobs.msg": b"[1, 2, 3]",
        # JSON, but not a message the worker could acknowledge or put back
        "0004_no_delivery_info.jobs.msg": json.dumps(
            {"body": "e30=", "properties": {"delivery_tag": "t", "body_encoding": "base64"}}
        ).encode(),
    }
    for name, content in broken.items():
        (queue_dir / name).write_bytes(content)
    before = _rejected("undecodable_file")
    queue = connection.SimpleQueue("jobs")
    queue.put({"n": 2})

    message = queue.get(timeout=1)

    assert message.payload == {"n": 2}
    assert sorted(p.name for p in Path(folders["rejected_folder"]).iterdir()) == sorted(broken)
    assert _rejected("undecodable_file") - before == len(broken)
    queue.close()


def test_only_one_of_two_readers_gets_a_message(connection, folders):
    producer = connection.SimpleQueue("race")
    for n in range(200):
        producer.put({"n": n})
    got: list[int] = []

    def read() -> None:
        with Connection(
            "filesystem://", transport="tradingops.broker:Transport", transport_options=folders
        ) as own:
            queue = own.SimpleQueue("race")
            while True:
                try:
                    message = queue.get(timeout=0.3)
                except queue.Empty:
                    return
                got.append(message.payload["n"])
                message.ack()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=60)

    assert sorted(got) == list(range(200))  # each exactly once
    producer.close()


def test_concurrent_binders_keep_every_binding(folders):
    exchange = Exchange("fan", type="fanout")

    def bind(n: int) -> None:
        with Connection(
            "filesystem://", transport="tradingops.broker:Transport", transport_options=folders
        ) as own:
            Queue(f"q{n}", exchange, routing_key=f"q{n}")(own.default_channel).declare()

    binders = [threading.Thread(target=bind, args=(n,)) for n in range(8)]
    for binder in binders:
        binder.start()
    for binder in binders:
        binder.join(timeout=30)

    table = json.loads((Path(folders["control_folder"]) / "fan.exchange").read_text())
    assert sorted(row[2] for row in table) == [f"q{n}" for n in range(8)]


@pytest.mark.parametrize("flag", ["should_stop", "should_terminate"])
def test_a_worker_told_to_stop_claims_no_more_messages(connection, folders, monkeypatch, flag):
    # A warm shutdown sets should_stop to exit code 0, a cold one should_terminate: each stops
    # the polling at once, and a message still waiting stays in the queue for the next worker.
    queue = connection.SimpleQueue(f"stopping-{flag}")
    queue.put({"n": 1})
    monkeypatch.setattr(worker_state, flag, 0)

    with pytest.raises(Empty):  # the drain's timeout, as when the queue is empty
        queue.get(timeout=5)

    assert len(list(Path(folders["data_folder_in"]).iterdir())) == 1
    monkeypatch.setattr(worker_state, flag, None)
    assert queue.get(timeout=5).payload == {"n": 1}
    queue.close()
