#!/usr/bin/env python3
"""Build the bundled offline demo site from demo/content/*.yaml.

Writes demo/site/ (wiped and rewritten), demo/labels.jsonl (the answer key) and
demo/sources.yaml (the source registry for the demo). The output is deterministic:
running the build twice gives byte-identical files.

Needs PyYAML and fpdf2 (core fonts only, so PDF text must stay within latin-1).
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from string import Template

import yaml
from fpdf import FPDF

# The one place the demo's origin is written. The demo runner rewrites this base in
# feeds, sitemaps and canonical links when it serves the site on another port.
BASE_URL = "http://127.0.0.1:8765"

DEMO_DIR = Path(__file__).resolve().parent
CONTENT_DIR = DEMO_DIR / "content"
SITE_DIR = DEMO_DIR / "site"
LABELS_FILE = DEMO_DIR / "labels.jsonl"
SOURCES_FILE = DEMO_DIR / "sources.yaml"

THEMES = ("plan", "space", "staff", "stuff", "systems", "financing")
KINDS = ("news", "press-release", "blog", "document")
LANGUAGES = ("en", "fr", "es", "pt")
FIRST_DAY, LAST_DAY = date(2020, 3, 1), date(2021, 12, 31)
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
DC_NS = "http://purl.org/dc/elements/1.1/"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
EL_DIARIO_PAGE_SIZE = 6

# One row per demo source: the registry entry plus what the templates need.
SITES = [
    {
        "key": "sante-sn",
        "id": "demo-sante-sn",
        "name": "Ministère de la Santé et de l'Action sociale, Sénégal (démo)",
        "country": "SEN",
        "source_type": "government",
        "language": "fr",
        "feeds": ["/sante-sn/rss.xml"],
        "sitemaps": [],
        "start_urls": [],
        "link_selector": None,
        "next_selector": None,
        "documents": True,
        "utc_offset": 0,
    },
    {
        "key": "moh-ke",
        "id": "demo-moh-ke",
        "name": "Ministry of Health, Kenya (demo)",
        "country": "KEN",
        "source_type": "government",
        "language": "en",
        "feeds": [],
        "sitemaps": ["/moh-ke/sitemap.xml"],
        "start_urls": [],
        "link_selector": None,
        "next_selector": None,
        "documents": True,
        "utc_offset": 3,
    },
    {
        "key": "el-diario",
        "id": "demo-el-diario",
        "name": "El Diario del Sur, sección Salud (demo)",
        "country": "PER",
        "source_type": "press",
        "language": "es",
        "feeds": [],
        "sitemaps": [],
        "start_urls": ["/el-diario/salud/index.html"],
        "link_selector": "article.story h2 a",
        "next_selector": "a.next",
        "documents": False,
        "utc_offset": -5,
    },
    {
        "key": "hsblog",
        "id": "demo-hsblog",
        "name": "Health Systems Partnerships Blog (demo)",
        "country": None,
        "source_type": "multilateral",
        "language": "en",
        "feeds": ["/hsblog/atom.xml"],
        "sitemaps": [],
        "start_urls": [],
        "link_selector": None,
        "next_selector": None,
        "documents": True,
        "utc_offset": 0,
    },
    {
        "key": "noticias-br",
        "id": "demo-noticias-br",
        "name": "Notícias do Brasil, editoria Saúde (demo)",
        "country": "BRA",
        "source_type": "press",
        "language": "pt",
        "feeds": ["/noticias-br/feed.xml"],
        "sitemaps": [],
        "start_urls": [],
        "link_selector": None,
        "next_selector": None,
        "documents": False,
        "utc_offset": -3,
    },
]

MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "en": "January February March April May June July August September October November December",
}
MONTHS = {lang: names.split() for lang, names in MONTHS.items()}

esc = html.escape


class BuildError(Exception):
    """Raised when the content files break a rule of the demo or of the codebook."""


# --------------------------------------------------------------------------- content


def load_items(site: dict) -> list[dict]:
    """Load and validate one site's content file, sorted newest first."""
    path = CONTENT_DIR / f"{site['key']}.yaml"
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    seen = set()
    for item in items:
        where = f"{path.name}:{item.get('slug')}"
        if item["slug"] in seen or not re.fullmatch(r"[a-z0-9-]+", item["slug"]):
            raise BuildError(f"{where}: duplicate or malformed slug")
        seen.add(item["slug"])
        item["site"] = site["key"]
        item["published"] = parse_day(item["published"], where)
        if item["language"] not in LANGUAGES or item["kind"] not in KINDS:
            raise BuildError(f"{where}: bad language or kind")
        check_labels(item["labels"], where)
        words = sum(len(plain(p).split()) for p in item["paragraphs"])
        if not 150 <= words <= 500:
            raise BuildError(f"{where}: {words} words, want 150-500")
        item["words"] = words
        item["stamp"] = stamp(site, item["published"], item["slug"])
        if "pdf" in item:
            pdf = item["pdf"]
            pdf["published"] = parse_day(pdf.get("published", item["published"]), where)
            pdf.setdefault("labels", item["labels"])
            pdf.setdefault("language", item["language"])
            check_labels(pdf["labels"], where + " (pdf)")
            if len([p for p in pdf["paragraphs"] if not p.startswith("## ")]) < 2:
                raise BuildError(f"{where}: a PDF needs at least two paragraphs")
            for text in [pdf["title"], pdf["author"], pdf.get("header", "")] + pdf["paragraphs"]:
                try:
                    text.encode("latin-1")
                except UnicodeEncodeError as err:
                    raise BuildError(f"{where}: PDF text outside latin-1: {text[:40]!r}") from err
    items.sort(key=lambda it: (it["published"], it["stamp"], it["slug"]), reverse=True)
    return items


def parse_day(value, where: str) -> date:
    """Parse a YYYY-MM-DD string (or YAML date) inside the demo's date range."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BuildError(f"{where}: date {day} outside 2020-03..2021-12")
    return day


def check_labels(labels: dict, where: str) -> None:
    """Enforce the codebook rules that can be checked mechanically."""
    if set(labels) != {"relevant", "themes", "primary_country", "countries"}:
        raise BuildError(f"{where}: labels need exactly relevant, themes, primary_country, countries")
    themes, countries, primary = labels["themes"], labels["countries"], labels["primary_country"]
    if any(t not in THEMES for t in themes) or len(set(themes)) != len(themes):
        raise BuildError(f"{where}: unknown or repeated theme")
    if labels["relevant"] and not themes:
        raise BuildError(f"{where}: a relevant item needs at least one theme")
    if not labels["relevant"] and themes:
        raise BuildError(f"{where}: a non-relevant item has no theme (CODEBOOK §2)")
    if any(not re.fullmatch(r"[A-Z]{3}", c) for c in countries):
        raise BuildError(f"{where}: countries must be ISO3 codes")
    if primary is not None and primary not in countries:
        raise BuildError(f"{where}: primary_country must be one of countries")


def stamp(site: dict, day: date, slug: str) -> datetime:
    """A deterministic publication time of day, in the site's time zone."""
    digest = int(hashlib.sha1(f"{site['key']}/{slug}".encode()).hexdigest(), 16)
    moment = time(8 + digest % 10, (digest >> 8) % 12 * 5)
    return datetime.combine(day, moment, timezone(timedelta(hours=site["utc_offset"])))


def plain(text: str) -> str:
    """Paragraph source text without block markers or bold markers."""
    text = re.sub(r"^(## |> )", "", text)
    return text.replace("**", "")


def inline(text: str) -> str:
    """Escape a paragraph and turn **bold** spans into <strong>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", esc(text, quote=False))


def blocks(paragraphs: list[str], heading: str = "h2") -> str:
    """Render paragraph sources: '## ' starts a subheading, '> ' a blockquote."""
    out = []
    for para in paragraphs:
        if para.startswith("## "):
            out.append(f"<{heading}>{inline(para[3:])}</{heading}>")
        elif para.startswith("> "):
            out.append(f"<blockquote><p>{inline(para[2:])}</p></blockquote>")
        else:
            out.append(f"<p>{inline(para)}</p>")
    return "\n".join(out)


def summary(item: dict, limit: int = 220) -> str:
    """First body paragraph cut at a word boundary, for descriptions and feeds."""
    text = item.get("summary") or next(
        plain(p) for p in item["paragraphs"] if not p.startswith(("## ", "> "))
    )
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def absolute(path: str) -> str:
    return BASE_URL + path


def day_text(day: date, lang: str, style: str = "long") -> str:
    """Human date in the site's language ('12 mai 2020', 'May 12, 2020', ...)."""
    month = MONTHS[lang][day.month - 1]
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    if lang in ("es", "pt"):
        return f"{day.day} de {month} de {day.year}"
    if style == "us":
        return f"{month} {day.day}, {day.year}"
    return f"{day.day} {month} {day.year}"


def json_ld(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


# --------------------------------------------------------------------------- page shell

PAGE = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<meta name="description" content="$description">
$head
<link rel="canonical" href="$canonical">
<link rel="stylesheet" href="$stylesheet">
$alternate
</head>
<body class="$body_class">
$body
</body>
</html>
""")


def open_graph(title: str, description: str, url: str, site_name: str, locale: str, og_type: str) -> str:
    rows = [
        ("og:type", og_type),
        ("og:site_name", site_name),
        ("og:title", title),
        ("og:description", description),
        ("og:url", url),
        ("og:locale", locale),
    ]
    return "\n".join(f'<meta property="{k}" content="{esc(v)}">' for k, v in rows)


def links_list(items: list[dict], site: Site, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    rows = "\n".join(f'<li><a href="{site.article_path(it)}">{esc(it["title"])}</a></li>' for it in items)
    return f"<ul{attr}>\n{rows}\n</ul>"


class Site:
    """Shared page logic; each demo source overrides the templates that differ."""

    locale = "en_US"
    site_title = ""
    home_label = "Home"
    list_label = "News"
    about_label = "About"

    def __init__(self, config: dict, items: list[dict]):
        self.config = config
        self.key = config["key"]
        self.lang = config["language"]
        self.items = items

    # paths -----------------------------------------------------------------------
    def article_path(self, item: dict) -> str:
        raise NotImplementedError

    def pdf_path(self, pdf: dict) -> str:
        return f"/{self.key}/documents/{pdf['name']}.pdf"

    @property
    def home_path(self) -> str:
        return f"/{self.key}/index.html"

    @property
    def list_path(self) -> str:
        return self.home_path

    @property
    def about_path(self) -> str:
        return f"/{self.key}/about.html"

    @property
    def stylesheet(self) -> str:
        return f"/{self.key}/static/style.css"

    # selection helpers -------------------------------------------------------------
    def related(self, item: dict, count: int = 4) -> list[dict]:
        """Neighbours in time plus stable pseudo-random picks from the same site."""
        idx = self.items.index(item)
        picks = [self.items[j] for j in (idx - 1, idx + 1) if 0 <= j < len(self.items)]
        others = sorted(
            (it for it in self.items if it is not item and it not in picks),
            key=lambda it: hashlib.sha1(f"{item['slug']}|{it['slug']}".encode()).hexdigest(),
        )
        return (picks + others)[:count]

    def most_read(self, count: int = 5) -> list[dict]:
        return sorted(self.items, key=lambda it: hashlib.sha1(f"read|{it['slug']}".encode()).hexdigest())[:count]

    # rendering -------------------------------------------------------------------
    def page(self, *, title: str, description: str, path: str, body: str, head: str = "",
             og_type: str = "website", body_class: str = "", lang: str | None = None,
             locale: str | None = None) -> str:
        canonical = absolute(path)
        og = open_graph(title, description, canonical, self.site_title, locale or self.locale, og_type)
        return PAGE.substitute(
            lang=lang or self.lang,
            title=esc(f"{title} | {self.site_title}" if title != self.site_title else title),
            description=esc(description),
            head="\n".join(x for x in (og, head) if x),
            canonical=canonical,
            stylesheet=self.stylesheet,
            alternate=self.alternate(),
            body_class=body_class,
            body=body,
        )

    def alternate(self) -> str:
        return ""

    def doc_link(self, item: dict, sizes: dict) -> str:
        pdf = item.get("pdf")
        if not pdf:
            return ""
        path = self.pdf_path(pdf)
        label = {"fr": "Télécharger", "en": "Download", "es": "Descargar", "pt": "Baixar"}[item["language"]]
        unit = "Ko" if item["language"] == "fr" else "KB"
        size = max(1, round(sizes[path] / 1024))
        return (f'<p class="document-link">{label} : ' if item["language"] == "fr" else f'<p class="document-link">{label}: ') + \
            f'<a href="{path}">{esc(pdf["title"])}</a> (PDF, {size} {unit})</p>'

    def article_page(self, item: dict, sizes: dict) -> str:
        raise NotImplementedError

    def home_page(self) -> str:
        raise NotImplementedError

    def about_page(self) -> str:
        raise NotImplementedError

    def extra_pages(self) -> dict[str, str]:
        return {}

    def feeds(self) -> dict[str, bytes]:
        return {}

    def stylesheet_text(self) -> str:
        return STYLES[self.key]


# --------------------------------------------------------------------------- sante-sn


class SanteSN(Site):
    """French-language ministry site: RSS feed, visible date text only."""

    locale = "fr_SN"
    site_title = "Ministère de la Santé et de l'Action sociale"

    def article_path(self, item):
        return f"/sante-sn/actualites/{item['slug']}.html"

    @property
    def list_path(self):
        return "/sante-sn/actualites/index.html"

    @property
    def about_path(self):
        return "/sante-sn/le-ministere.html"

    def alternate(self):
        return '<link rel="alternate" type="application/rss+xml" title="Actualités du ministère" href="/sante-sn/rss.xml">'

    def chrome(self, crumbs: list[tuple[str, str]], main: str) -> str:
        crumb_html = ' <span class="sep">›</span> '.join(
            f'<a href="{href}">{esc(text)}</a>' if href else f"<span>{esc(text)}</span>" for text, href in crumbs
        )
        return f"""<div id="bandeau-cookies" class="bandeau-cookies" role="dialog" aria-label="Cookies">
<p>Ce site utilise des cookies de mesure d'audience afin d'améliorer votre navigation. <a href="/sante-sn/mentions-legales.html">En savoir plus</a></p>
<button type="button" class="btn-accepter">J'accepte</button> <button type="button" class="btn-refuser">Je refuse</button>
</div>
<header class="entete">
<div class="entete-haut"><span class="republique">République du Sénégal</span> <span class="devise">Un Peuple - Un But - Une Foi</span></div>
<div class="entete-logo"><a class="logo" href="/sante-sn/index.html">Ministère de la Santé<br>et de l'Action sociale</a></div>
<nav class="menu-principal" aria-label="Menu principal">
<ul>
<li><a href="/sante-sn/index.html">Accueil</a></li>
<li><a href="/sante-sn/le-ministere.html">Le Ministère</a></li>
<li><a href="/sante-sn/actualites/index.html">Actualités</a></li>
<li><a href="/sante-sn/documents/index.html">Documents officiels</a></li>
<li><a href="/sante-sn/mentions-legales.html">Contact</a></li>
</ul>
</nav>
</header>
<div class="fil-ariane">{crumb_html}</div>
<div class="conteneur">
{main}
<aside class="colonne-laterale">
<div class="bloc bloc-numero-vert"><h3>Numéro vert COVID-19</h3><p class="numero">800 00 00 00</p><p>Appel gratuit, 24h/24</p></div>
<div class="bloc bloc-plus-lus"><h3>Les plus consultés</h3>
{links_list(self.most_read(), self)}
</div>
</aside>
</div>
<footer class="pied-de-page">
<div class="pied-colonnes">
<div><h4>Ministère de la Santé et de l'Action sociale</h4><p>Immeuble Santé, Fann Résidence<br>BP 0000 Dakar<br>Tél. : +221 33 000 00 00</p></div>
<div><h4>Liens utiles</h4><ul><li><a href="/sante-sn/le-ministere.html">Organigramme</a></li><li><a href="/sante-sn/documents/index.html">Textes réglementaires</a></li><li><a href="/sante-sn/rss.xml">Flux RSS</a></li><li><a href="/sante-sn/mentions-legales.html">Mentions légales</a></li></ul></div>
<div><h4>Suivez-nous</h4><ul class="reseaux"><li><a href="https://social.example.org/@santesn-demo" rel="noopener">Facebook</a></li><li><a href="https://social.example.org/@santesn-demo-x" rel="noopener">X (Twitter)</a></li><li><a href="https://video.example.org/santesn-demo" rel="noopener">YouTube</a></li></ul></div>
</div>
<p class="copyright">© 2021 Ministère de la Santé et de l'Action sociale. Tous droits réservés. Site de démonstration : contenu fictif rédigé pour newsdesk.</p>
</footer>"""

    def article_page(self, item, sizes):
        rel = "\n".join(
            f'<li><a href="{self.article_path(it)}">{esc(it["title"])}</a> <span class="date">{day_text(it["published"], "fr")}</span></li>'
            for it in self.related(item, 3)
        )
        byline = f" · {esc(item['author'])}" if item.get("author") else ""
        main = f"""<main class="colonne-principale">
<div class="actualite">
<span class="rubrique">{'Communiqué' if item['kind'] == 'press-release' else 'Actualité'}</span>
<h1 class="titre-actualite">{esc(item['title'])}</h1>
<p class="infos-publication">Publié le {day_text(item['published'], 'fr')}{byline}</p>
<div class="corps-texte">
{blocks(item['paragraphs'], 'h3')}
{self.doc_link(item, sizes)}
</div>
<div class="partage"><span>Partager :</span> <button type="button" data-reseau="facebook">Facebook</button> <button type="button" data-reseau="x">X</button> <button type="button" data-reseau="whatsapp">WhatsApp</button> <button type="button" onclick="window.print()">Imprimer</button></div>
</div>
<aside class="a-lire-aussi"><h2>À lire aussi</h2>
<ul>
{rel}
</ul>
</aside>
</main>"""
        crumbs = [("Accueil", "/sante-sn/index.html"), ("Actualités", "/sante-sn/actualites/index.html"), (item["title"], "")]
        return self.page(title=item["title"], description=summary(item), path=self.article_path(item),
                         body=self.chrome(crumbs, main), og_type="article", body_class="page-actualite")

    def listing(self, items: list[dict]) -> str:
        return "\n".join(
            f"""<div class="carte-actualite">
<h3><a href="{self.article_path(it)}">{esc(it['title'])}</a></h3>
<p class="date">{day_text(it['published'], 'fr')}</p>
<p>{esc(summary(it))}</p>
</div>""" for it in items)

    def home_page(self):
        main = f"""<main class="colonne-principale">
<section class="a-la-une"><h1>À la une</h1>
{self.listing(self.items[:4])}
<p class="tout-voir"><a href="/sante-sn/actualites/index.html">Toutes les actualités</a></p>
</section>
</main>"""
        return self.page(title=self.site_title, description="Site officiel (démonstration) du ministère de la Santé et de l'Action sociale.",
                         path=self.home_path, body=self.chrome([("Accueil", "")], main), body_class="accueil")

    def about_page(self):
        main = """<main class="colonne-principale"><h1>Le Ministère</h1>
<p>Le ministère de la Santé et de l'Action sociale prépare et met en œuvre la politique de santé publique et d'action sociale définie par le Gouvernement.</p>
<p>Ce site est une reconstitution fictive destinée aux démonstrations hors ligne du projet newsdesk.</p></main>"""
        return self.page(title="Le Ministère", description="Présentation du ministère (démonstration).", path=self.about_path,
                         body=self.chrome([("Accueil", "/sante-sn/index.html"), ("Le Ministère", "")], main), body_class="page")

    def extra_pages(self):
        pages = {}
        main = f"""<main class="colonne-principale"><h1>Actualités</h1>
{self.listing(self.items)}
</main>"""
        pages[self.list_path] = self.page(title="Actualités", description="Communiqués et actualités du ministère.", path=self.list_path,
                                          body=self.chrome([("Accueil", "/sante-sn/index.html"), ("Actualités", "")], main), body_class="liste")
        docs = "\n".join(
            f'<li><a href="{self.pdf_path(it["pdf"])}">{esc(it["pdf"]["title"])}</a> ({day_text(it["pdf"]["published"], "fr")})</li>'
            for it in self.items if "pdf" in it)
        main = f'<main class="colonne-principale"><h1>Documents officiels</h1>\n<ul class="liste-documents">\n{docs}\n</ul>\n</main>'
        path = "/sante-sn/documents/index.html"
        pages[path] = self.page(title="Documents officiels", description="Arrêtés, circulaires et guides.", path=path,
                                body=self.chrome([("Accueil", "/sante-sn/index.html"), ("Documents officiels", "")], main), body_class="liste")
        main = """<main class="colonne-principale"><h1>Mentions légales et contact</h1>
<p>Directeur de la publication : le Secrétaire général du ministère. Hébergement : serveur local de démonstration.</p>
<p>Les cookies de mesure d'audience ne sont déposés qu'avec votre accord.</p>
<p>Contact : Cellule de communication, BP 0000 Dakar.</p></main>"""
        path = "/sante-sn/mentions-legales.html"
        pages[path] = self.page(title="Mentions légales", description="Mentions légales et contact.", path=path,
                                body=self.chrome([("Accueil", "/sante-sn/index.html"), ("Mentions légales", "")], main), body_class="page")
        return pages

    def feeds(self):
        rss = ET.Element("rss", {"version": "2.0"})
        channel = ET.SubElement(rss, "channel")
        sub(channel, "title", "Ministère de la Santé et de l'Action sociale - Actualités (démo)")
        sub(channel, "link", absolute(self.list_path))
        sub(channel, "description", "Communiqués et actualités du ministère de la Santé et de l'Action sociale.")
        sub(channel, "language", "fr")
        sub(channel, "lastBuildDate", format_datetime(self.items[0]["stamp"]))
        ET.SubElement(channel, f"{{{ATOM_NS}}}link",
                      {"href": absolute("/sante-sn/rss.xml"), "rel": "self", "type": "application/rss+xml"})
        for it in self.items:
            entry = ET.SubElement(channel, "item")
            sub(entry, "title", it["title"])
            sub(entry, "link", absolute(self.article_path(it)))
            sub(entry, "pubDate", format_datetime(it["stamp"]))
            sub(entry, "description", summary(it))
            sub(entry, "guid", absolute(self.article_path(it)), isPermaLink="true")
        return {"/sante-sn/rss.xml": xml_bytes(rss)}


# --------------------------------------------------------------------------- moh-ke


class MohKE(Site):
    """English ministry site: sitemap index, <time datetime> dates."""

    locale = "en_KE"
    site_title = "Ministry of Health"

    def article_path(self, item):
        return f"/moh-ke/news/{item['slug']}.html"

    @property
    def list_path(self):
        return "/moh-ke/news/index.html"

    def chrome(self, crumbs, main):
        crumb_html = "\n".join(
            f'<li class="breadcrumb-item"><a href="{href}">{esc(text)}</a></li>' if href
            else f'<li class="breadcrumb-item active" aria-current="page">{esc(text)}</li>' for text, href in crumbs
        )
        return f"""<div class="cookie-notice" id="cookieNotice">
<div class="cookie-notice__text">We use cookies to understand how visitors use this website. By continuing to browse you agree to our use of cookies. <a href="/moh-ke/about.html#privacy">Privacy policy</a></div>
<button type="button" class="cookie-notice__accept">Accept</button>
</div>
<div class="topbar"><div class="container"><span>Toll free: 0800 000 000</span> <a href="/moh-ke/about.html#contact">Contact us</a></div></div>
<header class="site-header">
<div class="container">
<a class="navbar-brand" href="/moh-ke/index.html"><span class="brand-name">MINISTRY OF HEALTH</span><span class="brand-tagline">Transforming Health Systems for Universal Care</span></a>
<nav class="navbar" aria-label="Main navigation">
<ul class="navbar-nav">
<li class="nav-item"><a class="nav-link" href="/moh-ke/index.html">Home</a></li>
<li class="nav-item"><a class="nav-link" href="/moh-ke/about.html">About Us</a></li>
<li class="nav-item"><a class="nav-link" href="/moh-ke/news/index.html">News &amp; Press Releases</a></li>
<li class="nav-item"><a class="nav-link" href="/moh-ke/documents/index.html">Downloads</a></li>
<li class="nav-item"><a class="nav-link" href="/moh-ke/about.html#contact">Contact</a></li>
</ul>
</nav>
</div>
</header>
<div class="container">
<nav aria-label="breadcrumb"><ol class="breadcrumb">
{crumb_html}
</ol></nav>
<div class="row">
{main}
<div class="col-md-4 sidebar">
<div class="widget widget-latest"><h4 class="widget-title">Latest Updates</h4>
{links_list(self.items[:5], self, "widget-list")}
</div>
<div class="widget widget-hotline"><h4 class="widget-title">COVID-19 Hotline</h4><p>Call 0800 000 000 for free information on COVID-19.</p></div>
</div>
</div>
</div>
<footer class="site-footer">
<div class="container footer-columns">
<div class="footer-col"><h5>Contact Us</h5><p>Health House, Ministries Road<br>P.O. Box 00000-00100, Nairobi<br>Tel: +254 20 000 0000<br>Email: info@demo-health.example.org</p></div>
<div class="footer-col"><h5>Quick Links</h5><ul><li><a href="/moh-ke/news/index.html">Press releases</a></li><li><a href="/moh-ke/documents/index.html">Policies and guidelines</a></li><li><a href="/moh-ke/about.html#privacy">Privacy policy</a></li></ul></div>
<div class="footer-col"><h5>Follow Us</h5><ul class="social"><li><a href="https://social.example.org/@mohke-demo">Twitter</a></li><li><a href="https://social.example.org/@mohke-demo-fb">Facebook</a></li><li><a href="https://video.example.org/mohke-demo">YouTube</a></li></ul></div>
</div>
<div class="footer-bottom">Copyright © 2021 Ministry of Health. All rights reserved. Demonstration site: fictional content written for newsdesk.</div>
</footer>"""

    def article_page(self, item, sizes):
        stamp_iso = item["stamp"].isoformat()
        author = f'<span class="post-author">By {esc(item["author"])}</span> | ' if item.get("author") else ""
        rel = "\n".join(
            f'<div class="related-card"><a href="{self.article_path(it)}">{esc(it["title"])}</a></div>'
            for it in self.related(item, 3))
        main = f"""<div class="col-md-8 main-content">
<article class="post">
<header class="post-header">
<h1 class="post-title">{esc(item['title'])}</h1>
<div class="post-meta">{author}<time class="post-date" datetime="{stamp_iso}">{day_text(item['published'], 'en')}</time> | <span class="post-category">{'Press Release' if item['kind'] == 'press-release' else 'News'}</span></div>
</header>
<div class="post-body">
{blocks(item['paragraphs'], 'h2')}
{self.doc_link(item, sizes)}
</div>
<div class="share-buttons"><span class="share-label">Share this:</span>
<button type="button" class="share-btn share-twitter">Twitter</button>
<button type="button" class="share-btn share-facebook">Facebook</button>
<button type="button" class="share-btn share-linkedin">LinkedIn</button>
<button type="button" class="share-btn share-email">Email</button>
</div>
</article>
<section class="related-posts"><h3>Related Posts</h3>
{rel}
</section>
</div>"""
        crumbs = [("Home", "/moh-ke/index.html"), ("News", "/moh-ke/news/index.html"), (item["title"], "")]
        return self.page(title=item["title"], description=summary(item), path=self.article_path(item),
                         body=self.chrome(crumbs, main), og_type="article", body_class="single-post")

    def listing(self, items):
        return "\n".join(
            f"""<div class="news-item">
<h3 class="news-item__title"><a href="{self.article_path(it)}">{esc(it['title'])}</a></h3>
<time datetime="{it['published'].isoformat()}">{day_text(it['published'], 'en')}</time>
<p class="news-item__excerpt">{esc(summary(it))}</p>
<a class="read-more" href="{self.article_path(it)}">Read more</a>
</div>""" for it in items)

    def home_page(self):
        main = f"""<div class="col-md-8 main-content">
<h1 class="page-title">Latest News</h1>
{self.listing(self.items[:5])}
<p><a class="btn" href="/moh-ke/news/index.html">View all news</a></p>
</div>"""
        return self.page(title=self.site_title, description="Ministry of Health (demonstration site).",
                         path=self.home_path, body=self.chrome([("Home", "")], main), body_class="home")

    def about_page(self):
        main = """<div class="col-md-8 main-content"><h1 class="page-title">About Us</h1>
<p>The Ministry of Health is responsible for health policy, regulation and national referral services, working with county governments, which deliver most health services.</p>
<h2 id="privacy">Privacy policy</h2><p>This demonstration site sets no cookies and collects no personal data.</p>
<h2 id="contact">Contact</h2><p>Health House, Ministries Road, Nairobi. Demonstration site: fictional content written for newsdesk.</p></div>"""
        return self.page(title="About Us", description="About the Ministry (demonstration).", path=self.about_path,
                         body=self.chrome([("Home", "/moh-ke/index.html"), ("About Us", "")], main), body_class="page")

    def extra_pages(self):
        pages = {}
        main = f'<div class="col-md-8 main-content"><h1 class="page-title">News &amp; Press Releases</h1>\n{self.listing(self.items)}\n</div>'
        pages[self.list_path] = self.page(title="News & Press Releases", description="News and press releases from the Ministry.",
                                          path=self.list_path, body=self.chrome([("Home", "/moh-ke/index.html"), ("News", "")], main),
                                          body_class="archive")
        docs = "\n".join(
            f'<tr><td><a href="{self.pdf_path(it["pdf"])}">{esc(it["pdf"]["title"])}</a></td><td>{day_text(it["pdf"]["published"], "en")}</td><td>PDF</td></tr>'
            for it in self.items if "pdf" in it)
        main = f"""<div class="col-md-8 main-content"><h1 class="page-title">Downloads</h1>
<table class="downloads"><thead><tr><th>Document</th><th>Date</th><th>Format</th></tr></thead><tbody>
{docs}
</tbody></table></div>"""
        path = "/moh-ke/documents/index.html"
        pages[path] = self.page(title="Downloads", description="Policies, guidelines and other documents.", path=path,
                                body=self.chrome([("Home", "/moh-ke/index.html"), ("Downloads", "")], main), body_class="page")
        return pages

    def feeds(self):
        urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS})
        for it in self.items:
            url = ET.SubElement(urlset, "url")
            sub(url, "loc", absolute(self.article_path(it)))
            sub(url, "lastmod", it["published"].isoformat())
        index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
        entry = ET.SubElement(index, "sitemap")
        sub(entry, "loc", absolute("/moh-ke/sitemap-news.xml"))
        sub(entry, "lastmod", self.items[0]["published"].isoformat())
        return {"/moh-ke/sitemap.xml": xml_bytes(index), "/moh-ke/sitemap-news.xml": xml_bytes(urlset)}


# --------------------------------------------------------------------------- el-diario


class ElDiario(Site):
    """Spanish regional newspaper: paginated listing, JSON-LD NewsArticle plus visible date."""

    locale = "es_PE"
    site_title = "El Diario del Sur"

    def article_path(self, item):
        d = item["published"]
        return f"/el-diario/salud/{d.year:04d}/{d.month:02d}/{item['slug']}.html"

    @property
    def list_path(self):
        return "/el-diario/salud/index.html"

    @property
    def about_path(self):
        return "/el-diario/quienes-somos.html"

    def list_page_path(self, number: int) -> str:
        return self.list_path if number == 1 else f"/el-diario/salud/page-{number}.html"

    def chrome(self, main: str, crumbs: list[tuple[str, str]]) -> str:
        crumb_html = " / ".join(f'<a href="{href}">{esc(t)}</a>' if href else f"<span>{esc(t)}</span>" for t, href in crumbs)
        return f"""<div class="aviso-cookies" id="aviso-cookies">Usamos cookies propias y de terceros para analizar el tráfico y mostrarte publicidad relacionada con tus preferencias. <a href="/el-diario/quienes-somos.html#privacidad">Política de cookies</a> <button type="button" id="aceptar-cookies">Aceptar</button></div>
<div class="barra-superior"><span class="fecha-edicion">Edición Lima</span> <a href="/el-diario/quienes-somos.html#suscripciones">Suscríbete</a> <a href="/el-diario/quienes-somos.html#contacto">Contacto</a></div>
<header class="cabecera">
<a class="marca" href="/el-diario/index.html">El Diario del Sur</a>
<nav class="secciones"><ul>
<li><a href="/el-diario/index.html">Portada</a></li>
<li><a href="/el-diario/salud/index.html" class="activa">Salud</a></li>
<li><a href="/el-diario/quienes-somos.html#economia">Economía</a></li>
<li><a href="/el-diario/quienes-somos.html#mundo">Mundo</a></li>
<li><a href="/el-diario/quienes-somos.html">Quiénes somos</a></li>
</ul></nav>
</header>
<div class="migas">{crumb_html}</div>
<div class="contenido">
{main}
<aside class="most-read">
<h3>Lo más leído</h3>
<ol>
{chr(10).join(f'<li><a href="{self.article_path(it)}">{esc(it["title"])}</a></li>' for it in self.most_read())}
</ol>
<div class="boletin"><h4>Boletín de Salud</h4><p>Recibe cada mañana las noticias de salud de América Latina.</p><a href="/el-diario/quienes-somos.html#suscripciones">Suscribirme</a></div>
</aside>
</div>
<footer class="pie">
<div class="pie-marca">El Diario del Sur</div>
<p>Calle Las Palmeras 000, Miraflores, Lima. Teléfono (01) 000 0000.</p>
<ul class="pie-enlaces"><li><a href="/el-diario/quienes-somos.html">Quiénes somos</a></li><li><a href="/el-diario/quienes-somos.html#privacidad">Política de privacidad</a></li><li><a href="/el-diario/quienes-somos.html#contacto">Contacto</a></li><li><a href="/private/index.html">Intranet redacción</a></li></ul>
<ul class="pie-redes"><li><a href="https://social.example.org/@eldiario-demo">Facebook</a></li><li><a href="https://social.example.org/@eldiario-demo-x">X</a></li><li><a href="https://social.example.org/@eldiario-demo-ig">Instagram</a></li></ul>
<p class="derechos">© 2021 El Diario del Sur. Todos los derechos reservados. Sitio de demostración: contenido ficticio escrito para newsdesk.</p>
</footer>"""

    def article_page(self, item, sizes):
        path = self.article_path(item)
        ld = json_ld({
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": item["title"],
            "description": summary(item),
            "datePublished": item["stamp"].isoformat(),
            "dateModified": item["stamp"].isoformat(),
            "inLanguage": item["language"],
            "author": {"@type": "Person", "name": item.get("author") or "Redacción"},
            "publisher": {"@type": "Organization", "name": "El Diario del Sur"},
            "mainEntityOfPage": absolute(path),
            "articleSection": "Salud",
        })
        rel = "\n".join(f'<li><a href="{self.article_path(it)}">{esc(it["title"])}</a></li>' for it in self.related(item, 4))
        hour = item["stamp"].strftime("%H:%M")
        main = f"""<main class="principal">
<article class="nota">
<p class="antetitulo">Salud</p>
<h1 class="titular">{esc(item['title'])}</h1>
<div class="firma"><span class="autor">Por {esc(item.get('author') or 'Redacción')}</span>
<span class="fecha">Publicado el {day_text(item['published'], 'es')} - {hour}</span></div>
<div class="compartir"><a class="compartir-whatsapp" href="#compartir" role="button">WhatsApp</a> <a class="compartir-facebook" href="#compartir" role="button">Facebook</a> <a class="compartir-x" href="#compartir" role="button">X</a></div>
<div class="cuerpo">
{blocks(item['paragraphs'], 'h2')}
{self.doc_link(item, sizes)}
</div>
<div class="etiquetas">Temas: <a href="/el-diario/salud/index.html">Salud</a> <a href="/el-diario/salud/index.html">Coronavirus</a></div>
</article>
<section class="relacionadas" id="compartir"><h3>Te puede interesar</h3>
<ul>
{rel}
</ul>
</section>
</main>"""
        crumbs = [("Portada", "/el-diario/index.html"), ("Salud", "/el-diario/salud/index.html")]
        return self.page(title=item["title"], description=summary(item), path=path, head=ld,
                         body=self.chrome(main, crumbs), og_type="article", body_class="articulo")

    def story(self, it: dict) -> str:
        return f"""<article class="story">
<h2><a href="{self.article_path(it)}">{esc(it['title'])}</a></h2>
<p class="bajada">{esc(summary(it, 180))}</p>
<p class="meta">Por {esc(it.get('author') or 'Redacción')} · {day_text(it['published'], 'es')}</p>
</article>"""

    def home_page(self):
        top, rest = self.items[0], self.items[1:5]
        main = f"""<main class="principal portada">
<div class="apertura"><h1><a href="{self.article_path(top)}">{esc(top['title'])}</a></h1><p>{esc(summary(top))}</p></div>
<div class="grilla">
{chr(10).join(f'<div class="modulo"><h3><a href="{self.article_path(it)}">{esc(it["title"])}</a></h3></div>' for it in rest)}
</div>
<p class="ver-seccion"><a href="/el-diario/salud/index.html">Más noticias de Salud</a></p>
</main>"""
        return self.page(title=self.site_title, description="Noticias de salud de América Latina (sitio de demostración).",
                         path=self.home_path, body=self.chrome(main, [("Portada", "")]), body_class="portada")

    def about_page(self):
        main = """<main class="principal"><h1>Quiénes somos</h1>
<p>El Diario del Sur es un diario regional con redacción en Lima y corresponsales en Bogotá, Santiago, Buenos Aires y Ciudad de México.</p>
<h2 id="economia">Economía</h2><p>Sección en preparación.</p>
<h2 id="mundo">Mundo</h2><p>Sección en preparación.</p>
<h2 id="suscripciones">Suscripciones</h2><p>Los boletines son gratuitos.</p>
<h2 id="privacidad">Política de privacidad</h2><p>Este sitio de demostración no guarda datos personales.</p>
<h2 id="contacto">Contacto</h2><p>redaccion@eldiario-demo.example.org. Sitio de demostración: contenido ficticio escrito para newsdesk.</p></main>"""
        return self.page(title="Quiénes somos", description="Sobre El Diario del Sur (demostración).", path=self.about_path,
                         body=self.chrome(main, [("Portada", "/el-diario/index.html"), ("Quiénes somos", "")]), body_class="pagina")

    def extra_pages(self):
        pages = {}
        chunks = [self.items[i:i + EL_DIARIO_PAGE_SIZE] for i in range(0, len(self.items), EL_DIARIO_PAGE_SIZE)]
        for number, chunk in enumerate(chunks, start=1):
            numbers = " ".join(
                f'<span class="actual">{n}</span>' if n == number else f'<a href="{self.list_page_path(n)}">{n}</a>'
                for n in range(1, len(chunks) + 1))
            prev = f'<a class="anterior" href="{self.list_page_path(number - 1)}">« Anterior</a> ' if number > 1 else ""
            nxt = f' <a class="next" href="{self.list_page_path(number + 1)}" rel="next">Siguiente »</a>' if number < len(chunks) else ""
            featured = ""
            if number == 1:
                top = self.items[0]
                featured = f'<div class="destacado"><span>Destacado</span><h3><a href="{self.article_path(top)}">{esc(top["title"])}</a></h3></div>\n'
            main = f"""<main class="principal seccion">
<h1 class="seccion-titulo">Salud{'' if number == 1 else f' - página {number}'}</h1>
{featured}<div class="lista-notas">
{chr(10).join(self.story(it) for it in chunk)}
</div>
<nav class="paginacion" aria-label="Paginación">{prev}{numbers}{nxt}</nav>
</main>"""
            path = self.list_page_path(number)
            pages[path] = self.page(title="Salud" if number == 1 else f"Salud - página {number}",
                                    description="Noticias de salud de América Latina.", path=path,
                                    body=self.chrome(main, [("Portada", "/el-diario/index.html"), ("Salud", "")]),
                                    body_class="seccion")
        return pages


# --------------------------------------------------------------------------- hsblog


class HSBlog(Site):
    """Multilateral blog: Atom feed, JSON-LD BlogPosting."""

    locale = "en_US"
    site_title = "Health Systems Partnerships Blog"
    blog_name = "Health Systems Partnerships Blog"

    def article_path(self, item):
        return f"/hsblog/posts/{item['slug']}.html"

    def alternate(self):
        return '<link rel="alternate" type="application/atom+xml" title="Health Systems Partnerships Blog" href="/hsblog/atom.xml">'

    def chrome(self, main, crumbs):
        crumb_html = " &raquo; ".join(f'<a href="{h}">{esc(t)}</a>' if h else f"<span>{esc(t)}</span>" for t, h in crumbs)
        return f"""<div class="consent-bar" data-consent="pending"><p>This blog uses analytics cookies. You can accept or decline them at any time.</p><button type="button" data-consent-action="accept">Accept all</button><button type="button" data-consent-action="decline">Decline</button></div>
<header class="blog-masthead">
<div class="wrap">
<p class="org-name">Global Partnership for Health Systems</p>
<a class="blog-title" href="/hsblog/index.html">Health Systems Partnerships Blog</a>
<p class="blog-description">Ideas and evidence on working across the public and private health sectors</p>
<nav class="blog-nav"><a href="/hsblog/index.html">All posts</a> <a href="/hsblog/about.html">About the blog</a> <a href="/hsblog/about.html#authors">Authors</a> <a href="/hsblog/atom.xml">Subscribe</a></nav>
</div>
</header>
<div class="wrap layout">
<div class="crumbs">{crumb_html}</div>
{main}
<aside class="blog-sidebar">
<section class="widget"><h2>Popular posts</h2>
{links_list(self.most_read(4), self, "popular")}
</section>
<section class="widget"><h2>Topics</h2><ul class="topics"><li><a href="/hsblog/index.html">COVID-19</a></li><li><a href="/hsblog/index.html">Private sector engagement</a></li><li><a href="/hsblog/index.html">Health financing</a></li></ul></section>
</aside>
</div>
<footer class="blog-footer">
<div class="wrap">
<p>Global Partnership for Health Systems · 1 Avenue of the Partners, Geneva</p>
<p>The views expressed in this blog are those of the authors and do not necessarily reflect the views of the Partnership or its members.</p>
<p><a href="/hsblog/about.html#terms">Terms of use</a> · <a href="/hsblog/about.html#privacy">Privacy</a> · <a href="https://social.example.org/@hsblog-demo">LinkedIn</a> · <a href="https://social.example.org/@hsblog-demo-x">X</a></p>
<p class="legal">© 2021 Global Partnership for Health Systems. Demonstration site: fictional content written for newsdesk.</p>
</div>
</footer>"""

    def article_page(self, item, sizes):
        path = self.article_path(item)
        ld = json_ld({
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": item["title"],
            "datePublished": item["stamp"].isoformat(),
            "author": [{"@type": "Person", "name": n} for n in re.split(r" and |, ", item.get("author") or self.blog_name)],
            "publisher": {"@type": "Organization", "name": "Global Partnership for Health Systems"},
            "inLanguage": item["language"],
            "url": absolute(path),
        })
        rel = "\n".join(
            f'<li><a href="{self.article_path(it)}">{esc(it["title"])}</a> <span class="when">{day_text(it["published"], "en", "us")}</span></li>'
            for it in self.related(item, 3))
        origin = ""
        if item.get("syndicated_from"):
            origin = '<p class="post-note">Cross-posted from a partner website.</p>'
        main = f"""<main class="blog-main">
<div class="post-wrapper" lang="{item['language']}">
<h1 class="entry-title">{esc(item['title'])}</h1>
<div class="entry-meta">Posted by <span class="author-name">{esc(item.get('author') or 'Editorial team')}</span> on <span class="post-date">{day_text(item['published'], 'en', 'us')}</span></div>
{origin}
<div class="entry-content">
{blocks(item['paragraphs'], 'h2')}
{self.doc_link(item, sizes)}
</div>
</div>
<div class="entry-share"><span>Share</span> <button type="button" class="share" data-service="linkedin">LinkedIn</button> <button type="button" class="share" data-service="x">X</button> <button type="button" class="share" data-service="email">Email</button></div>
<div class="entry-footer"><h3>You may also like</h3>
<ul class="more-posts">
{rel}
</ul>
<p class="comments-closed">Comments are closed.</p>
</div>
</main>"""
        locale = {"fr": "fr_FR", "en": "en_US"}.get(item["language"], self.locale)
        return self.page(title=item["title"], description=summary(item), path=path, head=ld, body=self.chrome(
            main, [("Blog", "/hsblog/index.html"), (item["title"], "")]), og_type="article", body_class="single", locale=locale)

    def home_page(self):
        posts = "\n".join(
            f"""<div class="post-summary">
<h2><a href="{self.article_path(it)}">{esc(it['title'])}</a></h2>
<div class="entry-meta">{esc(it.get('author') or 'Editorial team')} · {day_text(it['published'], 'en', 'us')}</div>
<p>{esc(summary(it))}</p>
</div>""" for it in self.items)
        main = f'<main class="blog-main">\n<h1 class="archive-title">Latest posts</h1>\n{posts}\n</main>'
        return self.page(title=self.site_title, description="Ideas and evidence on public-private collaboration in health (demonstration).",
                         path=self.home_path, body=self.chrome(main, [("Blog", "")]), body_class="home")

    def about_page(self):
        authors = sorted({n for it in self.items for n in re.split(r" and |, ", it.get("author") or "")} - {""})
        main = f"""<main class="blog-main"><h1>About the blog</h1>
<p>The Health Systems Partnerships Blog publishes short pieces by staff and partners of the Global Partnership for Health Systems, a fictional development partnership invented for the newsdesk demo.</p>
<h2 id="authors">Authors</h2><ul>{''.join(f'<li>{esc(a)}</li>' for a in authors)}</ul>
<h2 id="terms">Terms of use</h2><p>Content may be reused with attribution.</p>
<h2 id="privacy">Privacy</h2><p>This demonstration site keeps no personal data.</p></main>"""
        return self.page(title="About the blog", description="About the Health Systems Partnerships Blog.", path=self.about_path,
                         body=self.chrome(main, [("Blog", "/hsblog/index.html"), ("About", "")]), body_class="page")

    def feeds(self):
        feed = ET.Element("feed", {"xmlns": ATOM_NS, f"{{{XML_NS}}}lang": "en"})
        sub(feed, "title", "Health Systems Partnerships Blog (demo)")
        sub(feed, "subtitle", "Ideas and evidence on working across the public and private health sectors")
        ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": absolute("/hsblog/atom.xml")})
        ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": absolute("/hsblog/index.html")})
        sub(feed, "id", absolute("/hsblog/"))
        sub(feed, "updated", self.items[0]["stamp"].isoformat())
        for it in self.items:
            entry = ET.SubElement(feed, "entry")
            if it["language"] != "en":
                entry.set(f"{{{XML_NS}}}lang", it["language"])
            sub(entry, "title", it["title"])
            ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": absolute(self.article_path(it))})
            sub(entry, "id", absolute(self.article_path(it)))
            sub(entry, "published", it["stamp"].isoformat())
            sub(entry, "updated", it["stamp"].isoformat())
            for name in re.split(r" and |, ", it.get("author") or "Editorial team"):
                author = ET.SubElement(entry, "author")
                sub(author, "name", name)
            sub(entry, "summary", summary(it), type="text")
        return {"/hsblog/atom.xml": xml_bytes(feed)}


# --------------------------------------------------------------------------- noticias-br


class NoticiasBR(Site):
    """Portuguese newspaper: RSS feed, article:published_time meta."""

    locale = "pt_BR"
    site_title = "Notícias do Brasil"

    def article_path(self, item):
        return f"/noticias-br/saude/{item['slug']}.html"

    @property
    def list_path(self):
        return "/noticias-br/saude/index.html"

    @property
    def about_path(self):
        return "/noticias-br/expediente.html"

    def alternate(self):
        return '<link rel="alternate" type="application/rss+xml" title="Notícias do Brasil - Saúde" href="/noticias-br/feed.xml">'

    def chrome(self, main):
        return f"""<div class="lgpd-banner" role="region" aria-label="Aviso de cookies"><p>Utilizamos cookies para melhorar sua experiência. Ao continuar navegando, você concorda com a nossa <a href="/noticias-br/expediente.html#privacidade">Política de Privacidade</a>.</p><button type="button">Prosseguir</button></div>
<header class="topo">
<div class="topo__marca"><a href="/noticias-br/index.html">Notícias do Brasil</a></div>
<nav class="topo__menu"><a href="/noticias-br/index.html">Últimas</a> <a href="/noticias-br/saude/index.html">Saúde</a> <a href="/noticias-br/expediente.html#economia">Economia</a> <a href="/noticias-br/expediente.html#politica">Política</a> <a href="/noticias-br/expediente.html">Expediente</a></nav>
<a class="topo__assine" href="/noticias-br/expediente.html#assine">Assine</a>
</header>
{main}
<footer class="rodape">
<nav class="rodape__links"><a href="/noticias-br/expediente.html">Expediente</a> <a href="/noticias-br/expediente.html#privacidade">Política de Privacidade</a> <a href="/noticias-br/expediente.html#termos">Termos de Uso</a> <a href="/noticias-br/feed.xml">RSS</a></nav>
<p class="rodape__redes"><a href="https://social.example.org/@noticiasbr-demo">Instagram</a> <a href="https://social.example.org/@noticiasbr-demo-x">X</a> <a href="https://video.example.org/noticiasbr-demo">YouTube</a></p>
<p>Notícias do Brasil · Rua do Exemplo, 100, São Paulo (SP) · CNPJ 00.000.000/0001-00</p>
<p class="rodape__copy">© 2021 Notícias do Brasil. Todos os direitos reservados. Site de demonstração: conteúdo fictício escrito para o newsdesk.</p>
</footer>"""

    def article_page(self, item, sizes):
        path = self.article_path(item)
        head = "\n".join([
            f'<meta property="article:published_time" content="{item["stamp"].isoformat()}">',
            '<meta property="article:section" content="Saúde">',
            f'<meta name="author" content="{esc(item.get("author") or "Redação")}">',
        ])
        rel = "\n".join(f'<li class="veja-tambem__item"><a href="{self.article_path(it)}">{esc(it["title"])}</a></li>'
                        for it in self.related(item, 3))
        mais = "\n".join(f'<li><span class="posicao">{n}</span> <a href="{self.article_path(it)}">{esc(it["title"])}</a></li>'
                         for n, it in enumerate(self.most_read(5), start=1))
        stamp_text = item["stamp"].strftime("%d/%m/%Y %Hh%M")
        main = f"""<div class="pagina-materia">
<nav class="trilha"><a href="/noticias-br/index.html">Início</a> &gt; <a href="/noticias-br/saude/index.html">Saúde</a></nav>
<main class="materia">
<div class="materia__cabecalho">
<span class="materia__chapeu">Saúde</span>
<h1 class="materia__titulo">{esc(item['title'])}</h1>
<div class="materia__assinatura"><span class="materia__autor">{esc(item.get('author') or 'Redação')}</span> <span class="materia__data">{stamp_text}</span></div>
<div class="materia__compartilhar"><button type="button">Compartilhar no WhatsApp</button> <button type="button">Facebook</button> <button type="button">Copiar link</button></div>
</div>
<div class="materia__corpo">
{blocks(item['paragraphs'], 'h2')}
{self.doc_link(item, sizes)}
</div>
<section class="veja-tambem"><h2>Veja também</h2><ul>
{rel}
</ul></section>
</main>
<aside class="mais-lidas"><h2>Mais lidas</h2><ol>
{mais}
</ol></aside>
</div>"""
        return self.page(title=item["title"], description=summary(item), path=path, head=head,
                         body=self.chrome(main), og_type="article", body_class="materia-pagina")

    def listing(self, items):
        return "\n".join(
            f"""<div class="feed-item">
<a class="feed-item__titulo" href="{self.article_path(it)}">{esc(it['title'])}</a>
<p class="feed-item__resumo">{esc(summary(it, 160))}</p>
<span class="feed-item__data">{day_text(it['published'], 'pt')}</span>
</div>""" for it in items)

    def home_page(self):
        main = f'<main class="capa"><h1>Últimas notícias</h1>\n{self.listing(self.items[:5])}\n<p><a href="/noticias-br/saude/index.html">Mais notícias de Saúde</a></p>\n</main>'
        return self.page(title=self.site_title, description="Notícias de saúde do Brasil (site de demonstração).",
                         path=self.home_path, body=self.chrome(main), body_class="capa")

    def about_page(self):
        main = """<main class="pagina"><h1>Expediente</h1>
<p>Notícias do Brasil é um jornal digital fictício criado para a demonstração do newsdesk.</p>
<h2 id="economia">Economia</h2><p>Editoria em preparação.</p>
<h2 id="politica">Política</h2><p>Editoria em preparação.</p>
<h2 id="assine">Assine</h2><p>Conteúdo gratuito durante a pandemia.</p>
<h2 id="privacidade">Política de Privacidade</h2><p>Este site de demonstração não coleta dados pessoais.</p>
<h2 id="termos">Termos de Uso</h2><p>Uso livre para testes.</p></main>"""
        return self.page(title="Expediente", description="Expediente do Notícias do Brasil (demonstração).", path=self.about_path,
                         body=self.chrome(main), body_class="pagina")

    def extra_pages(self):
        main = f'<main class="editoria"><h1>Saúde</h1>\n{self.listing(self.items)}\n</main>'
        return {self.list_path: self.page(title="Saúde", description="Notícias de saúde.", path=self.list_path,
                                          body=self.chrome(main), body_class="editoria")}

    def feeds(self):
        rss = ET.Element("rss", {"version": "2.0"})
        channel = ET.SubElement(rss, "channel")
        sub(channel, "title", "Notícias do Brasil - Saúde (demo)")
        sub(channel, "link", absolute(self.list_path))
        sub(channel, "description", "As últimas notícias de saúde do Notícias do Brasil.")
        sub(channel, "language", "pt-br")
        sub(channel, "lastBuildDate", format_datetime(self.items[0]["stamp"]))
        for it in self.items:
            entry = ET.SubElement(channel, "item")
            sub(entry, "title", it["title"])
            sub(entry, "link", absolute(self.article_path(it)))
            sub(entry, f"{{{DC_NS}}}creator", it.get("author") or "Redação")
            sub(entry, "category", "Saúde")
            sub(entry, "pubDate", format_datetime(it["stamp"]))
            sub(entry, "description", summary(it))
            sub(entry, "guid", absolute(self.article_path(it)), isPermaLink="true")
        return {"/noticias-br/feed.xml": xml_bytes(rss)}


SITE_CLASSES = {"sante-sn": SanteSN, "moh-ke": MohKE, "el-diario": ElDiario, "hsblog": HSBlog, "noticias-br": NoticiasBR}


# --------------------------------------------------------------------------- XML, PDF


def sub(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def xml_bytes(root: ET.Element) -> bytes:
    """Serialise a feed or sitemap with an XML declaration."""
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)


class DemoPDF(FPDF):
    """A plain A4 document with a running header line and page numbers."""

    header_text = ""

    def header(self):
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, self.header_text, new_x="LMARGIN", new_y="NEXT", align="C")
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self):
        self.set_y(-15)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 10, f"{self.page_no()}", align="C")


def write_pdf(path: Path, pdf_spec: dict) -> None:
    """Render a linked document with fpdf2 core fonts and fixed metadata."""
    doc = DemoPDF(format="A4")
    doc.header_text = pdf_spec.get("header", "")
    doc.set_title(pdf_spec["title"])
    doc.set_author(pdf_spec["author"])
    doc.set_subject(pdf_spec["title"])
    doc.set_creator("newsdesk demo build")
    doc.set_producer("fpdf2")
    doc.set_lang(pdf_spec["language"])
    doc.set_creation_date(datetime.combine(pdf_spec["published"], time(9, 0), UTC))
    doc.set_auto_page_break(True, margin=20)
    doc.set_margins(22, 18, 22)
    doc.add_page()
    doc.set_font("Helvetica", "B", 14)
    doc.multi_cell(0, 7, pdf_spec["title"], new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("Helvetica", "I", 9)
    doc.cell(0, 6, f"{pdf_spec['author']} - {pdf_spec['published'].isoformat()}", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    for para in pdf_spec["paragraphs"]:
        if para.startswith("## "):
            doc.ln(1)
            doc.set_font("Helvetica", "B", 11)
            doc.multi_cell(0, 6, para[3:], new_x="LMARGIN", new_y="NEXT")
        else:
            doc.set_font("Helvetica", "", 10)
            doc.multi_cell(0, 5.2, para, new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.output(str(path))


# --------------------------------------------------------------------------- portal, robots, registry

PORTAL = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsdesk demo sites</title>
<meta name="description" content="Offline demonstration websites for newsdesk: fictional ministry, press and blog content.">
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}li{margin:.4rem 0}small{color:#555}</style>
</head>
<body>
<h1>newsdesk demo sites</h1>
<p>Every site below is fictional. The articles were written by the newsdesk team for offline demonstrations and tests; names of officials, figures and agreements are invented.</p>
<ul>
$sites
</ul>
<p><small>Crawlers should respect <a href="/robots.txt">robots.txt</a>; <a href="/private/index.html">the newsroom intranet</a> is off limits.</small></p>
</body>
</html>
"""

PRIVATE = """<!DOCTYPE html>
<html lang="es">
<head><meta charset="utf-8"><title>Intranet redacción - borradores</title><meta name="robots" content="noindex"></head>
<body>
<h1>Borradores internos (no publicar)</h1>
<p>Esta página está excluida por robots.txt. Un rastreador que la visite no respeta las reglas del sitio.</p>
</body>
</html>
"""


def sources_yaml() -> str:
    """The demo source registry in the DESIGN §4.3 format."""
    def scalar(value):
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value, ensure_ascii=False) if re.search(r"[^A-Za-z0-9._/:-]", value) else value

    def seq(values):
        return "[" + ", ".join(scalar(v) for v in values) + "]"

    lines = ["# Source registry for the bundled demo site (DESIGN.md §4.3).",
             "# Generated by demo/build.py from its SITES table; edit that table, not this file.",
             "sources:"]
    for s in SITES:
        lines += [
            f"  - id: {s['id']}",
            f"    name: {scalar(s['name'])}",
            f"    country: {scalar(s['country'])}",
            f"    source_type: {s['source_type']}",
            f"    language: {s['language']}",
            f"    feeds: {seq(absolute(p) for p in s['feeds'])}",
            f"    sitemaps: {seq(absolute(p) for p in s['sitemaps'])}",
            f"    start_urls: {seq(absolute(p) for p in s['start_urls'])}",
            f"    link_selector: {scalar(s['link_selector'])}",
            f"    next_selector: {scalar(s['next_selector'])}",
            f"    allowed_domains: [{BASE_URL.split('//')[1].split(':')[0]}]",
            f"    documents: {scalar(s['documents'])}",
        ]
    return "\n".join(lines) + "\n"


def label_row(url: str, site_key: str, language: str, kind: str, labels: dict, title: str,
              published: date, near_duplicate_of: str | None, linked_from: str | None) -> str:
    row = {
        "url": url, "site": site_key, "language": language, "kind": kind,
        "relevant": labels["relevant"], "themes": labels["themes"],
        "primary_country": labels["primary_country"], "countries": labels["countries"],
        "published": published.isoformat(), "title": title,
        "near_duplicate_of": near_duplicate_of, "linked_from": linked_from,
    }
    return json.dumps(row, ensure_ascii=False)


# --------------------------------------------------------------------------- main


def build() -> dict:
    """Write the whole site, the answer key and the registry; return counts."""
    sites = [SITE_CLASSES[cfg["key"]](cfg, load_items(cfg)) for cfg in SITES]
    by_ref = {f"{s.key}/{it['slug']}": (s, it) for s in sites for it in s.items}

    if SITE_DIR.exists():
        shutil.rmtree(SITE_DIR)
    SITE_DIR.mkdir(parents=True)
    files: dict[str, bytes | str] = {}

    sizes: dict[str, int] = {}
    for s in sites:
        for it in s.items:
            if "pdf" in it:
                target = SITE_DIR / s.pdf_path(it["pdf"]).lstrip("/")
                write_pdf(target, it["pdf"])
                sizes[s.pdf_path(it["pdf"])] = target.stat().st_size

    label_lines = []
    for s in sites:
        files[s.stylesheet] = s.stylesheet_text()
        files[s.home_path] = s.home_page()
        files[s.about_path] = s.about_page()
        files.update(s.extra_pages())
        files.update(s.feeds())
        for it in reversed(s.items):  # oldest first in the answer key
            files[s.article_path(it)] = s.article_page(it, sizes)
            dup = None
            if it.get("syndicated_from"):
                if it["syndicated_from"] not in by_ref:
                    raise BuildError(f"{s.key}/{it['slug']}: unknown syndicated_from")
                other_site, other = by_ref[it["syndicated_from"]]
                dup = absolute(other_site.article_path(other))
            url = absolute(s.article_path(it))
            label_lines.append(label_row(url, s.key, it["language"], it["kind"], it["labels"], it["title"],
                                         it["published"], dup, None))
            if "pdf" in it:
                pdf = it["pdf"]
                label_lines.append(label_row(absolute(s.pdf_path(pdf)), s.key, pdf["language"], "document",
                                             pdf["labels"], pdf["title"], pdf["published"], None, url))

    site_list = "\n".join(
        f'<li><a href="{s.home_path}">{esc(s.config["name"])}</a> <small>{s.config["language"]}, '
        f'{len(s.items)} items, {s.config["source_type"]}</small></li>' for s in sites)
    files["/index.html"] = Template(PORTAL).substitute(sites=site_list)
    files["/private/index.html"] = PRIVATE
    files["/robots.txt"] = ("User-agent: *\nDisallow: /private/\n\n"
                            f"Sitemap: {absolute('/moh-ke/sitemap.xml')}\n")

    for path, content in sorted(files.items()):
        target = SITE_DIR / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        target.write_bytes(data)

    LABELS_FILE.write_text("\n".join(label_lines) + "\n", encoding="utf-8")
    SOURCES_FILE.write_text(sources_yaml(), encoding="utf-8")
    return {s.key: len(s.items) for s in sites} | {"pdfs": len(sizes), "files": len(files) + len(sizes)}


# --------------------------------------------------------------------------- styles

STYLES = {
    "sante-sn": """body{margin:0;font-family:Georgia,serif;color:#222;background:#f6f7f4}
.bandeau-cookies{background:#1d3b2a;color:#fff;padding:.6rem 1rem;font-size:.85rem}.bandeau-cookies a{color:#ffe27a}
.entete{background:#fff;border-bottom:4px solid #00853f}.entete-haut{background:#00853f;color:#fff;font-size:.8rem;padding:.2rem 1rem}
.logo{display:block;padding:1rem;font-size:1.3rem;font-weight:bold;color:#00853f;text-decoration:none}
.menu-principal ul{display:flex;gap:1.2rem;list-style:none;margin:0;padding:.5rem 1rem}.menu-principal a{color:#1d3b2a}
.fil-ariane{padding:.5rem 1rem;font-size:.85rem}.conteneur{display:flex;gap:2rem;padding:1rem}
.colonne-principale{flex:3}.colonne-laterale{flex:1}.bloc{background:#fff;padding:.8rem;margin-bottom:1rem;border-top:3px solid #e31b23}
.titre-actualite{color:#00853f}.infos-publication{color:#666;font-style:italic}.corps-texte blockquote{border-left:4px solid #fdef42;margin-left:0;padding-left:1rem}
.pied-de-page{background:#1d3b2a;color:#ddd;padding:1rem}.pied-colonnes{display:flex;gap:2rem}.pied-de-page a{color:#fff}
""",
    "moh-ke": """body{margin:0;font-family:Arial,Helvetica,sans-serif;color:#212529}.container{max-width:1140px;margin:0 auto;padding:0 15px}
.cookie-notice{position:fixed;bottom:0;left:0;right:0;background:#222;color:#fff;padding:10px;display:flex;gap:1rem}
.topbar{background:#006600;color:#fff;font-size:13px;padding:4px 0}.topbar a{color:#fff}
.site-header{border-bottom:3px solid #bb0000;padding:10px 0}.brand-name{display:block;font-weight:700;font-size:22px;color:#006600}.brand-tagline{font-size:12px;color:#555}
.navbar-nav{display:flex;list-style:none;gap:20px;padding:0}.breadcrumb{display:flex;list-style:none;gap:8px;padding:8px 0;font-size:13px}
.row{display:flex;gap:30px}.col-md-8{flex:2}.col-md-4{flex:1}.post-meta{color:#6c757d;font-size:14px}
.widget{border:1px solid #dee2e6;padding:12px;margin-bottom:20px}.site-footer{background:#0b2e13;color:#ccc;margin-top:40px;padding:20px 0}
.site-footer a{color:#fff}.footer-columns{display:flex;gap:40px}.footer-bottom{text-align:center;font-size:12px;padding-top:10px}
""",
    "el-diario": """body{margin:0;font-family:'Times New Roman',serif;color:#111}.aviso-cookies{background:#fffbe6;border-bottom:1px solid #e0c96b;padding:8px 16px;font-size:14px}
.barra-superior{font:12px Arial,sans-serif;background:#111;color:#eee;padding:4px 16px}.barra-superior a{color:#eee;margin-left:12px}
.cabecera{text-align:center;border-bottom:1px solid #111;padding:12px}.marca{font-size:42px;font-weight:bold;color:#111;text-decoration:none}
.secciones ul{list-style:none;display:flex;justify-content:center;gap:18px;padding:0;font:14px Arial,sans-serif}
.migas{font:12px Arial,sans-serif;padding:6px 16px}.contenido{display:grid;grid-template-columns:3fr 1fr;gap:24px;padding:16px}
.story h2{font-size:22px;margin:.2em 0}.story{border-bottom:1px solid #ddd;padding:10px 0}.bajada{color:#444}
.firma{font:13px Arial,sans-serif;color:#555}.most-read{border-left:1px solid #ddd;padding-left:16px}
.paginacion{margin:20px 0;font:15px Arial,sans-serif}.paginacion a,.paginacion span{margin-right:8px}
.pie{background:#f2f2f2;padding:16px;font:13px Arial,sans-serif}
""",
    "hsblog": """body{margin:0;font-family:'Helvetica Neue',Arial,sans-serif;color:#2b2b2b;line-height:1.6}.wrap{max-width:1000px;margin:0 auto;padding:0 20px}
.consent-bar{background:#e8f0fb;padding:10px 20px;font-size:14px}.blog-masthead{background:#123c69;color:#fff;padding:20px 0}
.blog-masthead a{color:#fff}.blog-title{font-size:30px;font-weight:300;text-decoration:none}.org-name{text-transform:uppercase;font-size:12px;letter-spacing:1px}
.layout{display:grid;grid-template-columns:3fr 1fr;gap:30px}.crumbs{grid-column:1/3;font-size:13px;padding-top:10px}
.entry-meta{color:#777;font-size:14px}.entry-content blockquote{font-style:italic;border-left:3px solid #ac3b61;padding-left:14px}
.blog-footer{background:#eee;margin-top:40px;padding:20px 0;font-size:13px}
""",
    "noticias-br": """body{margin:0;font-family:Verdana,sans-serif;color:#333}.lgpd-banner{position:fixed;bottom:0;width:100%;background:#333;color:#fff;padding:8px}
.topo{display:flex;align-items:center;gap:24px;background:#c4170c;color:#fff;padding:10px 20px}.topo a{color:#fff}.topo__marca a{font-size:26px;font-weight:bold;text-decoration:none}
.pagina-materia{display:grid;grid-template-columns:3fr 1fr;gap:24px;max-width:1100px;margin:0 auto;padding:16px}
.materia__chapeu{color:#c4170c;font-weight:bold;text-transform:uppercase;font-size:12px}.materia__titulo{font-size:34px;line-height:1.15}
.materia__linha-fina{font-size:18px;color:#555}.materia__assinatura{font-size:13px;color:#777}.mais-lidas ol{padding-left:0;list-style:none}
.rodape{background:#222;color:#bbb;padding:20px;font-size:12px}.rodape a{color:#fff;margin-right:10px}
""",
}


def main() -> int:
    try:
        counts = build()
    except BuildError as err:
        print(f"demo build failed: {err}", file=sys.stderr)
        return 1
    print("demo site built:", ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
