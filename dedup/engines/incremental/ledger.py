"""The clusters of one origin outlet as an index keeps them, in ``dedup scan``'s record format.

The ``origins`` table names each cluster's origin when its labels are set (an add, a bulk load,
``clusters()``); :func:`origin_records` reads the members of one outlet's clusters by that table
and builds their records with the scan's own member builder, so ``dedup copies --db`` answers
from the index without clustering it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from dedup.engines.incremental.state import IndexState
from dedup.outputs.html_report import shared_sentences
from dedup.outputs.records import member_record
from dedup.stages.canonical import role_of
from dedup.stages.credit import own_names_of
from dedup.stages.sketch import jaccard_containment
from dedup.store import Store


def origin_records(store: Store, state: IndexState, outlet: str,
                   bodies: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """A cluster record for every stored cluster whose origin is ``outlet`` (canonical name);
    ``bodies``, when given, is filled with each member's body by id (for shared sentences)."""
    for label, numbers in sorted(store.origin_members(outlet).items()):
        stored = store.documents(numbers, texts=True)
        if label not in stored or len(stored) < 2:
            continue
        docs = {n: state.cleaned(found) for n, found in stored.items()}
        shingles = {n: state.sketch_body(found.body)[0] for n, found in stored.items()}
        own_names = own_names_of(docs.values(), state.outlets)
        canonical = shingles[label]
        members = []
        for n in [label, *sorted(n for n in stored if n != label)]:
            doc = docs[n]
            shared, jaccard, containment = jaccard_containment(canonical, shingles[n])
            size, canonical_size = len(shingles[n]), len(canonical)
            role = "canonical" if n == label else role_of(size, canonical_size, doc.spun)
            members.append(member_record(doc, role, round(jaccard, 4), round(containment, 4), state.outlets, outlet,
                                         shared, (size, canonical_size), own_names.get(doc.site, ())))
            if bodies is not None:
                bodies[doc.id] = stored[n].body
        yield {"cluster_id": f"c:{docs[label].id}", "size": len(members), "canonical_id": docs[label].id,
               "origin": {"outlet": outlet, "evidence": []}, "members": members}


def sentence_counter(bodies: dict[str, str]) -> Callable[[str, str], int | None]:
    """``(copy id, original id)`` -> sentences of the original the copy holds, from ``bodies``."""
    def count(copy_id: str, original_id: str) -> int | None:
        if copy_id not in bodies or original_id not in bodies:
            return None
        return sum(1 for _, shared in shared_sentences(bodies[original_id], bodies[copy_id]) if shared)
    return count
