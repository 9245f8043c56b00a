"""Curator accounts on the web: password hashing, `/-/login`, the session cookie, the gate.

A curator logs in at `/-/login` (form fields `username`, `password`, `csrftoken`) and gets
Datasette's signed `ds_actor` cookie holding `{"id": name, "role": "curator"}`, which expires
after SESSION_SECONDS; Datasette's own `/-/logout` clears it. Passwords are stored as scrypt
hashes with a per-user salt (`curators.password_hash`, migration m030_curators), and no
connection Datasette opens can read that column (`hide_password_hashes`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
import weakref
from collections import deque
from typing import Any
from urllib.parse import urlencode

from datasette.utils import baseconv
from datasette.utils.asgi import Forbidden, Response

from db import queries

DB_NAME = "newsdesk"
ROLE = "curator"
SESSION_SECONDS = 8 * 3600
# scrypt at n=2**15, r=8: 32 MiB and ~0.1 s per hash, OWASP's recommended minimum or more
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 2**26
SALT_BYTES = 16
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
# failed logins allowed per account name within FAIL_WINDOW seconds before 429
MAX_FAILURES = 5
FAIL_WINDOW = 15 * 60
_FAILURES: weakref.WeakKeyDictionary[Any, dict[str, deque[float]]] = (
    weakref.WeakKeyDictionary()
)


class AccountError(ValueError):
    """A curator name or password that cannot be accepted."""


# -- passwords ----------------------------------------------------------------------------


def check_name(name: str) -> str:
    """The name when it is a valid curator name; AccountError otherwise."""
    if not NAME.fullmatch(name or ""):
        raise AccountError(
            f"invalid curator name {name!r}: 1-64 letters, digits or . _ @ -, "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """The password when it is acceptable; AccountError otherwise (never echoes it)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=SCRYPT_MAXMEM, dklen=length)


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` of the password with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, 32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(stored: str | None, password: str) -> bool:
    """Whether password matches a hash made by hash_password (False for None or junk).

    With stored=None it still spends one hash's time, so a missing account and a wrong
    password take as long.
    """
    if stored is None:
        _scrypt(password, b"\0" * SALT_BYTES, SCRYPT_N, SCRYPT_R, SCRYPT_P, 32)
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r),
                         int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# -- the connection guard -------------------------------------------------------------------


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None,
                _source: str | None) -> int:
    if (action == sqlite3.SQLITE_READ and arg1 and arg2 and arg1.lower() == "curators"
            and arg2.lower() == "password_hash"):
        return sqlite3.SQLITE_IGNORE  # reads as NULL, in tables, views and arbitrary SQL
    return sqlite3.SQLITE_OK


def hide_password_hashes(conn: sqlite3.Connection) -> None:
    """Make curators.password_hash read as NULL on this connection (Datasette's connections)."""
    conn.set_authorizer(_authorizer)


def _stored_hash(db_path: str, name: str) -> str | None:
    """The hash from a private read-only connection: Datasette's connections cannot read it."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return queries.curator_password_hash(conn, name)
    except sqlite3.OperationalError:  # a database from before m030_curators
        return None
    finally:
        conn.close()


# -- sessions -------------------------------------------------------------------------------


def session_cookie(datasette: Any, name: str, seconds: int = SESSION_SECONDS) -> str:
    """Signed `ds_actor` value for a curator, expiring after `seconds`."""
    expires = baseconv.base62.encode(int(time.time()) + seconds)
    return datasette.sign({"a": {"id": name, "role": ROLE}, "e": expires}, "actor")


def is_curator(actor: Any) -> bool:
    """Whether an actor carries the curator role."""
    return isinstance(actor, dict) and actor.get("role") == ROLE and bool(actor.get("id"))


async def require_curator(datasette: Any, request: Any) -> str | Response:
    """The logged-in curator's name, or the answer to give: login redirect (GET) or 403.

    The account is looked up on every request, so removing a curator ends their sessions.
    """
    actor = request.actor
    if not actor:
        if request.method in ("GET", "HEAD"):
            target = datasette.urls.path("/-/login") + "?" + urlencode(
                {"next": request.full_path})
            return Response.redirect(target)
        raise Forbidden("Curators only: log in at /-/login")
    if not is_curator(actor):
        raise Forbidden("Curators only: your account cannot review labels")
    name = str(actor["id"])
    db = datasette.get_database(DB_NAME)
    try:
        exists = await db.execute_fn(lambda conn: queries.curator_exists(conn, name))
    except sqlite3.OperationalError:
        exists = False
    if not exists:
        raise Forbidden(f"There is no curator account {name!r} any more")
    return name


def _safe_next(target: str | None, default: str) -> str:
    """A local path to go to after login: never another site (no scheme, no //host)."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return default
    return target


def _throttled(datasette: Any, name: str) -> bool:
    log = _FAILURES.setdefault(datasette, {}).get(name.lower())
    if not log:
        return False
    while log and log[0] < time.monotonic() - FAIL_WINDOW:
        log.popleft()
    return len(log) >= MAX_FAILURES


def _failed(datasette: Any, name: str) -> None:
    _FAILURES.setdefault(datasette, {}).setdefault(name.lower(), deque()).append(
        time.monotonic())


# -- pages ----------------------------------------------------------------------------------


async def _login_form(datasette: Any, request: Any, *, username: str = "",
                      error: str | None = None, next_url: str = "", status: int = 200
                      ) -> Response:
    context = {"username": username, "error": error, "next_url": next_url,
               "curator": request.actor.get("id") if is_curator(request.actor) else None}
    return Response.html(
        await datasette.render_template("login.html", context, request=request),
        status=status, headers={"Cache-Control": "no-store"},
    )


async def login(datasette: Any, request: Any) -> Response:
    """GET: the login form. POST: check the password, set the session cookie, redirect.

    Returns answers rather than raising: Datasette's error handler prints the locals of
    a raising frame, and this one holds a password.
    """
    default = datasette.urls.path("/review")
    if request.method != "POST":
        return await _login_form(datasette, request,
                                 next_url=_safe_next(request.args.get("next"), default))
    form = await request.post_vars()
    # asgi-csrf lets a POST without any cookie through; a login form always has the token
    token = request.cookies.get("ds_csrftoken", "")
    if not token or not secrets.compare_digest(form.get("csrftoken", ""), token):
        return Response.text("Form expired or CSRF token missing: reload the login page.",
                             status=403)
    username = form.get("username", "").strip()
    password = form.get("password", "")
    next_url = _safe_next(form.get("next"), default)
    if not username or not password:
        return await _login_form(datasette, request, username=username, next_url=next_url,
                                 error="Enter your curator name and password.", status=400)
    if _throttled(datasette, username):
        return await _login_form(
            datasette, request, username=username, next_url=next_url, status=429,
            error=f"Too many failed logins for this account: try again in "
                  f"{FAIL_WINDOW // 60} minutes.")
    db_path = datasette.get_database(DB_NAME).path
    ok = False
    if NAME.fullmatch(username) and len(password) <= MAX_PASSWORD:
        stored = await asyncio.to_thread(_stored_hash, db_path, username)
        ok = await asyncio.to_thread(verify_password, stored, password)
    if not ok:
        _failed(datasette, username)
        return await _login_form(datasette, request, username=username, next_url=next_url,
                                 error="Wrong curator name or password.", status=401)
    response = Response.redirect(next_url)
    response.set_cookie("ds_actor", session_cookie(datasette, username),
                        max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=request.scheme == "https")
    datasette.add_message(request, f"Logged in as {username}.", datasette.INFO)
    return response


def routes() -> list[tuple[str, Any]]:
    """The login route (logout is Datasette's own `/-/logout`)."""
    return [(r"^/-/login$", login)]


def menu_links(datasette: Any, actor: Any) -> list[dict[str, str]]:
    """The review queue for curators; the login page for everyone else."""
    if is_curator(actor):
        return [{"href": datasette.urls.path("/review"), "label": "Review queue"}]
    if not actor:
        return [{"href": datasette.urls.path("/-/login"), "label": "Curator log in"}]
    return []
