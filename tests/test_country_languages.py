"""The tagger names the country of short items in many languages, by name, demonym, capital,
region or ministry."""

import pytest

from classify.countries import get_tagger

ITEMS = [
    ("fr", "Le ministère de la Santé ivoirien a signé un accord avec les cliniques privées.",
     "CIV"),
    ("fr", "Au Sénégal, le gouvernement réquisitionne les laboratoires privés.", "SEN"),
    ("es", "El Gobierno peruano anunció que las clínicas privadas atenderán pacientes en Lima.",
     "PER"),
    ("es", "Las autoridades mexicanas firmaron un convenio con hospitales privados.", "MEX"),
    ("pt", "O Ministério da Saúde anunciou que os hospitais privados vão receber pacientes do "
           "SUS.", "BRA"),
    ("pt", "O governo moçambicano contratou laboratórios privados em Maputo.", "MOZ"),
    ("ar", "أعلنت وزارة الصحة في الرباط عن إجراءات جديدة مع المصحات الخاصة", "MAR"),
    ("ar", "وقعت الحكومة اتفاقا مع المستشفيات الخاصة في مصر", "EGY"),
    ("zh", "日本政府宣布在东京扩大疫苗接种。", "JPN"),
    ("zh", "越南卫生部与私立医院合作。", "VNM"),
    ("ru", "Правительство Казахстана ввело карантин в Алматы.", "KAZ"),
    ("ru", "Минздрав России разрешил частным клиникам лечить COVID-19.", "RUS"),
    ("de", "Die Bundesregierung beschließt neue Regeln für Privatkliniken in Deutschland.", "DEU"),
    ("it", "Il governo italiano ha firmato un accordo con le cliniche private della Lombardia.",
     "ITA"),
    ("tr", "Türkiye'de özel hastaneler pandemi hastanesi ilan edildi.", "TUR"),
    ("ja", "厚生労働省は東京都内の民間病院に協力を要請した。", "JPN"),
    ("id", "Pemerintah Indonesia bekerja sama dengan rumah sakit swasta di Jakarta.", "IDN"),
    ("ko", "한국 정부는 민간 병원과 협력한다.", "KOR"),
    ("en", "The Kenyan health ministry will pay private hospitals for COVID-19 patients.", "KEN"),
    ("en", "NHS England signed contracts with independent-sector hospitals.", "GBR"),
]


@pytest.mark.parametrize(("lang", "text", "iso3"), ITEMS, ids=[f"{i[0]}-{i[2]}" for i in ITEMS])
def test_item_in_language_gets_its_country(lang, text, iso3):
    result = get_tagger().tag(text, language=lang)
    assert result.primary_country == iso3
    assert result.scope == "national"


def test_russian_case_endings_are_read():
    result = get_tagger().tag("Власти Франции и Германии обсудили меры.")
    assert {"FRA", "DEU"} <= {m.iso3 for m in result.mentions}


def test_arabic_proclitic_is_read():
    result = get_tagger().tag("وأعلنت وزارة الصحة بالأردن")
    assert result.primary_country == "JOR"


def test_mentions_point_into_the_text():
    text = "Private labs in Ghana will test travellers, the Ghana Health Service said."
    for m in get_tagger().tag(text).mentions:
        assert text[m.start:m.end] == m.text
