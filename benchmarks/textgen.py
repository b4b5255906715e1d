"""Seeded synthetic Chinese news text, written here for the benchmarks.

Words come from two sources: a short list of common news words typed for this project, and
pseudo-words of one to four characters drawn from a string of frequent characters. Word
frequencies follow a Zipf law, so the text has the skewed character and shingle statistics of
real news without reproducing anybody's articles.

>>> model = TextModel(seed=1)
>>> text = model.paragraphs(model.rng, 300)
>>> 250 <= len(text.replace("\\n", "")) <= 420
True
"""

from __future__ import annotations

import numpy as np

_NEWS_WORD_TEXT = (
    "经济 发展 市场 企业 投资 政策 改革 创新 项目 建设 城市 农村 居民 消费 增长 数据 部门 国家 地方 政府 "
    "银行 资金 金融 风险 监管 服务 产业 制造 科技 数字 平台 服务业 就业 收入 价格 指数 同比 环比 累计 "
    "上半年 下半年 季度 今年 去年 记者 了解 表示 介绍 指出 认为 强调 提出 推动 加快 促进 支持 鼓励 "
    "落实 完善 提升 保障 优化 稳定 持续 进一步 有效 重点 全面 积极 明显 显著 相关 有关 主要 已经 "
    "目前 同时 此外 其中 通过 按照 根据 围绕 聚焦 实现 形成 开展 组织 召开 会议 工作 任务 目标 "
    "措施 方案 规划 试点 示范 园区 基地 工程 设施 交通 能源 环境 生态 教育 医疗 养老 文化 旅游 "
    "农业 粮食 生产 产品 出口 进口 贸易 外资 民营 中小企业 上市公司 股份 股票 债券 基金 保险 "
    "证券 利率 贷款 存款 融资 资本 资产 利润 营业 收益 成本 需求 供给 结构 质量 效率 标准 体系 "
    "机制 能力 水平 规模 领域 行业 区域 全国 各地 省 市 县 镇 街道 社区 群众 企业家 专家 学者 "
    "负责人 工作人员 消费者 投资者 机构 公司 集团 协会 研究院 委员会 办公室 新闻发布会 数据显示 "
    "统计局 发改委 财政部 商务部 人民银行 证监会 住建部 工信部 交通运输部 农业农村部"
)
NEWS_WORDS = tuple(_NEWS_WORD_TEXT.split(" "))

FREQUENT_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
    "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
    "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
    "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
    "必战先回则任取据处府研造队斗信清再转收改局领导市场价格企业项目城乡居民消费增速指标规划保障服务环境"
)

PLACES = ("江城", "海州", "云岭", "青川", "北原", "南湖", "东港", "西岭", "河阳", "山南", "石门", "临江")


class TextModel:
    """A Zipf lexicon and sentence maker; every draw goes through a ``numpy`` Generator."""

    def __init__(self, seed: int, pseudo_words: int = 6000, exponent: float = 1.05) -> None:
        self.rng = np.random.default_rng(seed)
        chars = np.array(list(dict.fromkeys(FREQUENT_CHARS)))
        lengths = self.rng.choice([1, 2, 2, 2, 3, 3, 4], size=pseudo_words)
        pseudo = ["".join(self.rng.choice(chars, size=n)) for n in lengths]
        words = list(dict.fromkeys(list(NEWS_WORDS) + pseudo))
        order = self.rng.permutation(len(words) - len(NEWS_WORDS)) + len(NEWS_WORDS)
        self.words = np.array(list(NEWS_WORDS) + [words[k] for k in order])
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        weights = ranks ** -exponent
        self.weights = weights / weights.sum()
        self.cumulative = np.cumsum(self.weights)

    def _word_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        idx: np.ndarray = np.searchsorted(self.cumulative, rng.random(n))
        return np.minimum(idx, len(self.words) - 1)

    def sentence(self, rng: np.random.Generator, numbers: bool = True) -> str:
        """One sentence of 2-4 clauses, sometimes with a figure in it."""
        clauses = []
        for _ in range(int(rng.integers(2, 5))):
            words = self.words[self._word_indices(rng, int(rng.integers(4, 9)))]
            clause = "".join(words.tolist())
            if numbers and rng.random() < 0.18:
                clause += f"{rng.integers(2, 9999)}{rng.choice(['万元', '亿元', '个', '家', '项', '人次'])}"
            if numbers and rng.random() < 0.08:
                clause += f"增长{rng.integers(1, 40)}.{rng.integers(0, 10)}%"
            clauses.append(clause)
        return "，".join(clauses) + "。"

    def paragraphs(self, rng: np.random.Generator, chars: int, numbers: bool = True) -> str:
        """Paragraphs of 2-4 sentences until about ``chars`` characters, joined by newlines."""
        out: list[str] = []
        total = 0
        while total < chars:
            para = "".join(self.sentence(rng, numbers) for _ in range(int(rng.integers(2, 5))))
            out.append(para)
            total += len(para)
        return "\n".join(out)

    def title(self, rng: np.random.Generator) -> str:
        """A headline of 12-24 characters: a place, a few words, no final stop."""
        place = str(rng.choice(PLACES))
        words = self.words[self._word_indices(rng, int(rng.integers(4, 8)))].tolist()
        title = place + "".join(words)
        return title[:24]
