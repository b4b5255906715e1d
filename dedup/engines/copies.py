"""``copies_of``: the copies ledger of one outlet over whatever holds the clusters.

>>> from dedup import Document, scan
>>> result = scan([Document(id="a", site="cs.com.cn", title="T", text="T\\n2024-03-12 来源:中国证券报\\n" + "江城发布数字化改造补贴细则，企业可以申请。" * 8),
...                Document(id="b", site="x.example", title="T", text="T\\n2024-03-13\\n" + "江城发布数字化改造补贴细则，企业可以申请。" * 8)])
>>> [(c.id, c.credit, c.flags) for c in copies_of(result, "中证网")]
[('b', 'none', ['no credit'])]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from dedup.engines.incremental.index import Index
from dedup.errors import InputError
from dedup.outputs.copies import Copy, copies_in
from dedup.outputs.html_report import read_records
from dedup.outputs.records import iter_records
from dedup.stages.result import ScanResult
from dedup.text.outlets import OutletTable


def copies_of(source: ScanResult | Index | str | os.PathLike[str] | Iterable[dict[str, Any]], outlet: str,
              since: str | None = None, until: str | None = None, credits: Iterable[str] | None = None,
              outlets: OutletTable | None = None) -> Iterator[Copy]:
    """Every copy of the stories whose origin is ``outlet``, with its credit, delay, how much it
    took and the flags a rights desk looks for (:class:`dedup.outputs.copies.Copy`), from a scan's
    result, an :class:`Index` (by the origins it stores), a ``clusters.jsonl`` file or cluster
    records. ``since``/``until`` (``YYYY-MM-DD``) keep stories first published on those days;
    ``credits`` keeps copies of those credit kinds (``outlet``, ``self_then_outlet``, ``self``,
    ``other``, ``none``). A clusters file's malformed lines raise :class:`InputError` naming the
    first of them, after the rest are read.
    """
    if isinstance(source, Index):
        yield from source.copies(outlet, since, until, credits)
        return
    table = outlets or OutletTable.default()
    if isinstance(source, ScanResult):
        yield from copies_in(iter_records(source, 2, table), outlet, table, since, until, credits)
        return
    if isinstance(source, (str, os.PathLike)):
        rejects: list[InputError] = []
        with open(Path(source), encoding="utf-8") as handle:
            yield from copies_in(read_records(handle, str(source), rejects), outlet, table, since, until, credits)
        if rejects:
            raise rejects[0]
        return
    yield from copies_in(source, outlet, table, since, until, credits)


__all__ = ["copies_of"]
