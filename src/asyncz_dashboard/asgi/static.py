"""Static files served from package resources, read once, with ETag and Cache-Control.

Only files that exist in the package are known, so no request path can reach anything else
(no path traversal by construction). Conditional requests follow RFC 9110, 13.1.2.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

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


@dataclass(frozen=True)
class StaticFile:
    """One file: its bytes, content type and a strong ETag (a hash of the content)."""

    body: bytes
    content_type: str
    etag: str


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
            digest = hashlib.sha256(body).hexdigest()[:16]
            self.files[name] = StaticFile(body, content_type, f'"{digest}"')

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
        headers = {"etag": file.etag, "cache-control": cache}
        if_none_match = request.headers.get("if-none-match", "")
        if file.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match == "*":
            return Response(b"", status=304, headers=headers)
        return Response(file.body, headers=headers, media_type=file.content_type)
