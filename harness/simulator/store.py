"""The simulator's own state (orders, executions, positions, cash) in a SQLite file.

A restarted simulator carries on where it stopped, as a real broker would: tests and game
days restart it mid-cycle and expect every accepted order to still be there. Orders and FILL
activities are stored as the JSON documents the API returns, plus the columns the simulator
queries on. Only the simulator's single worker thread touches the connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    client_order_id TEXT NOT NULL UNIQUE,
    symbol TEXT NOT NULL,
    status TEXT NOT NULL,
    open INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    cursor TEXT NOT NULL,
    expires_at TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_open ON orders (open, submitted_at);
CREATE TABLE IF NOT EXISTS activities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    transaction_time TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    symbol TEXT PRIMARY KEY,
    qty TEXT NOT NULL,
    avg_entry_price TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class DuplicateClientOrderId(Exception):
    """An order with this client_order_id exists already (the UNIQUE column refused it)."""


class SimulatorStore:
    def __init__(self, path: str | Path, *, starting_cash: Decimal) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)
        self.starting_cash = starting_cash
        self.conn.execute(
            "INSERT OR IGNORE INTO account (key, value) VALUES ('cash', ?)", (str(starting_cash),)
        )

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One simulator action (a fill: execution + order + position + cash) commits whole."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def reset(self) -> None:
        with self.atomic():
            for table in ("orders", "activities", "positions", "account"):
                self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            self.conn.execute(
                "INSERT INTO account (key, value) VALUES ('cash', ?)", (str(self.starting_cash),)
            )

    # Orders ------------------------------------------------------------------------------
    def order_insert(self, doc: dict, *, cursor: str, expires_at: str | None) -> None:
        try:
            self.conn.execute(
                "INSERT INTO orders (id, client_order_id, symbol, status, open, submitted_at,"
                " cursor, expires_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc["id"],
                    doc["client_order_id"],
                    doc["symbol"],
                    doc["status"],
                    int(_is_open(doc["status"])),
                    doc["submitted_at"],
                    cursor,
                    expires_at,
                    json.dumps(doc),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise DuplicateClientOrderId(doc["client_order_id"]) from exc

    def order_save(self, doc: dict, *, cursor: str | None = None) -> None:
        self.conn.execute(
            "UPDATE orders SET status = ?, open = ?, doc = ?, cursor = COALESCE(?, cursor)"
            " WHERE id = ?",
            (doc["status"], int(_is_open(doc["status"])), json.dumps(doc), cursor, doc["id"]),
        )

    def order_get(self, order_id: str) -> dict | None:
        row = self.conn.execute("SELECT doc FROM orders WHERE id = ?", (order_id,)).fetchone()
        return None if row is None else json.loads(row["doc"])

    def order_by_client_id(self, client_order_id: str) -> dict | None:
        row = self.conn.execute(
            "SELECT doc FROM orders WHERE client_order_id = ?", (client_order_id,)
        ).fetchone()
        return None if row is None else json.loads(row["doc"])

    def order_list(
        self,
        *,
        status: str = "open",
        after: str | None = None,
        until: str | None = None,
        ascending: bool = False,
        limit: int = 50,
        symbols: list[str] | None = None,
        side: str | None = None,
    ) -> list[dict]:
        clauses: list[str] = []
        params: list[int | str] = []
        if status in ("open", "closed"):
            clauses.append("open = ?")
            params.append(int(status == "open"))
        if after:
            clauses.append("submitted_at > ?")
            params.append(after)
        if until:
            clauses.append("submitted_at < ?")
            params.append(until)
        if symbols:
            clauses.append(f"symbol IN ({', '.join('?' * len(symbols))})")
            params.extend(symbols)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "ASC" if ascending else "DESC"
        rows = self.conn.execute(
            f"SELECT doc FROM orders {where} ORDER BY submitted_at {order}, rowid {order}"  # noqa: S608
            " LIMIT ?",
            (*params, limit),
        ).fetchall()
        docs = [json.loads(row["doc"]) for row in rows]
        return [doc for doc in docs if side is None or doc["side"] == side]

    def working_orders(self) -> list[tuple[dict, str, str | None]]:
        rows = self.conn.execute(
            "SELECT doc, cursor, expires_at FROM orders WHERE open = 1 ORDER BY submitted_at"
        ).fetchall()
        return [(json.loads(r["doc"]), r["cursor"], r["expires_at"]) for r in rows]

    # Executions (FILL activities) --------------------------------------------------------
    def activity_insert(self, doc: dict) -> None:
        self.conn.execute(
            "INSERT INTO activities (id, order_id, transaction_time, doc) VALUES (?, ?, ?, ?)",
            (doc["id"], doc["order_id"], doc["transaction_time"], json.dumps(doc)),
        )

    def activity_list(
        self,
        *,
        after: str | None = None,
        until: str | None = None,
        ascending: bool = False,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> list[dict]:
        clauses, params = [], []
        if after:
            clauses.append("transaction_time > ?")
            params.append(after)
        if until:
            clauses.append("transaction_time < ?")
            params.append(until)
        if page_token:
            # Alpaca pages by the id of the last activity seen, in the requested direction.
            comparison = ">" if ascending else "<"
            clauses.append(f"seq {comparison} (SELECT seq FROM activities WHERE id = ?)")  # noqa: S608
            params.append(page_token)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "ASC" if ascending else "DESC"
        rows = self.conn.execute(
            f"SELECT doc FROM activities {where} ORDER BY seq {order} LIMIT ?",  # noqa: S608
            (*params, page_size),
        ).fetchall()
        return [json.loads(row["doc"]) for row in rows]

    # Positions and cash ------------------------------------------------------------------
    def position_get(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        row = self.conn.execute(
            "SELECT qty, avg_entry_price FROM positions WHERE symbol = ?", (symbol,)
        ).fetchone()
        return None if row is None else (Decimal(row["qty"]), Decimal(row["avg_entry_price"]))

    def position_list(self) -> list[tuple[str, Decimal, Decimal]]:
        rows = self.conn.execute(
            "SELECT symbol, qty, avg_entry_price FROM positions ORDER BY symbol"
        ).fetchall()
        return [(r["symbol"], Decimal(r["qty"]), Decimal(r["avg_entry_price"])) for r in rows]

    def position_set(self, symbol: str, qty: Decimal, avg_entry_price: Decimal) -> None:
        if qty == 0:
            self.conn.execute("DELETE FROM positions WHERE symbol = ?", (symbol,))
            return
        self.conn.execute(
            "INSERT INTO positions (symbol, qty, avg_entry_price) VALUES (?, ?, ?)"
            " ON CONFLICT (symbol) DO UPDATE SET qty = excluded.qty,"
            " avg_entry_price = excluded.avg_entry_price",
            (symbol, str(qty), str(avg_entry_price)),
        )

    def cash(self) -> Decimal:
        row = self.conn.execute("SELECT value FROM account WHERE key = 'cash'").fetchone()
        return Decimal(row["value"])

    def cash_set(self, value: Decimal) -> None:
        self.conn.execute("UPDATE account SET value = ? WHERE key = 'cash'", (str(value),))


def _is_open(status: str) -> bool:
    return status not in {"filled", "canceled", "expired", "rejected", "replaced"}
