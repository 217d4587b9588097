"""Profiles: read them from JSON or TOML, check every field against the policy, parse values.

A profile maps declared input names to values. A field left out (or null, or blank) is unknown.
Every problem names the file and the field and says what would be valid.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli.errors import MoneyError, Problem, ProfileError
from subsidycli.files import decode
from subsidycli.i18n import pt, t
from subsidycli.money import read_integer, read_number
from subsidycli.policy import Policy
from subsidycli.text import suggest

MAX_INPUT_BYTES = 10 * 1024 * 1024


def read_profile(path: str, stdin_text: str | None = None) -> dict[str, Any]:
    """Read a raw profile from a `.json` or `.toml` file, or JSON text given for `-` (stdin)."""
    if path == "-":
        return loads_json(stdin_text or "", "<stdin>")
    kind = profile_suffix(path)
    text = read_text(Path(path))
    return loads_json(text, path) if kind == "json" else loads_toml(text, path)


def read_text(file: Path) -> str:
    """A UTF-8 text file (a byte-order mark is allowed), or a ProfileError saying why not."""
    where = str(file)
    try:
        if file.is_dir():
            raise ProfileError([t("is a directory, not a file")], where=where)
        if file.stat().st_size > MAX_INPUT_BYTES:
            raise ProfileError([t("is larger than 10 MiB; use `subsidy batch`")], where=where)
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ProfileError([t("no such file")], where=where) from None
    except OSError as exc:
        raise ProfileError([exc.strerror or str(exc)], where=where) from None
    return decode(raw, where)


def _no_constant(name: str) -> Any:
    raise ValueError(t("{name} is not a number", name=name))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # the rare case: find the duplicate to name it
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(t("duplicate key {key}", key=repr(key)))
            seen.add(key)
    return result


_decoder = json.JSONDecoder(
    parse_float=read_number, parse_int=read_integer, parse_constant=_no_constant,
    object_pairs_hook=_unique_keys,
)  # fmt: skip


def loads_json(text: str, where: str, *, one_line: bool = False) -> dict[str, Any]:
    """Parse a JSON profile object with exact decimals; refuse NaN, Infinity and duplicate keys.

    `one_line`: the text is one line of a JSON Lines file, so a syntax error names the column only.
    """
    if not one_line and not text.strip():  # said as such, not as JSON's "Expecting value"
        example = '{"applicant_type": "enterprise"}'
        raise ProfileError([t("is empty: a profile is a JSON object, e.g. {example}",
                              example=example)], where=where)  # fmt: skip
    try:
        data = _decoder.decode(text)
    except json.JSONDecodeError as exc:
        from subsidycli.i18n.foreign import JSON, say

        why = say(exc.msg, JSON)
        problem: Problem = (
            t("column {column}: invalid JSON: {why}", column=exc.colno, why=why) if one_line
            else (f"{exc.lineno}:{exc.colno}", t("invalid JSON: {why}", why=why))
        )  # fmt: skip
        raise ProfileError([problem], where=where) from None
    except (ValueError, RecursionError) as exc:
        raise ProfileError([t("invalid JSON: {why}", why=exc)[:200]], where=where) from None
    if not isinstance(data, dict):
        number = pt("JSON", "a number")
        kinds = {  # said in JSON's words, not Python's
            "list": pt("JSON", "a list"), "str": pt("JSON", "a string"), "int": number,
            "float": number, "Decimal": number, "bool": pt("JSON", "true or false"),
        }  # fmt: skip
        kind = "null" if data is None else type(data).__name__
        kind = "Decimal" if isinstance(data, Decimal) else kind  # a number as written, too
        raise ProfileError(
            [t("a profile is a JSON object {{...}}, not {kind}", kind=kinds.get(kind, kind))],
            where=where,
        )  # fmt: skip
    return data


def loads_toml(text: str, where: str) -> dict[str, Any]:
    """Parse a TOML profile with exact decimals."""
    try:
        return tomllib.loads(text, parse_float=read_number)
    except tomllib.TOMLDecodeError as exc:
        from subsidycli.policy import toml_error

        raise ProfileError([toml_error(str(exc))], where=where) from None
    except (ValueError, RecursionError) as exc:
        raise ProfileError([t("invalid TOML: {why}", why=exc)[:200]], where=where) from None


def parse_profile(raw: Mapping[str, Any], policy: Policy, where: str = "") -> dict[str, Any]:
    """Check and parse every field of a raw profile; raise ProfileError listing every problem.

    A field left blank (null, empty, or text of spaces only) is unknown.
    """
    problems: list[str] = []
    profile: dict[str, Any] = {}
    inputs = policy.inputs
    for key, value in raw.items():
        item = inputs.get(key)
        if item is None:
            problems.append(unknown_field(key, inputs))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # left blank: unknown
        try:
            profile[key] = item.parse(value)
        except MoneyError as exc:
            hint = getattr(value, "hint", None)  # parquet.FloatText: why the cell is so
            message = exc.message
            if hint:
                message = t("{problem}; {hint}", problem=message, hint=hint)
            problems.append(f"{key}: {message}")
    if problems:
        raise ProfileError(problems, where=where)
    return profile


def unknown_field(key: object, names: Iterable[str]) -> str:
    """The message for a field the policy does not declare, with the nearest names: ids, or,
    given the inputs, the ids of the nearest labels (年度研发费 → annual_rd_expense)."""
    near = suggest(str(key), names)
    if not near and isinstance(names, Mapping):
        labels = {item.label[lang]: item.name for item in names.values() for lang in ("zh", "en")}
        near = list(dict.fromkeys(labels[n] for n in suggest(str(key), labels, n=2)))
    hint = (
        t("did you mean {names}?", names=t(" or ").join(near)) if near
        else t("see `subsidy schema` for the fields")
    )  # fmt: skip
    shown = str(key)[:60] if str(key).isprintable() else repr(str(key))[:60]  # one line, no escapes
    return t("{field}: unknown field ({hint})", field=shown, hint=hint)


def parse_assignments(items: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """`--set FIELD=VALUE` pairs as a raw profile (values stay text until parsed), and the
    problems of the items that are not FIELD=VALUE."""
    result: dict[str, str] = {}
    problems = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(
                t(
                    "--set {item}: expected FIELD=VALUE, e.g. FIELD=1200万 "
                    "(subsidy schema lists the fields)",
                    item=repr(item),
                )
            )
            continue
        result[key.strip()] = value.strip()
    return result, problems


def by_id(raw: Mapping[str, Any], policy: Policy) -> tuple[dict[str, Any], list[str]]:
    """`--set` fields named as a sheet's header may name them (id, Chinese or English label,
    alias), written by their ids; a name no field has stays, for `parse_profile` to refuse. The
    problems: names of several fields, each listing them."""
    from subsidycli.policy.names import field_names, several

    names = field_names(policy.inputs)
    result: dict[str, Any] = {}
    problems = []
    for key, value in raw.items():
        found = names.named(key)
        if len(found) > 1:
            labels = {name: policy.inputs[name].label for name in found}
            problems.append(f"--set: {several(key, found, labels, 'fields')}")
            continue
        result[found[0] if found else key] = value
    return result, problems


def digest(profile: Mapping[str, Any]) -> str:
    """SHA-256 of a parsed profile in a canonical form: the same facts give the same digest,
    however they were written (1200万 and 12,000,000.00 alike), whatever the order of fields."""
    import hashlib

    canonical = {
        key: format(value.normalize(), "f") if isinstance(value, Decimal) else value
        for key, value in profile.items()
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assume_no(profile: Mapping[str, Any], policy: Policy) -> dict[str, Any]:
    """Treat every unknown field as 0 / no (for `--assume-no`); text fields stay unknown."""
    zero = {"money": Decimal(0), "count": 0, "bool": False, "quantity": Decimal(0)}
    filled = dict(profile)
    for name, item in policy.inputs.items():
        if (
            name not in filled
            and item.type in zero
            and (item.default, item.default_if) == (None, None)
        ):
            filled[name] = zero[item.type]
    return filled


def profile_suffix(path: str) -> str:
    """The format of a profile file by its suffix: "json" or "toml" (else a ProfileError)."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ProfileError(
            [
                t(
                    "unknown profile type {suffix} (use .json or .toml)",
                    suffix=repr(suffix) if suffix else repr(t("(no suffix)")),
                )
            ],
            where=path,
        )
    return suffix[1:]


def dump_profile(profile: Mapping[str, Any], policy: Policy, path: str) -> str:
    """A profile as JSON or TOML text (by the suffix of `path`) that `subsidy calc` reads back.

    Money and rates are written as strings so that they stay exact.
    """
    data: dict[str, Any] = {}
    for name in policy.inputs:  # the policy's order, not the order of answering
        if name in profile:
            value = profile[name]
            data[name] = str(value) if isinstance(value, Decimal) else value
    if profile_suffix(path) == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    import tomli_w

    return tomli_w.dumps(data)
