"""The distributions a release would upload: a wheel and an sdist built by ``python -m build``,
accepted by ``twine check --strict``, holding what an install needs and nothing of the tests."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_and_the_sdist_build_and_pass_twine_check(tmp_path):
    built = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("dedup-*.whl")
    (sdist,) = tmp_path.glob("dedup-*.tar.gz")
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    names = zipfile.ZipFile(wheel).namelist()
    assert "dedup/__main__.py" in names and "dedup/py.typed" in names
    assert any(name.startswith("dedup/data/") and name.endswith(".json") for name in names)
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/", "docs/"))]
    assert not [name for name in names if name.endswith((".nbi", ".nbc"))], "compiled kernels in the wheel"
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text and "Description-Content-Type: text/markdown" in text
    assert "Provides-Extra: spark" in text and "dedup scan" in text  # the README is the long description

    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(name.endswith("/pyproject.toml") for name in members)
    assert any(name.endswith("/dedup/engines/local/engine.py") for name in members)
