"""Addresses as a message, a log line or an artifact may show them: without their secrets.

An API's address may carry a user and password (``http://user:pw@host/api``) or a token in its query
(``?token=…``), as a database URL may; :func:`shown` replaces each secret with ``***`` and leaves the rest,
so that an operator still sees which address failed.

A file of a folder source is named, in what a department reads (its report, its error reports), by its path in
the landing zone (``finance/2022/…/payments.csv``), not by the server's: :func:`landing_roots` and
:func:`without_server_paths`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query keys whose values are secrets (compared lower-cased).
SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "sslpassword", "token", "access_token", "api_key",
                               "apikey", "key", "secret", "signature", "sig"})
MASK = "***"


def shown(address: str) -> str:
    """``address`` with the password of its user and any secret query value replaced by ``***``:
    ``shown("http://u:pw@h/api?token=t&page=2") == "http://u:***@h/api?token=***&page=2"``. Text that is not
    an address with a scheme and a host is returned as it is."""
    try:
        parts = urlsplit(address)
    except ValueError:
        return address
    if not parts.scheme or not parts.netloc:
        return address
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_QUERY_KEYS for k, _ in pairs):
            query = urlencode([(k, MASK if k.lower() in SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def has_secret(address: str) -> bool:
    """Whether :func:`shown` hides anything of ``address``."""
    return shown(address) != address


def landing_roots(locations: dict[str, str], landing_zone: str) -> dict[str, str]:
    """Folder sources' absolute paths → how the report names them: relative to the landing zone
    (``finance/``), or the source's name when it lives elsewhere. URLs are left out."""
    zone = Path(landing_zone).resolve()
    roots: dict[str, str] = {}
    for name, location in locations.items():
        if "://" in location:
            continue
        path = Path(location).resolve()
        named = path.relative_to(zone).as_posix() if path.is_relative_to(zone) else name
        roots[str(path)] = named
        roots[location.rstrip("/")] = named
    return roots


def without_server_paths(text: str, roots: Mapping[str, str]) -> str:
    """``text`` with each root's path replaced by its name in the landing zone, longest first."""
    for root in sorted(roots, key=len, reverse=True):
        text = text.replace(root + "/", roots[root].rstrip("/") + "/" if roots[root] not in ("", ".") else "")
    return text
