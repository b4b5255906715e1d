"""The shared index when PostgreSQL goes away, and under roles with few rights.

The server-kill tests run a server of their own (tests/services.py ``KillablePostgres``: initdb in
a temporary folder, its own port), so killing it harms no one. The role tests make roles on the
test server and drop them.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from services import KillablePostgres
from test_store_postgres import _documents, _scanned_stories, _split, _stories

from dedup.engines.incremental.index import Index

pytestmark = pytest.mark.postgres


@pytest.fixture
def server():
    made = KillablePostgres()
    made.start()
    yield made
    made.remove()


@pytest.fixture(scope="module")
def folders_of(labelled_corpus, tmp_path_factory):
    docs = _documents(labelled_corpus(40, 21) / "corpus")
    folders = _split(docs, 4, tmp_path_factory.mktemp("parts"))
    return docs, folders


def _writers(folders: list[Path], url: str, timeout: int) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, "-m", "dedup", "index", str(folder), "--db", url, "--batch", "5",
                              "--timeout", str(timeout), "--workers", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for folder in folders]


def _stored(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as db:
            return int(db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])
    except psycopg.Error:
        return 0


def _wait_for_some(url: str, count: int) -> None:
    deadline = time.monotonic() + 180
    while _stored(url) < count:
        assert time.monotonic() < deadline, "the writers stored nothing"
        time.sleep(0.05)


def _check_whole(url: str, docs, folders) -> None:
    with psycopg.connect(url) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM docs").fetchone() == (len(docs), len(docs))
    with Index(url, readonly=True) as index:
        assert _stories(index.clusters()) == _scanned_stories(folders)


def test_writers_reconnect_after_the_server_is_killed_and_comes_back(server, folders_of):
    docs, folders = folders_of
    writers = _writers(folders, server.url, timeout=60)
    _wait_for_some(server.url, 20)
    server.kill()
    time.sleep(1.5)
    server.start()
    outputs = [writer.communicate(timeout=600) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0, 0], [err for _, err in outputs]
    assert any("connected again" in err for _, err in outputs), "no writer noticed the outage"
    assert not any("Traceback" in err for _, err in outputs)
    again = _writers(folders, server.url, timeout=60)  # the same commands once more: nothing new
    assert [writer.communicate(timeout=600) and writer.returncode for writer in again] == [0, 0, 0, 0]
    _check_whole(server.url, docs, folders)


def test_writers_stop_with_a_clear_error_when_the_server_stays_down_and_a_rerun_completes(server, folders_of):
    docs, folders = folders_of
    writers = _writers(folders, server.url, timeout=3)
    _wait_for_some(server.url, 20)
    server.kill()
    outputs = [writer.communicate(timeout=600) for writer in writers]
    codes = [writer.returncode for writer in writers]
    assert set(codes) <= {0, 1} and 1 in codes, [err for _, err in outputs]
    for writer, (_, err) in zip(writers, outputs, strict=True):
        if writer.returncode == 1:
            assert "lost the connection to" in err and "did not answer again within 3 s" in err, err
            assert "Traceback" not in err
    server.start()
    again = _writers(folders, server.url, timeout=60)
    outputs = [writer.communicate(timeout=600) for writer in again]
    assert [writer.returncode for writer in again] == [0, 0, 0, 0], [err for _, err in outputs]
    _check_whole(server.url, docs, folders)


def test_an_index_whose_connection_was_dropped_works_again_at_its_next_call(server, folders_of):
    docs = folders_of[0][:30]
    with Index(server.url) as index:
        first = [index.add(doc).status for doc in docs[:10]]
        server.stop()  # a restart: every connection is closed
        server.start()
        assert index.add(docs[10]).status in ("new", "repost")
        with psycopg.connect(server.url, autocommit=True) as admin:  # an idle timeout, as a proxy would
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                          "AND datname = current_database()")
        assert index.query(docs[0]).status == "unchanged"

        # the connection drops in the middle of adding a batch: the batch runs again, whole
        store, calls = index.store, [0]
        original_add = store.add

        def add_then_drop(*args, **kwargs):
            number = original_add(*args, **kwargs)
            calls[0] += 1
            if calls[0] == 3:
                with pytest.raises(psycopg.OperationalError):
                    store.db.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            return number

        store.add = add_then_drop  # type: ignore[method-assign]
        verdicts = list(index.add_many(docs[11:30], batch=19))
        store.add = original_add  # type: ignore[method-assign]
        assert calls[0] > 19, "the batch was not run again"
        assert [v.status for v in verdicts].count("unchanged") == 0
        assert len(index) == 30
        with psycopg.connect(server.url) as db:
            assert db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM docs").fetchone() == (30, 30)
    assert first.count("new") >= 1


# --- least privilege ----------------------------------------------------------------------------


def _as(url: str, role: str, password: str | None = None) -> str:
    parts = urlsplit(url)
    host = parts.netloc.split("@", 1)[-1]
    login = role if password is None else f"{role}:{password}"
    return parts._replace(netloc=f"{login}@{host}").geturl()


@pytest.fixture
def roles(pg_url):
    names = {kind: f"dedup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("writer", "reader", "nobody")}
    with psycopg.connect(pg_url, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE ROLE "{name}" LOGIN')
    yield names
    with psycopg.connect(pg_url, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'DROP OWNED BY "{name}"')
            admin.execute(f'DROP ROLE "{name}"')


def _dedup(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_roles_that_may_only_read_or_write_rows(pg_url, roles, folders_of, tmp_path):
    docs, folders = folders_of
    with psycopg.connect(pg_url, autocommit=True) as admin:  # PostgreSQL 15 and later do this already
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    refused = _dedup("index", str(folders[0]), "--db", _as(pg_url, roles["nobody"]), cwd=tmp_path)
    assert refused.returncode == 1 and "dedup init-db --db URL" in refused.stderr, refused.stderr

    made = _dedup("init-db", "--db", pg_url, "--writer", roles["writer"], "--reader", roles["reader"], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    writer, reader = _as(pg_url, roles["writer"]), _as(pg_url, roles["reader"])
    for folder in folders:
        done = _dedup("index", str(folder), "--db", writer, cwd=tmp_path)
        assert done.returncode == 0, done.stderr

    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "a.txt").write_text("标题\n" + "北湾港一季度集装箱吞吐量同比增长一成，外贸航线增速最高。" * 5,
                                            encoding="utf-8")
    refused = _dedup("index", str(tmp_path / "new"), "--db", reader, cwd=tmp_path)
    assert refused.returncode == 1 and "may not write the index" in refused.stderr, refused.stderr
    (tmp_path / "probe.jsonl").write_text((folders[0] / "docs.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n",
                                          encoding="utf-8")
    for args in (["query", str(tmp_path / "probe.jsonl")], ["clusters", "-o", str(tmp_path / "c.jsonl")], ["stats"],
                 ["explain", "--id", docs[0].id], ["report", "-o", str(tmp_path / "r.html")]):
        done = _dedup(*args, "--db", reader, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
    with Index(reader, readonly=True) as index:
        assert _stories(index.clusters()) == _scanned_stories(folders)


def test_passwords_are_never_printed(pg_url, roles, tmp_path, monkeypatch):
    secret = "s3cret-" + uuid.uuid4().hex[:6]
    unreachable = f"postgresql://dedup:{secret}@127.0.0.1:1/news"
    in_query = f"postgresql://dedup@127.0.0.1:1/news?password={secret}&connect_timeout=1"
    with_password = _as(pg_url, roles["nobody"], secret)  # reaches the server, which has no tables for it
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("标题\n" + "江城发布数字化改造补贴细则，企业可以申请。" * 5, encoding="utf-8")
    for url in (unreachable, in_query, with_password):
        for args in (["index", str(tmp_path / "in")], ["stats"], ["clusters"], ["init-db"]):
            done = _dedup(*args, "--db", url, "--timeout", "2", cwd=tmp_path) if args[0] == "index" else \
                _dedup(*args, "--db", url, cwd=tmp_path)
            assert done.returncode != 0
            assert secret not in done.stdout + done.stderr, (args, done.stderr)
    monkeypatch.setenv("PGPASSWORD", secret)  # libpq's own place for it
    done = _dedup("stats", "--db", "postgresql://dedup@127.0.0.1:1/news", cwd=tmp_path)
    assert done.returncode != 0 and secret not in done.stdout + done.stderr
