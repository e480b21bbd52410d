"""A `Draft` as the mapping file a user edits, and what it could not decide, in en or zh.

The YAML is written by hand (comments are the point of it) in exactly the syntax the
mapping file reads (`loaders.mapping`): every header is a double-quoted scalar, every
code too (so that `Y`, `no` or `1` stay text), and each line that needs an answer says
`TODO` where the answer goes.
"""

from __future__ import annotations

import json
import re
import unicodedata

from ..contract import SHEETS, Column
from ..words import column_label
from .model import Draft, SheetDraft, SourceColumn, Why

_WORDS: dict[str, tuple[str, str]] = {
    "title": (
        "sdkpi-mapping.yaml drafted by `sdkpi map` from the exports in {0}.",
        "sdkpi-mapping.yaml：由 `sdkpi map` 根据 {0} 中的导出文件起草。",
    ),
    "check_it": (
        "Check every line. Replace each TODO with the answer, then run: sdkpi check --data {0}",
        "请逐行核对，把每个 TODO 换成正确答案，然后运行：sdkpi check --data {0}",
    ),
    "no_todo": (
        "Nothing was left undecided; check the lines, then run: sdkpi check --data {0}",
        "没有待定项；请核对各行，然后运行：sdkpi check --data {0}",
    ),
    "alias": ("header alias of {1}", "「{1}」的表头别名"),
    "english": ("English DMS header", "英文 DMS 表头"),
    "own_name": ("the column's own name", "标准列名"),
    "contains": ("contains '{0}', a header alias of {1}", "含「{0}」（「{1}」的别名）"),
    "sheet_by_name": ("the file name names the sheet {1}", "文件名即「{1}」"),
    "sheet_by_prefix": (
        "the file name starts with a name of {1}, and its headers fit",
        "文件名以「{1}」的表名开头，表头也相符",
    ),
    "sheet_by_headers": ("{0} of its headers are columns of {1}", "有 {0} 个表头是「{1}」的列"),
    "no_sheet": (
        "not used: no sheet has two of its headers ({0})",
        "未使用：表头与任何一张表都对不上（{0}）",
    ),
    "two_sheets": (
        "not used: its headers fit {0} and {1} equally ({2} columns each)",
        "未使用：表头同样符合 {0} 和 {1}（各 {2} 列）",
    ),
    "unreadable": ("not used: cannot be read: {0}", "未使用：无法读取：{0}"),
    "no_rows": ("not used: no rows", "未使用：没有数据行"),
    "other_export": (
        "not used: another export for {0} with other headers than {1} (drafted from {1})",
        "未使用：另一份 {0} 导出，表头与 {1} 不同（按 {1} 起草）",
    ),
    "header_rows_differ": (
        "{0}: the header is on different rows in its files; header_row left out (sdkpi finds it)",
        "{0}：各文件的表头不在同一行，未写 header_row（sdkpi 会自动查找）",
    ),
    "truncated": ("only the first {0} rows were looked at", "只查看了前 {0} 行"),
    "type_mismatch": (
        "'{0}' reads like {1} but holds {2} ({3}): not mapped",
        "「{0}」看似 {1}，但内容是{2}（{3}）：未对应",
    ),
    "also_matches": (
        "'{0}' also reads like {1}, which '{2}' already feeds: not mapped",
        "「{0}」也像 {1}，但已由「{2}」对应：未对应",
    ),
    "dmy": ("{0} reads only as day/month/year", "{0} 只能读作 日/月/年"),
    "mdy": ("{0} reads only as month/day/year", "{0} 只能读作 月/日/年"),
    "date_order_todo": (
        "dmy or mdy? every date reads both ways, e.g. {0}",
        "dmy 还是 mdy？所有日期两种读法都成立，例如 {0}",
    ),
    "combine_date": ("date in '{0}', time of day in '{1}'", "日期在「{0}」，时刻在「{1}」"),
    "time_alone": (
        "'{0}' holds times of day only and no date column goes with it: not mapped",
        "「{0}」只有时刻、没有对应的日期列：未对应",
    ),
    "code_guess": ("guess: '{0}' abbreviates {1}", "推测：「{0}」是 {1}的缩写"),
    "code_todo": ("which of {1}?", "应为{1}中的哪一个？"),
    "code_todo_bool": ("yes (true) or no (false)?", "是（true）还是否（false）？"),
    "page_headers": (
        "repeated header rows (page headers), the first in {0} row {1}",
        "重复的表头行（分页表头），第一处在 {0} 第 {1} 行",
    ),
    "blank_key": (
        "rows without a key, the first in {0} row {1} ('{2}')",
        "没有单号的行，第一处在 {0} 第 {1} 行（「{2}」）",
    ),
    "lines": (
        "{0} {1} values are on several rows with differing amounts, e.g. {2} ({3} rows {4}): "
        "one row per line, the amounts are summed",
        "有 {0} 个 {1} 出现在多行且金额不同，例如 {2}（{3} 第 {4} 行）：每行是一个项目，金额按单号合计",
    ),
    "identical_duplicates": (
        "{0} {1} values are on several rows with the same amounts: repeated rows? sdkpi keeps the first "
        "and warns; if each row is a line of the order, add lines: (key and the columns to sum)",
        "有 {0} 个 {1} 出现在多行且金额相同：是重复行吗？sdkpi 保留第一行并提示；"
        "如果每行是工单的一个项目，请加上 lines:（单号和要合计的列）",
    ),
    "lines_disagree": (
        "'{0}' differs between the lines of {1} {2} value(s): sdkpi keeps the first line's value and "
        "reports the others",
        "「{0}」在 {1} 个 {2} 的各行之间不一致：sdkpi 取第一行的值，其余列为数据问题",
    ),
    "subfolders_only": (
        "no export directly in this folder, and its sub-folders are not months: run sdkpi map on "
        "the folder that holds the files (e.g. {0})",
        "此文件夹下没有直接放导出文件，子文件夹也不是月份：请对存放文件的文件夹运行 sdkpi map（例如 {0}）",
    ),
    "months": (
        "drafted from the month folders {0}: the mapping next to them reads each of them",
        "根据月份文件夹 {0} 起草：放在它们旁边的映射文件对每个月都适用",
    ),
    "absent": (
        'required columns not in this export: the KPIs reading them say "no data (not in this export)"',
        "此导出没有的必需列：用到它们的指标显示“无数据（导出中没有此列）”",
    ),
    "files": ("{0} files with the same header", "{0} 个文件，表头相同"),
    "header_row": ("the rows above it are titles", "上面几行是标题"),
    "encoding": ("{0} text, read as it is", "{0} 编码，可直接读取"),
    "unmapped": ("not mapped: {0} ({1})", "未对应：{0}（{1}）"),
    "unmapped_empty": ("not mapped: empty", "未对应：空列"),
    "in_combine": ("see combine", "见 combine"),
    "column_todo": (
        "{0}? it is required and no header names it; {1}. Answer {0}, or delete this line "
        "and list {0} under absent",
        "是「{0}」吗？这是必需列，没有表头对应它；{1}。是就填它的列名，不是就删掉此行，并把它列入 absent",
    ),
    "rows": ("{0} rows", "{0} 行"),
    "row": ("1 row", "1 行"),
    "todos": ("{0} TODO(s) to answer in {1}", "{1} 中有 {0} 个 TODO 待填写"),
    "wrote": ("wrote {0}", "已写入 {0}"),
    "the_draft": ("the draft", "草稿"),
    "exists": (
        "{0} already exists: not replaced (--force replaces it, -o FILE writes elsewhere, -o - prints)",
        "{0} 已存在，未覆盖（--force 覆盖，-o 文件名 另存，-o - 输出到屏幕）",
    ),
    "drafted": (
        "drafted {0}: {1} from {2}, {3} columns mapped",
        "已起草 {0}：{1}，来自 {2}，对应 {3} 列",
    ),
    "nothing": ("no export in {0} looks like a sheet sdkpi reads", "{0} 中没有可识别的导出文件"),
    "next": (
        "next: answer the TODOs, then sdkpi check --data {0}",
        "下一步：填写 TODO，然后运行 sdkpi check --data {0}",
    ),
    "next_check": (
        "next: read the draft, then sdkpi check --data {0}",
        "下一步：核对草稿，然后运行 sdkpi check --data {0}",
    ),
    "undecided": ("could not decide:", "无法确定："),
    "kind_datetime": ("dates and times", "日期时间"),
    "kind_date": ("dates", "日期"),
    "kind_time": ("times of day", "时刻"),
    "kind_number": ("numbers", "数字"),
    "kind_bool": ("yes/no", "是/否"),
    "kind_codes": ("codes", "代码"),
    "kind_text": ("text", "文字"),
    "kind_empty": ("empty", "空"),
    "values_as": ("values: {0} ({1})", "内容：{0}（{1}）"),
}


def say(key: str, lang: str, *args: str) -> str:
    en, zh = _WORDS[key]
    return (zh if lang == "zh" else en).format(*args)


def rows(count: int, lang: str) -> str:
    return say("row", lang) if count == 1 else say("rows", lang, str(count))


def why(reason: Why, lang: str, sheet: str | None = None) -> str:
    """A reason in words; in Chinese, the contract's column and sheet names as a manager knows them."""
    args = reason.args
    if reason.key == "code_todo" and sheet is not None and (column := SHEETS[sheet].column(args[1])):
        return say(reason.key, lang, args[0], choices(column, lang))
    if reason.key == "code_guess" and lang == "zh" and sheet is not None:
        column = next((c for c in SHEETS[sheet].columns if args[1] in c.values), None)
        spelled = column.values[args[1]] if column is not None else ()
        return say(reason.key, lang, args[0], f"{args[1]}（{spelled[0]}）" if spelled else args[1])
    if lang == "zh":
        args = tuple(_zh_name(arg, sheet) for arg in args)
    return say(reason.key, lang, *args)


def _zh_name(text: str, sheet: str | None) -> str:
    if text in SHEETS:
        return SHEETS[text].zh
    if sheet is not None and (column := SHEETS[sheet].column(text)) is not None:
        return column_label(column.name, "zh", sheet)
    return text


def choices(column: Column, lang: str) -> str:
    """The values an enum column takes, as the mapping file accepts them."""
    if lang == "zh":
        return "、".join(f"{v}（{s[0]}）" if s else v for v, s in column.values.items())
    return ", ".join(column.values)


#: what YAML reads as a line break or a control character (NEL, LS, PS included)
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")


def _comment(text: str) -> str:
    """Text from the data safe in a YAML comment: one line, no control characters."""
    return _BREAKS.sub(" ", text)


def _q(text: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `text` (JSON escapes, and
    \\uXXXX for the characters YAML would take as a line break)."""
    return _BREAKS.sub(
        lambda m: "".join(f"\\u{ord(c):04x}" for c in m.group()), json.dumps(text, ensure_ascii=False)
    )


def _width(text: str) -> int:
    """Columns a text takes in a terminal or editor (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _line(body: str, comment: str = "", width: int = 40) -> str:
    if not comment:
        return body
    return f"{_pad(body, width)} # {_comment(comment)}"


def render_yaml(draft: Draft, lang: str = "en", shown_folder: str | None = None) -> str:
    folder = shown_folder or str(draft.folder)
    out = [f"# {_comment(say('title', lang, folder))}"]
    out.append(f"# {_comment(say('check_it' if draft.todos else 'no_todo', lang, folder))}")
    for name, reason in draft.unused_files:
        out.append(f"# {_comment(name)}: {_comment(why(reason, lang))}")
    out.append("sheets:")
    for sheet in draft.sheets:
        out += _sheet(sheet, lang)
    return "\n".join(out) + "\n"


def _kind(column: SourceColumn, lang: str) -> str:
    return say(f"kind_{column.kind}", lang)


def _samples(column: SourceColumn) -> str:
    return ", ".join(s[:30] for s in column.samples)


def _sheet(draft: SheetDraft, lang: str) -> list[str]:
    name = draft.sheet.name
    sep = "；" if lang == "zh" else "; "
    out = [_line(f"  {name}:", f"{draft.sheet.zh}")]
    if isinstance(draft.file, list):
        out.append(f"    # {_comment(why(draft.why_sheet, lang, name))}")
        out.append("    file:")
        out += [f"      - {_q(name)}" for name in draft.file]
    else:
        several = len({g.name for g in draft.grids}) > 1
        note = say("files", lang, str(len(draft.grids))) + sep if several else ""
        out.append(_line(f"    file: {_q(draft.file)}", note + why(draft.why_sheet, lang, name)))
    worksheets = {g.worksheet for g in draft.grids}
    if len(worksheets) == 1 and (worksheet := worksheets.pop()) is not None:
        out.append(f"    worksheet: {_q(worksheet)}")
    if draft.header_row is not None:
        out.append(_line(f"    header_row: {draft.header_row}", say("header_row", lang)))
    encoding = draft.grids[0].encoding
    if encoding and encoding not in ("utf-8", "utf-8-sig"):
        out.append(f"    # {say('encoding', lang, encoding.upper())}")
    if draft.date_order is not None and draft.why_date_order is not None:
        out.append(_line(f"    date_order: {draft.date_order}", why(draft.why_date_order, lang, name)))
    width = max((_width(_q(c.header)) for c in draft.columns), default=10) + 8
    out.append("    columns:")
    for column in draft.columns:
        values = say("values_as", lang, _kind(column, lang), _samples(column)) if column.samples else ""
        if column.target is not None and column.why is not None:
            body = _pad(f"      {_q(column.header)}:", width) + f" {column.target}"
            out.append(_line(body, sep.join(t for t in (why(column.why, lang, name), values) if t), 44))
        elif column.todo_for is not None:
            body = _pad(f"      {_q(column.header)}:", width) + " TODO"
            out.append(
                _line(
                    body,
                    say(
                        "column_todo",
                        lang,
                        _zh_name(column.todo_for, name) if lang == "zh" else column.todo_for,
                        values,
                    ),
                    44,
                )
            )
        elif column.also and column.also[0] in draft.combine:
            out.append(f"      # {_q(column.header)}: {say('in_combine', lang)}")
        else:
            unmapped = (
                say("unmapped", lang, _kind(column, lang), _samples(column))
                if column.samples
                else say("unmapped_empty", lang)
            )
            out.append(f"      # {_comment(_q(column.header))}: {_comment(unmapped)}")
    if draft.combine:
        out.append("    combine:")
        for target, (date_header, time_header) in draft.combine.items():
            out.append(
                _line(
                    f"      {target}: [{_q(date_header)}, {_q(time_header)}]",
                    say("combine_date", lang, date_header, time_header),
                )
            )
    if draft.values:
        out.append("    values:")
        for target, guesses in draft.values.items():
            out.append(f"      {target}:")
            for guess in guesses:
                answer = guess.target or "TODO"
                comment = f"{rows(guess.count, lang)}{sep}{why(guess.why, lang, name)}"
                out.append(_line(f"        {_q(guess.code)}: {answer}", comment))
    if draft.skip_rows:
        out.append("    skip_rows:")
        for rule in draft.skip_rows:
            comment = f"{rows(rule.count, lang)}{'：' if lang == 'zh' else ': '}{why(rule.why, lang, name)}"
            out.append(_line(f"      - {_q(rule.rule)}", comment))
    if draft.lines is not None and draft.why_lines is not None:
        key, summed = draft.lines
        out.append(f"    # {_comment(why(draft.why_lines, lang, name))}")
        out.append("    lines:")
        out.append(f"      key: {key}")
        out.append(f"      sum: [{', '.join(summed)}]")
    if draft.absent:
        out.append(f"    # {say('absent', lang)}")
        out.append(f"    absent: [{', '.join(draft.absent)}]")
    return out


_TODO = re.compile(r'^(\s*)("(?:[^"\\]|\\.)*"|date_order)(:\s+)TODO\b', re.M)


def answer_todos(text: str, answers: dict[str, str]) -> str:
    """A draft with its TODOs answered (what a user does by hand): code or `date_order` -> answer.

    Raises KeyError naming a TODO that `answers` does not answer.
    """

    def answer(match: re.Match[str]) -> str:
        key = match.group(2)
        wanted = json.loads(key) if key.startswith('"') else key
        return f"{match.group(1)}{key}{match.group(3)}{answers[wanted]}"

    return _TODO.sub(answer, text)


def summary(draft: Draft, target: str, lang: str = "en") -> list[str]:
    """What `sdkpi map` says on stderr: what it drafted, what it could not decide, what next."""
    lines = []
    colon = "：" if lang == "zh" else ": "
    if target == "-":
        target = say("the_draft", lang)
    if not draft.sheets:
        lines.append(say("nothing", lang, str(draft.folder)))
    for sheet in draft.sheets:
        files = ", ".join(sorted({g.name for g in sheet.grids}))
        mapped = sum(1 for c in sheet.columns if c.target) + len(sheet.combine)
        lines.append(
            say(
                "drafted",
                lang,
                target,
                _zh_name(sheet.sheet.name, None) if lang == "zh" else sheet.sheet.name,
                files,
                str(mapped),
            )
        )
    undecided = [f"  {name}: {why(reason, lang)}" for name, reason in draft.unused_files]
    lines += [why(note.why, lang, note.sheet) for note in draft.notes if not note.undecided]
    undecided += [
        f"  {note.file + ': ' if note.file else ''}{why(note.why, lang, note.sheet)}"
        for note in draft.notes
        if note.undecided
    ]
    for sheet in draft.sheets:
        name = sheet.sheet.name
        shown = _zh_name(name, None) if lang == "zh" else name
        if sheet.date_order == "TODO" and sheet.why_date_order is not None:
            undecided.append(f"  {shown}{colon}date_order{colon}{why(sheet.why_date_order, lang, name)}")
        for source in sheet.columns:
            if source.todo_for is not None:
                said = say("column_todo", lang, source.todo_for, _kind(source, lang))
                undecided.append(f"  {shown}{colon}{_q(source.header)}{colon}{said}")
        for column, guesses in sheet.values.items():
            label = _zh_name(column, name) if lang == "zh" else column
            for guess in guesses:
                if guess.target is None:
                    said = why(guess.why, lang, name)
                    undecided.append(f"  {shown}{colon}{label} {_q(guess.code)}{colon}{said}")
    if undecided:
        lines.append(say("undecided", lang))
        lines += undecided
    if draft.todos:
        lines.append(say("todos", lang, str(draft.todos), target))
    if draft.sheets:
        lines.append(say("next" if draft.todos else "next_check", lang, str(draft.folder)))
    return lines


__all__ = ["answer_todos", "render_yaml", "say", "summary"]
