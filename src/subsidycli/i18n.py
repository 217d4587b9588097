"""The product's own words in Chinese and English. The policy's words live in its TOML file."""

from __future__ import annotations

import os

# Yes and no as people write them, wherever a profile is read (JSON, TOML, CSV, .xlsx, --set, the
# interview): the one table of such words, read by `money.parse_bool`. Compared in lower case.
YES_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "对", "√"})
NO_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "没有", "不是", "×"})

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "status.eligible": "可申报",
        "status.not_eligible": "不符合",
        "status.needs_info": "待补充",
        "status.info": "政策条款",
        "basis.up_to": "最高",
        "basis.exact": "定额",
        "basis.unspecified": "金额未明确",
        "basis.tax_deduction": "税收优惠",
        "basis.info": "—",
        "yes": "是",
        "no": "否",
        "and": "、",
        "only_for": "仅限{who}申报",
        "not_met": "不满足条件：{why}",
        "needs": "需补充：{fields}",
        "info": "政策导向条款，无可计算金额",
        "unspecified": "政策给予支持，原文未明确金额",
        "capped": "> {cap}，按上限 {cap} 计",
        "within": "≤ {cap}",
        "rounded": "，四舍五入至 {value}",
        "negative": "，结果为负，按 0.00 计",
        "up_to": "最高 {value}",
        "exact": "定额 {value}",
        "tier": "第{n}档：",
        "deduction": "加计扣除 {formula} = {value}",
        "tax_saving": "；节税 {formula} = {value}",
        "tax_saving_unknown": "；节税额需补充：{fields}",
        "gap": "{label} {value}，距 {threshold}{inclusive}门槛还差 {short}",
        "inclusive": "（含）",
        "col.article": "条款",
        "col.status": "状态",
        "col.amount": "金额",
        "col.cap": "上限",
        "col.explanation": "说明",
        "total": "合计（最高可申报）",
        "total_known_only": "（仅含金额已知的条款；另有 {count} 条待补充资料）",
        "total_note": "合计为各条款最高额之和，实际以评审为准；税收优惠不计入合计。",
        "missing": "还需回答（可能改变结果）：",
        "assumed": "以下未回答的字段按 0/否 计算（--assume-no），结果以此假设为准：",
        "none_missing": "资料已足够，无需补充。",
        "shown": "已显示适用条款 {shown}/{all} 条；加 --all 显示全部。",
        "not_stated": "原文未载明",
        "any_applicant": "所有申报主体",
        "tax_saved": "节税",
        "gap_label": "差距：",
        "no_differences": "没有差异。",
        "iv.intro": "回答几个问题，即可算出可申报的支持及最高金额。直接回车可跳过，Ctrl-C 退出。",
        "iv.how.money": "金额，可写 1200万、1.2亿、12,000,000",
        "iv.how.count": "整数，如 0、1、2",
        "iv.how.bool": "是 / 否（y/n）",
        "iv.how.rate": "比例，如 15% 或 0.15",
        "iv.how.choice": "输入编号或名称",
        "iv.how.text": "文字",
        "iv.bad.money": "不是有效金额，请写如 1200万、1.2亿、12,000,000（不能为负）",
        "iv.bad.count": "请输入不小于 0 的整数，如 0、1、2",
        "iv.bad.bool": "请回答 是 或 否（y/n）",
        "iv.bad.rate": "请输入 0 到 1 之间的比例，如 15% 或 0.15",
        "iv.bad.choice": "请输入上面列出的编号或名称",
        "iv.bad.text": "请输入文字",
        "iv.interrupted": "已中断，未保存任何内容。",
        "iv.eof": "输入已结束，问答未完成，未保存任何内容。",
        "iv.saved": "资料已保存到 {path}",
        "head.source": "原文",
        "head.who": "申报主体",
        "head.basis": "方式",
        "head.condition": "条件",
        "head.amount": "金额",
        "head.cap": "上限",
        "head.values": "数值",
        "head.inputs": "所需资料",
        "head.note": "说明",
        "head.not_stated": "原文未载明",
        "head.example": "算例",
        "head.tax": "节税",
        "cap_each": "每项 {cap}",
        "cap_for_count": "（{count} 项共 {cap}）",
        "report.heading": "科技政策支持测算报告",
        "report.colon": "：",
        "report.unnamed": "（未填写单位名称）",
        "report.policy": "政策",
        "report.issuer": "发文单位",
        "report.summary": "测算结论",
        "report.cash": "现金支持合计（最高可申报）",
        "report.tax": "税收优惠（不计入合计）",
        "report.deduction": "加计扣除额",
        "report.comma": "，",
        "report.no_tax": "无可享受的税收优惠。",
        "report.counts": "可申报 {eligible} 条 · 待补充 {needs_info} 条 · 不符合 {not_eligible} 条"
        " · 政策条款 {info} 条",
        "report.nothing_yet": "目前还不能算出任何金额：{n} 条需要补充资料，"
        "请先回答“待回答的问题”。",
        "report.chart": "各条款可申报金额",
        "report.chart_none": "暂无可申报金额的条款。",
        "report.unstated": "另可申报、原文未明确金额：",
        "report.legend_cash": "现金支持（计入合计）",
        "report.legend_tax": "税收优惠：加计扣除额（不计入合计）",
        "report.articles": "全部条款",
        "report.questions": "待回答的问题",
        "report.questions_intro": "以下资料尚未提供；回答后可能改变所列条款的结果。",
        "report.settles": "影响条款",
        "report.settles_item": "{title}（{cap}）",
        "report.how": "填写方式",
        "report.gaps": "差多少可以申报",
        "report.gaps_none": "没有差一定金额即可达到门槛的条款。",
        "report.gap.value": "现有",
        "report.gap.threshold": "门槛",
        "report.gap.short_by": "还差",
        "report.receipt": "计算依据",
        "report.r.tool": "工具版本",
        "report.r.policy": "政策文件",
        "report.r.sha256": "政策文件 SHA-256",
        "report.r.date": "计算日期",
        "report.r.profile": "企业资料摘要",
        "report.r.overrides": "假设调整（--override）",
        "report.r.none": "无",
        "report.footer": "本报告由 subsidycli 生成；金额为政策规定的最高额，"
        "实际以主管部门评审为准。",
        "sheet.line": "行号",
        "sheet.name": "单位名称",
        "sheet.total": "合计（元）",
        "sheet.article": "条款编号",
        "sheet.title": "条款",
        "sheet.section": "章节",
        "sheet.status": "状态",
        "sheet.basis": "方式",
        "sheet.amount": "金额（元）",
        "sheet.cap": "上限（元）",
        "sheet.deduction": "加计扣除额（元，税收优惠）",
        "sheet.tax_saving": "节税额（元，税收优惠）",
        "sheet.missing": "待补充",
        "sheet.gap": "差距",
        "sheet.explanation": "说明",
        "sheet.done": "已写入 {written} 条记录，失败 {failed} 条；输出：{where}",
        "sum.title": "汇总：{policy}",
        "sum.eligible": "可申报（家）",
        "sum.needs_info": "待补充（家）",
        "sum.amount": "金额合计",
        "sum.baseline": "调整前",
        "sum.change": "变化",
        "sum.total": "合计（最高可申报，不含税收优惠）",
        "sum.records": "{records} 条记录；{failed} 条有误，未计入（见标准错误输出）",
        "sum.whatif": "调整：{overrides}",
        "sheet.stdout": "标准输出",
        "sheet.kept": "未写入 {file}（--fail-fast 在第一条错误处停止，原有文件保持不变）",
    },
    "en": {
        "status.eligible": "eligible",
        "status.not_eligible": "not eligible",
        "status.needs_info": "needs info",
        "status.info": "info",
        "basis.up_to": "up to",
        "basis.exact": "fixed",
        "basis.unspecified": "amount not stated",
        "basis.tax_deduction": "tax benefit",
        "basis.info": "—",
        "yes": "yes",
        "no": "no",
        "and": ", ",
        "only_for": "only for: {who}",
        "not_met": "condition not met: {why}",
        "needs": "needs: {fields}",
        "info": "policy statement; no computable amount",
        "unspecified": "support promised; the source states no amount",
        "capped": "> {cap}, capped at {cap}",
        "within": "≤ {cap}",
        "rounded": ", rounded half-up to {value}",
        "negative": ", below zero, counted as 0.00",
        "up_to": "up to {value}",
        "exact": "fixed {value}",
        "tier": "tier {n}: ",
        "deduction": "extra deduction {formula} = {value}",
        "tax_saving": "; tax saved {formula} = {value}",
        "tax_saving_unknown": "; tax saved needs: {fields}",
        "gap": "{label} {value}: {short} short of the {threshold}{inclusive} threshold",
        "inclusive": " (inclusive)",
        "col.article": "Article",
        "col.status": "Status",
        "col.amount": "Amount",
        "col.cap": "Cap",
        "col.explanation": "Explanation",
        "total": "Total (maximum claimable)",
        "total_known_only": " (known articles only; {count} more need information)",
        "total_note": "The total adds each article's maximum; awards are decided on review. "
        "Tax benefits are not in the total.",
        "missing": "Still to answer (could change a result):",
        "assumed": "Not answered, taken as 0 / no (--assume-no); the result rests on this:",
        "none_missing": "The profile is complete enough; nothing else to answer.",
        "shown": "Showing the {shown} of {all} articles that apply; --all shows every one.",
        "not_stated": "not stated in the source",
        "any_applicant": "any applicant",
        "tax_saved": "tax saved",
        "gap_label": "Gap: ",
        "no_differences": "No differences.",
        "iv.intro": "Answer a few questions to see what you can claim and the most each pays. "
        "Press Enter to skip a question, Ctrl-C to quit.",
        "iv.how.money": "an amount, e.g. 1200万, 1.2亿, 12,000,000",
        "iv.how.count": "a whole number, e.g. 0, 1, 2",
        "iv.how.bool": "yes / no (y/n, 是/否)",
        "iv.how.rate": "a rate, e.g. 15% or 0.15",
        "iv.how.choice": "a number or a name from the list",
        "iv.how.text": "text",
        "iv.bad.money": "not an amount; write e.g. 1200万, 1.2亿 or 12,000,000 (not negative)",
        "iv.bad.count": "not a whole number ≥ 0; write e.g. 0, 1, 2",
        "iv.bad.bool": "please answer yes or no (y/n, 是/否)",
        "iv.bad.rate": "not a rate from 0 to 1; write e.g. 15% or 0.15",
        "iv.bad.choice": "please give a number or a name from the list",
        "iv.bad.text": "please type some text",
        "iv.interrupted": "Interrupted; nothing was saved.",
        "iv.eof": "End of input before the interview was complete; nothing was saved.",
        "iv.saved": "Profile saved to {path}",
        "head.source": "Source text",
        "head.who": "Who may claim",
        "head.basis": "Basis",
        "head.condition": "Condition",
        "head.amount": "Amount",
        "head.cap": "Cap",
        "head.values": "Numbers stated",
        "head.inputs": "Inputs read",
        "head.note": "Note",
        "head.not_stated": "Not stated in the source",
        "head.example": "Worked example",
        "head.tax": "Tax saved",
        "cap_each": "{cap} per item",
        "cap_for_count": " ({cap} for {count} items)",
        "report.heading": "Subsidy estimate",
        "report.colon": ": ",
        "report.unnamed": "(organisation not named)",
        "report.policy": "Policy",
        "report.issuer": "Issued by",
        "report.summary": "Summary",
        "report.cash": "Cash support in total, CNY (maximum claimable)",
        "report.tax": "Tax benefits (not in the total)",
        "report.deduction": "extra deduction",
        "report.comma": ", ",
        "report.no_tax": "No tax benefit applies.",
        "report.counts": "{eligible} eligible · {needs_info} need information · {not_eligible} not "
        "eligible · {info} policy statements",
        "report.nothing_yet": "Nothing can be computed yet: {n} articles need information. "
        "Answer the open questions first.",
        "report.chart": "Eligible amounts by article (CNY)",
        "report.chart_none": "No article has an eligible amount yet.",
        "report.unstated": "Also eligible, with no amount stated in the source: ",
        "report.legend_cash": "cash support (in the total)",
        "report.legend_tax": "tax benefit: extra deduction (not in the total)",
        "report.articles": "Every article",
        "report.questions": "Open questions",
        "report.questions_intro": "These fields are not answered yet; an answer could change the "
        "results of the articles listed.",
        "report.settles": "Settles",
        "report.settles_item": "{title} ({cap})",
        "report.how": "How to answer",
        "report.gaps": "What would qualify",
        "report.gaps_none": "No article is missed on an amount threshold.",
        "report.gap.value": "Now",
        "report.gap.threshold": "Threshold",
        "report.gap.short_by": "Short by",
        "report.receipt": "Receipt",
        "report.r.tool": "Tool",
        "report.r.policy": "Policy file",
        "report.r.sha256": "Policy SHA-256",
        "report.r.date": "Evaluated on",
        "report.r.profile": "Profile digest",
        "report.r.overrides": "What-if changes (--override)",
        "report.r.none": "none",
        "report.footer": "Made with subsidycli. Amounts are the maxima the policy states; awards "
        "are decided on review.",
        "sheet.line": "line",
        "sheet.name": "name",
        "sheet.total": "total",
        "sheet.article": "article",
        "sheet.title": "title",
        "sheet.section": "section",
        "sheet.status": "status",
        "sheet.basis": "basis",
        "sheet.amount": "amount",
        "sheet.cap": "cap",
        "sheet.deduction": "deduction",
        "sheet.tax_saving": "tax_saving",
        "sheet.missing": "missing",
        "sheet.gap": "gap",
        "sheet.explanation": "explanation",
        "sum.title": "Summary: {policy}",
        "sum.eligible": "Eligible",
        "sum.needs_info": "Needs info",
        "sum.amount": "Amount",
        "sum.baseline": "Baseline",
        "sum.change": "Change",
        "sum.total": "Total (maximum claimable, tax items apart)",
        "sum.records": "{records} records; {failed} failed and left out (see stderr)",
        "sum.whatif": "What-if: {overrides}",
        "sheet.done": "records written: {written}, failed: {failed}; output: {where}",
        "sheet.stdout": "stdout",
        "sheet.kept": "{file} not written (--fail-fast stopped at the first bad record; an "
        "earlier file is left as it was)",
    },
}


def word(lang: str, key: str, **fields: object) -> str:
    """A phrase of the product in `lang`, with its fields filled in."""
    text = WORDS[lang][key]
    return text.format(**fields) if fields else text


def default_lang(environ: dict[str, str] | None = None) -> str:
    """Chinese under a zh locale (LC_ALL, LC_MESSAGES, LANG, LANGUAGE), English otherwise."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


# The language of messages (errors, warnings): set once at start-up by the command line
# (cli_lang.SubsidyGroup), from --lang or the locale; the locale's when not set.
_message_lang: str | None = None


def set_message_lang(lang: str | None) -> None:
    """Speak `lang` ("zh" or "en") in every message from now on; None: follow the locale."""
    global _message_lang
    _message_lang = lang


def message_lang() -> str:
    """The language of messages: as set at start-up, else the locale's."""
    return _message_lang or default_lang()


def t(text: str, /, **fields: object) -> str:
    """A message (error, warning) in the language of messages, its fields filled in.

    `text` is the English template; its Chinese is messages_zh.MESSAGES[text], the one place
    that holds the Chinese of every message (read only when a message is shown in Chinese).
    """
    if message_lang() == "zh":
        from subsidycli.messages_zh import MESSAGES

        text = MESSAGES.get(text, text)
    return text.format(**fields) if fields else text
