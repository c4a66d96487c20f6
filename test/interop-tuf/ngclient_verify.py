#!/usr/bin/env python3
"""python-tuf's ngclient as an oracle for a TUF 1.0 repository on disk.

Given a repository directory (``metadata/`` and ``targets/`` inside, the layout
python-tuf's own examples and our writer use), this runs python-tuf's
``Updater``: ``refresh()``, then ``get_targetinfo()`` (and, with
``--download``, ``download_target()``) for every ``--target``, and prints one
JSON object on stdout:

    {"ok": true,
     "versions": {"root": N, "timestamp": N, "snapshot": N, "targets": N},
     "targets": {"<name>": null | {"length": N, "hashes": {...}, "custom": {...}|null,
                                   "downloaded": {"length": N, "sha256": "..."}}}}

On a TUF error it prints ``{"ok": false, "error": "<class>", "message": "..."}``
and exits 1. Usage errors exit 2.

Transport: by default the repository is served by a loopback HTTP server
(``http.server`` on 127.0.0.1, ephemeral port) and fetched with python-tuf's
own ``RequestsFetcher``, the path real clients take. ``--transport file``
reads files directly with a small fetcher instead (no sockets).

The trusted root is ``--root FILE`` (default: ``metadata/1.root.json`` of the
repository, i.e. trust on first use of version 1, then the spec's root walk).
``--cache DIR`` keeps ngclient's trusted metadata between runs (the update path:
rollback and fast-forward checks against the previous state). ``--serve`` only
serves the repository (bench/: one server for both clients). ``ms`` in the
output: refresh + lookups, and lookups alone, in-process.

Run with the conformance kit's venv:
    PY=$(../shared/tuf-conformance/run.sh --python)
    $PY test/interop-tuf/ngclient_verify.py --repo DIR --target a.txt --download
This is a tool for CI and for generating vectors; the project's tests do not need it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from urllib import parse

from tuf.api import exceptions
from tuf.ngclient import Updater, UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface


def local_path(root: str, url_path: str) -> str | None:
    """File for a request path: ``/metadata/<name>`` names a metadata file by its raw, still
    percent-encoded name (ngclient asks for ``N.<quoted role>.json`` and python-tuf stores
    metadata under the quoted name, as our writer does); ``/targets/<path>`` is unquoted once
    (target paths are not quoted by ngclient, but non-ASCII is by the HTTP client)."""
    if url_path.startswith("/metadata/"):
        name = url_path[len("/metadata/"):]
        if not name or "/" in name or name in (".", ".."):
            return None
        return os.path.join(root, "metadata", name)
    if url_path.startswith("/targets/"):
        parts = parse.unquote(url_path[len("/targets/"):]).split("/")
        if any(p in ("", ".", "..") for p in parts):
            return None
        return os.path.join(root, "targets", *parts)
    return None


class FileFetcher(FetcherInterface):
    """Maps ``file://`` URLs under the repository to files (see ``local_path``); a missing file
    is an HTTP 404, which ngclient's root walk needs."""

    def __init__(self, root: str) -> None:
        self._root = os.path.abspath(root)
        self._prefix = "file://" + parse.quote(self._root)

    @property
    def base(self) -> str:
        return self._prefix

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith(self._prefix + "/"):
            raise exceptions.DownloadError(f"not a URL of the repository: {url}")
        path = local_path(self._root, url[len(self._prefix):])
        if path is None:
            raise exceptions.DownloadHTTPError(f"bad path: {url}", 404)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError as e:
            raise exceptions.DownloadHTTPError(f"not found: {path}", 404) from e
        return iter([data])


class _Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        found = local_path(self.directory, path.split("?", 1)[0].split("#", 1)[0])
        return found if found is not None else os.path.join(self.directory, "\0missing")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(directory: str) -> Iterator[str]:
    """Serves ``directory`` on 127.0.0.1 (ephemeral port); yields the base URL."""
    handler = functools.partial(_Handler, directory=os.path.abspath(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def target_json(info, downloaded: bytes | None) -> dict:
    d = {"length": info.length, "hashes": dict(info.hashes), "custom": info.custom}
    if downloaded is not None:
        d["downloaded"] = {"length": len(downloaded), "sha256": hashlib.sha256(downloaded).hexdigest()}
    return d


def run(
    repo: str, root: str, targets: list[str], download: bool, transport: str, base_url: str | None,
    cache: str | None = None,
) -> dict:
    work = tempfile.mkdtemp(prefix="ngclient-verify-")
    try:
        meta_dir = cache or os.path.join(work, "metadata")
        dl_dir = os.path.join(work, "downloads")
        os.makedirs(meta_dir, exist_ok=True)
        os.makedirs(dl_dir)
        if not os.path.exists(os.path.join(meta_dir, "root.json")):
            shutil.copyfile(root, os.path.join(meta_dir, "root.json"))
        with contextlib.ExitStack() as stack:
            if transport == "file":
                fetcher = FileFetcher(repo)
                base = fetcher.base
            else:
                base = base_url or stack.enter_context(serve(repo))
                fetcher = None
            updater = Updater(
                metadata_dir=meta_dir,
                metadata_base_url=f"{base}/metadata/",
                target_dir=dl_dir,
                target_base_url=f"{base}/targets/",
                fetcher=fetcher,
                config=UpdaterConfig(),
            )
            started = time.perf_counter()
            updater.refresh()
            ts = updater._trusted_set  # versions only, for the report
            versions = {
                "root": ts.root.version,
                "timestamp": ts.timestamp.version,
                "snapshot": ts.snapshot.version,
                "targets": ts.targets.version,
            }
            out: dict[str, object] = {}
            lookup_ms = 0.0
            for name in targets:
                t0 = time.perf_counter()
                info = updater.get_targetinfo(name)
                lookup_ms += (time.perf_counter() - t0) * 1000
                if info is None:
                    out[name] = None
                    continue
                data = None
                if download:
                    path = updater.download_target(info, os.path.join(dl_dir, parse.quote(name, "")))
                    with open(path, "rb") as f:
                        data = f.read()
                out[name] = target_json(info, data)
            refresh_ms = (time.perf_counter() - started) * 1000
            return {"ok": True, "versions": versions, "targets": out, "ms": {"refresh_and_lookup": refresh_ms,
                                                                               "lookup": lookup_ms}}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", required=True, help="repository dir with metadata/ and targets/")
    p.add_argument("--root", help="trusted root file (default: REPO/metadata/1.root.json)")
    p.add_argument("--target", action="append", default=[], help="target path to resolve (repeatable)")
    p.add_argument("--download", action="store_true", help="also download each found target")
    p.add_argument("--transport", choices=["http", "file"], default="http")
    p.add_argument("--base-url", help="use this server instead of serving --repo (http transport)")
    p.add_argument("--cache", help="ngclient's metadata dir, kept between runs (an update from an older state)")
    p.add_argument("--serve", action="store_true",
                   help="only serve --repo on 127.0.0.1 (prints the base URL, runs until stdin closes)")
    a = p.parse_args(argv)
    if a.serve:
        with serve(a.repo) as url:
            print(url, flush=True)
            sys.stdin.read()
        return 0
    root = a.root or os.path.join(a.repo, "metadata", "1.root.json")
    if not os.path.isdir(a.repo) or not os.path.isfile(root):
        print(json.dumps({"ok": False, "error": "Usage", "message": "no such repository or root file"}))
        return 2
    try:
        result = run(a.repo, root, a.target, a.download, a.transport, a.base_url, a.cache)
    except (exceptions.RepositoryError, exceptions.DownloadError, ValueError) as e:
        print(json.dumps({"ok": False, "error": type(e).__name__, "message": str(e)}))
        return 1
    print(json.dumps(result, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
