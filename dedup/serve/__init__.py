"""``dedup serve``: the index as a JSON HTTP service (:func:`create_app`, :class:`ServeSettings`).

Needs the ``serve`` extra (``pip install "dedup[serve]"``: Starlette and uvicorn).
"""

from dedup.serve.app import create_app
from dedup.serve.settings import ServeSettings, Tokens

__all__ = ["ServeSettings", "Tokens", "create_app"]
