"""Keyword rules for the six domains.

Used twice: to find labelling candidates in the corpora, and as the keyword-rules baseline of
the evaluation harness. A rule scores each domain by keyword hits, headline hits counting
more (the labeling guide weighs the headline and first paragraph most).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.labels import LABELS

# Strong keywords: one hit in the headline, or two in the body, suggests the domain.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "public_security": (
        "公安",
        "警察",
        "民警",
        "派出所",
        "警务",
        "刑警",
        "交警",
        "辅警",
        "警方",
        "治安",
        "扫黑除恶",
        "打黑",
        "反诈",
        "电信诈骗",
        "电信网络诈骗",
        "禁毒",
        "毒品",
        "缉毒",
        "打击犯罪",
        "犯罪团伙",
        "犯罪嫌疑人",
        "抓获",
        "破获",
        "侦破",
        "拐卖",
        "命案",
        "国家安全",
        "国家安全教育",
        "义警",
        "巡防",
        "平安建设",
        "警衔",
        "110",
    ),
    "civil_affairs": (
        "民政",
        "低保",
        "最低生活保障",
        "特困",
        "临时救助",
        "社会救助",
        "养老服务",
        "敬老院",
        "养老院",
        "老年人",
        "留守儿童",
        "困境儿童",
        "孤儿",
        "儿童福利",
        "慈善",
        "捐赠",
        "婚姻登记",
        "殡葬",
        "社区治理",
        "城乡社区",
        "社会组织",
        "地名",
        "救灾物资",
        "受灾群众",
        "安置",
        "双拥",
        "拥军",
        "优抚",
        "退役军人",
        "烈士",
        "志愿服务",
    ),
    "water_management": (
        "水利",
        "水库",
        "大坝",
        "灌溉",
        "灌区",
        "河长",
        "湖长",
        "河湖长",
        "巡河",
        "清四乱",
        "河道",
        "防汛",
        "抗旱",
        "度汛",
        "汛期",
        "节水",
        "水资源",
        "南水北调",
        "引水",
        "调水",
        "水土保持",
        "水土流失",
        "饮水安全",
        "饮水工程",
        "堤防",
        "水利工程",
        "治水",
        "水生态",
        "流域",
        "泄洪",
        "蓄水",
        "排涝",
    ),
    "agri_insurance": (
        "农业保险",
        "农险",
        "政策性保险",
        "种植险",
        "养殖险",
        "保险理赔",
        "理赔",
        "投保",
        "承保",
        "保费补贴",
        "保险费",
        "查勘定损",
        "定损",
        "完全成本保险",
        "收入保险",
        "价格保险",
        "天气指数保险",
        "森林保险",
        "能繁母猪保险",
        "农机保险",
    ),
    "disability_employment": (
        "残疾人就业",
        "残疾人职业",
        "残疾人技能",
        "残疾人创业",
        "残联",
        "残疾人联合会",
        "福利企业",
        "按比例就业",
        "盲人按摩",
        "辅助性就业",
        "残疾人",
        "肢体残疾",
        "聋人",
        "盲人",
        "残障",
        "职业技能大赛",
        "就业帮扶",
        "招聘会",
    ),
}

# A few compound conditions that a single keyword cannot express.
_INSURANCE = re.compile(r"保险|理赔|投保|承保|保费")
_FARM = re.compile(
    r"农业|农户|种植|养殖|小麦|水稻|玉米|生猪|母猪|奶牛|果树|林业|森林|大棚|农作物|粮食|蔬菜|茶园|烟叶|棉花|渔"
)
_DISABLED = re.compile(r"残疾|残联|残障|盲人|聋人|肢残|智障|听障|视障")
_JOB = re.compile(r"就业|职业|技能|培训|招聘|岗位|创业|工作|上岗|务工|手艺|增收|车间|企业")


@dataclass(frozen=True)
class RuleResult:
    label: str
    scores: dict[str, float]


def _count(text: str, words: tuple[str, ...]) -> int:
    return sum(text.count(w) for w in words)


def rule_scores(title: str, body: str) -> dict[str, float]:
    """Keyword score per domain: a headline hit counts 3, a body hit 1 (capped at 6)."""
    head = body[:300]
    scores: dict[str, float] = {}
    for label, words in KEYWORDS.items():
        scores[label] = 3.0 * _count(title, words) + min(6.0, float(_count(body, words)))
        scores[label] += 0.5 * min(4, _count(head, words))
    # Agricultural insurance needs both insurance and farming; disability employment both.
    text = f"{title}\n{body}"
    if not (_INSURANCE.search(text) and _FARM.search(text)):
        scores["agri_insurance"] = 0.0
    if not (_DISABLED.search(text) and _JOB.search(text)):
        scores["disability_employment"] = 0.0
    else:
        scores["civil_affairs"] = max(0.0, scores["civil_affairs"] - _count(text, ("残疾人",)))
    return scores


def rule_label(title: str, body: str, threshold: float = 3.0) -> RuleResult:
    """Label one article by keyword rules; ``other`` when no domain reaches ``threshold``."""
    scores = rule_scores(title, body)
    best = max(scores, key=scores.get)
    label = best if scores[best] >= threshold else "other"
    full = {lab: scores.get(lab, 0.0) for lab in LABELS if lab != "other"}
    full["other"] = threshold if label == "other" else 0.0
    return RuleResult(label=label, scores=full)
