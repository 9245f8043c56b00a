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

from spacy.tokens import Doc

from classify.gazetteer import Gazetteer, get_gazetteer
from classify.geo import ambiguity, context, learned, urls
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
    kind: str  # name|demonym|capital|city|region|agency|url|source


@dataclass(frozen=True)
class CountryResult:
    """Country labels of one item."""

    primary_country: str | None
    countries: list[str]  # ISO3, substantially discussed, primary first
    scope: str  # "national" | "multi-country" | "global"
    scores: dict[str, float]  # per country, 0..1
    mentions: list[Mention]


class CountryTagger:
    """Tags items with countries; build once (get_tagger) and reuse."""

    def __init__(self, gazetteer: Gazetteer | None = None):
        self.gaz = gazetteer or get_gazetteer()
        self.matcher = Matcher(self.gaz)
        self.tokenizer = self.gaz.nlp.tokenizer
        self.learned = learned.get_model()

    def tag(self, text: str, title: str | None = None, url: str | None = None,
            source_country: str | None = None, language: str | None = None) -> CountryResult:
        """Country labels for one item."""
        text = text or ""
        return self._tag(text, self.tokenizer(text), title, url, source_country)

    def tag_many(self, docs: Iterable[dict]) -> list[CountryResult]:
        """Country labels for many items (dicts with text, title, url, source_country,
        language), tokenized as a stream."""
        items = list(docs)
        texts = [d.get("text") or "" for d in items]
        docs = self.tokenizer.pipe(texts, batch_size=256)
        return [self._tag(t, doc, d.get("title"), d.get("url"), d.get("source_country"))
                for t, doc, d in zip(texts, docs, items, strict=True)]

    def _hits(self, text: str, doc: Doc) -> tuple[list[Hit], list[str]]:
        toks = Tokens.of(doc, text)
        hits = ambiguity.resolve(toks, self.matcher.hits(toks), self.gaz)
        return [h for h in hits if h.target.iso3 and h.target.iso3 != "-"], toks.low

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
                if where == "passing":
                    w *= cfg["passing"]
                    passing = True
                elif where == "government" or context.government_after(low, h.tok_end, cues):
                    w *= cfg["government"]
            tally.add(h.target.iso3, w, passing)

    def _tag(self, text: str, doc: Doc, title: str | None, url: str | None,
             source_country: str | None) -> CountryResult:
        cfg = settings()
        tally = Tally()
        hits, low = self._hits(text, doc)
        self._weigh(hits, low, tally, 1.0, cfg["lead_chars"])
        mentions = [Mention(h.start, h.end, h.target.iso3, h.text, h.target.kind) for h in hits]
        if title:
            t_hits, t_low = self._hits(title, self.tokenizer(title))
            self._weigh(t_hits, t_low, tally, cfg["title"], 0)
            mentions += [Mention(-1, -1, h.target.iso3, h.text, h.target.kind) for h in t_hits]
        if url:
            for s in urls.signals(url, self.matcher):
                tally.add(s.iso3, s.weight)
                mentions.append(Mention(-1, -1, s.iso3, s.text, "url"))
        if self.learned is not None:
            probs = self.learned.probabilities(f"{title or ''} {text}",
                                               cfg["learned_temperature"])
            for iso3, p in probs.items():
                if p >= cfg["learned_min"]:
                    tally.add(iso3, cfg["learned_weight"] * p)
            if probs and not tally.total and not source_country:  # a weak guess beats none
                iso3, p = max(probs.items(), key=lambda kv: kv[1])
                if p >= cfg["learned_fallback_min"]:
                    tally.add(iso3, cfg["learned_weight"] * p)
        if source_country:
            tally.add(source_country, cfg["source"])
            mentions.append(Mention(-1, -1, source_country, source_country, "source"))
        d = decide(tally, context.is_global(text) or bool(title and context.is_global(title)))
        return CountryResult(d.primary, d.countries, d.scope, d.scores, mentions)


@cache
def get_tagger() -> CountryTagger:
    """The process-wide tagger (the gazetteer is built or loaded once)."""
    return CountryTagger()
