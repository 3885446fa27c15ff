"""Cues in a bank's wording that let a test-wise trainee answer without the knowledge.

The rules are those of ``../shared/domain/item-writing.md`` (Haladyna, Downing & Rodriguez 2002;
the NBME item-writing guide). Two kinds of finding:

- **Item flaws** that are wrong in any single question ("all of the above", a key far longer
  than every distractor, "a"/"an" that only fits some options, a lower-case negative stem, a
  select-all stem that says how many to pick). Each names its question.
- **Bank figures**: cues that are fine in one question but give answers away when they repeat
  (the key is the longest option, most true/false items are true, select-all items always have
  three keys, absolutes sit in distractors). One question whose key is the longest is normal;
  a bank where that happens in half of the questions is not. Each figure has a limit, counts only
  when the bank has enough items of that type to tell, and lists the questions that feed it.

Pure functions over the parsed bank: no database, no request.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .bank_schema import Bank, Question

ABSOLUTES = frozenset({"always", "never", "only", "all", "none", "every", "no", "must", "cannot"})
HEDGES = frozenset({"may", "can", "often", "usually", "some", "might", "could", "generally", "typically", "sometimes"})
# Words of a careful, evidence-minded answer ("the evidence is limited; refer"): a test-wise
# trainee who learns that the cautious option is usually right picks it without knowing why.
CAUTIOUS = frozenset(
    {
        "uncertain",
        "unclear",
        "unknown",
        "limited",
        "insufficient",
        "inconclusive",
        "unproven",
        "not",
        "no",
        "cannot",
        "may",
        "might",
        "evidence",
        "refer",
        "stop",
        "check",
        "caution",
        "yet",
        "whether",
    }
)
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "by",
        "at",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "which",
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "you",
        "your",
        "we",
        "our",
        "not",
        "do",
        "does",
        "did",
        "into",
        "over",
        "under",
        "after",
        "before",
        "about",
        "most",
        "more",
        "less",
        "least",
        "per",
    ]
)
BANNED_OPTIONS = re.compile(
    r"\b(all|none) of (the|these) (above|options|answers)\b|\bboth [a-e] and [a-e]\b|\bneither [a-e] nor [a-e]\b",
    re.IGNORECASE,
)
SAYS_HOW_MANY = re.compile(r"\b(select|choose|pick|tick|which)\s+(two|three|four|2|3|4)\b", re.IGNORECASE)
SELECT_ALL = re.compile(r"select all that apply", re.IGNORECASE)
NEGATIVE = re.compile(r"\b(not|except|least)\b")
NEGATIVE_ANY_CASE = re.compile(r"\b(not|except|least)\b", re.IGNORECASE)
QUESTION_WORDS = re.compile(r"\b(which|what|who|when|where|why|how)\b", re.IGNORECASE)

LENGTH_RATIO = 1.25  # a key this much longer than its longest distractor stands out on its own
LENGTH_MARGIN = 15  # ... and by at least this many characters (short options differ by a word)
MIN_SINGLE = 10  # figures over single-answer items need this many of them
MIN_TRUE_FALSE = 10
MIN_MULTIPLE = 6
MIN_MARKED = 6  # true/false statements with an absolute or a hedge
MIN_OPTIONS = 10  # options carrying an absolute or a hedge


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['-][a-z0-9]+)*", text.lower())


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 and w not in STOPWORDS}


def caution(text: str) -> int:
    """How many words of cautious, evidence-minded phrasing ``text`` holds."""
    return sum(w in CAUTIOUS for w in words(text))


def has_any(text: str, vocabulary: frozenset[str]) -> bool:
    return any(w in vocabulary for w in words(text))


@dataclass(frozen=True)
class ItemFlaw:
    index: int  # position in the bank's question list
    path: tuple[str | int, ...]  # within the question, e.g. ("choices", 2, "text")
    message: str


@dataclass
class Figure:
    """One bank-level cue figure: ``value`` against ``limit``; ``ok`` is None when too few items to tell."""

    name: str
    value: str
    limit: str
    ok: bool | None
    items: list[int] = field(default_factory=list)  # question indices that feed the cue

    def __str__(self) -> str:
        verdict = {True: "ok", False: "OVER THE LIMIT", None: "too few items to judge"}[self.ok]
        return f"{self.name}: {self.value} (limit {self.limit}; {verdict})"


@dataclass
class Review:
    flaws: list[ItemFlaw]
    figures: list[Figure]

    @property
    def failed_figures(self) -> list[Figure]:
        return [f for f in self.figures if f.ok is False]


def _key_and_distractors(q: Question) -> tuple[list[str], list[str]]:
    keys = [c.text for c in q.choices or [] if c.id in (q.correct or [])]
    others = [c.text for c in q.choices or [] if c.id not in (q.correct or [])]
    return keys, others


def _unique_top(scores: list[float], index: int) -> bool:
    """True when option ``index`` scores strictly higher than every other option."""
    return all(scores[index] > s for j, s in enumerate(scores) if j != index)


def _unique_bottom(scores: list[float], index: int) -> bool:
    return all(scores[index] < s for j, s in enumerate(scores) if j != index)


def _key_index(q: Question) -> int:
    return next(j for j, c in enumerate(q.choices or []) if c.id in (q.correct or []))


def stem_overlap(q: Question) -> list[float]:
    stem = content_words(q.stem)
    return [len(stem & content_words(c.text)) for c in q.choices or []]


def convergence(q: Question) -> list[float]:
    """How much each option shares with the other options (the sum of word-set Jaccard overlaps)."""
    sets = [content_words(c.text) for c in q.choices or []]
    scores = []
    for i, mine in enumerate(sets):
        total = 0.0
        for j, other in enumerate(sets):
            if i != j and (mine | other):
                total += len(mine & other) / len(mine | other)
        scores.append(total)
    return scores


def item_flaws(index: int, q: Question) -> list[ItemFlaw]:
    """Flaws that are wrong in any one question, whatever the rest of the bank does."""
    flaws: list[ItemFlaw] = []
    for j, c in enumerate(q.choices or []):
        if BANNED_OPTIONS.search(c.text):
            flaws.append(ItemFlaw(index, ("choices", j, "text"), "'all/none of the above' or 'both A and B' option"))
    last_sentence = re.split(r"(?<=[.!?])\s+", q.stem.strip())[-1]
    if q.type in ("single", "multiple"):
        keys, others = _key_and_distractors(q)
        if q.type == "single" and keys and others:
            key, longest = len(keys[0]), max(len(t) for t in others)
            if key > LENGTH_RATIO * longest and key - longest >= LENGTH_MARGIN:
                flaws.append(
                    ItemFlaw(
                        index,
                        ("correct",),
                        f"the key is much the longest option ({key} characters; longest distractor {longest})",
                    )
                )
        article = re.search(r"\b(a|an)\s*$", q.stem.strip(), re.IGNORECASE)
        if article:
            wants_vowel = article.group(1).lower() == "an"
            misfits = [c.id for c in q.choices or [] if (c.text.strip()[:1].lower() in "aeiou") != wants_vowel]
            if misfits:
                flaws.append(
                    ItemFlaw(
                        index,
                        ("stem",),
                        f"the stem ends in {article.group(1)!r}, which does not fit option(s) {', '.join(misfits)}",
                    )
                )
        if QUESTION_WORDS.search(last_sentence) and NEGATIVE.search(last_sentence):
            flaws.append(ItemFlaw(index, ("stem",), "negative stem: put the negative word in capitals (NOT, EXCEPT)"))
    if q.type == "multiple":
        if SAYS_HOW_MANY.search(q.stem):
            flaws.append(ItemFlaw(index, ("stem",), "the stem says how many options to pick"))
        if SELECT_ALL.search(q.stem):
            flaws.append(
                ItemFlaw(index, ("stem",), "'Select all that apply' is shown by the page; remove it from the stem")
            )
    return flaws


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.0f} %" if whole else "0/0"


def _single_figures(singles: list[tuple[int, Question]]) -> list[Figure]:
    n = len(singles)
    enough = n >= MIN_SINGLE
    mean_options = sum(len(q.choices or []) for _, q in singles) / n if n else 4
    chance_limit = 1 / mean_options + 0.10
    rules = [
        ("single: key is the longest option", lambda q: [len(c.text) for c in q.choices], _unique_top),
        ("single: key is the shortest option", lambda q: [len(c.text) for c in q.choices], _unique_bottom),
        ("single: key echoes the stem most", stem_overlap, _unique_top),
        ("single: key is most like the other options", convergence, _unique_top),
        ("single: key has the most cautious wording", lambda q: [caution(c.text) for c in q.choices], _unique_top),
    ]
    figures = []
    for name, score, test in rules:
        hits = [i for i, q in singles if test(score(q), _key_index(q))]
        ok = len(hits) / n <= chance_limit if enough else None
        figures.append(Figure(name, _share(len(hits), n), f"{100 * chance_limit:.0f} %", ok, hits))
    return figures


def _true_false_figures(tfs: list[tuple[int, Question]]) -> list[Figure]:
    n = len(tfs)
    trues = [i for i, q in tfs if q.answer]
    share = len(trues) / n if n else 0.5
    figures = [
        Figure(
            "true/false: keyed True",
            _share(len(trues), n),
            "40-60 %",
            (0.40 <= share <= 0.60) if n >= MIN_TRUE_FALSE else None,
            trues if share > 0.5 else [i for i, q in tfs if not q.answer],
        )
    ]
    for name, vocabulary, keyed in (
        ("true/false: statements with an absolute keyed False", ABSOLUTES, False),
        ("true/false: hedged statements keyed True", HEDGES, True),
    ):
        marked = [(i, q) for i, q in tfs if has_any(q.stem, vocabulary)]
        hits = [i for i, q in marked if q.answer is keyed]
        ok = len(hits) / len(marked) <= 0.75 if len(marked) >= MIN_MARKED else None
        figures.append(Figure(name, _share(len(hits), len(marked)), "75 %", ok, hits))
    return figures


def _multiple_figures(multiples: list[tuple[int, Question]]) -> list[Figure]:
    n = len(multiples)
    counts = Counter(len(q.correct or []) for _, q in multiples)
    modal, modal_n = counts.most_common(1)[0] if counts else (0, 0)
    spread = ", ".join(f"{k} keys: {v}" for k, v in sorted(counts.items()))
    figures = [
        Figure(
            f"select-all: items with the commonest key count ({spread or 'none'})",
            _share(modal_n, n),
            "50 %",
            (modal_n / n <= 0.50) if n >= MIN_MULTIPLE else None,
            [i for i, q in multiples if len(q.correct or []) == modal],
        )
    ]
    expected = sum(len(q.correct or []) / len(q.choices or [1]) for _, q in multiples) / n if n else 0
    longest_is_key = [
        i for i, q in multiples if q.choices and max(q.choices, key=lambda c: len(c.text)).id in (q.correct or [])
    ]
    figures.append(
        Figure(
            "select-all: the longest option is a key",
            _share(len(longest_is_key), n),
            f"{100 * (expected + 0.20):.0f} % (share of keys {100 * expected:.0f} % + 20)",
            (len(longest_is_key) / n <= expected + 0.20) if n >= MIN_MULTIPLE else None,
            longest_is_key,
        )
    )
    return figures


def _option_word_figures(choice_items: list[tuple[int, Question]]) -> list[Figure]:
    options = [(i, c, c.id in (q.correct or [])) for i, q in choice_items for c in q.choices or []]
    if not options:
        return []
    base = sum(1 for _, _, key in options if key) / len(options)
    figures = []
    for name, vocabulary, too_few_keys in (
        ("options with an absolute word that are keys", ABSOLUTES, True),
        ("hedged options that are keys", HEDGES, False),
    ):
        marked = [(i, key) for i, c, key in options if has_any(c.text, vocabulary)]
        keyed = sum(1 for _, key in marked if key)
        rate = keyed / len(marked) if marked else base
        if too_few_keys:
            ok, limit = rate >= 0.5 * base, f">= {100 * 0.5 * base:.0f} % (half the share of keys, {100 * base:.0f} %)"
            feeding = sorted({i for i, key in marked if not key})
        else:
            ok, limit = rate <= max(1.5 * base, base + 0.10), f"<= {100 * max(1.5 * base, base + 0.10):.0f} %"
            feeding = sorted({i for i, key in marked if key})
        figures.append(
            Figure(name, _share(keyed, len(marked)), limit, ok if len(marked) >= MIN_OPTIONS else None, feeding)
        )
    return figures


def _negative_figure(choice_items: list[tuple[int, Question]]) -> Figure:
    negative = [i for i, q in choice_items if NEGATIVE_ANY_CASE.search(re.split(r"(?<=[.!?])\s+", q.stem.strip())[-1])]
    n = len(choice_items)
    return Figure(
        "negative stems (NOT, EXCEPT)",
        _share(len(negative), n),
        "10 %",
        (len(negative) / n <= 0.10) if n >= MIN_SINGLE else None,
        negative,
    )


def review(bank: Bank) -> Review:
    """Every item flaw and every bank figure of ``bank``."""
    indexed = list(enumerate(bank.questions))
    singles = [(i, q) for i, q in indexed if q.type == "single" and q.choices and q.correct]
    multiples = [(i, q) for i, q in indexed if q.type == "multiple" and q.choices and q.correct]
    tfs = [(i, q) for i, q in indexed if q.type == "true_false" and q.answer is not None]
    flaws = [flaw for i, q in indexed for flaw in item_flaws(i, q)]
    figures = (
        _single_figures(singles)
        + _true_false_figures(tfs)
        + _multiple_figures(multiples)
        + _option_word_figures(singles + multiples)
        + [_negative_figure(singles + multiples)]
    )
    return Review(flaws, figures)
