"""How the Spark engine's data meet without a shuffle of the documents: map-side joins of
blocks with rows partitioned alike, the connected components of the verified edges
(large-star/small-star), and the storage level of what is kept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from dedup.engines.spark.blocks import block_rows


def keep() -> Any:
    """How stages keep their data: in memory and on disk, so that blocks evicted from memory go to
    local disk rather than being computed again from the input."""
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK


def components(edges: Any, parts: int) -> Any:
    """``(node, component)`` for every node with an edge: large-star/small-star until nothing
    changes (Kiveris et al., "Connected components in MapReduce and beyond", 2014). Each
    component is labelled by its smallest node.
    """
    current = edges.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(parts).persist(keep())
    while True:
        # large star: every node links its larger neighbours to the smallest of its neighbourhood and itself
        large = current.groupByKey(parts).flatMap(
            lambda kv: [(v, min(min(kv[1]), kv[0])) for v in kv[1] if v > kv[0]]).distinct(parts)
        # small star: every node links itself and its smaller neighbours to the smallest of them
        small = large.map(lambda e: (max(e), min(e))).groupByKey(parts).flatMap(
            lambda kv: [(v, min(min(kv[1]), kv[0])) for v in list(kv[1]) + [kv[0]] if v != min(min(kv[1]), kv[0])]
        ).distinct(parts).persist(keep())
        previous = current.filter(lambda e: e[0] > e[1])
        # one shuffle tells whether the edges changed: an edge in only one of the two sets
        changed = small.map(lambda e: (e, 1)).union(previous.map(lambda e: (e, 2))).reduceByKey(
            lambda a, b: a | b, parts).filter(lambda kv: kv[1] != 3).count()
        # the next round's edges are made before this round's are let go, never computed again
        following = small.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(parts).persist(keep())
        following.count()
        current.unpersist()
        small.unpersist()
        current = following
        if not changed:
            break
    return current.filter(lambda e: e[0] > e[1]).union(
        current.map(lambda e: min(e)).distinct(parts).map(lambda n: (n, n))).coalesce(parts)


def map_side_join(small: Any, big: Any, without: bool = False) -> Any:
    """``(key, (small's value, big's value))`` for every row of ``big`` whose key ``small`` holds
    (with ``without``: the rows of ``big`` whose key it does not hold, as they are).

    Both RDDs are partitioned alike, so partition *i* of each meets in one task: ``small``'s rows
    are held in a table, ``big``'s stream past it. Neither side is shuffled and ``big`` (the
    documents) is never grouped in Python memory, as ``RDD.join`` would group it.
    """
    both = small.mapValues(lambda value: (0, value)).union(big.mapValues(lambda value: (1, value)))
    if both.partitioner is None or both.partitioner != big.partitioner:
        raise RuntimeError("a map-side join needs two RDDs partitioned alike")
    return both.mapPartitions(lambda rows: _joined_rows(rows, without), preservesPartitioning=True)


def _joined_rows(rows: Iterable[tuple[Any, tuple[int, Any]]], without: bool) -> Iterator[tuple[Any, Any]]:
    table: dict[Any, list[Any]] = {}
    for key, (side, value) in rows:
        if side == 0:
            # Spark's union of RDDs partitioned alike gives a partition's rows of the first RDD first
            table.setdefault(key, []).append(value)
        elif without:
            if key not in table:
                yield key, value
        else:
            for held in table.get(key, ()):
                yield key, (held, value)


def numbered(item: tuple[dict[str, Any], int]) -> dict[str, Any]:
    record, index = item
    record["cluster_id"] = f"c{index + 1:06d}"
    return record


def with_blocks(blocks: Any, rows: Any, emit: Any) -> Any:
    """``emit(block, key, value)`` for every row of ``rows``, next to the block of the partition its
    key is in: both RDDs are partitioned alike, so neither is shuffled."""
    # emit keys its rows anew: the result is not partitioned by its keys
    return aligned(blocks, rows).mapPartitions(lambda items: block_rows(items, emit))


def aligned(blocks: Any, rows: Any) -> Any:
    """The union of blocks and rows partitioned alike: partition *i* of each read in one task, the block first."""
    both = blocks.union(rows)
    if both.partitioner is None or both.partitioner != blocks.partitioner:
        raise RuntimeError("rows and blocks must be partitioned alike")
    return both
