# ruff: noqa: E501  (a catalog of translations: one message a line)
"""The Chinese of every message (errors and warnings), keyed by its English template.

Code writes a message as `t("{value} is not an amount ({hint})", value=..., hint=...)`
(i18n.t); under a Chinese locale or --lang zh it is shown from here. A new message adds its line
here; tests/test_i18n.py fails until it has one, with the same {fields}.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # Command line
    "--format xlsx writes a workbook: give the file with --output FILE.xlsx": "--format xlsx 写出的是工作簿：请用 --output FILE.xlsx 指定文件",
    "unknown template type {suffix} (use .toml or .json for a profile, .csv or .xlsx for batch)": "未知的模板类型 {suffix}（申报资料用 .toml 或 .json，批量表格用 .csv 或 .xlsx）",
    "already exists (use --force to replace it)": "已存在（用 --force 覆盖）",
    "no case files (*.toml) in {paths}": "{paths} 中没有用例文件（*.toml）",
    "cannot tell the format from the name (.jsonl or .csv); add --input-format jsonl or csv": "无法从文件名判断格式（.jsonl 或 .csv）；请加 --input-format jsonl 或 csv",
    "--override {item}: expected ARTICLE.NAME=VALUE, e.g. rd-investment-subsidy.max=30万": "--override {item}：应为 条款.名称=值，如 rd-investment-subsidy.max=30万",
    "--date {day}: {policy} states no dates of force (effective_from, effective_to): "
    "it is used whatever the day": "--date {day}：{policy} 未载明施行日期（effective_from、effective_to），不论哪天都照用",
    "--date {day}: no policy in force on that day ({spans})": "--date {day}：当日没有有效的政策（{spans}）",
    "--date {day}: expected a date as YYYY-MM-DD": "--date {day}：应为 YYYY-MM-DD 格式的日期",
    "(no suffix)": "（无后缀）",
    # Files
    "is larger than 10 MiB; use `subsidy batch`": "超过 10 MiB；请用 `subsidy batch`",
    "folder {folder} does not exist": "文件夹 {folder} 不存在",
    "is a directory; give a file name": "是文件夹；请给出文件名",
    "cannot write: {why}": "无法写入：{why}",
    "cannot write here: {why}": "无法在此写入：{why}",
    "is UTF-16; save it as UTF-8": "是 UTF-16 编码；请另存为 UTF-8",
    "is binary, not text": "是二进制文件，不是文本",
    "is not UTF-8 text (bad byte at offset {offset})": "不是 UTF-8 文本（第 {offset} 字节有误）",
    "is a directory, not a file": "是文件夹，不是文件",
    "no such file": "文件不存在",
    # Values
    "a non-negative amount in 元, e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿": "以元计的非负金额，如 12000000、12,000,000、¥12,000,000.00、1200万、1.2亿",
    "a whole number ≥ 0, e.g. 0, 1, 2": "不小于 0 的整数，如 0、1、2",
    "a rate from 0 to 1, e.g. 0.15 or 15%": "0 到 1 之间的比例，如 0.15 或 15%",
    '(e.g. "100万", "0.5%", 3)': '（如 "100万"、"0.5%"、3）',
    "{value} is not yes/no (true/false, yes/no, 是/否, 有/无, 1/0)": "{value} 不是 是/否（可写 是/否、有/无、true/false、yes/no、1/0）",
    "{amount} 元 is out of range (at most 10^24 元)": "{amount} 元超出范围（至多 10^24 元）",
    "{value} is not an amount ({hint})": "{value} 不是有效金额（{hint}）",
    "{value} is not a finite number {hint}": "{value} 不是有限的数 {hint}",
    "{value} is not a finite amount {hint}": "{value} 不是有限的金额 {hint}",
    "{value} is negative {hint}": "{value} 是负数 {hint}",
    "{value} is implausibly large (at most 10^15)": "{value} 大得不合情理（至多 10^15）",
    "{value} has more than {places} decimal places": "{value} 的小数超过 {places} 位",
    "{value} is not a count ({hint})": "{value} 不是个数（{hint}）",
    "{value} is negative ({hint})": "{value} 是负数（{hint}）",
    "{value} is implausibly large (at most 1,000,000)": "{value} 大得不合情理（至多 1,000,000）",
    "{value} is not a rate ({hint})": "{value} 不是比例（{hint}）",
    "{value} is not between 0 and 1 ({hint})": "{value} 不在 0 到 1 之间（{hint}）",
    "{value} has more than 10 decimal places ({hint})": "{value} 的小数超过 10 位（{hint}）",
    "{value}: commas group thousands, e.g. 12,000,000 ({hint})": "{value}：逗号只用于千位分隔，如 12,000,000（{hint}）",
    "{value} is not a percentage {hint}": "{value} 不是百分比 {hint}",
    "{value} is not a whole number ({hint})": "{value} 不是整数（{hint}）",
    "{value} is not a number {hint}": "{value} 不是数字 {hint}",
    # Articles
    "{name} names several articles: {articles}": "{name} 对应多个条款：{articles}",
    "see `subsidy articles` for the ids and titles": "条款编号和名称见 `subsidy articles`",
    "no article {name} ({hint})": "没有条款 {name}（{hint}）",
    # Profiles
    "{field}: unknown field ({hint})": "{field}：未知字段（{hint}）",
    "{name} is not a number": "{name} 不是数字",
    "did you mean {names}?": "是否应为 {names}？",
    " or ": " 或 ",
    "see `subsidy schema` for the fields": "字段见 `subsidy schema`",
    "column {column}: invalid JSON: {why}": "第 {column} 列：JSON 无效：{why}",
    "a profile is a JSON object {{...}}, not {kind}": "申报资料应为 JSON 对象 {{...}}，而不是 {kind}",
    "--set {item}: expected FIELD=VALUE, e.g. annual_rd_expense=1200万": "--set {item}：应为 字段=值，如 annual_rd_expense=1200万",
    "unknown profile type {suffix} (use .json or .toml)": "未知的申报资料类型 {suffix}（请用 .json 或 .toml）",
    "duplicate key {key}": "键 {key} 重复",
    "invalid JSON: {why}": "JSON 无效：{why}",
    "invalid TOML: {why}": "TOML 无效：{why}",
}
