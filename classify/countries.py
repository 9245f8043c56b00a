"""Country tagging (CODEBOOK §3): which country's government an item is about, which countries
it substantially discusses, and whether it is national, multi-country or global.

Evidence comes from gazetteer mentions in the title and text (names in any CLDR language,
demonyms, capitals, cities, regions, government bodies), weighed by position and by the words
around them, from the URL, and from the publishing source's country. See docs/countries.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from spacy.tokens import Doc

from classify.gazetteer import Gazetteer, get_gazetteer
from classify.geo import ambiguity, combine, context, learned, urls
from classify.geo.matcher import Hit, Matcher, Tokens
from classify.geo.scoring import Tally, decide, settings


@dataclass(frozen=True)
class Mention:
    """Evidence for review screens. Offsets index `text`; title, URL and source evidence has
    start = end = -1."""

    start: int
    end: int
    iso3: str
    text: str
    kind: str  # name|demonym|capital|city|region|agency|currency|url|source


@dataclass(frozen=True)
class CountryResult:
    """Country labels of one item."""

    primary_country: str | None
    countries: list[str]  # ISO3, substantially discussed, primary first
    scope: str  # "national" | "multi-country" | "global"
    scores: dict[str, float]  # per country, 0..1
    mentions: list[Mention]


_DEFAULT = object()


class CountryTagger:
    """Tags items with countries; build once (get_tagger) and reuse."""

    def __init__(self, gazetteer: Gazetteer | None = None, learned_model=_DEFAULT,
                 combiner=_DEFAULT):
        self.gaz = gazetteer or get_gazetteer()
        self.matcher = Matcher(self.gaz)
        self.tokenizer = self.gaz.nlp.tokenizer
        self.learned = learned.get_model() if learned_model is _DEFAULT else learned_model
        self.combiner = combine.weights() if combiner is _DEFAULT else combiner

    def tag(self, text: str, title: str | None = None, url: str | None = None,
            source_country: str | None = None, language: str | None = None) -> CountryResult:
        """Country labels for one item."""
        return self.tag_many([{"text": text, "title": title, "url": url,
                               "source_country": source_country}])[0]

    def tag_many(self, docs: Iterable[dict]) -> list[CountryResult]:
        """Country labels for many items (dicts with text, title, url, source_country,
        language), tokenized as a stream."""
        items = list(docs)
        texts = [d.get("text") or "" for d in items]
        lps = self._learned([f"{d.get('title') or ''} {t}" for d, t in zip(items, texts,
                                                                             strict=True)])
        docs = self.tokenizer.pipe(texts, batch_size=256)
        return [self._tag(t, doc, d.get("title"), d.get("url"), d.get("source_country"), lp)
                for t, doc, d, lp in zip(texts, docs, items, lps, strict=True)]

    def features_many(self, texts: list[str]) -> list[tuple[list[str], object]]:
        """The combiner's candidates and feature rows for texts without title, URL or source
        (for fitting the combiner)."""
        lps = self._learned(texts)
        out = []
        for t, doc, lp in zip(texts, self.tokenizer.pipe(texts, batch_size=256), lps,
                              strict=True):
            if lp is None:  # the models are not used for this text
                out.append(([], np.zeros((0, len(combine.FEATURES)))))
                continue
            tally, _, hits, _ = self._evidence(t, doc, None, None, None)
            out.append(combine.candidate_features(tally.total, tally.firm, hits, lp,
                                                  self.learned))
        return out

    def _learned(self, texts: list[str]) -> list:
        """Per text, the two models' log-probabilities, or None without a model or when the
        text is mostly words the models never saw (another language)."""
        if self.learned is None or not texts:
            return [None] * len(texts)
        least = settings()["learned_min_coverage"]
        out = []
        for i in range(0, len(texts), 512):
            nb, lr, coverage, n_words = self.learned.log_probs(texts[i: i + 512])
            out.extend((a, b, n) if c >= least else None
                       for a, b, c, n in zip(nb, lr, coverage, n_words, strict=True))
        return out

    def _hits(self, text: str, doc: Doc) -> tuple[list[Hit], list[str]]:
        toks = Tokens.of(doc, text)
        hits = ambiguity.resolve(toks, self.matcher.hits(toks), self.gaz)
        hits = [h for h in hits if h.target.iso3 and h.target.iso3 != "-"]
        # A body's acronym right after another country's place is that place's body
        # ("Beijing CDC", "Guangdong CDC"): it names no country of its own.
        hits = [h for i, h in enumerate(hits)
                if not (i and h.target.kind == "agency" and h.tok_start >= 0
                        and h.tok_start == hits[i - 1].tok_end
                        and hits[i - 1].target.iso3 != h.target.iso3
                        and h.text.isupper())]
        ends = {h.tok_end for h in hits}
        return [h for h in hits if not _defined_here(h, toks, ends)], toks.low

    def _weigh(self, hits: list[Hit], low: list[str], tally: Tally, factor: float,
               lead_chars: int) -> None:
        cfg = settings()
        cues = context.cues()
        occupied = {t for h in hits if h.tok_start >= 0 for t in range(h.tok_start, h.tok_end)}
        first = context.first_list(hits, low)
        for n, h in enumerate(hits):
            w = cfg["kind_weight"][h.target.kind] * factor
            if n < first:
                w *= cfg["first"]
            passing = False
            if h.start < lead_chars:
                w *= cfg["lead"]
            if h.tok_start >= 0:
                where = context.before(low, h.tok_start, occupied, cues)
                if where == "passing" or context.passing_after(low, h.tok_end, cues):
                    w *= cfg["passing"]
                    passing = True
                elif where == "government" or context.government_after(low, h.tok_end, cues):
                    w *= cfg["government"]
            tally.add(h.target.iso3, w, passing)

    def _evidence(self, text: str, doc: Doc, title: str | None, url: str | None,
                  source_country: str | None) -> tuple[Tally, list[Mention], list[Hit],
                                                       frozenset[str]]:
        """Weighed gazetteer, URL and source evidence, the mentions behind it, the text's then
        the title's gazetteer hits, and the countries the text names first (one, or a list)."""
        cfg = settings()
        tally = Tally()
        hits, low = self._hits(text, doc)
        self._weigh(hits, low, tally, 1.0, cfg["lead_chars"])
        joint = frozenset(h.target.iso3 for h in hits[:context.first_list(hits, low)])
        mentions = [Mention(h.start, h.end, h.target.iso3, h.text, h.target.kind) for h in hits]
        if title:
            t_hits, t_low = self._hits(title, self.tokenizer(title))
            self._weigh(t_hits, t_low, tally, cfg["title"], 0)
            mentions += [Mention(-1, -1, h.target.iso3, h.text, h.target.kind) for h in t_hits]
            hits = hits + t_hits
        if url:
            for s in urls.signals(url, self.matcher):
                tally.add(s.iso3, s.weight)
                mentions.append(Mention(-1, -1, s.iso3, s.text, "url"))
        if source_country:
            others = any(s > 0 for c, s in tally.firm.items() if c != source_country)
            tally.add(source_country, cfg["source_with_others" if others else "source"])
            mentions.append(Mention(-1, -1, source_country, source_country, "source"))
        return tally, mentions, hits, joint

    def _tag(self, text: str, doc: Doc, title: str | None, url: str | None,
             source_country: str | None, lp) -> CountryResult:
        tally, mentions, hits, joint = self._evidence(text, doc, title, url, source_country)
        probs = None
        # Without a gazetteer mention, the URL's and the source's country decide (CODEBOOK §3).
        external_only = not hits and bool(tally.total)
        # A guess from the words alone needs enough of them.
        too_short = not tally.total and lp is not None and \
            lp[2] < settings()["learned_fallback_min_words"]
        if self.combiner is not None and lp is not None and not external_only and not too_short:
            cands, x = combine.candidate_features(tally.total, tally.firm, hits, lp,
                                                  self.learned)
            probs = combine.probabilities(cands, x, self.combiner)
        named = {h.target.iso3 for h in hits}
        external = [source_country] + [m.iso3 for m in mentions if m.kind == "url"]
        anchor = next((c for c in external if c and c in named), None)
        d = decide(tally, context.is_global(text) or bool(title and context.is_global(title)),
                   probs, joint, anchor)
        return CountryResult(d.primary, d.countries, d.scope, d.scores, mentions)


_LINKS = frozenset({"of", "and", "for", "&", "on", "the", "de", "du", "des", "la", "el", "del"})


def _defined_here(h: Hit, toks: Tokens, ends: set[int]) -> bool:
    """Whether an agency's acronym is one the text defines for another body: written in
    brackets right after capitalised words whose initials spell it ("the Civil Defence
    Commission (CDC)"), which are not themselves a known body."""
    a, b = h.tok_start, h.tok_end
    if h.target.kind != "agency" or a < 2 or not h.text.isupper() or \
            toks.words[a - 1] != "(" or b >= len(toks.words) or toks.words[b] != ")" or \
            a - 1 in ends:
        return False
    initials, i = [], a - 2
    while i >= 0 and len(initials) < len(h.text):
        w = toks.words[i]
        if w.lower() in _LINKS:
            i -= 1
            continue
        if not w[:1].isupper():
            break
        initials.append(w[0])
        i -= 1
    return "".join(reversed(initials)) == h.text


@cache
def get_tagger() -> CountryTagger:
    """The process-wide tagger (the gazetteer is built or loaded once)."""
    return CountryTagger()
