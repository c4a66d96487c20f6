#!/usr/bin/env python3
"""Generates vectors/tuf1/: TUF 1.0 repositories written by python-tuf (the reference implementation).

Run by hand, with the conformance kit's venv (python-tuf 5.1, securesystemslib 1.4):

    PY=$(../shared/tuf-conformance/run.sh --python)
    $PY vectors/tuf1/generate.py            # rewrites vectors/tuf1/{repository,plain}/ completely

Everything (keys, signatures) changes with each run; tests read what is committed. See README.md.
Tests do not run this script.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from typing import Any
from urllib import parse

import securesystemslib
import tuf
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, Signature, Signer, SSlibKey
from securesystemslib.signer._utils import compute_default_keyid
from tuf.api.serialization.json import JSONSerializer
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Key,
    Metadata,
    MetaFile,
    Role,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT_OF_PROJECT = os.path.dirname(os.path.dirname(HERE))
VERIFY = os.path.join(ROOT_OF_PROJECT, "test", "interop-tuf", "ngclient_verify.py")
EXPIRES = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)


class P384Signer(Signer):
    """ecdsa-sha2-nistp384 (securesystemslib 1.4's CryptoSigner signs P-256 only, SSlibKey verifies P-384)."""

    def __init__(self) -> None:
        self._priv = ec.generate_private_key(ec.SECP384R1())
        self._pub = SSlibKey.from_crypto(self._priv.public_key(), None, "ecdsa-sha2-nistp384")

    @property
    def public_key(self) -> SSlibKey:
        return self._pub

    @classmethod
    def from_priv_key_uri(cls, *args: Any, **kwargs: Any) -> Signer:  # pragma: no cover
        raise NotImplementedError

    def sign(self, payload: bytes) -> Signature:
        return Signature(self._pub.keyid, self._priv.sign(payload, ec.ECDSA(hashes.SHA384())).hex())


def legacy_p256_signer() -> CryptoSigner:
    """A P-256 key with the pre-spec keytype "ecdsa-sha2-nistp256" (still accepted by securesystemslib)."""
    priv = ec.generate_private_key(ec.SECP256R1())
    pem = priv.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    keyval = {"public": pem}
    keyid = compute_default_keyid("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", keyval)
    return CryptoSigner(priv, SSlibKey(keyid, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", keyval))


def ed25519_signer_with_extra() -> CryptoSigner:
    """ed25519 key whose metadata entry carries an unknown field (the key id ignores it, as securesystemslib's)."""
    priv = ed25519.Ed25519PrivateKey.generate()
    plain = SSlibKey.from_crypto(priv.public_key(), None, "ed25519")
    key = SSlibKey(plain.keyid, plain.keytype, plain.scheme, dict(plain.keyval), {"x-key-note": "kept, signed"})
    return CryptoSigner(priv, key)


PRETTY = JSONSerializer(compact=False)


def write_md(md: Metadata, path: str, pretty: bool = False) -> bytes:
    """python-tuf's serializer: compact by default (``to_file``'s default), or indent 1; sorted keys,
    non-ASCII as \\u escapes. Returns the bytes written (what snapshot/timestamp hash)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    md.to_file(path, PRETTY if pretty else None)
    with open(path, "rb") as f:
        return f.read()


def sign(md: Metadata, *signers: Signer) -> Metadata:
    md.signatures.clear()
    for s in signers:
        md.sign(s, append=True)
    return md


def role_file(role: str, version: int, consistent: bool) -> str:
    name = parse.quote(role, "")
    return f"{version}.{name}.json" if consistent else f"{name}.json"


def add_target(
    tdir: str, targets: Targets, path: str, data: bytes, algos: list[str], extra: dict | None = None,
    consistent: bool = True,
) -> TargetFile:
    tf = TargetFile.from_data(path, data, algos)
    if extra:
        tf.unrecognized_fields.update(extra)
    targets.targets[path] = tf
    dirname, sep, base = path.rpartition("/")
    names = [f"{dirname}{sep}{h}.{base}" for h in tf.hashes.values()] if consistent else [path]
    for n in names:
        full = os.path.join(tdir, *n.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    return tf


def meta_of(md: Metadata, data: bytes, with_hashes: bool, extra: dict | None = None) -> MetaFile:
    mf = MetaFile.from_data(md.signed.version, data, ["sha256"]) if with_hashes else MetaFile(md.signed.version)
    if extra:
        mf.unrecognized_fields.update(extra)
    return mf


def record_canonical(out: dict, fname: str, md: Metadata) -> None:
    canon = encode_canonical(md.signed.to_dict()).encode("utf-8")
    out[fname] = {
        "signed_sha256": hashlib.sha256(canon).hexdigest(),
        "signed_length": len(canon),
        "keyids": [s.keyid for s in md.signatures.values()],
    }


def key_record(k: Key) -> dict:
    return {
        "keyid": k.keyid,
        "keytype": k.keytype,
        "scheme": k.scheme,
        "keyval": k.keyval,
        "computed_keyid": compute_default_keyid(k.keytype, k.scheme, k.keyval),
    }


def ngclient(repo: str, targets: list[str]) -> dict:
    cmd = [sys.executable, VERIFY, "--repo", repo, "--transport", "file", "--download"]
    for t in targets:
        cmd += ["--target", t]
    res = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"ngclient rejected {repo}: {res.stdout}{res.stderr}")
    return json.loads(res.stdout)


def gen_repository(out: str) -> None:
    """Consistent snapshots, every key type, root rotation 1->2->3, delegations of every kind, unknown fields."""
    meta = os.path.join(out, "metadata")
    tdir = os.path.join(out, "targets")
    canon: dict[str, Any] = {}

    r1 = CryptoSigner.generate_ed25519()
    r2 = CryptoSigner.generate_ecdsa()
    r3 = CryptoSigner.generate_rsa()  # rsassa-pss-sha256, 3072 bits
    r4 = P384Signer()
    t_key = CryptoSigner.generate_rsa(size=2048)
    s_key = P384Signer()
    ts1 = CryptoSigner.generate_ed25519()
    ts2 = CryptoSigner.generate_ecdsa()
    d1 = legacy_p256_signer()
    d2 = ed25519_signer_with_extra()
    d3 = CryptoSigner.generate_rsa(size=2048)
    b_key = CryptoSigner.generate_ed25519()

    # --- root v1 -> v2 -> v3 -------------------------------------------------------------
    def root_of(version: int, root_keys: list[Signer], thr: int, ts_key: Signer) -> Metadata[Root]:
        root = Root(version=version, expires=EXPIRES, consistent_snapshot=True)
        for s in root_keys:
            root.add_key(s.public_key, "root")
        root.roles["root"].threshold = thr
        root.add_key(t_key.public_key, "targets")
        root.add_key(s_key.public_key, "snapshot")
        root.add_key(ts_key.public_key, "timestamp")
        return Metadata(root)

    v1 = root_of(1, [r1, r2], 2, ts1)
    sign(v1, r1, r2)
    v2 = root_of(2, [r2, r3], 2, ts1)
    sign(v2, r1, r2, r3)  # old threshold (r1+r2) and new (r2+r3)
    v3 = root_of(3, [r3, r4], 1, ts2)  # timestamp key rotated, root threshold lowered
    v3.signed.unrecognized_fields["x-root-extra"] = {"list": [1, "two", None, True], "nested": {"b": 2, "a": 1}}
    v3.signed.roles["targets"].unrecognized_fields["x-role-extra"] = "kept"
    sign(v3, r2, r3, r4)  # old threshold (r2+r3) and new (r3 or r4)
    for md in (v1, v2, v3):
        fname = role_file("root", md.signed.version, True)
        write_md(md, os.path.join(meta, fname), pretty=md is v2)
        record_canonical(canon, fname, md)

    # --- delegated roles -----------------------------------------------------------------
    def targets_md(version: int) -> Metadata[Targets]:
        return Metadata(Targets(version=version, expires=EXPIRES))

    paths_role = targets_md(2)
    add_target(tdir, paths_role.signed, "files/a.bin", bytes(range(256)) * 4, ["sha256", "sha512"])
    add_target(tdir, paths_role.signed, "docs/guide.txt", b"the guide\n", ["sha256"])
    add_target(tdir, paths_role.signed, "docs/guide.md", b"not delegated to paths-role\n", ["sha256"])
    nested = targets_md(1)
    add_target(tdir, nested.signed, "files/nested/deep.txt", b"deep\n", ["sha256"], {"custom": {"depth": 2}})
    paths_role.signed.delegations = Delegations(
        keys={d2.public_key.keyid: d2.public_key},
        roles={"nested": DelegatedRole("nested", [d2.public_key.keyid], 1, False, paths=["files/nested/*"])},
    )

    prefix_target = "prefixed.dat"
    prefix = hashlib.sha256(prefix_target.encode()).hexdigest()[:4]
    prefix_role = targets_md(1)
    add_target(tdir, prefix_role.signed, prefix_target, b"found by hash prefix\n", ["sha256"])

    term_role = targets_md(1)
    add_target(tdir, term_role.signed, "term/x.txt", b"x from the terminating role\n", ["sha256"])
    after_term = targets_md(1)
    add_target(tdir, after_term.signed, "term/x.txt", b"x from after-term: must never win\n", ["sha256"])
    add_target(tdir, after_term.signed, "term/y.txt", b"unreachable behind a terminating role\n", ["sha256"])
    add_target(tdir, after_term.signed, "late/z.txt", b"reachable: term/* does not match late/*\n", ["sha256"])

    bins_delegator = targets_md(1)
    succinct = SuccinctRoles([b_key.public_key.keyid], 1, bit_length=2, name_prefix="bin")
    succinct.unrecognized_fields["x-succinct-extra"] = 7
    bins_delegator.signed.delegations = Delegations(
        keys={b_key.public_key.keyid: b_key.public_key}, roles=None, succinct_roles=succinct
    )
    bins: dict[str, Metadata[Targets]] = {name: targets_md(1) for name in succinct.get_roles()}
    for i, name in enumerate(["bins/one", "bins/two", "bins/three", "bins/four", "bins/five"]):
        add_target(tdir, bins[succinct.get_role_for_target(name)].signed, name, f"bin target {i}\n".encode(), ["sha256"])

    # --- top-level targets ---------------------------------------------------------------
    top = targets_md(2)
    add_target(tdir, top.signed, "file1.txt", b"hello from python-tuf\n", ["sha256", "sha512"],
               {"custom": {"note": "top-level", "n": 1, "list": ["a", {"z": None}]}, "x-target-extra": True})
    add_target(tdir, top.signed, "unicode/\u00fcn\u00ef-\u65e5\u672c.txt", "caf\u00e9\n".encode(), ["sha256"],
               {"custom": {"quote\"back\\slash": "ctl\u0007 \u2028 <&> \u00e9"}})
    add_target(tdir, top.signed, "empty", b"", ["sha256"])
    top.signed.unrecognized_fields["x-targets-extra"] = {"k": "v"}
    dkeys = {s.public_key.keyid: s.public_key for s in (d1, d2, d3)}
    roles = {
        "paths-role": DelegatedRole("paths-role", [d1.public_key.keyid], 1, False,
                                    paths=["files/*", "files/nested/*", "docs/*.txt"],
                                    unrecognized_fields={"x-deleg-extra": "kept"}),
        "prefix-role": DelegatedRole("prefix-role", [d2.public_key.keyid], 1, False, path_hash_prefixes=[prefix]),
        "term/role one": DelegatedRole("term/role one", [d1.public_key.keyid, d3.public_key.keyid], 2, True,
                                       paths=["term/*"]),
        "after-term": DelegatedRole("after-term", [d2.public_key.keyid], 1, False, paths=["term/*", "late/*"]),
        "bins-delegator": DelegatedRole("bins-delegator", [d2.public_key.keyid], 1, False, paths=["bins/*"]),
    }
    top.signed.delegations = Delegations(keys=dkeys, roles=roles, unrecognized_fields={"x-delegations-extra": 0})

    signed_by = {
        "targets": (top, [t_key]),
        "paths-role": (paths_role, [d1]),
        "nested": (nested, [d2]),
        "prefix-role": (prefix_role, [d2]),
        "term/role one": (term_role, [d1, d3]),
        "after-term": (after_term, [d2]),
        "bins-delegator": (bins_delegator, [d2]),
        **{name: (md, [b_key]) for name, md in bins.items()},
    }
    snapshot = Metadata(Snapshot(version=3, expires=EXPIRES))
    for role, (md, signers) in signed_by.items():
        sign(md, *signers)
        fname = role_file(role, md.signed.version, True)
        data = write_md(md, os.path.join(meta, fname), pretty=role in ("targets", "nested"))
        record_canonical(canon, fname, md)
        # meta entries: hashes+length on some (optional fields), an unknown field on one
        snapshot.signed.meta[f"{role}.json"] = meta_of(
            md, data, with_hashes=role in ("targets", "term/role one"),
            extra={"x-meta-extra": [role]} if role == "paths-role" else None,
        )
    sign(snapshot, s_key)
    fname = role_file("snapshot", 3, True)
    snapshot_bytes = write_md(snapshot, os.path.join(meta, fname), pretty=True)
    record_canonical(canon, fname, snapshot)

    timestamp = Metadata(Timestamp(version=4, expires=EXPIRES, snapshot_meta=meta_of(snapshot, snapshot_bytes, True)))
    timestamp.unrecognized_fields["x-envelope-extra"] = "outside signed: not covered by signatures"
    sign(timestamp, ts2)
    write_md(timestamp, os.path.join(meta, "timestamp.json"))
    record_canonical(canon, "timestamp.json", timestamp)

    # test-only private keys, so tests can continue this repository with our writer
    keys_dir = os.path.join(out, "private-keys-test-only")
    os.makedirs(keys_dir)
    for signer in (r1, r2, r3, r4, t_key, s_key, ts1, ts2, d1, d2, d3, b_key):
        priv = signer._priv if isinstance(signer, P384Signer) else signer._private_key
        with open(os.path.join(keys_dir, f"{signer.public_key.keyid}.pem"), "wb") as f:
            f.write(priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))

    keys = {}
    for md in (v1, v2, v3):
        for k in md.signed.keys.values():
            keys[k.keyid] = key_record(k)
    for md, _ in signed_by.values():
        if md.signed.delegations:
            for k in md.signed.delegations.keys.values():
                keys[k.keyid] = key_record(k)
    queries = [
        "file1.txt", "unicode/\u00fcn\u00ef-\u65e5\u672c.txt", "empty",
        "files/a.bin", "docs/guide.txt", "docs/guide.md", "files/nested/deep.txt", "files/nested/other.txt",
        prefix_target, "term/x.txt", "term/y.txt", "late/z.txt",
        "bins/one", "bins/two", "bins/three", "bins/four", "bins/five", "bins/six", "missing",
    ]
    finish(out, canon, keys, queries, extra={"hash_prefix_of_prefixed.dat": prefix})


def gen_plain(out: str) -> None:
    """No consistent snapshots; ed25519 only (deterministic signatures: the private keys are committed)."""
    meta = os.path.join(out, "metadata")
    tdir = os.path.join(out, "targets")
    canon: dict[str, Any] = {}
    privs = {r: ed25519.Ed25519PrivateKey.generate() for r in ("root", "targets", "snapshot", "timestamp")}
    signers = {r: CryptoSigner(p, SSlibKey.from_crypto(p.public_key(), None, "ed25519")) for r, p in privs.items()}
    root = Root(version=1, expires=EXPIRES, consistent_snapshot=False)
    for r, s in signers.items():
        root.add_key(s.public_key, r)
    rmd = sign(Metadata(root), signers["root"])
    top = Metadata(Targets(version=1, expires=EXPIRES))
    add_target(tdir, top.signed, "a.txt", b"plain a\n", ["sha256"], {"custom": {"mediaType": "text/plain"}},
               consistent=False)
    add_target(tdir, top.signed, "dir/b.txt", b"plain b\n", ["sha256", "sha512"], consistent=False)
    sign(top, signers["targets"])
    snap = Metadata(Snapshot(version=1, expires=EXPIRES))
    snap.signed.meta["targets.json"] = MetaFile(1)
    sign(snap, signers["snapshot"])
    ts = Metadata(Timestamp(version=1, expires=EXPIRES, snapshot_meta=MetaFile(1)))
    sign(ts, signers["timestamp"])
    for fname, md in (("1.root.json", rmd), ("root.json", rmd), ("targets.json", top),
                      ("snapshot.json", snap), ("timestamp.json", ts)):
        write_md(md, os.path.join(meta, fname))
        record_canonical(canon, fname, md)
    keys_dir = os.path.join(out, "private-keys-test-only")
    os.makedirs(keys_dir)
    for r, p in privs.items():
        with open(os.path.join(keys_dir, f"{r}.pem"), "wb") as f:
            f.write(p.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    keys = {s.public_key.keyid: key_record(s.public_key) for s in signers.values()}
    finish(out, canon, keys, ["a.txt", "dir/b.txt", "missing"])


def finish(out: str, canon: dict, keys: dict, queries: list[str], extra: dict | None = None) -> None:
    result = ngclient(out, queries)
    dump(os.path.join(out, "expected.json"), {"ngclient": result, "queries": queries, **(extra or {})})
    dump(os.path.join(out, "canonical.json"), canon)
    dump(os.path.join(out, "keys.json"), keys)


def dump(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def main() -> None:
    for name, gen in (("repository", gen_repository), ("plain", gen_plain)):
        out = os.path.join(HERE, name)
        shutil.rmtree(out, ignore_errors=True)
        gen(out)
        print(f"wrote {os.path.relpath(out, ROOT_OF_PROJECT)}")
    dump(os.path.join(HERE, "info.json"), {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "python-tuf": tuf.__version__,
        "securesystemslib": securesystemslib.__version__,
        "generator": "vectors/tuf1/generate.py",
    })


if __name__ == "__main__":
    main()
