#!/usr/bin/env python3
"""python-tuf's ngclient over registry-hosted trust data (docs/registry-layout.md).

A small fetcher maps TUF metadata file names to layers of the metadata manifest, as docker/attest's
RegistryFetcher does: `<base>/<file>` -> the layer annotated `tuf.io/filename: <file>` of
`<repo>:<tag>` (or, for a delegated role missing there, of `<repo>:<role>`, Docker's layout), fetched
as a blob by digest. Runs in the venv of ../shared/tuf-conformance (python-tuf 5.1).

  registry_tuf.py verify --registry URL --repository REPO [--tag TAG] --root ROOT.json
                         --metadata-dir DIR TARGET...
      refresh, then print {"<target>": {"length": N, "sha256": HEX, "custom": {...}}} as JSON;
      exit 1 with the python-tuf error on stderr when anything fails.

  registry_tuf.py make-repo --out DIR [--expires-days N] TARGET=sha256:HEX:LENGTH...
      write a python-tuf-signed repository (ed25519 keys, consistent snapshots, a delegated role
      `targets/releases` holding the targets) as files named as in the layout; prints the root.

Only the standard library and python-tuf are used; anonymous bearer tokens are fetched when the
registry asks for them (pull access needs no credentials on the test labs).
"""

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient import FetcherInterface, Updater

FILENAME = "tuf.io/filename"
TUF_MEDIA_TYPE = "application/vnd.tuf.metadata+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TOP_LEVEL = {"root", "timestamp", "snapshot", "targets"}


class RegistryFetcher(FetcherInterface):
    def __init__(self, registry: str, repository: str, tag: str):
        self.registry = registry.rstrip("/")
        self.repository = repository
        self.tag = tag
        self.manifests: dict = {}
        self.token = None

    def _get(self, url: str, accept: str = "") -> bytes:
        for attempt in range(2):
            req = urllib.request.Request(url)
            if accept:
                req.add_header("Accept", accept)
            if self.token:
                req.add_header("Authorization", "Bearer " + self.token)
            try:
                with urllib.request.urlopen(req, timeout=30) as res:
                    return res.read()
            except urllib.error.HTTPError as e:
                if e.code == 401 and attempt == 0 and self._authenticate(e.headers.get("WWW-Authenticate", "")):
                    continue
                raise DownloadHTTPError(f"{url}: HTTP {e.code}", e.code) from e
        raise DownloadHTTPError(f"{url}: unauthorized", 401)

    def _authenticate(self, header: str) -> bool:
        if not header.lower().startswith("bearer "):
            return False
        params = dict(p.split("=", 1) for p in header[7:].split(",") if "=" in p)
        params = {k.strip(): v.strip().strip('"') for k, v in params.items()}
        realm = params.pop("realm", None)
        if not realm:
            return False
        with urllib.request.urlopen(realm + "?" + urllib.parse.urlencode(params), timeout=30) as res:
            body = json.loads(res.read())
        self.token = body.get("token") or body.get("access_token")
        return bool(self.token)

    def _manifest(self, tag: str):
        if tag not in self.manifests:
            try:
                raw = self._get(f"{self.registry}/v2/{self.repository}/manifests/{tag}", OCI_MANIFEST)
            except DownloadHTTPError as e:
                if e.status_code != 404:
                    raise
                self.manifests[tag] = None
            else:
                doc = json.loads(raw)
                if doc.get("mediaType") != OCI_MANIFEST:
                    raise ValueError(f"{tag}: not an OCI image manifest")
                files = {}
                for layer in doc.get("layers", []):
                    name = (layer.get("annotations") or {}).get(FILENAME)
                    if layer.get("mediaType") != TUF_MEDIA_TYPE or not name:
                        raise ValueError(f"{tag}: layer that is not TUF metadata")
                    if name in files:
                        raise ValueError(f"{tag}: two layers named {name}")
                    files[name] = layer
                self.manifests[tag] = files
        return self.manifests[tag]

    def _fetch(self, url: str):
        name = url.rsplit("/", 1)[1]
        files = self._manifest(self.tag)
        layer = files.get(name) if files is not None else None
        if layer is None and files is not None:
            stem = name[: -len(".json")]
            role = urllib.parse.unquote(stem.split(".", 1)[1] if stem.split(".", 1)[0].isdigit() else stem)
            if role not in TOP_LEVEL and "/" not in role:
                other = self._manifest(role)
                layer = other.get(name) if other else None
        if layer is None:
            raise DownloadHTTPError(f"{name} is not in {self.repository}:{self.tag}", 404)
        data = self._get(f"{self.registry}/v2/{self.repository}/blobs/{layer['digest']}")
        if len(data) != layer["size"] or "sha256:" + hashlib.sha256(data).hexdigest() != layer["digest"]:
            raise ValueError(f"{name}: blob does not match its descriptor")
        yield data


def verify(args) -> int:
    os.makedirs(args.metadata_dir, exist_ok=True)
    root_path = os.path.join(args.metadata_dir, "root.json")
    if not os.path.exists(root_path):
        with open(args.root, "rb") as src, open(root_path, "wb") as dst:
            dst.write(src.read())
    fetcher = RegistryFetcher(args.registry, args.repository, args.tag)
    updater = Updater(args.metadata_dir, "https://registry.invalid/metadata/", fetcher=fetcher)
    updater.refresh()
    out = {}
    for target in args.targets:
        info = updater.get_targetinfo(target)
        if info is None:
            print(f"{target}: not signed", file=sys.stderr)
            return 1
        out[target] = {"length": info.length, "sha256": info.hashes.get("sha256"), "custom": info.custom}
    print(json.dumps(out, sort_keys=True))
    return 0


def make_repo(args) -> int:
    from securesystemslib.signer import CryptoSigner
    from tuf.api.metadata import (
        DelegatedRole,
        Delegations,
        Metadata,
        MetaFile,
        Root,
        Snapshot,
        TargetFile,
        Targets,
        Timestamp,
    )

    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=args.expires_days)
    signers = {r: CryptoSigner.generate_ed25519() for r in ["root", "targets", "snapshot", "timestamp", "releases"]}
    root = Metadata(Root(expires=expires, consistent_snapshot=True))
    for role in ["root", "targets", "snapshot", "timestamp"]:
        root.signed.add_key(signers[role].public_key, role)
    targets = Metadata(Targets(expires=expires))
    releases = Metadata(Targets(expires=expires))
    for spec in args.targets:
        name, digest = spec.split("=", 1)
        _, hexdigest, length = digest.split(":")
        releases.signed.targets[name] = TargetFile(
            int(length), {"sha256": hexdigest}, name, {"mediaType": "application/vnd.oci.image.manifest.v1+json"}
        )
    key = signers["releases"].public_key
    targets.signed.delegations = Delegations(
        keys={key.keyid: key},
        roles={"targets/releases": DelegatedRole("targets/releases", [key.keyid], 1, False, paths=["*"])},
    )
    snapshot = Metadata(Snapshot(expires=expires))
    snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
    snapshot.signed.meta["targets/releases.json"] = MetaFile(version=releases.signed.version)
    timestamp = Metadata(Timestamp(expires=expires))
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
    root.sign(signers["root"])
    targets.sign(signers["targets"])
    releases.sign(signers["releases"])
    snapshot.sign(signers["snapshot"])
    timestamp.sign(signers["timestamp"])
    os.makedirs(args.out, exist_ok=True)
    files = {
        "1.root.json": root,
        "1.targets.json": targets,
        "1.targets%2Freleases.json": releases,
        "1.snapshot.json": snapshot,
        "timestamp.json": timestamp,
    }
    for name, md in files.items():
        md.to_file(os.path.join(args.out, name))
    print(os.path.join(args.out, "1.root.json"))
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--registry", required=True)
    v.add_argument("--repository", required=True)
    v.add_argument("--tag", default="tuf-metadata")
    v.add_argument("--root", required=True)
    v.add_argument("--metadata-dir", required=True)
    v.add_argument("targets", nargs="+")
    m = sub.add_parser("make-repo")
    m.add_argument("--out", required=True)
    m.add_argument("--expires-days", type=int, default=30)
    m.add_argument("targets", nargs="*")
    args = p.parse_args()
    try:
        return verify(args) if args.cmd == "verify" else make_repo(args)
    except Exception as e:  # noqa: BLE001 - the caller reads stderr
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
