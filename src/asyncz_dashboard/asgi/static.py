"""Static files served from package resources, read once, with ETag and Cache-Control.

Only files that exist in the package are known, so no request path can reach anything else
(no path traversal by construction). Conditional requests follow RFC 9110, 13.1.2 (weak
comparison for ``If-None-Match``). Text files are gzipped once when loaded and sent so to
clients that accept it (``Content-Encoding: gzip``, their own ETag, ``Vary: Accept-Encoding``).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from .compression import COMPRESSIBLE, accepts_gzip
from .exceptions import NotFound
from .request import Request
from .responses import Response

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}


GZIP_MINIMUM = 500  # bytes: smaller files are sent as they are


@dataclass(frozen=True)
class StaticFile:
    """One file: its bytes, content type and a strong ETag (a hash of the content), and for
    text files its gzip bytes (``None`` when gzip would not make it smaller)."""

    body: bytes
    content_type: str
    etag: str
    gzipped: bytes | None = None

    @property
    def gzip_etag(self) -> str:
        """The ETag of the gzip bytes: the content's, marked as another encoding."""
        return self.etag[:-1] + '-gz"'

    @classmethod
    def of(cls, body: bytes, content_type: str) -> StaticFile:
        """The file for ``body``, gzipped (level 9, no timestamp: the same bytes every start)
        when it is text of at least ``GZIP_MINIMUM`` bytes and gzip makes it smaller."""
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        gzipped = None
        if content_type.startswith(COMPRESSIBLE) and len(body) >= GZIP_MINIMUM:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
            if len(gzipped) >= len(body):
                gzipped = None
        return cls(body, content_type, etag, gzipped)


class StaticFiles:
    """All files under ``package/directory``, loaded into memory when created.

    Args:
        package: the import name of the package holding the files.
        directory: the folder inside the package.
    """

    def __init__(self, package: str, directory: str = "static"):
        self.files: dict[str, StaticFile] = {}
        self._load(files(package).joinpath(directory), "")

    def _load(self, folder: Any, prefix: str) -> None:
        for entry in folder.iterdir():
            name = f"{prefix}{entry.name}"
            if entry.is_dir():
                self._load(entry, name + "/")
                continue
            body = entry.read_bytes()
            suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
            guessed = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
            content_type = CONTENT_TYPES.get(suffix, guessed)
            self.files[name] = StaticFile.of(body, content_type)

    def version(self, path: str) -> str:
        """The content hash of ``path`` for cache-busting URLs; empty for an unknown file."""
        file = self.files.get(path)
        return file.etag.strip('"') if file else ""

    def response(self, request: Request, path: str) -> Response:
        """Answer for ``path``: the file, a 304 when the ETag matches, or ``NotFound``."""
        file = self.files.get(path)
        if file is None:
            raise NotFound("There is no such static file.")
        versioned = request.query.get("v") == file.etag.strip('"')
        cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
        body, etag = file.body, file.etag
        headers = {"cache-control": cache}
        if file.content_type.startswith(COMPRESSIBLE):
            headers["vary"] = "Accept-Encoding"
        if file.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", "")):
            body, etag = file.gzipped, file.gzip_etag
            headers["content-encoding"] = "gzip"
        headers["etag"] = etag
        if _none_match(request.headers.get("if-none-match", ""), (file.etag, file.gzip_etag)):
            headers.pop("content-encoding", None)
            return Response(b"", status=304, headers=headers)
        return Response(body, headers=headers, media_type=file.content_type)


def _none_match(header: str, etags: tuple[str, ...]) -> bool:
    """True when ``If-None-Match`` names one of ``etags`` (weak comparison: ``W/`` ignored)."""
    if header.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return not tags.isdisjoint(etags)
