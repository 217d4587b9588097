"""OpenFisca 46's vectorised engine beside subsidycli on the rows of `summary_speed.py`: the
time, and how far its float32 amounts are from subsidycli's exact ones.

OpenFisca is no dependency of subsidycli: run this with a Python of its own that has
OpenFisca-Core 46 and this package installed (not part of the tests or CI):

    python3 -m venv ~/.venvs/openfisca && . ~/.venvs/openfisca/bin/activate
    pip install 'openfisca-core>=46,<47' -e .
    python benchmarks/openfisca_compare.py                      # 100,000 rows, best of 3
    python benchmarks/openfisca_compare.py --amounts random     # money inputs drawn to the fen
    python benchmarks/openfisca_compare.py --rows 1000 --repeat 1 --no-summary

The rows are `summary_speed.generate`'s (seeded), read back by subsidycli's own CSV reader and
profile parser, so both sides see the same values; records the parser refuses are left out of
both. `--amounts random` then replaces the money inputs of the modelled articles with amounts
drawn to the fen (seeded), as real accounts are: the benchmark's rows draw from eight amounts.

The OpenFisca side is a minimal TaxBenefitSystem (one entity, "organisation") written as an
OpenFisca user would: input variables of the default value type (float is float32), vectorised
formulas with `min_`, `where` and `round_` (numpy's round: half to even) to the fen, and the
rates, caps and amounts as OpenFisca parameters read from the bundled policy at run time. It
models the cash articles whose amount is a product of inputs and the policy's numbers: rate ×
base with a cap, and per item × count (`MODELLED`); a fixed amount on a yes/no is not modelled.
Each article's formula in the policy is checked against the one modelled here, so a changed
policy stops the script instead of comparing different rules.

Timed on one core, best of `--repeat`: building the simulation from prepared arrays and
calculating the modelled variables for every row (process start with `import openfisca_core`,
and building the TaxBenefitSystem, apart); subsidycli's Python engine on the same parsed
profiles and articles; and `subsidy summary` over the CSV file (the Python engine and DuckDB,
process start included). Compared per row and article where subsidycli's result is known
(eligible or not): OpenFisca's amount as it prints to the fen against the exact Decimal one.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.model_api import min_, round_, where
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import VALUE_TYPES, Variable
from summary_speed import generate, timed  # this folder: the benchmark's rows and its timer

from subsidycli import engine
from subsidycli import profile as profiles
from subsidycli.batch import Reader, Unreadable
from subsidycli.errors import ProfileError
from subsidycli.policy import Article, Policy, bundled_paths, load_policy

PERIOD = "2024"
FEN = Decimal("0.01")
# The articles modelled, with their formulas as the policy states them (condition, amount, cap):
# the script refuses to run when the policy says otherwise.
RATE_CAPPED = {
    "rd-investment-subsidy": ("annual_rd_expense >= threshold", "rate * deductible_rd_expense",
                              "max"),
    "innovation-voucher": ("university_cooperation_expense > 0",
                           "rate * university_cooperation_expense", "max"),
    "empowerment-reform": ("empowerment_reform_pilot and empowerment_reform_results >= 1",
                           "per_item * empowerment_reform_results", "annual_max"),
}  # fmt: skip
# Per item × the count input named by the article's `count`, paid when the count is at least 1.
PER_ITEM = ("jiebang-guashuai", "innovation-consortium", "joint-basic-research",
            "national-platform", "provincial-platform", "public-service-platform",
            "incubator-new")  # fmt: skip
MODELLED = (*RATE_CAPPED, *PER_ITEM)


def var(article_id: str) -> str:
    """An OpenFisca name for an article or parameter node: snake case."""
    return article_id.replace("-", "_")


def checked_articles(policy: Policy) -> dict[str, Article]:
    """The modelled articles of `policy`, each checked to state the formula modelled here."""
    articles = {a.id: a for a in policy.articles}
    for article_id in MODELLED:
        a = articles[article_id]
        stated = (a.when and a.when.text, a.amount and a.amount.text, a.cap and a.cap.text)
        if article_id in RATE_CAPPED:
            wanted: tuple[str | None, ...] = RATE_CAPPED[article_id]
        else:
            wanted = (f"{a.count} >= 1", "per_item", None)
        plain = not (a.tiers or a.schedule or a.minimum) and a.basis in ("up_to", "exact")
        if stated != wanted or not plain:
            sys.exit(f"{article_id}: the policy states {stated}, modelled {wanted}")
    if policy.pairs or policy.waits:
        sys.exit("the policy settles articles against each other: not modelled")
    return {article_id: articles[article_id] for article_id in MODELLED}


# ---------------------------------------------------------------------------------------------
# The OpenFisca model: one entity, input variables from the policy's inputs, one variable a
# modelled article


def system(policy: Policy, articles: Mapping[str, Article], dtype: type = np.float32
           ) -> TaxBenefitSystem:  # fmt: skip
    """A TaxBenefitSystem of the modelled articles, its parameters from `policy`.

    `dtype` is what-if only: OpenFisca's float variables are float32, and no option changes
    that; float64 patches its table of value types while the variables are made, to tell what
    float32 costs from what numpy's half-to-even round costs.
    """
    held = VALUE_TYPES[float]["dtype"]
    VALUE_TYPES[float]["dtype"] = dtype
    try:
        return _system(policy, articles)
    finally:
        VALUE_TYPES[float]["dtype"] = held


def _system(policy: Policy, articles: Mapping[str, Article]) -> TaxBenefitSystem:
    organisation = build_entity(key="organisation", plural="organisations",
                                label="An applicant organisation", is_person=True)  # fmt: skip
    applicant = policy.inputs["applicant_type"]
    applicant_type_enum = Enum("ApplicantType", {c["value"]: c["en"] for c in applicant.choices})

    class applicant_type(Variable):  # noqa: N801 - OpenFisca variables are named in snake case
        value_type = Enum
        possible_values = applicant_type_enum
        default_value = applicant_type_enum[applicant.default]
        entity = organisation
        definition_period = DateUnit.YEAR
        label = applicant.label["en"]

    value_types = {"money": float, "count": int, "bool": bool}
    inputs = sorted({name for a in articles.values() for name in a.inputs} - {"applicant_type"})
    variables: list[type[Variable]] = [applicant_type]
    for name in inputs:
        variables.append(type(name, (Variable,), {
            "value_type": value_types[policy.inputs[name].type], "entity": organisation,
            "definition_period": DateUnit.YEAR, "label": policy.inputs[name].label["en"],
        }))  # fmt: skip

    def may_claim(org: Any, period: Any, article: Article) -> Any:
        """True where the applicant type may claim the article (`who`)."""
        if article.who is None:
            return np.ones(org.count, dtype=bool)
        codes = [applicant_type_enum[who].index for who in sorted(article.who)]
        return np.isin(np.asarray(org("applicant_type", period)), codes)

    def amount_variable(article: Article, formula: Callable[..., Any]) -> type[Variable]:
        return type(var(article.id), (Variable,), {
            "value_type": float, "entity": organisation, "definition_period": DateUnit.YEAR,
            "label": article.title["en"], "formula": formula,
        })  # fmt: skip

    def rd_investment_subsidy(org: Any, period: Any, parameters: Any) -> Any:
        p = parameters(period).rd_investment_subsidy
        base = org("deductible_rd_expense", period)
        pays = may_claim(org, period, articles["rd-investment-subsidy"]) * (
            org("annual_rd_expense", period) >= p.threshold)  # fmt: skip
        return round_(where(pays, min_(p.rate * base, p.max), 0), 2)

    def innovation_voucher(org: Any, period: Any, parameters: Any) -> Any:
        p = parameters(period).innovation_voucher
        expense = org("university_cooperation_expense", period)
        pays = may_claim(org, period, articles["innovation-voucher"]) * (expense > 0)
        return round_(where(pays, min_(p.rate * expense, p.max), 0), 2)

    def empowerment_reform(org: Any, period: Any, parameters: Any) -> Any:
        p = parameters(period).empowerment_reform
        results = org("empowerment_reform_results", period)
        pays = may_claim(org, period, articles["empowerment-reform"]) * org(
            "empowerment_reform_pilot", period) * (results >= 1)
        return round_(where(pays, min_(p.per_item * results, p.annual_max), 0), 2)

    def per_item(article: Article) -> Callable[..., Any]:
        def formula(org: Any, period: Any, parameters: Any) -> Any:
            count = org(article.count, period)
            pays = may_claim(org, period, article) * (count >= 1)
            return round_(where(pays, parameters(period)[var(article.id)].per_item * count, 0), 2)

        return formula

    formulas = {"rd-investment-subsidy": rd_investment_subsidy,
                "innovation-voucher": innovation_voucher, "empowerment-reform": empowerment_reform,
                **{article_id: per_item(articles[article_id]) for article_id in PER_ITEM}}
    variables += [amount_variable(articles[a], formulas[a]) for a in MODELLED]

    class Subsidies(TaxBenefitSystem):
        def __init__(self) -> None:
            super().__init__([organisation])
            # One dated value per number, as an OpenFisca parameters/ folder holds them: read
            # from the policy, never written here.
            self.parameters = ParameterNode("", data={var(a.id): {
                name: {"values": {f"{PERIOD}-01-01": float(value)}}
                for name, (value, _) in a.values.items()} for a in articles.values()})
            for variable in variables:
                self.add_variable(variable)

    return Subsidies()


def arrays(policy: Policy, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
           ) -> dict[str, np.ndarray]:  # fmt: skip
    """Each input's column as a numpy array, as a user would prepare one: a field left blank
    takes the variable's default (OpenFisca has no unknown value)."""
    columns: dict[str, np.ndarray] = {}
    for name in names:
        item = policy.inputs[name]
        if item.type == "choice":
            columns[name] = np.array([row.get(name, item.default) for row in rows])
        elif item.type == "money":
            columns[name] = np.array([float(row.get(name, 0)) for row in rows])
        else:
            columns[name] = np.array([row.get(name, 0) for row in rows])
    return columns


def openfisca_run(tbs: TaxBenefitSystem, columns: Mapping[str, np.ndarray], n: int
                  ) -> dict[str, np.ndarray]:  # fmt: skip
    """Build a simulation of `n` organisations from the columns and calculate every modelled
    article."""
    simulation = SimulationBuilder().build_default_simulation(tbs, n)
    for name, column in columns.items():
        simulation.set_input(name, PERIOD, column)
    return {a: simulation.calculate(var(a), PERIOD) for a in MODELLED}


# ---------------------------------------------------------------------------------------------
# subsidycli's side: the same rows, parsed and evaluated by the package


def read_profiles(policy: Policy, path: Path) -> tuple[list[dict[str, Any]], int]:
    """The CSV file's profiles as subsidycli parses them, and how many records it refused."""
    parsed: list[dict[str, Any]] = []
    refused = 0
    with path.open("rb") as stream:
        for _, raw in Reader(stream, "csv", policy, str(path)).records():
            if isinstance(raw, Unreadable):
                refused += 1
                continue
            try:
                parsed.append(profiles.parse_profile(raw, policy))
            except ProfileError:
                refused += 1
    return parsed, refused


def subsidycli_run(policy: Policy, articles: Sequence[Article], rows: Sequence[Mapping[str, Any]]
                   ) -> list[list[engine.ArticleResult]]:  # fmt: skip
    """Every row's result of each modelled article on subsidycli's Python engine (exact
    Decimal, half-up to the fen after the cap)."""
    out = []
    for row in rows:
        env = engine.environment(policy, row)
        out.append([engine.evaluate_article(a, env, explained=False) for a in articles])
    return out


def random_amounts(path: Path, names: Sequence[str], seed: int = 46) -> None:
    """Replace the money columns `names` of the CSV file with amounts drawn to the fen, spread
    evenly by magnitude from 1万 to 1亿 (seeded); blank cells stay blank."""
    random.seed(seed)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    where_ = [header.index(name) for name in names]
    for row in rows[1:]:
        for i in where_:
            if row[i].strip() and row[i] != "x":  # keep the bad record bad
                row[i] = f"{10 ** random.uniform(4, 8):.2f}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


# ---------------------------------------------------------------------------------------------
# Timing and the comparison


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best wall seconds, best CPU seconds, the last result) of `repeat` runs of `work`."""
    wall = cpu = math.inf
    result = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = work()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def compare(exact: Sequence[Sequence[engine.ArticleResult]], amounts: Mapping[str, np.ndarray],
            wide: Mapping[str, np.ndarray]) -> None:  # fmt: skip
    """Per article, over the rows where subsidycli's result is known (eligible or not): rows
    that pay; rows where OpenFisca's float32 amount is not exactly subsidycli's; rows where it
    differs by a fen or more as it prints (to the fen), and the largest such difference; the
    same count for the float64 what-if (`wide`); then the totals: subsidycli's, OpenFisca's
    amounts to the fen added exactly, and OpenFisca's float32 sum of its column."""
    print(f"{'article':24} {'known':>7} {'unknown':>7} {'paying':>7} {'inexact':>7}"
          f" {'≥1 fen':>7} {'largest':>7} {'float64: ≥1 fen':>15}")
    totals = []
    for n, article_id in enumerate(MODELLED):
        ours, ours64 = amounts[article_id], wide[article_id]
        unknown = paying = inexact = apart = apart64 = 0
        largest = total = theirs = Decimal(0)
        picked = []
        for i, results in enumerate(exact):
            amount = results[n].amount
            if amount is None:  # needs_info: OpenFisca took its defaults; not compared
                unknown += 1
                continue
            picked.append(i)
            paying += amount > 0
            inexact += Decimal(float(ours[i])) != amount  # the float32 as it is held
            printed = Decimal(f"{float(ours[i]):.2f}")  # as the float32 amount prints
            diff = abs(printed - amount)
            if diff >= FEN:
                apart += 1
                largest = max(largest, diff)
            apart64 += abs(Decimal(f"{float(ours64[i]):.2f}") - amount) >= FEN
            total += amount
            theirs += printed
        summed = Decimal(float(ours[picked].sum()))  # as a user adds up a column: float32 sum
        totals.append((article_id, total, theirs, summed))
        print(f"{article_id:24} {len(picked):7,} {unknown:7,} {paying:7,} {inexact:7,}"
              f" {apart:7,} {largest:7,.2f} {apart64:15,}")
    print()
    print(f"{'article':24} {'subsidycli total':>22} {'OpenFisca, to the fen':>22}"
          f" {'OpenFisca float32 sum':>22}")
    totals.append(("all modelled", *(sum((row[k] for row in totals), Decimal(0))
                                     for k in (1, 2, 3))))  # fmt: skip
    for article_id, total, theirs, summed in totals:
        print(f"{article_id:24} {total:22,.2f} {theirs:22,.2f} {summed:22,.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--amounts", choices=["benchmark", "random"], default="benchmark",
                        help="the benchmark's rows as generated, or its modelled money inputs "
                             "drawn to the fen")  # fmt: skip
    parser.add_argument("--no-summary", action="store_true",
                        help="skip timing `subsidy summary` over the file")
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):  # one core, for this process and those it starts
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    policy = load_policy(bundled_paths()[0])
    articles = checked_articles(policy)
    inputs = ["applicant_type",
              *sorted({n for a in articles.values() for n in a.inputs} - {"applicant_type"})]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profiles.csv"
        generate(path, options.rows)
        if options.amounts == "random":
            random_amounts(path, [n for n in inputs if policy.inputs[n].type == "money"])
        print(f"{options.rows:,} rows ({options.amounts} amounts), one core, best of"
              f" {options.repeat}; articles modelled: {len(MODELLED)}")
        python = str(Path(sys.executable))
        floor = timed([python, "-c", "pass"])
        start = timed([python, "-c", "import openfisca_core.simulations,"
                       " openfisca_core.taxbenefitsystems, openfisca_core.model_api"])
        print(f"  process start {floor[1]:.2f} s CPU ({floor[0]:.2f} s wall); with `import"
              f" openfisca_core` {start[1]:.2f} s CPU ({start[0]:.2f} s wall)")
        wall, cpu, (rows, refused) = best_of(1, lambda: read_profiles(policy, path))
        print(f"  subsidycli reading and parsing the CSV: {cpu:.2f} s CPU, {len(rows):,} profiles"
              f" ({refused:,} refused, left out of both)")
        wall, cpu, tbs = best_of(1, lambda: system(policy, articles))
        print(f"  building the TaxBenefitSystem: {cpu * 1000:.0f} ms CPU")
        wall, cpu, columns = best_of(1, lambda: arrays(policy, rows, inputs))
        print(f"  numpy arrays from the parsed profiles: {cpu:.2f} s CPU")
        wall, cpu, amounts = best_of(options.repeat, lambda: openfisca_run(tbs, columns,
                                                                           len(rows)))
        print(f"  OpenFisca: simulation and {len(MODELLED)} variables: {cpu:.3f} s CPU"
              f" ({wall:.3f} s wall)")
        ordered = [articles[a] for a in MODELLED]
        wall, cpu, exact = best_of(options.repeat, lambda: subsidycli_run(policy, ordered, rows))
        print(f"  subsidycli's Python engine, the same {len(MODELLED)} articles on the parsed"
              f" profiles: {cpu:.2f} s CPU ({wall:.2f} s wall)")
        if not options.no_summary:
            subsidy = str(Path(sys.executable).with_name("subsidy"))
            one = [subsidy, "summary", str(path), "-f", "json"]
            for name, args in (("--engine python", [*one, "--engine", "python"]),
                               ("DuckDB", one)):  # fmt: skip
                best = min((timed(args) for _ in range(options.repeat)), key=lambda r: r[1])
                print(f"  `subsidy summary` {name}, every article, process start included:"
                      f" {best[1]:.2f} s CPU ({best[0]:.2f} s wall)")
        print()
        wide = openfisca_run(system(policy, articles, np.float64), columns, len(rows))
        compare(exact, amounts, wide)


if __name__ == "__main__":
    main()
