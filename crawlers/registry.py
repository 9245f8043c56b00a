"""The source registry (DESIGN §4.3): loading and validation with file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from db.schema import country_codes

SourceType = Literal["government", "multilateral", "press", "ngo", "private", "academic"]
_COUNTRIES = country_codes()


class RegistryError(ValueError):
    """A registry file is missing, unreadable or invalid; the message is one line."""


def host_allowed(url: str, domains: list[str]) -> bool:
    """True when the URL's host is one of the domains or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


class Source(BaseModel):
    """One registry entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    name: str = Field(min_length=1)
    country: str | None = None
    source_type: SourceType
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    feeds: list[str] = []
    sitemaps: list[str] = []
    start_urls: list[str] = []
    link_selector: str | None = None
    next_selector: str | None = None
    allowed_domains: list[str] = Field(min_length=1)
    documents: bool = False

    @field_validator("country")
    @classmethod
    def _iso3(cls, v: str | None) -> str | None:
        if v is not None and v not in _COUNTRIES:
            raise ValueError(f"{v!r} is not an ISO 3166-1 alpha-3 code")
        return v

    @field_validator("feeds", "sitemaps", "start_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for u in urls:
            parts = urlsplit(u)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{u!r} is not an http(s) URL")
        return urls

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        for d in domains:
            if not d or "/" in d or ":" in d or d != d.lower():
                raise ValueError(f"{d!r} is not a lowercase host name")
        return domains

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if not (self.feeds or self.sitemaps or self.start_urls):
            raise ValueError("needs at least one of feeds, sitemaps, start_urls")
        if self.start_urls and not self.link_selector:
            raise ValueError("start_urls need a link_selector")
        for u in [*self.feeds, *self.sitemaps, *self.start_urls]:
            if not host_allowed(u, self.allowed_domains):
                raise ValueError(f"{u!r} is outside allowed_domains")
        return self

    def allows(self, url: str) -> bool:
        """True when the URL belongs to this source's domains."""
        return host_allowed(url, self.allowed_domains)


def _entry_lines(text: str) -> list[int]:
    """1-based line of each entry under `sources:` (for error messages)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if root is None or not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "sources" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_registry(path: str | Path) -> list[Source]:
    """Read and validate a registry file; raise RegistryError with file:line and reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RegistryError(f"{path}: cannot read: {e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        reason = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise RegistryError(f"{path}{where}: invalid YAML: {reason}") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise RegistryError(f"{path}: expected a mapping with a 'sources' list")
    unknown = set(data) - {"sources"}
    if unknown:
        raise RegistryError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    lines = _entry_lines(text)
    sources: list[Source] = []
    seen: set[str] = set()
    for i, entry in enumerate(data["sources"]):
        line = f":{lines[i]}" if i < len(lines) else ""
        label = f"source {entry.get('id')!r}" if isinstance(entry, dict) else f"entry {i + 1}"
        if not isinstance(entry, dict):
            raise RegistryError(f"{path}{line}: {label}: expected a mapping")
        try:
            source = Source.model_validate(entry)
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                reason = "unknown key"
            where = f"field {field!r}: " if field else ""
            raise RegistryError(f"{path}{line}: {label}: {where}{reason}") from None
        if source.id in seen:
            raise RegistryError(f"{path}{line}: {label}: duplicate id")
        seen.add(source.id)
        sources.append(source)
    if not sources:
        raise RegistryError(f"{path}: the registry lists no sources")
    return sources


def select(sources: list[Source], ids: list[str] | None) -> list[Source]:
    """The sources with the given ids (all when ids is empty); unknown ids are an error."""
    if not ids:
        return sources
    by_id = {s.id: s for s in sources}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise RegistryError(f"unknown source id(s): {', '.join(missing)}")
    return [by_id[i] for i in ids]
