"""The MinHash permutations of datasketch's ``affine32`` scheme, shared by the compiled kernels
(:mod:`dedup.stages.sketch`) and the numpy reference (:mod:`dedup.stages.reference`).

The permutations are datasketch's own (``a*h + b mod 2**32`` over MurmurHash3-finalised 32-bit
hashes, parameters drawn from ``numpy.random.RandomState(seed)``), so a signature here equals
``datasketch.MinHash(num_perm, seed, hashfunc=...)`` fed the same 32-bit shingle hashes; the test
suite checks that. Signatures are plain ``uint32`` arrays, one row per document.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

EMPTY_VALUE = np.uint32(0xFFFFFFFF)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters ``(a, b)``, each of shape ``(num_perm,)``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b
