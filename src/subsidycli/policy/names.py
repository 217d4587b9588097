"""One way to name a field or an article: by its id, or by its Chinese or English label (an
article's title), or an alias a sheet's header may use — the same names wherever an id is taken
(`--set`, `--override`, `explain`, a sheet's header).

A name is compared folded (`fold`: case, full width and spaces ignored). The id as written wins;
else every field or article one of whose names equals it; a lookup (`explain`) may also take a
unique part of a title. More than one match is for the caller to refuse, listing the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from subsidycli.errors import UnknownArticle
from subsidycli.i18n import t
from subsidycli.policy.model import Article, Input, Text
from subsidycli.policy.parsers import fold


class Names:
    """Every name of some fields or articles, folded, and the ids each names."""

    def __init__(self, names: Mapping[str, Iterable[str]]) -> None:
        self.ids = tuple(names)
        self._folded: dict[str, tuple[str, ...]] = {}  # id → its names, folded
        self._index: dict[str, list[str]] = {}  # a folded name → the ids it names
        for id_, others in names.items():
            folded = tuple(dict.fromkeys(fold(name) for name in (id_, *others)))
            self._folded[id_] = folded
            for name in folded:
                self._index.setdefault(name, []).append(id_)

    def named(self, name: str, *, partial: bool = False) -> list[str]:
        """The ids `name` names: the id as written; else those with a name equal to it, folded;
        else, when `partial`, those with a name containing it. Several: the name is ambiguous."""
        if name in self._folded:
            return [name]
        wanted = fold(name)
        if not wanted:
            return []
        found = self._index.get(wanted, [])
        if found or not partial:
            return list(found)
        # A part of a label or title, not of an id: "rd" is no article's name
        return [i for i, names in self._folded.items() if any(wanted in n for n in names[1:])]


def field_names(inputs: Mapping[str, Input]) -> Names:
    """The names of a policy's fields: id, Chinese and English label, and the aliases."""
    return Names({item.name: (item.label["zh"], item.label["en"], *item.aliases)
                  for item in inputs.values()})  # fmt: skip


def article_names(articles: Iterable[tuple[str, Text | Mapping[str, str]]]) -> Names:
    """The names of articles, given as (id, title): id, Chinese and English title."""
    return Names({id_: (title["zh"], title["en"]) for id_, title in articles})


def several(name: str, ids: Iterable[str], titles: Mapping[str, Text | Mapping[str, str]],
            what: str = "articles") -> str:  # fmt: skip
    """The message for a name that names several fields or articles, listing them (id and
    Chinese name), at most eight."""
    found = list(ids)
    listed = ", ".join(f"{i} ({titles[i]['zh']})" for i in found[:8])
    if what == "fields":
        return t("{name} names several fields: {fields}", name=repr(name), fields=listed)
    return t("{name} names several articles: {articles}", name=repr(name), articles=listed)


def find_article(articles: Iterable[Article], name: str, *, partial: bool = False) -> Article:
    """The article `name` names (its id or title, Chinese or English; with `partial`, a unique
    part of a title: "瞪羚" finds 首次评定瞪羚企业支持); else UnknownArticle, listing the
    candidates of an ambiguous name or suggesting the nearest ids."""
    by_id = {a.id: a for a in articles}
    names = article_names((a.id, a.title) for a in by_id.values())
    found = names.named(name, partial=partial)
    if len(found) == 1:
        return by_id[found[0]]
    if found:
        raise UnknownArticle(several(name, found, {i: by_id[i].title for i in found}))
    hint = near_articles(name, names, {i: a.title for i, a in by_id.items()})
    raise UnknownArticle(t("no article {name} ({hint})", name=repr(name), hint=hint))


def near_articles(name: str, names: Names, titles: Mapping[str, Text]) -> str:
    """The hint for a name that names no article: the ids of the articles whose title has it
    as a part, else of the nearest ids or titles; else where to find them."""
    from subsidycli.text import suggest

    found = names.named(name, partial=True)
    if len(found) > 1:
        return t(
            "it is part of several titles: {articles}",
            articles=", ".join(f"{i} ({titles[i]['zh']})" for i in found[:8]),
        )
    if not found:
        near = suggest(name, names.ids, n=3)
        by_title = {title[lang]: i for i, title in titles.items() for lang in ("zh", "en")}
        found = near or list(dict.fromkeys(by_title[n] for n in suggest(name, by_title, n=3)))
    if found:
        return t("did you mean {names}?", names=", ".join(found))
    return t("see `subsidy articles` for the ids and titles")
