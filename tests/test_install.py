"""Installing dedup the way the README says, in a new virtual environment.

The sequence a new user follows: ``pip install .`` and a scan (numba compiles its kernels), then
``pip install -e .`` and a scan from another folder. Compiled kernels must go to the user's cache
folder, never into the installed package, or the leftovers of the first install shadow the
editable one. A read-only site-packages (a system install, a container run as a user) must work.

The new environment borrows the dependencies of the one running the tests through a ``.pth``
line, so only dedup itself is built and installed (pip fetches setuptools for the build).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from services import required

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "corpus"


def _site_packages(venv: Path) -> Path:
    found = list((venv / "lib").glob("python*/site-packages")) or [venv / "Lib" / "site-packages"]
    return found[0]


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture
def venv(tmp_path) -> Path:
    """A new virtual environment that sees this one's dependencies but not its dedup."""
    target = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    (_site_packages(target) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return target


@pytest.fixture
def source(tmp_path) -> Path:
    """A copy of the project's sources, so the editable install points at a folder the test owns."""
    copy = tmp_path / "src"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, copy / name)
    shutil.copytree(REPO / "dedup", copy / "dedup", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    return copy


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DEDUP_CACHE_DIR", "NUMBA_CACHE_DIR", "PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONDONTWRITEBYTECODE": "1"}


def _pip(venv: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--python", str(_bin(venv, "python")), "install", "--quiet",
                    "--no-deps", *args], check=True, env=env)


def _scan(venv: Path, folder: Path, env: dict[str, str], prefix: tuple[str, ...] = ()) -> Path:
    folder.mkdir(exist_ok=True)
    out = folder / "clusters.jsonl"
    done = subprocess.run([*prefix, str(_bin(venv, "dedup")), "scan", str(EXAMPLES), "-o", str(out)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def _installed_files(venv: Path) -> set[str]:
    package = _site_packages(venv) / "dedup"
    return {str(path.relative_to(package)) for path in package.rglob("*") if path.is_file()}


def _recorded_files(venv: Path) -> set[str]:
    record = next(_site_packages(venv).glob("dedup-*.dist-info")) / "RECORD"
    rows = (line.split(",")[0] for line in record.read_text().splitlines())
    return {row.removeprefix("dedup/") for row in rows if row.startswith("dedup/")}


def test_install_scan_then_editable_install_runs_from_another_folder(venv, source, tmp_path):
    env = _env(tmp_path / "home")
    _pip(venv, str(source), env=env)
    first = _scan(venv, tmp_path / "run1", env)
    assert _installed_files(venv) <= _recorded_files(venv), "the scan wrote files inside the installed package"
    kernels = list((tmp_path / "home" / ".cache" / "dedup" / "numba").rglob("*.nbi"))
    assert kernels, "numba's kernels were not cached in the user's cache folder"

    _pip(venv, "-e", str(source), env=env)
    assert not (_site_packages(venv) / "dedup").exists(), "the first install left a folder that shadows the editable one"
    elsewhere = tmp_path / "elsewhere"
    second = _scan(venv, elsewhere, env)
    assert second.read_text() == first.read_text()
    version = subprocess.run([str(_bin(venv, "python")), "-m", "dedup", "--version"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, check=True)
    assert "dedup, version" in version.stdout
    assert not list(source.rglob("*.nbi")), "the editable run cached kernels beside the sources"


def _read_only(path: Path) -> tuple[str, ...]:
    """A command prefix under which ``path`` is mounted read-only (root), or None if impossible."""
    probe = ["unshare", "-m", "sh", "-c",
             f'mount --bind "{path}" "{path}" && mount -o remount,bind,ro "{path}" && exec "$@"', "sh"]
    if shutil.which("unshare") and subprocess.run([*probe, "true"], capture_output=True).returncode == 0:
        return tuple(probe)
    return ()


def test_a_read_only_site_packages_runs_and_caches_in_the_user_folder(venv, source, tmp_path):
    env = _env(tmp_path / "home")
    _pip(venv, str(source), env=env)
    site_packages = _site_packages(venv)
    if os.geteuid() != 0:
        for path in [site_packages, *site_packages.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        prefix: tuple[str, ...] = ()
    else:  # root writes through file modes: mount the folder read-only in a namespace of its own
        prefix = _read_only(site_packages)
        if not prefix:
            required("mount namespace to mount site-packages read-only in, as root", "unshare -m")
    try:
        _scan(venv, tmp_path / "run", env, prefix)
    finally:
        if os.geteuid() != 0:
            for path in [site_packages, *site_packages.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)
    assert list((tmp_path / "home" / ".cache" / "dedup" / "numba").rglob("*.nbi"))
    assert _installed_files(venv) <= _recorded_files(venv)
