"""What a ``dedup serve`` process is started with: the index, where it listens, its limits, who
may call it. One frozen object, made by the command line and handed to every worker process.

>>> Tokens.parse("s3cret-writer-0123456\\ns3cret-reader-0123456 read\\n# a comment\\n").scope_of("s3cret-reader-0123456")
'read'
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from dataclasses import asdict, dataclass

from dedup.errors import ConfigError

SCOPES = ("read", "write")


@dataclass(frozen=True)
class Tokens:
    """Bearer tokens and what each may do (``write`` includes ``read``)."""

    scopes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str, source: str = "tokens file") -> Tokens:
        """One token per line, optionally followed by a space and ``read`` or ``write`` (the
        default); blank lines and ``#`` comments are skipped."""
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            parts = line.split("#", 1)[0].split()
            if not parts:
                continue
            if len(parts) > 2 or (len(parts) == 2 and parts[1] not in SCOPES):
                raise ConfigError(f"{source}:{number}: expected 'TOKEN' or 'TOKEN read|write'")
            if len(parts[0]) < 16:
                raise ConfigError(f"{source}:{number}: a token needs at least 16 characters")
            found.append((parts[0], parts[1] if len(parts) == 2 else "write"))
        if not found:
            raise ConfigError(f"{source}: no token in it")
        return cls(tuple(found))

    def scope_of(self, token: str) -> str | None:
        """The scope of ``token``, or None if it is not one of these (compared in constant time)."""
        scope = None
        for known, known_scope in self.scopes:
            if hmac.compare_digest(known.encode(), token.encode()):
                scope = known_scope
        return scope


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeSettings:
    """The service's settings. ``tokens`` None means no authentication, allowed on loopback only."""

    db: str
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    outlets_file: str | None = None
    tokens: Tokens | None = None
    max_body_bytes: int = 4 * 2**20
    max_batch: int = 500
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.tokens is None and not is_loopback(self.host):
            raise ConfigError(f"without --tokens-file the service listens on loopback only, not on {self.host!r}: "
                              "give it a tokens file, and put TLS in front (a reverse proxy)")
        if self.workers < 1 or self.max_batch < 1 or self.max_body_bytes < 1024:
            raise ConfigError("--workers and --max-batch must be at least 1, --max-body-bytes at least 1024")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeSettings:
        data = json.loads(text)
        tokens = data.pop("tokens")
        return cls(**data, tokens=Tokens(tuple(tuple(pair) for pair in tokens["scopes"])) if tokens else None)
