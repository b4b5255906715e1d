"""Each cluster's origin outlet, kept beside the labels: what ``dedup copies --db`` asks by outlet.

A cluster is known by its label (the number of its canonical copy, as ``docs.cluster`` holds it);
the table ``origins`` maps a label to the outlet the choice named, indexed on the outlet, so the
clusters of one outlet are found without reading the index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ORIGINS_SCHEMA = """
CREATE TABLE IF NOT EXISTS origins (label BIGINT PRIMARY KEY, outlet TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS origins_outlet ON origins (outlet);
"""


STALE = -1
"""The label of the row that says the table is not whole (no document has a negative number)."""


class OriginTable:
    """The ``origins`` table's verbs for a store whose ``db`` runs SQL with ``mark`` placeholders."""

    db: Any
    mark = "?"

    def set_origins(self, rows: Iterable[tuple[int, str | None]]) -> None:
        """``(label, outlet)`` pairs: a cluster's origin, or None where the label names no cluster
        with an origin any more (a member that is not its cluster's canonical copy, say)."""
        rows = list(rows)
        if not rows:
            return
        mark = self.mark
        cursor = self.db.cursor()
        gone = [(label,) for label, outlet in rows if not outlet]
        if gone:
            cursor.executemany(f"DELETE FROM origins WHERE label = {mark}", gone)
        # an upsert: writers at work on one index at once may set one label (no delete-then-insert race)
        cursor.executemany(f"INSERT INTO origins VALUES ({mark}, {mark}) ON CONFLICT (label) DO UPDATE SET "
                           "outlet = excluded.outlet", [(label, outlet) for label, outlet in rows if outlet])

    def mark_origins_stale(self) -> None:
        """Note that documents came in whose clusters' origins were not worked out (adds without
        verdicts): the table is whole again only after the next whole clustering."""
        # takes no lock on a mark that is there already: writers do not queue on it
        self.db.execute(f"INSERT INTO origins VALUES ({self.mark}, {self.mark}) ON CONFLICT (label) DO NOTHING",
                        (STALE, "*"))

    def origins_stale(self) -> bool:
        """Whether documents were added since the origins were last worked out for every cluster."""
        return self.db.execute(f"SELECT 1 FROM origins WHERE label = {self.mark}", (STALE,)).fetchone() is not None

    def origin_members(self, outlet: str) -> dict[int, list[int]]:
        """The members of every cluster whose origin is ``outlet``, by label."""
        found: dict[int, list[int]] = {}
        for label, number in self.db.execute(
                f"SELECT d.cluster, d.n FROM origins o JOIN docs d ON d.cluster = o.label WHERE o.outlet = {self.mark} "
                "ORDER BY d.cluster, d.n", (outlet,)).fetchall():
            found.setdefault(int(label), []).append(int(number))
        return found
