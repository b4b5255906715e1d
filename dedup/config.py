"""The one frozen configuration shared by the CLI, the library and the index."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from dedup.errors import ConfigError

# Settings that change the bytes of a signature or of a shingle set. An index built under one
# value of these cannot answer for another, so they are compared when an index is opened.
HASHING_FIELDS = ("tokens", "shingle_size", "num_perm", "seed", "to_simplified", "lsh_bands", "lsh_rows", "lead_chars",
                  "lead_bands", "lead_rows", "passage_keys", "passage_span", "common_sample")


@dataclass(frozen=True)
class Config:
    """Every tunable of the detector, in one immutable object.

    >>> Config(shingle_size=4).shingle_size
    4
    >>> Config(threshold=1.5)
    Traceback (most recent call last):
    ...
    dedup.errors.ConfigError: threshold must be in (0, 1]; got 1.5
    """

    tokens: str = "chars"
    """What shingles are made of: ``chars`` (characters of the normalised text) or ``words``
    (jieba's segmentation of it; needs the ``words`` extra). Characters are the default: as good
    on news reposts and many times faster (see the README)."""
    shingle_size: int = 5
    """Tokens per shingle: characters of the normalised text (punctuation and spaces removed), or
    words with ``tokens="words"``."""
    num_perm: int = 128
    """MinHash permutations per signature."""
    seed: int = 1
    """Seed of the MinHash permutations (datasketch's scheme)."""
    lsh_bands: int = 42
    lsh_rows: int = 3
    lead_chars: int = 200
    """The lead (first characters of the compared text) gets bands of its own, so that a partial
    copy, which shares its story's lead but little of its length, still becomes a candidate."""
    lead_bands: int = 4
    lead_rows: int = 4
    """LSH banding: a pair is a candidate when all rows of any one band agree."""
    passage_keys: int = 16
    """Keys of passages of the text (see :func:`dedup.stages.sketch.passage_keys`): a text that lies inside
    another shares a passage with it and becomes a candidate whatever their Jaccard. 0 turns them off."""
    passage_span: int = 32
    """Average passage length in shingles (a power of two)."""
    max_passage_bucket: int = 200
    """A passage held by more documents than this is boilerplate (or a story so widely copied that
    its whole-text bands find the copies): it proposes no pairs."""
    passage_partners: int = 6
    """Each document keeps this many of the documents it shares passages with, those of highest
    containment estimated from the passage keys (see :mod:`dedup.stages.partners`): the pairs passages
    propose stay linear in the corpus, whatever passages it reuses."""
    passage_floor: float = 0.1
    """Documents sharing passages whose estimated containment is below this are not partners."""
    rare_passage: int = 2
    """A passage held by at most this many documents (counted in order of arrival, up to the later
    of a pair) is rare: the pairs sharing it are verified whatever else either document shares.
    1 turns the rule off."""
    to_simplified: bool = True
    """Convert Traditional characters to Simplified before comparing."""
    threshold: float = 0.5
    """Two documents are one story when this share of the smaller one's shingles is in the other."""
    min_jaccard: float = 0.0
    """Optional extra floor on Jaccard similarity for a verified pair."""
    min_shingles: int = 8
    """Documents with fewer distinct shingles than this are never matched (too short to judge)."""
    short_shingles: int = 150
    """Below this many shingles a document is a short item (flash, notice): its figures are checked
    from two up (a flash template with other figures is another flash), not from four."""
    common_sample: int = 2000
    """Documents sampled (the same ones whatever the order of arrival: lowest id hashes) to find
    the corpus's common shingles."""
    common_share: float = 0.05
    """A shingle held by this share of the sample (``common_sample``) is common: no evidence of
    copying, left out when documents are compared. 0 turns the rule off."""
    max_bucket: int = 2000
    """LSH buckets holding more documents than this are treated as template collisions and skipped."""
    digest_share: float = 0.75
    """A digest page (a page holding documents of two or more different stories) joins one of them
    only when that story makes up this share of it: a compilation of commentaries joins none."""
    max_file_bytes: int = 16 * 1024 * 1024
    """Pages (and single JSON records) larger than this are rejected as too large; JSON Lines files
    of any size are streamed."""
    max_doc_chars: int = 1_000_000
    """Documents whose text is longer than this are rejected as too large: no news story is, and
    cleaning a document costs memory in proportion to its length."""

    def __post_init__(self) -> None:
        if self.tokens not in ("chars", "words"):
            raise ConfigError(f"tokens must be 'chars' or 'words'; got {self.tokens!r}")
        if not 1 <= self.shingle_size <= 32:
            raise ConfigError(f"shingle_size must be between 1 and 32; got {self.shingle_size}")
        if self.num_perm < 2:
            raise ConfigError(f"num_perm must be at least 2; got {self.num_perm}")
        if self.lsh_bands < 1 or self.lsh_rows < 1:
            raise ConfigError("lsh_bands and lsh_rows must be positive")
        if self.lead_chars < 0 or self.lead_bands < 0 or self.lead_rows < 1:
            raise ConfigError("lead_chars and lead_bands must not be negative, lead_rows must be positive")
        if self.lead_bands * self.lead_rows > self.num_perm:
            raise ConfigError(f"lead_bands * lead_rows = {self.lead_bands * self.lead_rows} exceeds num_perm = "
                              f"{self.num_perm}")
        if self.passage_keys < 0:
            raise ConfigError(f"passage_keys must not be negative (0 turns passages off); got {self.passage_keys}")
        if self.passage_span < 2 or self.passage_span & (self.passage_span - 1):
            raise ConfigError(f"passage_span must be a power of two of at least 2; got {self.passage_span}")
        if self.max_passage_bucket < 2:
            raise ConfigError(f"max_passage_bucket must be at least 2; got {self.max_passage_bucket}")
        if self.passage_partners < 1:
            raise ConfigError(f"passage_partners must be at least 1 (passage_keys=0 turns passages off); "
                              f"got {self.passage_partners}")
        if self.rare_passage < 1:
            raise ConfigError(f"rare_passage must be at least 1 (1 turns the rule off); got {self.rare_passage}")
        if not 0.0 <= self.passage_floor <= 1.0:
            raise ConfigError(f"passage_floor must be in [0, 1]; got {self.passage_floor}")
        if self.lsh_bands * self.lsh_rows > self.num_perm:
            raise ConfigError(
                f"lsh_bands * lsh_rows = {self.lsh_bands * self.lsh_rows} exceeds num_perm = {self.num_perm}; "
                "lower one of them or raise num_perm"
            )
        for name in ("threshold", "digest_share"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1]; got {value}")
        if not 0.0 <= self.min_jaccard <= 1.0:
            raise ConfigError(f"min_jaccard must be in [0, 1]; got {self.min_jaccard}")
        if self.short_shingles < 0:
            raise ConfigError(f"short_shingles must not be negative; got {self.short_shingles}")
        if self.max_file_bytes < 1 or self.max_doc_chars < 1:
            raise ConfigError("max_file_bytes and max_doc_chars must be positive")
        if self.common_sample < 1:
            raise ConfigError(f"common_sample must be at least 1; got {self.common_sample}")
        if not 0.0 <= self.common_share <= 1.0:
            raise ConfigError(f"common_share must be in [0, 1] (0 turns the rule off); got {self.common_share}")
        if self.min_shingles < 1:
            raise ConfigError(f"min_shingles must be at least 1; got {self.min_shingles}")

    @property
    def total_bands(self) -> int:
        """Band keys per document: the whole text's bands and the lead's."""
        return self.lsh_bands + (self.lead_bands if self.lead_chars else 0)

    @property
    def total_keys(self) -> int:
        """Keys per document: its band keys, then its passage keys."""
        return self.total_bands + self.passage_keys

    def bucket_cap(self, passage: bool) -> int:
        """The most documents a bucket may hold and still propose pairs: ``max_bucket`` for a band
        or lead-band key, ``max_passage_bucket`` for a passage key. Every engine caps by this.

        >>> Config().bucket_cap(passage=False), Config().bucket_cap(passage=True)
        (2000, 200)
        """
        return self.max_passage_bucket if passage else self.max_bucket

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown configuration fields: {', '.join(unknown)}")
        return cls(**data)

    def hashing_differences(self, other: Config) -> list[str]:
        """Names and values of the hashing settings in which two configurations differ."""
        return [
            f"{name}: {getattr(self, name)!r} != {getattr(other, name)!r}"
            for name in HASHING_FIELDS
            if getattr(self, name) != getattr(other, name)
        ]
