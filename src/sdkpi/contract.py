"""The data contract: the eight record sheets, their canonical columns and aliases.

This module is data, not logic. Loaders use it to find files, match headers and
coerce values; the definitions validator uses it to check sheet and column names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "datetime", "date", "number", "bool", "enum"]


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    aliases: tuple[str, ...] = ()
    # enum columns: canonical value -> accepted spellings (canonical itself is always accepted)
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # number columns: the plausible range (low, high), both included. A value outside it
    # (1e308 hours) is a data error: the cell is read as empty and its row is unusable for
    # the KPIs reading the column, never a number in a KPI. See docs/data-checks.md.
    plausible: tuple[float, float] | None = None


@dataclass(frozen=True)
class Sheet:
    name: str
    zh: str
    file_names: tuple[str, ...]
    columns: tuple[Column, ...]
    key: str | None = None  # the unique id column, if any
    optional: bool = False  # an export a store may not keep (the staff roster): absent is no fault

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(
    name: str,
    zh: str,
    type: ColumnType,
    required: bool = False,
    unique: bool = False,
    aliases: tuple[str, ...] = (),
    values: dict[str, tuple[str, ...]] | None = None,
    plausible: tuple[float, float] | None = None,
) -> Column:
    return Column(name, zh, type, required, unique, aliases, values or {}, plausible)


# Plausible ranges (docs/data-checks.md). Amounts and hours on an order may be negative: a
# credit note (红冲) reverses an order with negative figures. A technician's day has 24 hours
# present or clocked at most; hours sold (flat rate) may exceed them, never twice over.
_AMOUNT = (-10_000_000.0, 10_000_000.0)  # yuan on one order
_ORDER_HOURS = (-200.0, 200.0)  # labour hours sold on one order
_QUANTITY = (-10_000.0, 10_000.0)  # parts on one request; negative: returned to the store
_HOURS = (0.0, 24.0)  # hours of one technician on one day
_SOLD_HOURS = (0.0, 48.0)
_FTE = (0.0, 2.0)  # one person's share of a full-time post


STORE = _c("store", "门店", "text", aliases=("门店名称", "经销商", "店名", "store_name"))

SHEETS: dict[str, Sheet] = {
    s.name: s
    for s in (
        Sheet(
            "appointments",
            "客户预约记录表",
            ("客户预约记录表", "预约记录"),
            (
                _c("appointment_id", "预约单号", "text", True, True, ("预约号", "预约编号")),
                _c("customer_id", "客户编号", "text", aliases=("客户号", "客户代码")),
                _c("plate", "车牌号", "text", aliases=("车牌", "车牌号码")),
                _c("booked_at", "登记时间", "datetime", True, aliases=("预约登记时间", "预约时间登记")),
                _c("appointment_time", "预约到店时间", "datetime", True, aliases=("预约时间",)),
                _c("reminded_at", "提醒时间", "datetime", aliases=("预约提醒时间",)),
                _c("arrived_at", "实际到店时间", "datetime", aliases=("到店时间",)),
                _c("ro_number", "工单号", "text", aliases=("委托书号", "维修工单号")),
                STORE,
            ),
            key="appointment_id",
        ),
        Sheet(
            "work_orders",
            "维修工单",
            ("维修工单", "工单"),
            (
                _c("ro_number", "工单号", "text", True, True, ("委托书号", "维修工单号", "工单编号")),
                _c(
                    "opened_at",
                    "开单时间",
                    "datetime",
                    True,
                    aliases=("进厂时间", "接车时间", "开单日期", "进站时间"),
                ),
                _c("customer_id", "客户编号", "text", aliases=("客户号", "客户代码")),
                _c("vin", "VIN", "text", aliases=("车架号", "VIN码", "底盘号")),
                _c(
                    "customer_type",
                    "客户类型",
                    "enum",
                    True,
                    aliases=("工单类型", "付费类型", "付费方"),
                    values={
                        "retail": ("自费", "零售", "客户付费"),
                        "warranty": ("保修", "索赔", "三包"),
                        "internal": ("内部", "内部结算"),
                        "insurance": ("保险", "保险理赔", "保险公司"),
                    },
                ),
                # the kind of job (保养/机修/钣喷/事故/PDI), not who pays: never read as customer_type
                _c("repair_type", "维修类型", "text", aliases=("维修类别", "作业类型")),
                _c("advisor", "服务顾问", "text", True, aliases=("服务专员", "接待员", "服务接待")),
                _c("technician", "维修技师", "text", aliases=("技师", "主修技师")),
                _c("appointment_id", "预约单号", "text", aliases=("预约号", "预约编号")),
                _c("pre_inspected", "是否预检", "bool", aliases=("预检",)),
                _c("pre_inspection_form", "使用预检表", "bool", aliases=("预检表",)),
                _c("walkaround", "互动预检", "bool", aliases=("陪客预检", "环车检查")),
                _c("menu_priced", "目录报价", "bool", aliases=("目录式报价",)),
                _c("parts_prepicked_on_time", "零件预拣及时", "bool", aliases=("零件预捡及时", "预拣及时")),
                _c(
                    "promised_at",
                    "约定交车时间",
                    "datetime",
                    True,
                    aliases=("预交车时间", "预计交车时间", "承诺交车时间"),
                ),
                _c("work_completed_at", "完工时间", "datetime", aliases=("竣工时间", "完工检验时间")),
                _c("invoiced_at", "终检出票时间", "datetime", aliases=("出票时间", "结算单打印时间")),
                _c("delivered_at", "交车时间", "datetime", aliases=("实际交车时间", "出厂时间")),
                _c("delivery_explained", "交车解释", "bool", aliases=("解释结算单",)),
                _c("closed_at", "结账时间", "datetime", aliases=("结算时间", "结算日期", "结账日期")),
                _c("labor_hours_sold", "销售工时", "number", aliases=("工时数",), plausible=_ORDER_HOURS),
                _c("labor_amount", "工时费", "number", aliases=("工时金额", "工时费用"), plausible=_AMOUNT),
                _c(
                    "parts_amount",
                    "零件金额",
                    "number",
                    aliases=("材料费", "零件费", "配件金额", "材料金额"),
                    plausible=_AMOUNT,
                ),
                _c("comeback_of", "返修原工单号", "text", aliases=("原工单号",)),
                STORE,
            ),
            key="ro_number",
        ),
        Sheet(
            "parts_requests",
            "零件部报表",
            ("零件部报表", "领料记录"),
            (
                _c("request_id", "领料单号", "text", True, aliases=("领料单",)),
                _c("ro_number", "工单号", "text", aliases=("委托书号", "维修工单号")),
                _c("part_number", "零件编号", "text", True, aliases=("零件号", "配件编号")),
                _c("requested_at", "申领时间", "datetime", True, aliases=("领料时间",)),
                _c("quantity", "数量", "number", plausible=_QUANTITY),
                _c("filled_immediately", "即时供应", "bool", True, aliases=("即时满足",)),
                STORE,
            ),
        ),
        Sheet(
            "technician_time",
            "工时记录",
            ("工时记录", "考勤记录"),
            (
                _c("date", "日期", "date", True),
                _c("technician", "技师", "text", True, aliases=("维修技师",)),
                _c("available_hours", "可用工时", "number", True, aliases=("出勤工时",), plausible=_HOURS),
                _c("clocked_hours", "打卡工时", "number", True, aliases=("实际工时",), plausible=_HOURS),
                _c("sold_hours", "销售工时", "number", True, aliases=("派工工时",), plausible=_SOLD_HOURS),
                STORE,
            ),
        ),
        Sheet(
            "callbacks",
            "回访记录",
            ("回访记录", "跟踪记录表"),
            (
                _c("callback_id", "回访编号", "text", True, aliases=("回访单号",)),
                _c("ro_number", "工单号", "text", aliases=("委托书号", "维修工单号")),
                _c("customer_id", "客户编号", "text", aliases=("客户号",)),
                _c("due_at", "应回访日期", "datetime", True, aliases=("计划回访日期", "应回访时间")),
                _c("called_at", "回访时间", "datetime", aliases=("实际回访时间",)),
                _c(
                    "result",
                    "回访结果",
                    "enum",
                    True,
                    values={
                        "reached": ("成功", "已接通", "接通"),
                        "voicemail": ("留言",),
                        "letter": ("信件",),
                        "no_answer": ("未接通", "无人接听"),
                        "refused": ("拒访",),
                    },
                ),
                _c("satisfied", "是否满意", "bool", aliases=("满意",)),
                STORE,
            ),
            key="callback_id",
        ),
        Sheet(
            "customer_issues",
            "客户问题记录及解决报告",
            ("客户问题记录", "客户问题记录及解决报告"),
            (
                _c("issue_id", "问题编号", "text", True, aliases=("问题单号",)),
                _c("customer_id", "客户编号", "text", aliases=("客户号",)),
                _c("ro_number", "工单号", "text", aliases=("委托书号",)),
                _c("raised_at", "提出时间", "datetime", True, aliases=("登记时间",)),
                _c("fault", "故障描述", "text", aliases=("问题描述",)),
                _c("resolved", "已解决", "bool", True, aliases=("是否解决",)),
                _c("resolved_at", "解决时间", "datetime"),
                STORE,
            ),
        ),
        Sheet(
            "vehicle_sales",
            "销售工作记录",
            ("销售工作记录", "新车交车记录"),
            (
                _c("vin", "VIN", "text", True, True, ("车架号", "VIN码")),
                _c("customer_id", "客户编号", "text", aliases=("客户号",)),
                _c("salesperson", "销售顾问", "text", aliases=("销售员",)),
                _c("delivered_at", "交车日期", "datetime", True, aliases=("交车时间",)),
                _c("introduced_to_service", "介绍服务部门", "bool", True, aliases=("介绍服务",)),
                _c("first_service_contact_at", "首次服务联系时间", "datetime", aliases=("首次联系时间",)),
                STORE,
            ),
            key="vin",
        ),
        Sheet(
            "suggestions",
            "建议记录",
            ("建议记录",),
            (
                _c("suggestion_id", "建议编号", "text", True),
                _c("department", "部门", "text"),
                _c("reviewed_at", "复查日期", "date", True, aliases=("评审日期",)),
                _c("should_implement", "应执行", "bool", True),
                _c("implemented", "已执行", "bool", True),
                STORE,
            ),
            key="suggestion_id",
        ),
        # optional: the staff roster. When given, per-advisor and per-technician KPIs divide by
        # the people of that role on it in the period (服务专员总人数), not by the names on orders
        Sheet(
            "staff",
            "人员名单",
            ("人员名单", "员工名单", "花名册"),
            (
                _c("name", "姓名", "text", True, aliases=("员工姓名", "人员")),
                _c(
                    "role",
                    "岗位",
                    "enum",
                    True,
                    aliases=("职位", "职务"),
                    values={
                        "advisor": ("服务顾问", "服务专员", "服务接待", "接待员"),
                        "technician": ("技师", "维修技师", "机修工"),
                    },
                ),
                _c("from", "入职日期", "date", aliases=("起始日期", "开始日期", "上岗日期")),
                _c("to", "离职日期", "date", aliases=("结束日期", "离岗日期")),
                _c("fte", "折算人数", "number", aliases=("FTE", "工作量系数", "出勤系数"), plausible=_FTE),
                STORE,
            ),
            optional=True,
        ),
    )
}


def find_sheet(name: str) -> Sheet | None:
    """Look a sheet up by canonical name or one of its Chinese names."""
    if name in SHEETS:
        return SHEETS[name]
    for sheet in SHEETS.values():
        if name in sheet.file_names or name == sheet.zh:
            return sheet
    return None


#: the columns a list of records shows besides the KPI's own (who and what it is about), when present
CONTEXT_COLUMNS = ("store", "advisor", "technician", "customer_id", "plate", "vin")
