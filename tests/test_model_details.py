"""Engagement details (CODEBOOK §2, optional): instrument and actor with evidence words."""

from __future__ import annotations

from classify.details import ACTORS, INSTRUMENTS, engagement_details, get_detail_tagger


def _labels(text: str, field: str) -> list[str]:
    return [d["label"] for d in engagement_details(text)[field]]


def test_codebook_examples_name_instrument_and_actor() -> None:
    text = (
        "The ministry signed agreements with 40 private hospitals to reserve 1,200 beds for "
        "COVID-19 patients."
    )
    assert _labels(text, "instrument") == ["contract"]
    assert _labels(text, "actor") == ["hospital"]
    fr = "Les laboratoires privés agréés pourront réaliser les tests RT-PCR au tarif plafonné."
    assert set(_labels(fr, "actor")) == {"laboratory"}
    assert "price-control" in _labels(fr, "instrument")


def test_generic_facilities_need_a_private_marker() -> None:
    assert _labels("Public hospitals opened new intensive care beds.", "actor") == []
    assert _labels("Not-for-profit hospitals joined the network.", "actor") == ["hospital"]
    # "for" alone (a piece of "for-profit") is not a private marker
    assert _labels("Extra pay for doctors of other specialties.", "actor") == []
    # actors that are private by nature need no marker
    assert _labels("Pharmacies may deliver medicines at home.", "actor") == ["pharmacy"]


def test_evidence_is_the_matched_words_and_labels_are_from_the_codebook() -> None:
    out = engagement_details("Pfizer will be reimbursed under a supply agreement.")
    assert {"label": "manufacturer", "evidence": "pfizer"} in out["actor"]
    assert {d["label"] for d in out["instrument"]} == {"payment", "contract"}
    tagger = get_detail_tagger()
    found = tagger.tag("private clinics, private labs, insurers, a task force and a donation")
    assert {e.label for e in found["actor"]} <= set(ACTORS)
    assert {e.label for e in found["instrument"]} <= set(INSTRUMENTS)
    assert engagement_details("") == {"instrument": [], "actor": []}


def test_disease_contraction_is_not_a_contract() -> None:
    assert _labels("Measures reduce the chances of contracting COVID-19.", "instrument") == []


def test_tag_command_adds_details_to_relevant_texts_only(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from flows.cli import app

    src = tmp_path / "in.jsonl"
    texts = [
        {"id": "a", "text": "The Ministry of Health signed contracts with private hospitals "
                            "and private clinics to reserve intensive care beds for COVID-19 "
                            "patients, paid at a fixed daily rate."},
        {"id": "b", "text": "Schools will reopen on Monday with masks in classrooms."},
    ]
    src.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["tag", str(src), "--out", str(out), "--details"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["a"]["relevant"] is True
    assert "hospital" in {d["label"] for d in rows["a"]["details"]["actor"]}
    assert rows["b"]["relevant"] is False and rows["b"]["details"] == {}
