"""A policy: its data model, and how a TOML file becomes one (schema, compile, overrides, combine).

The package's public names are here; its modules, each one step:
model (the frozen dataclasses), keylines (where a key is in the file), schema (the file's shape,
as TypedDicts), validate (a file checked against them, each problem worded), parsers (how a
profile's value of each input type is read), compile (the file's typed tables to a `Policy`),
payments (ranges, case by case, schedules, stages, and the links between articles), overrides,
combine, trust (the cache of files already validated), load (finding, reading and
choosing policy files).
"""

from subsidycli.policy.article import with_defaults
from subsidycli.policy.combine import combine
from subsidycli.policy.compile import default_cycles
from subsidycli.policy.keylines import KeyLines, toml_error
from subsidycli.policy.load import bundled_dir, bundled_paths, load_policy, resolve
from subsidycli.policy.model import (
    ANY,
    CASH_BASES,
    SUMMED_BASES,
    Article,
    Input,
    Meta,
    Payment,
    Policy,
    ScheduleRow,
    Text,
    Tier,
    Wait,
)  # fmt: skip
from subsidycli.policy.overrides import unmatched_overrides
from subsidycli.policy.parsers import choice_words, fold

__all__ = [
    "ANY", "CASH_BASES", "SUMMED_BASES", "Article", "Input", "KeyLines", "Meta", "Payment",
    "Policy", "ScheduleRow", "Text", "Tier", "Wait",
    "bundled_dir", "bundled_paths", "choice_words", "combine", "default_cycles", "fold",
    "load_policy", "resolve", "toml_error", "unmatched_overrides", "with_defaults",
]
