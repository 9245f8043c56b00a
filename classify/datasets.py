"""Labelled examples for training and evaluation, in priority order.

1. Curator decisions (passed in by the caller; CODEBOOK §5: final). A fixed fifth of them,
   chosen by a hash of the id, is held apart to compare the old and the new model.
2. Hand labels in `classify/data/` (relevance with codebook themes; codebook themes of
   weak-themed records; financing checks), joined by id to the policy texts in
   `<data_dir>/policy-texts/`.
3. Weak labels of the policy texts: `weak_themes` for the theme head; texts with no theme and
   no private-sector flag as relevance negatives (0 of 150 such texts read by hand were relevant).
4. Seed lexicon terms as tiny, low-weight theme examples (the policy texts are all English;
   the lexicons carry French, Spanish and Portuguese).

A text labelled at a higher level is dropped from the lower ones (matched by id or by its
normalised text). Dev-split hand labels and dev-split policy texts never reach training.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from classify.codebook import THEMES
from classify.features import document_text, fold

SEED_DIR = Path(__file__).parent / "data"
POLICY_FILE = Path("policy-texts") / "coronanet_policies.jsonl.gz"
RELEVANCE_FILES = ("relevance_labels.jsonl", "relevance_labels_extra.jsonl")
FINANCING_FILE = "financing_checks.jsonl"
THEME_FILE = "theme_labels.jsonl"

CURATOR_WEIGHT = 3.0
# Hand-labelled relevant texts (and financing checks) are the theme head's only examples of the
# items it is used on: private-sector engagement. Weight 6 rather than 2 keeps them from being
# swamped by the 8,000 codebook-labelled policy texts (65 relevant dev items: 0.768 against
# 0.745; out of fold unchanged).
HAND_THEME_WEIGHT = 6.0
THEME_CHECK_WEIGHT = 4.0
# Every train record with a CoronaNet weak theme now has codebook themes in theme_labels.jsonl;
# the weak themes still teach the theme head for the few records left (hand-read relevance
# labels judged not relevant, which carry no codebook themes).
WEAK_THEME_WEIGHT = 1.0
LEXICON_WEIGHT = 0.1
WEAK_NEGATIVE_WEIGHT = 0.3  # chosen by out-of-fold F1 on the hand labels (0.3 vs 1.0)
HOLDOUT_SHARE = 5  # one curator example in five is held apart


@dataclass
class Example:
    """One training example; `relevant` or `themes` is None when that label is unknown."""

    id: str
    text: str
    relevant: bool | None
    themes: tuple[str, ...] | None
    weight: float
    source: str


@dataclass
class TrainingData:
    """Everything `train` needs: examples per head, the idf corpus and the evaluation sets."""

    relevance: list[Example]
    themes: list[Example]
    corpus: list[str]
    keep_texts: list[str]
    evaluation: dict[str, list[dict[str, Any]]]
    counts: dict[str, Any] = field(default_factory=dict)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text)).strip()


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None


def is_holdout(example_id: str) -> bool:
    """Whether a curator example is held apart (stable across runs: a hash of its id)."""
    return int(hashlib.sha1(example_id.encode("utf-8")).hexdigest(), 16) % HOLDOUT_SHARE == 0


def clean_curator_examples(examples: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated curator examples `{"id", "text", "relevant", "themes"}`, later ids winning."""
    out: dict[str, dict[str, Any]] = {}
    for n, ex in enumerate(examples, 1):
        text = document_text(ex)
        if not text.strip():
            raise ValueError(f"curator example {n} ({ex.get('id')!r}) has no text")
        if not isinstance(ex.get("relevant"), bool):
            raise ValueError(
                f"curator example {n} ({ex.get('id')!r}): `relevant` must be true or false"
            )
        themes = ex.get("themes")
        if themes is not None:
            unknown = set(themes) - set(THEMES)
            if unknown:
                raise ValueError(
                    f"curator example {n} ({ex.get('id')!r}): unknown themes {sorted(unknown)}"
                )
            themes = tuple(t for t in THEMES if t in themes)
        ex_id = str(ex.get("id") or f"curator:{hashlib.sha1(text.encode()).hexdigest()[:12]}")
        # CODEBOOK §2: a non-relevant item has no theme
        out[ex_id] = {
            "id": ex_id,
            "text": text,
            "relevant": ex["relevant"],
            "themes": themes if ex["relevant"] else (),
        }
    return list(out.values())


def load_policy_texts(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The policy texts by id, with the fields training uses."""
    path = Path(data_dir) / POLICY_FILE
    if not path.exists():
        raise FileNotFoundError(f"policy texts not found: {path}")
    keep = (
        "id",
        "text",
        "split",
        "weak_themes",
        "text_mentions_private_health",
        "private_actor_category",
    )
    return {r["id"]: {k: r.get(k) for k in keep} for r in _read_jsonl(path)}


def load_theme_labels(labels_dir: Path, role: str = "primary") -> dict[str, dict]:
    """Codebook theme labels by id, one annotation per record (`primary`, `second` or `third`:
    later independent annotators), if the file exists."""
    path = Path(labels_dir) / THEME_FILE
    if not path.exists():
        return {}
    return {row["id"]: row for row in _read_jsonl(path) if row.get("role", "primary") == role}


def majority_themes(annotations: list[dict[str, Any]]) -> tuple[str, ...]:
    """The themes more than half of a record's annotators chose; on a tie, the primary
    annotator's choice."""
    primary = next((a for a in annotations if a.get("role", "primary") == "primary"), None)
    out = []
    for theme in THEMES:
        votes = sum(theme in a["themes"] for a in annotations)
        if 2 * votes > len(annotations) or (
            2 * votes == len(annotations) and primary and theme in primary["themes"]
        ):
            out.append(theme)
    return tuple(out)


def load_hand_labels(labels_dir: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(relevance labels by id, financing checks by id) from the seed label files present."""
    relevance: dict[str, dict] = {}
    for name in RELEVANCE_FILES:
        path = Path(labels_dir) / name
        if path.exists():
            for row in _read_jsonl(path):
                relevance[row["id"]] = row
    financing: dict[str, dict] = {}
    path = Path(labels_dir) / FINANCING_FILE
    if path.exists():
        financing = {row["id"]: row for row in _read_jsonl(path)}
    return relevance, financing


def lexicon_examples(path: Path) -> list[Example]:
    """One low-weight theme example per seed-lexicon term."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for theme in THEMES:
        for lang, terms in data["themes"][theme].items():
            for term in terms:
                out.append(
                    Example(
                        f"lexicon:{theme}:{lang}:{term}",
                        str(term),
                        None,
                        (theme,),
                        LEXICON_WEIGHT,
                        "lexicon",
                    )
                )
    return out


def _flagged(rec: dict[str, Any]) -> bool:
    return bool(rec.get("text_mentions_private_health") or rec.get("private_actor_category"))


def load_training_data(
    data_dir: Path,
    curator_examples: Iterable[dict[str, Any]] = (),
    *,
    labels_dir: Path = SEED_DIR,
    seed: int = 13,
    n_weak_negatives: int = 8000,
    n_clear_negatives_dev: int = 4000,
) -> TrainingData:
    """Assemble training examples and evaluation sets (see the module docstring)."""
    rng = random.Random(seed)
    policy = load_policy_texts(data_dir)
    relevance_labels, financing_checks = load_hand_labels(labels_dir)
    lexicon_path = Path(labels_dir) / "lexicons.yaml"
    if not lexicon_path.exists():
        lexicon_path = SEED_DIR / "lexicons.yaml"

    curator = clean_curator_examples(curator_examples)
    held = [c for c in curator if is_holdout(c["id"])]
    cur_train = [c for c in curator if not is_holdout(c["id"])]
    taken_ids = {c["id"] for c in curator}
    taken_texts = {_norm(c["text"]) for c in curator}

    def free(rec_id: str, text: str) -> bool:
        return rec_id not in taken_ids and _norm(text) not in taken_texts

    rel_train: list[Example] = []
    theme_train: list[Example] = []
    for c in cur_train:
        rel_train.append(
            Example(c["id"], c["text"], c["relevant"], c["themes"], CURATOR_WEIGHT, "curator")
        )
        if c["relevant"] and c["themes"]:
            theme_train.append(
                Example(c["id"], c["text"], True, c["themes"], CURATOR_WEIGHT, "curator")
            )

    missing = 0
    relevance_dev: list[dict[str, Any]] = []
    hand_ids: set[str] = set()
    for rec_id, lab in sorted(relevance_labels.items()):
        rec = policy.get(rec_id)
        if rec is None:
            missing += 1
            continue
        hand_ids.add(rec_id)
        themes = tuple(t for t in THEMES if t in (lab.get("themes") or []))
        if lab.get("split", rec["split"]) == "dev":
            relevance_dev.append(
                {
                    "id": rec_id,
                    "text": rec["text"],
                    "relevant": bool(lab["relevant"]),
                    "themes": list(themes) if lab["relevant"] else [],
                }
            )
            continue
        if not free(rec_id, rec["text"]):
            continue
        rel_train.append(Example(rec_id, rec["text"], bool(lab["relevant"]), themes, 1.0, "hand"))
        if lab["relevant"] and themes:
            theme_train.append(
                Example(rec_id, rec["text"], True, themes, HAND_THEME_WEIGHT, "hand")
            )
        elif rec.get("weak_themes"):
            # the theme head is conditional ("if relevant, which themes"): weak themes teach it
            weak = tuple(t for t in THEMES if t in rec["weak_themes"])
            theme_train.append(
                Example(rec_id, rec["text"], None, weak, WEAK_THEME_WEIGHT, "weak-themes")
            )

    themes_dev_codebook: list[dict[str, Any]] = []
    themes_dev_first: list[dict[str, Any]] = []
    # records read by more than one annotator (every record now): the label is each theme most
    # of its annotators chose
    later: dict[str, list[dict]] = {}
    for role in ("second", "third"):
        for rec_id, row in load_theme_labels(labels_dir, role).items():
            later.setdefault(rec_id, []).append(row)
    for rec_id, lab in sorted(load_theme_labels(labels_dir).items()):
        rec = policy.get(rec_id)
        if rec is None:
            missing += 1
            continue
        first = tuple(t for t in THEMES if t in lab["themes"])
        themes = majority_themes([lab, *later[rec_id]]) if rec_id in later else first
        if lab.get("split", rec["split"]) == "dev":
            # conditional labels ("if relevant, which themes"), as the theme head predicts; no
            # `relevant` key, like themes_dev_weak (evaluation assumes relevant)
            themes_dev_codebook.append({"id": rec_id, "text": rec["text"], "themes": list(themes)})
            themes_dev_first.append({"id": rec_id, "text": rec["text"], "themes": list(first)})
            continue
        if rec_id in hand_ids or not free(rec_id, rec["text"]):
            continue
        hand_ids.add(rec_id)
        theme_train.append(
            Example(rec_id, rec["text"], None, themes, THEME_CHECK_WEIGHT, "theme-check")
        )

    checked_financing_dev: dict[str, bool] = {}
    for rec_id, chk in sorted(financing_checks.items()):
        rec = policy.get(rec_id)
        if rec is None:
            missing += 1
            continue
        if chk.get("split", rec["split"]) == "dev":
            checked_financing_dev[rec_id] = bool(chk["financing"])
            continue
        if rec_id in hand_ids or not free(rec_id, rec["text"]):
            continue
        hand_ids.add(rec_id)
        weak = tuple(t for t in THEMES if t in (rec.get("weak_themes") or []))
        if chk["financing"]:
            themes = tuple(t for t in THEMES if t in (chk.get("themes") or ["financing"]))
            theme_train.append(
                Example(rec_id, rec["text"], None, themes, HAND_THEME_WEIGHT, "financing-check")
            )
        elif weak:
            themes = tuple(t for t in weak if t != "financing")
            theme_train.append(
                Example(rec_id, rec["text"], None, themes, HAND_THEME_WEIGHT, "financing-check")
            )

    weak_negative_pool = []
    corpus = []
    themes_dev_weak: list[dict[str, Any]] = []
    clear_negative_dev_pool = []
    financing_dev: list[dict[str, Any]] = []
    not_clear = hand_ids | set(checked_financing_dev)
    for rec_id, rec in policy.items():
        weak = tuple(t for t in THEMES if t in (rec.get("weak_themes") or []))
        if rec["split"] == "dev":
            if weak:
                themes_dev_weak.append({"id": rec_id, "text": rec["text"], "themes": list(weak)})
            if weak or rec_id in checked_financing_dev:
                gold = checked_financing_dev.get(rec_id, "financing" in weak)
                financing_dev.append({"id": rec_id, "text": rec["text"], "financing": gold})
            if not weak and not _flagged(rec) and rec_id not in not_clear:
                clear_negative_dev_pool.append(rec_id)
            continue
        corpus.append(rec["text"])
        if rec_id in hand_ids or not free(rec_id, rec["text"]):
            continue
        if weak:
            theme_train.append(
                Example(rec_id, rec["text"], None, weak, WEAK_THEME_WEIGHT, "weak-themes")
            )
        elif not _flagged(rec):
            weak_negative_pool.append(rec_id)

    for rec_id in sorted(
        rng.sample(sorted(weak_negative_pool), min(n_weak_negatives, len(weak_negative_pool)))
    ):
        rel_train.append(
            Example(
                rec_id, policy[rec_id]["text"], False, None, WEAK_NEGATIVE_WEIGHT, "weak-negative"
            )
        )
    clear_negatives = [
        {"id": i, "text": policy[i]["text"], "relevant": False}
        for i in sorted(
            rng.sample(
                sorted(clear_negative_dev_pool),
                min(n_clear_negatives_dev, len(clear_negative_dev_pool)),
            )
        )
    ]

    lexicon = lexicon_examples(lexicon_path)
    theme_train.extend(lexicon)
    corpus.extend(c["text"] for c in curator if not is_holdout(c["id"]))

    counts = {
        "policy_texts": len(policy),
        "curator": {"train": len(cur_train), "held_apart": len(held)},
        "relevance_train": _count(rel_train),
        "theme_train": _count(theme_train),
        "hand_labels_missing_text": missing,
        "eval": {
            "relevance_dev": len(relevance_dev),
            "clear_negatives_dev": len(clear_negatives),
            "themes_dev_weak": len(themes_dev_weak),
            "themes_dev_codebook": len(themes_dev_codebook),
            "themes_dev_codebook_first": len(themes_dev_first),
            "financing_dev_checked": len(financing_dev),
            "curator_holdout": len(held),
        },
    }
    evaluation = {
        "relevance_dev": relevance_dev,
        "clear_negatives_dev": clear_negatives,
        "themes_dev_weak": themes_dev_weak,
        "themes_dev_codebook": themes_dev_codebook,
        "themes_dev_codebook_first": themes_dev_first,
        "themes_dev_gold": [e for e in relevance_dev if e["relevant"]],
        "financing_dev_checked": financing_dev,
        "curator_holdout": held,
    }
    keep_texts = [
        e.text for e in theme_train if e.source in ("lexicon", "curator", "hand", "financing-check")
    ]
    return TrainingData(rel_train, theme_train, corpus, keep_texts, evaluation, counts)


def _count(examples: list[Example]) -> dict[str, Any]:
    by_source: dict[str, int] = {}
    for e in examples:
        by_source[e.source] = by_source.get(e.source, 0) + 1
    return {"total": len(examples), "by_source": by_source}
