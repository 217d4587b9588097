"""The product's own words in Chinese and English. The policy's words live in its TOML file."""

from __future__ import annotations

import os

LANGS = ("zh", "en")

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
        "deduction": "加计扣除 {formula} = {value}",
        "tax_saving": "；节税 {formula} = {value}",
        "tax_saving_unknown": "；节税额需补充：{fields}",
        "gap": "{label} {value}，距 {threshold}{inclusive}门槛还差 {short}",
        "inclusive": "（含）",
        "items": "{n} 项",
        "col.article": "条款",
        "col.status": "状态",
        "col.amount": "金额",
        "col.cap": "上限",
        "col.basis": "方式",
        "col.explanation": "说明",
        "total": "合计（最高可申报）",
        "total_note": "合计为各条款最高额之和，实际以评审为准；税收优惠不计入合计。",
        "missing": "还需回答（可能改变结果）：",
        "none_missing": "资料已足够，无需补充。",
        "shown": "已显示适用条款 {shown}/{all} 条；加 --all 显示全部。",
        "not_stated": "原文未载明",
        "policy": "政策",
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
        "deduction": "extra deduction {formula} = {value}",
        "tax_saving": "; tax saved {formula} = {value}",
        "tax_saving_unknown": "; tax saved needs: {fields}",
        "gap": "{label} {value}: {short} short of the {threshold}{inclusive} threshold",
        "inclusive": " (inclusive)",
        "items": "{n} items",
        "col.article": "Article",
        "col.status": "Status",
        "col.amount": "Amount",
        "col.cap": "Cap",
        "col.basis": "Basis",
        "col.explanation": "Explanation",
        "total": "Total (maximum claimable)",
        "total_note": "The total adds each article's maximum; awards are decided on review. "
        "Tax benefits are not in the total.",
        "missing": "Still to answer (could change a result):",
        "none_missing": "The profile is complete enough; nothing else to answer.",
        "shown": "Showing the {shown} of {all} articles that apply; --all shows every one.",
        "not_stated": "not stated in the source",
        "policy": "Policy",
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
