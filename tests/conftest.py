from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from benchmarks.textgen import TextModel
from dedup.document import Document

ARTICLE = [
    "中证网讯（记者 周文）江城市工业和信息化局3月12日发布通知，今年将安排专项资金2.4亿元，支持全市中小制造企业开展数字化改造，单个企业最高可获得300万元补贴。",
    "通知明确，补贴重点投向设备联网、生产管理系统上云和质量检测数字化三个方向。企业完成改造并通过第三方验收后，可按项目实际投资额的30%申请资金支持。",
    "江城市工业和信息化局相关负责人介绍，截至去年底，全市规模以上工业企业关键工序数控化率为58.6%，较全国平均水平仍有差距，不少中小企业存在不敢转、不会转的顾虑。",
    "为此，江城将遴选20家服务商组成数字化改造服务联盟，为企业免费提供诊断评估，并在年内建成5个行业级工业互联网平台，带动1000家以上企业上平台用平台。",
]
OTHER = [
    "北湾港务集团4月2日披露，一季度港口完成集装箱吞吐量186万标准箱，同比增长10.4%，其中外贸航线增长13.1%，增速为近三年同期最高。",
    "集团负责人表示，新开通的两条东南亚航线和海铁联运班列是增长的主要来源。一季度海铁联运箱量达到21万标准箱，同比增长近四成。",
    "港口还在推进自动化码头二期工程，建成后年通过能力将增加300万标准箱。集团预计全年吞吐量有望突破800万标准箱。",
]


@pytest.fixture
def article() -> list[str]:
    return list(ARTICLE)


@pytest.fixture
def other_article() -> list[str]:
    return list(OTHER)


def write(root: Path, rel: str, text: str, encoding: str = "utf-8") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


BLURB = ("本平台致力于汇聚基层政务动态与民生资讯，内容经编辑整理后发布，旨在传递更多信息，帮助读者了解身边变化。"
         "如您有新闻线索或合作意向，欢迎通过页面底部方式与我们取得联系，我们将认真对待每一位读者的反馈与建议。"
         "平台所载文字与图片部分来自各地政务公开渠道及合作单位投稿，编辑过程中力求准确完整，若有疏漏之处敬请谅解。")


def _blurb_items(count: int, seed: int) -> list[Document]:
    model, rng = TextModel(seed), np.random.default_rng(seed)
    docs = []
    for k in range(count):
        body = "".join(ch for ch in model.paragraphs(rng, 80, numbers=False) if not ch.isdigit())
        docs.append(Document(id=f"item{k}", text=f"{body}\n{BLURB}", site=f"site{k}.cn"))
    return docs


@pytest.fixture
def blurb_items():
    """Short, different items on as many sites, each ending in the same long blurb."""
    return _blurb_items


@pytest.fixture(scope="session")
def labelled_corpus(tmp_path_factory):
    """A generated labelled corpus (``corpus/``, ``gold.jsonl``) per (stories, seed), made once a session."""
    from benchmarks.synthetic import write_quality_corpus

    made: dict[tuple[int, int], Path] = {}

    def make(stories: int, seed: int) -> Path:
        if (stories, seed) not in made:
            out = tmp_path_factory.mktemp(f"synthetic-{stories}-{seed}")
            write_quality_corpus(out, stories=stories, seed=seed)
            made[stories, seed] = out
        return made[stories, seed]

    return make


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A database on the PostgreSQL server the tests use (see tests/services.py for which). Each
    test that needs one makes a database of its own beside it and drops it."""
    from services import EMBEDDED, embedded_postgres, postgres_choice

    chosen = postgres_choice()
    if chosen != EMBEDDED:
        yield chosen
        return
    with embedded_postgres() as url:
        yield url


@pytest.fixture
def pg_url(postgres_admin_url):
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    from benchmarks.race import fresh_database

    with fresh_database(postgres_admin_url) as url:
        yield url


def pytest_report_header(config) -> str:
    chosen = os.environ.get("DEDUP_TEST_POSTGRES") or "the server on 127.0.0.1:5432, else an embedded one"
    return f"dedup: PostgreSQL: {chosen}; CI: {'yes' if os.environ.get('CI') else 'no'}"


def quoting_docs(count: int = 90, seed: int = 4) -> list[Document]:
    """``count`` unrelated reports that all quote the same two statements, a long story, and an
    excerpt from the middle of the story that quotes them too: passages shared by every document,
    and one pair that only passages find. One site per report, or the quotes would be site template lines."""
    from benchmarks.textgen import TextModel

    model = TextModel(seed=seed)
    quotes = [model.paragraphs(model.rng, 160, numbers=False).replace("\n", "") for _ in range(2)]
    story = model.paragraphs(model.rng, 2400)
    docs = [Document(id=f"site{k}/report.txt", site=f"site{k}.cn", title=model.title(model.rng),
                     text=model.paragraphs(model.rng, 700) + "\n" + "\n".join(quotes)) for k in range(count)]
    docs.append(Document(id="daily/story.txt", site="daily.cn", title="江城发布数字化改造补贴细则", text=story))
    docs.append(Document(id="portal/excerpt.txt", site="portal.cn", title="补贴重点投向设备联网",
                         text=story[1000:1450] + "\n" + "\n".join(quotes)))
    return docs
