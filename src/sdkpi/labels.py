"""The words every output shares, below both the report's data and the renderers: the
headings of a KPI table and a text in the reader's language (`render.formatting` and
`report` take them from here)."""

from __future__ import annotations

HEADINGS = {
    "en": {
        "stage": "Stage",
        "kpi": "KPI",
        "value": "Value",
        "target": "Target",
        "status": "Status",
        "numerator": "Numerator",
        "denominator": "Denominator",
        "period": "Period",
        "source": "Data",
        "issues": "data issues",
        "benchmark": "reference",
        "provisional": "provisional until",
    },
    "zh": {
        "stage": "环节",
        "kpi": "指标",
        "value": "数值",
        "target": "目标",
        "status": "状态",
        "numerator": "分子",
        "denominator": "分母",
        "period": "期间",
        "source": "数据",
        "issues": "条数据问题",
        "benchmark": "参考值",
        "provisional": "暂定，截至",
    },
}


def text(mapping: dict[str, str] | None, lang: str) -> str:
    if not mapping:
        return ""
    return mapping.get(lang) or mapping.get("en") or ""
