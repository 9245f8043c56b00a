"""Canonical URLs: one spelling per article, whatever link or tracking tag led to it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say how a reader arrived (campaigns, click ids, share widgets).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "mkt_tok", "_ga", "_gl", "_hsenc",
    "_hsmi", "hsctatracking", "srsltid", "ocid", "ncid", "cmpid", "spm", "sr_share",
    "share", "ref_src", "ref_url", "rss", "feature", "at_medium", "at_campaign", "s_cid",
    "wt.mc_id", "xtor", "vero_id", "oly_enc_id", "oly_anon_id", "__twitter_impression",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "ga_", "hsa_", "itm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """True for a query parameter that identifies a campaign or a click, not a page."""
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters or fragment; everything else as given."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not is_tracking_param(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def canonicalize(url: str) -> str:
    """Canonical form: lowercase scheme and host, no default port, no fragment, no tracking
    parameters, the other parameters sorted and percent-encoding normalised (w3lib)."""
    parts = urlsplit(strip_tracking(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = parts.path or "/"
    return canonicalize_url(urlunsplit((scheme, netloc, path, parts.query, "")))


def choose_canonical(fetched_url: str, declared: str | None, allowed: list[str]) -> str:
    """Canonical URL of a fetched page: its rel=canonical when that is believable, else the
    fetched URL; canonicalised either way.

    A declared canonical is ignored when it leaves the source's domains or points at the
    site's home page from a deeper page (a common template mistake that would merge every
    article into one).
    """
    from crawlers.registry import host_allowed

    if declared:
        d, f = urlsplit(declared), urlsplit(fetched_url)
        home = d.path.strip("/") == "" and not d.query
        if (d.scheme in ("http", "https") and host_allowed(declared, allowed)
                and not (home and f.path.strip("/"))):
            return canonicalize(declared)
    return canonicalize(fetched_url)
