# ruff: noqa: E501  (a catalog of translations: one message a line)
"""The Chinese help of every command and option: the one place to add it.

Shown instead of the English help (the docstrings and `help=` texts in cli.py) under a Chinese
locale or with `--lang zh`. A new command adds its entry to COMMANDS; a new option adds
"COMMAND --option" to OPTIONS, or "--option" alone when every command means the same by it; a new
argument adds "COMMAND ARGUMENT" (its name in capitals). tests/test_i18n.py fails until it has one.
This module is read only when a help page is shown in Chinese.
"""

from __future__ import annotations

APP = "哪些科技政策支持可以申报、最多能拿多少。先试试 `subsidy calc --help`。"

COMMANDS: dict[str, str] = {
    "calc": """列出政策的每一条款：状态、最高金额、上限及理由。

未填写的字段视为“未知”而非零：需要它的条款会注明，页脚列出接下来要回答的问题。金额可写作
12000000、12,000,000、¥12,000,000.00、1200万 或 1.2亿。

示例：

\b
  subsidy calc profile.json
  subsidy calc --set annual_rd_expense=1200万 --set deductible_rd_expense=1000万
  cat profile.json | subsidy calc - --format json
  subsidy calc profile.json -o report.html
  subsidy calc profile.json -o result.xlsx
""",
    "interview": """回答几个问题（中文或英文），算出本单位可申报的支持。

只问仍可能改变结果的内容：先问申报主体类型，再问金额（研发费用、科技合作费用），然后以清单
列出是/否和数量类事项，一行作答（1,3,5；回车 = 都没有；? = 不清楚），再问所勾事项各有多少。
金额照平常写法输入（1200万、1.2亿、１２００万）。q 保存已答内容并退出；Ctrl-C 退出且不保存。

示例：

\b
  subsidy interview
  subsidy interview draft.toml --save acme.toml --lang zh
""",
    "articles": """列出政策的全部条款：编号、章节、名称、申报主体、方式和上限。

示例：

\b
  subsidy articles
  subsidy articles --format json --lang zh
""",
    "explain": """说明一个条款：原文、申报主体、条件、计算公式、所需资料和算例。

条款可用编号（如 gazelle）或中文名称（如 首次评定瞪羚企业支持）指定。

示例：

\b
  subsidy explain rd-investment-subsidy
  subsidy explain 科技创新券 --format json
""",
    "schema": """输出申报资料的 JSON Schema（draft 2020-12），附中英文说明。

示例：

\b
  subsidy schema > profile.schema.json
""",
    "init": """写出模板：每个字段都带注释的申报资料，或供 `subsidy batch` 使用的表格。

资料模板可直接交给 `subsidy calc`（所有字段均为未知），填上已知的即可。表格（.csv、.xlsx）
有中文表头、其下一行字段编号、一行示例，以及是/否和申报主体类型列的可选值（.xlsx 为下拉
框）；每行一个客户，然后运行 `subsidy batch clients.xlsx -o results.xlsx`。

示例：

\b
  subsidy init acme.toml
  subsidy init clients.xlsx
""",
    "lint": """检查政策文件：TOML 语法、结构、表达式、编号和原文。

`values` 中每个数字都须见于其引文，每段引文都须逐字见于 `source_file`；问题以 文件:行: 问题
的形式报告。

任一文件有问题时退出状态为 2。

示例：

\b
  subsidy lint
  subsidy lint policies/my-city-2026.toml
  subsidy lint policies/my-city-2026.toml --with zhenjiang-2024
  subsidy lint policies/my-city-2026.toml --lang zh
""",
    "test": """运行政策测试用例：每个用例文件是一份申报资料及其预期结果。

逐个列出未通过的用例，以及每个不符条款的预期与实际状态和金额，最后一行为 `N passed, N
failed`。有用例未通过时退出状态为 1，用例文件无法运行时为 2。格式同 tests/cases/*.toml（见
policies/README.md）。

示例：

\b
  subsidy test tests/cases
  subsidy test my-cases/ --policy policies/my-city-2026.toml
""",
    "diff": """逐条比较两个政策文件：新增、删除、金额、上限、条件。

给出申报资料时，还列出其每项结果如何变化。

示例：

\b
  subsidy diff zhenjiang-2024 my-draft.toml
  subsidy diff old.toml new.toml acme.json --format json
""",
    "batch": """批量计算多份申报资料：读入和输出 JSON Lines、CSV 或 .xlsx，流式处理。

JSON Lines 输出：每条记录一个精简对象，按输入顺序：行号、名称、合计、待补充字段，以及各条款的
状态、金额、上限和待补充字段（`--explain`：与 calc 相同的完整结果）。CSV 和 .xlsx 输出：行号、
名称、合计、每个现金条款一列（各列之和等于合计），最后是税收优惠的加计扣除额和节税额；
--lang zh 时表头为中文。表格可以是 UTF-8、GB18030/GBK 或 UTF-16（Excel 的“Unicode 文本”）
编码的 CSV，也可以是工作簿；表头可写字段编号或中文名称（`subsidy init clients.xlsx` 可生成模板），
取值可写中文（企业、高校、是、否），空单元格表示未知。有问题的记录在标准错误中报告为
`文件:行: 字段: 问题`，其余记录照常写出；此时退出状态为 1（命令本身有误或输入没有记录时为 2）。
标准错误的最后一行说明写入和失败的记录数以及输出位置。

示例：

\b
  subsidy batch clients.xlsx --output results.xlsx --lang zh
  subsidy batch clients.csv --output results.csv
  subsidy batch profiles.jsonl > results.jsonl
  cat profiles.jsonl | subsidy batch - --format csv --jobs 4
""",
    "summary": """总体视图：每个条款有多少单位可申报、多少需补充资料，以及其金额之和；另有总计。

使用 --override（或 --baseline）时，假设方案与基准并列，并给出每个条款的变化：提高上限或降低
门槛对这些单位意味着多少支出。有问题的记录在标准错误中报告为 `文件:行: 字段: 问题`，计数后
略去；此时退出状态为 1。无论输入多长，内存占用不变。

示例：

\b
  subsidy summary clients.csv
  subsidy summary clients.csv --override rd-investment-subsidy.max=30万
  subsidy summary profiles.jsonl --policy draft.toml --baseline zhenjiang-2024 -f json
""",
}

OPTIONS: dict[str, str] = {
    # Options that mean the same in every command.
    "--version": "显示版本号。",
    "--help": "显示本帮助并退出。",
    "--lang": "标签和说明所用的语言［默认：中文环境（LC_ALL/LANG）下为 zh，否则为 en］",
    "--policy": "使用此政策文件（或内置政策编号）代替内置政策。可重复。",
    "--override": "假设分析：修改某条款的数字或公式，如 rd-investment-subsidy.max=30万 或 "
    "rd-investment-subsidy.cap=300000。可重复。",
    "--date": "只使用该日有效的政策（effective_from/effective_to）。",
    "--set": "设置或覆盖一个字段，如 annual_rd_expense=1200万。可重复。",
    "--all": "同时列出不适用的条款。",
    "--assume-no": "把所有未回答的字段当作 0 / 否。",
    "--format": "输出格式。",
    # Options and arguments of one command.
    "calc PROFILE": "申报资料：.json 或 .toml 文件，或 - 表示从标准输入读取 JSON。"
    "在终端上省略时进入问答。",
    "calc --format": "输出格式［默认：按 --output 的后缀（.json .csv .md .html .xlsx），否则为 table］。"
    "html：带图表的可打印报告，单个自包含文件。",
    "calc --output": "写入此文件（原子写入），而非标准输出。",
    "interview PROFILE": "作为起点的部分申报资料（.json 或 .toml）。",
    "interview --save": "把填好的申报资料写入此文件（.json 或 .toml），原子写入。",
    "interview --one-by-one": "每次只问一个问题、按政策顺序提问，不用清单（适合读屏软件和驱动终端的脚本）。",
    "interview --format": "结果的格式。",
    "explain ARTICLE_ID": "条款编号（gazelle）或名称（中英文均可），或名称中唯一的一部分"
    "（首次评定瞪羚企业支持、瞪羚）。",
    "init FILE": "模板写到哪里：申报资料（.toml、.json）或批量表格（.csv、.xlsx）；"
    "省略时输出 TOML 到标准输出。",
    "init --force": "覆盖已有文件。",
    "lint FILES": "政策文件；省略时检查内置政策。",
    "lint --with": "同时检查每个文件能否与此文件一起使用（同重复的 --policy）：共用的字段须声明一致。"
    "可重复。",
    "test PATHS": "用例文件（*.toml）或其所在文件夹。",
    "test --policy": "用此政策测试每个用例［默认：用例自己的 `policy = …`，否则为内置政策］。",
    "diff OLD": "较早的政策文件（或内置编号）。",
    "diff NEW": "较新的政策文件（或内置编号）。",
    "diff PROFILE": "申报资料：同时列出其结果如何变化。",
    "batch SOURCE": "申报资料：.jsonl 文件（每行一个 JSON 对象）、.csv 文件或 .xlsx 工作簿"
    "（首行为字段编号或中文名称），或 - 表示标准输入。",
    "batch --strict": "表格中有不对应任何字段的列时视为错误（否则忽略该列并给出警告）。",
    "batch --format": "输出格式［默认：按 --output 的后缀，否则同输入格式］",
    "batch --input-format": "输入格式［默认：按 INPUT 的后缀；- 为 jsonl］",
    "batch --output": "写入此文件而非标准输出：要么完整，要么不写。CSV 文件以字节顺序标记开头，"
    "便于 Excel 打开；.xlsx 写出工作簿。",
    "batch --fail-fast": "遇到第一条有问题的记录即停止；此时 --output 保持原样。",
    "batch --explain": "JSON Lines：每条记录给出与 calc 相同的完整结果（名称、说明、原文、差距），"
    "而非精简结果。",
    "summary SOURCE": "申报资料，同 `subsidy batch`：.jsonl、.csv、.xlsx，或 - 表示标准输入。",
    "summary --input-format": "输入格式［默认：按 INPUT 的后缀；- 为 jsonl］",
    "summary --output": "写入此文件（原子写入），而非标准输出。",
    "summary --baseline": "用作比较的政策［默认：不带 --override 的 --policy］。可重复。",
    "batch --jobs": "分担工作的进程数；输出保持输入顺序。",
}


# The words of the help page itself, and of the messages about the command line.
HEADINGS: dict[str, str] = {
    "Usage:": "用法：",
    "Arguments": "参数",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "default:": "默认：",
    "required": "必填",
}
