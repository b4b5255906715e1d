"""``dedup serve`` under uvicorn on a loopback port, and the client: the library's verdicts over
HTTP, JSON errors with codes, bearer tokens, limits, metrics, the schema, and a clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dedup.client import Client, ServiceError
from dedup.document import Document
from dedup.engines.incremental.index import Index
from dedup.io.formats import read_file, walk

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "corpus"
WRITER, READER = "w" * 8 + "-writer-token-1", "r" * 8 + "-reader-token-1"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, db: str, tmp_path: Path, *args: str) -> None:
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"serve-{self.port}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "dedup", "serve", "--db", db, "--port",
                                             str(self.port), *args], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def _docs() -> list[Document]:
    return [doc for path, rel in walk([EXAMPLES]).files for doc in read_file(path, rel) if isinstance(doc, Document)]


@pytest.fixture
def served(tmp_path):
    made = Served(str(tmp_path / "served.db"), tmp_path, "--max-batch", "4", "--max-body-bytes", "65536")
    yield made
    made.stop()


def test_verdicts_are_the_librarys(served, tmp_path):
    docs = _docs()
    library = Index(tmp_path / "library.db")
    expected = [library.add(doc).to_dict() for doc in docs]
    with library, Client(served.url) as client:
        got = [client.add(doc).to_dict() for doc in docs]
        assert got == expected
        assert client.query(docs[1]).status == "unchanged"
        assert [v.status for v in client.add_many(docs[:3], batch=2)] == ["unchanged"] * 3
        cluster = client.cluster(docs[1].id)
        assert cluster["canonical_id"] == "cs.com.cn/2024/0312/a1.html" and cluster["size"] == 5
        assert "verified matches" in client.explain("money.163.com/24/0312/a1.txt")
        assert client.stats()["documents"] == len(docs)
        copies = client.copies("中证网")
        assert copies == [copy.to_dict() for copy in library.copies("中证网")] and len(copies) == 4
        assert [c["id"] for c in client.copies("中国证券报", credits=["self_then_outlet"])] == \
            ["yunfan-news.example/caijing/8812.txt"]
    assert _error(httpx.get(f"{served.url}/v1/copies")) == (422, "invalid_query")
    stored = httpx.get(f"{served.url}/v1/documents/money.163.com/24/0312/a1.txt").json()
    assert stored["id"] == "money.163.com/24/0312/a1.txt" and stored["text"]
    assert httpx.delete(f"{served.url}/v1/documents/feed-001").json() == {"id": "feed-001", "removed": True}
    assert httpx.get(f"{served.url}/v1/documents/feed-001").status_code == 404


def _error(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert set(body) == {"error"} and "Traceback" not in answer.text
    return answer.status_code, body["error"]["code"]


def test_bad_requests_get_json_errors_with_codes(served):
    url = served.url
    assert _error(httpx.post(url + "/v1/documents", content=b"{not json")) == (422, "malformed")
    assert _error(httpx.post(url + "/v1/documents", json=["a list"])) == (422, "malformed")
    assert _error(httpx.post(url + "/v1/documents", json={"id": "x"})) == (422, "invalid_document")
    assert _error(httpx.post(url + "/v1/documents", content=b"x" * 70000)) == (413, "too_large")
    five = [{"id": f"d{k}", "text": "江城发布数字化改造补贴细则，企业可以申请。" * 3} for k in range(5)]
    assert _error(httpx.post(url + "/v1/documents:batch", json={"documents": five})) == (413, "batch_too_large")
    assert _error(httpx.get(url + "/v1/clusters/nope")) == (404, "not_found")
    assert _error(httpx.get(url + "/v1/nothing")) == (404, "not_found")
    assert _error(httpx.put(url + "/v1/stats")) == (405, "method_not_allowed")
    metrics = httpx.get(url + "/metrics").text
    assert 'dedup_errors_total{code="http_422"' in metrics and "dedup_request_seconds_bucket" in metrics
    schema = httpx.get(url + "/openapi.json").json()
    assert {"/v1/documents", "/v1/documents:batch", "/v1/query", "/v1/clusters/{doc_id}"} <= set(schema["paths"])


def test_tokens_scope_every_call_and_are_never_logged(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{WRITER}\n{READER} read\n", encoding="utf-8")
    served = Served(str(tmp_path / "t.db"), tmp_path, "--tokens-file", str(tokens))
    try:
        doc = {"id": "a", "text": "江城发布数字化改造补贴细则，企业可以申请专项资金支持。" * 3}
        assert _error(httpx.post(served.url + "/v1/documents", json=doc)) == (401, "unauthenticated")
        wrong = {"Authorization": "Bearer " + "x" * 20}
        assert _error(httpx.post(served.url + "/v1/documents", json=doc, headers=wrong)) == (403, "forbidden")
        with Client(served.url, READER) as reader:
            with pytest.raises(ServiceError) as refused:
                reader.add(doc)
            assert refused.value.status == 403
            assert reader.query(doc).status == "new"
        with Client(served.url, WRITER) as writer:
            assert writer.add(doc).status == "new"
        assert httpx.get(served.url + "/healthz").status_code == 200
        assert httpx.get(served.url + "/metrics").status_code == 401
    finally:
        assert served.stop() == 0
    log = served.log.read_text()
    assert WRITER not in log and READER not in log


def test_the_service_refuses_what_it_cannot_do_safely(tmp_path):
    def start(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dedup", "serve", "--db", str(tmp_path / "x.db"), *args],
                              capture_output=True, text=True, timeout=120)

    open_to_all = start("--host", "0.0.0.0", "--port", str(_port()))
    assert open_to_all.returncode == 2 and "loopback only" in open_to_all.stderr
    two = start("--workers", "2", "--port", str(_port()))
    assert two.returncode == 2 and "one writer process" in two.stderr


def test_sigterm_finishes_and_keeps_every_acknowledged_document(tmp_path):
    served = Served(str(tmp_path / "s.db"), tmp_path)
    docs = [{"id": f"doc{k}", "text": f"第{k}条：" + "北湾港一季度集装箱吞吐量同比增长一成，外贸航线增速最高。" * (2 + k % 3)}
            for k in range(40)]
    acknowledged = []
    with Client(served.url) as client:
        for doc in docs[:30]:
            acknowledged.append(client.add(doc).id)
    assert served.stop() == 0
    with Index(tmp_path / "s.db", readonly=True) as index:
        assert all(doc_id in index for doc_id in acknowledged)
        assert len(index) == len(acknowledged)
    assert json.loads(json.dumps(acknowledged)) == [d["id"] for d in docs[:30]]
    assert not os.path.exists(tmp_path / "s.db.lock") or os.path.getsize(tmp_path / "s.db.lock") == 0


@pytest.mark.postgres
def test_two_server_processes_on_one_postgresql_index_miss_no_pair_sent_at_the_same_moment(pg_url, tmp_path):
    import threading

    from benchmarks.race import make_pairs

    first = Served(pg_url, tmp_path)
    second = Served(pg_url, tmp_path, "--workers", "2")
    pairs = make_pairs(16, seed=5)
    missed = []
    try:
        with Client(first.url) as one, Client(second.url) as two:
            for story, copy in pairs:
                barrier, answers = threading.Barrier(2), {}

                def send(client: Client, doc: dict, key: str, barrier: threading.Barrier, answers: dict) -> None:
                    barrier.wait()
                    answers[key] = client.add(doc)

                threads = [threading.Thread(target=send, args=(one, story, "story", barrier, answers)),
                           threading.Thread(target=send, args=(two, copy, "copy", barrier, answers))]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                found = {m.id for m in answers["story"].matches} | {m.id for m in answers["copy"].matches}
                if not found & {story["id"], copy["id"]}:
                    missed.append(story["id"])
    finally:
        first.stop()
        second.stop()
    assert not missed
    with Index(pg_url, readonly=True) as index:
        assert len(index) == 2 * len(pairs)
        assert sum(1 for cluster in index.clusters() if cluster["size"] == 2) == len(pairs)


def test_the_client_sends_again_until_the_service_answers(tmp_path):
    import threading

    port = _port()
    answers: list = []
    doc = {"id": "early", "text": "江城发布数字化改造补贴细则，企业可以申请专项资金支持。" * 3}

    def add() -> None:
        with Client(f"http://127.0.0.1:{port}", retries=8) as client:
            answers.append(client.add(doc))

    sender = threading.Thread(target=add)
    sender.start()  # nothing listens yet: the client waits and sends again
    time.sleep(0.5)
    process = subprocess.Popen([sys.executable, "-m", "dedup", "serve", "--db", str(tmp_path / "late.db"), "--port",
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sender.join(timeout=120)
        assert answers and answers[0].status == "new"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    with Index(tmp_path / "late.db", readonly=True) as index:
        assert len(index) == 1
