/**
 * Forged repositories for attack tests: Notary-shaped metadata whose every key
 * the test owns. Keys and signatures come straight from node:crypto (ECDSA
 * P-256 with raw r||s, ed25519), root keys are self-signed certificates made by
 * `openssl req -x509` (CN = GUN, as Notary requires), and documents are
 * serialised with the library's canonical encoder (signed bytes) and Go wire
 * encoder (envelope), exactly what notary-server would serve.
 *
 * `Forge.build()` returns a consistent set (root, delegations, targets,
 * snapshot, timestamp) from the forge's state; overrides change the signers or
 * the body of one role *before* its parent hashes it, so that an attack on a
 * child reaches the child's own checks.
 */

import { spawnSync } from 'node:child_process';
import {
  constants,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/encoding/canonical.js';
import { type WireSignature, wireBytes } from '../../src/encoding/wire.js';

export type JsonObject = Record<string, unknown>;
export type KeyAlg = 'ecdsa' | 'ed25519' | 'rsa';

const DAY_MS = 24 * 3600_000;

/** Go RFC3339 text (no fractional seconds) for an instant. */
export function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const sha = (alg: 'sha256' | 'sha512', b: Uint8Array) => createHash(alg).update(b).digest();

/** `{hashes:{sha256,sha512},length}` as Notary lists metadata files. */
export function fileMeta(bytes: Uint8Array): { hashes: { sha256: string; sha512: string }; length: number } {
  return {
    hashes: {
      sha256: sha('sha256', bytes).toString('base64'),
      sha512: sha('sha512', bytes).toString('base64'),
    },
    length: bytes.length,
  };
}

/** A key the test owns. */
export class TestKey {
  readonly id: string;
  constructor(
    readonly keytype: string,
    readonly publicB64: string,
    readonly method: string,
    private readonly privateKey: KeyObject,
  ) {
    this.id = keyIdOf(keytype, publicB64);
  }

  json(): JsonObject {
    return { keytype: this.keytype, keyval: { private: null, public: this.publicB64 } };
  }

  /** The private key as PKCS#8 PEM (to certify the same key again). */
  privatePem(): string {
    return this.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  signBytes(message: Uint8Array): Buffer {
    if (this.method === 'eddsa') return sign(null, message, this.privateKey);
    if (this.method === 'rsapss') {
      return sign('sha256', message, {
        key: this.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    }
    return sign('sha256', message, { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
  }

  /** A signature over canonical JSON of `body`. */
  signature(body: unknown): WireSignature {
    const message = Buffer.from(canonicalJson(body), 'utf8');
    return { keyid: this.id, method: this.method, sig: this.signBytes(message).toString('base64') };
  }
}

/** Notary's key id: hex sha256 of canonical `{"keytype":T,"keyval":{"private":null,"public":B64}}`. */
export function keyIdOf(keytype: string, publicB64: string): string {
  const canonical = `{"keytype":"${keytype}","keyval":{"private":null,"public":"${publicB64}"}}`;
  return createHash('sha256').update(canonical).digest('hex');
}

/** A fresh ecdsa (P-256, SPKI DER), ed25519 (32 raw bytes) or rsa (SPKI DER, rsapss) key. */
export function newKey(alg: KeyAlg = 'ecdsa', rsaBits = 2048): TestKey {
  if (alg === 'rsa') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: rsaBits });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    return new TestKey('rsa', spki.toString('base64'), 'rsapss', privateKey);
  }
  if (alg === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    return new TestKey('ed25519', raw.toString('base64'), 'eddsa', privateKey);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return new TestKey('ecdsa', spki.toString('base64'), 'ecdsa', privateKey);
}

/** A root key: an ECDSA P-256 self-signed certificate for `gun`, made by openssl. */
export function newRootKey(gun: string, days = 3650): TestKey {
  return certifyKey(undefined, gun, days);
}

/**
 * An `ecdsa-x509` key: a self-signed certificate for `gun` over `key`'s private key (a fresh P-256
 * key when undefined). Certifying the same key twice gives two key ids for one key.
 */
export function certifyKey(key: TestKey | undefined, gun: string, days = 3650): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'ct-forge-root-'));
  try {
    const cnf = join(dir, 'req.cnf');
    writeFileSync(
      cnf,
      '[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=x\n' +
        '[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
        'extendedKeyUsage=codeSigning\n',
    );
    if (key) writeFileSync(join(dir, 'key.pem'), key.privatePem(), { mode: 0o600 });
    const keyArgs = key
      ? ['-key', join(dir, 'key.pem')]
      : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem')];
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        ...keyArgs,
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        String(days),
        '-config',
        cnf,
        '-subj',
        `/CN=${gun.replace(/\//g, '\\/')}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.status !== 0) throw new Error(`openssl req -x509 failed: ${r.stderr}`);
    const cert = readFileSync(join(dir, 'cert.pem'));
    const priv = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    return new TestKey('ecdsa-x509', cert.toString('base64'), 'ecdsa', priv);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wire bytes of `{"signed":body,"signatures":sigs}` as Notary writes them. */
export function envelope(body: unknown, signatures: readonly WireSignature[] | null): Uint8Array {
  return wireBytes(canonicalJson(body), signatures);
}

/** `body` signed by each of `keys`. */
export function signedFile(body: unknown, keys: readonly TestKey[]): Uint8Array {
  return envelope(
    body,
    keys.map((k) => k.signature(body)),
  );
}

/** Body and signatures of wire bytes (for re-signing genuine metadata). */
export function openFile(bytes: Uint8Array): { signed: JsonObject; signatures: WireSignature[] } {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as {
    signed: JsonObject;
    signatures: WireSignature[];
  };
}

export interface ForgedDelegation {
  name: string;
  keys: TestKey[];
  threshold: number;
  paths: string[];
  targets: Record<string, JsonObject>;
  version: number;
}

export type Role = string;

export interface BuildOverrides {
  /** Keys that sign a role (default: the role's keys). */
  signers?: Record<Role, readonly TestKey[]>;
  /** Signatures to use verbatim for a role, given its final body. */
  signatures?: Record<Role, (body: JsonObject) => WireSignature[]>;
  /** Edits a role's body before it is signed. */
  edit?: Record<Role, (body: JsonObject) => void>;
  /** Bytes served for a role instead of the signed document; its parent hashes these bytes. */
  replace?: Record<Role, Uint8Array>;
}

const TOP = ['root', 'targets', 'snapshot', 'timestamp'] as const;
type Top = (typeof TOP)[number];

export class Forge {
  readonly keys: Record<Top, TestKey[]>;
  readonly thresholds: Record<Top, number> = { root: 1, targets: 1, snapshot: 1, timestamp: 1 };
  readonly versions: Record<Top, number> = { root: 1, targets: 1, snapshot: 1, timestamp: 1 };
  /** Expiry instants (ms) per role; default a year after `baseMs`. */
  readonly expiresMs: Record<Role, number> = {};
  readonly targets: Record<string, JsonObject> = {};
  readonly delegations: ForgedDelegation[] = [];
  /** Extra keys listed in root.json's `keys` without a role (or overriding the role's keys). */
  readonly extraRootKeys: Record<string, JsonObject> = {};
  readonly baseMs: number;
  #lastRoot: { key: string; bytes: Uint8Array } | undefined;

  constructor(
    readonly gun: string,
    options: { nowMs?: number; alg?: KeyAlg } = {},
  ) {
    this.baseMs = options.nowMs ?? Date.now();
    const alg = options.alg ?? 'ecdsa';
    this.keys = {
      root: [newRootKey(gun)],
      targets: [newKey(alg)],
      snapshot: [newKey(alg)],
      timestamp: [newKey(alg)],
    };
  }

  expires(role: Role): string {
    return goTime(this.expiresMs[role] ?? this.baseMs + 365 * DAY_MS);
  }

  /** Adds (or changes) a tag signed by `role` (`targets` or a delegation); returns its digest and size. */
  tag(name: string, content = `content of ${name}`, role = 'targets'): { digest: string; size: number } {
    const bytes = Buffer.from(content, 'utf8');
    const meta = { hashes: { sha256: sha('sha256', bytes).toString('base64') }, length: bytes.length };
    if (role === 'targets') this.targets[name] = meta;
    else {
      const d = this.delegations.find((x) => x.name === role);
      if (!d) throw new Error(`no delegation ${role}`);
      d.targets[name] = meta;
    }
    return { digest: `sha256:${sha('sha256', bytes).toString('hex')}`, size: bytes.length };
  }

  /** Delegates `name` (`targets/x`, or deeper: its parent must be delegated too) to `keys`. */
  delegate(name: string, keys: TestKey[], threshold = 1, paths: string[] = ['']): ForgedDelegation {
    const d: ForgedDelegation = { name, keys, threshold, paths, targets: {}, version: 1 };
    this.delegations.push(d);
    return d;
  }

  rootBody(): JsonObject {
    const keys: Record<string, JsonObject> = {};
    const roles: Record<string, JsonObject> = {};
    for (const r of TOP) {
      for (const k of this.keys[r]) keys[k.id] = k.json();
      roles[r] = { keyids: this.keys[r].map((k) => k.id), threshold: this.thresholds[r] };
    }
    Object.assign(keys, this.extraRootKeys);
    return {
      _type: 'Root',
      consistent_snapshot: false,
      expires: this.expires('root'),
      keys,
      roles,
      version: this.versions.root,
    };
  }

  /** A consistent, fully signed set of files from the current state. */
  build(over: BuildOverrides = {}): Record<Role, Uint8Array> {
    const files: Record<Role, Uint8Array> = {};
    const finish = (role: Role, body: JsonObject, defaultSigners: readonly TestKey[]) => {
      over.edit?.[role]?.(body);
      const replaced = over.replace?.[role];
      if (replaced) {
        files[role] = replaced;
        return;
      }
      const sigs = over.signatures?.[role];
      files[role] = sigs
        ? envelope(body, sigs(body))
        : signedFile(body, over.signers?.[role] ?? defaultSigners);
    };

    // The same root (body and signers) keeps its bytes across builds, as on a real server: a
    // re-signed copy would differ (ECDSA signatures are randomised) and look like a rotation.
    const rootBody = this.rootBody();
    const rootSigners = over.signers?.root ?? this.keys.root;
    const rootKey = `${canonicalJson(rootBody)}|${rootSigners.map((k) => k.id).join(',')}`;
    const plainRoot = !over.edit?.root && !over.replace?.root && !over.signatures?.root;
    if (plainRoot && this.#lastRoot?.key === rootKey) files.root = this.#lastRoot.bytes;
    else {
      finish('root', rootBody, this.keys.root);
      if (plainRoot) this.#lastRoot = { key: rootKey, bytes: files.root! };
    }
    /** `delegations` of a targets role: its direct children. */
    const delegationsOf = (parent: string): JsonObject => {
      const children = this.delegations.filter((d) => d.name.slice(0, d.name.lastIndexOf('/')) === parent);
      const keys: Record<string, JsonObject> = {};
      for (const d of children) for (const k of d.keys) keys[k.id] = k.json();
      return {
        keys,
        roles: children.map((d) => ({
          keyids: d.keys.map((k) => k.id),
          name: d.name,
          paths: d.paths,
          threshold: d.threshold,
        })),
      };
    };
    for (const d of this.delegations) {
      finish(
        d.name,
        {
          _type: 'Targets',
          delegations: delegationsOf(d.name),
          expires: this.expires(d.name),
          targets: structuredClone(d.targets),
          version: d.version,
        },
        d.keys,
      );
    }
    finish(
      'targets',
      {
        _type: 'Targets',
        delegations: delegationsOf('targets'),
        expires: this.expires('targets'),
        targets: structuredClone(this.targets),
        version: this.versions.targets,
      },
      this.keys.targets,
    );
    const meta: Record<string, JsonObject> = {
      root: fileMeta(files.root!),
      targets: fileMeta(files.targets!),
    };
    for (const d of this.delegations) meta[d.name] = fileMeta(files[d.name]!);
    finish(
      'snapshot',
      { _type: 'Snapshot', expires: this.expires('snapshot'), meta, version: this.versions.snapshot },
      this.keys.snapshot,
    );
    finish(
      'timestamp',
      {
        _type: 'Timestamp',
        expires: this.expires('timestamp'),
        meta: { snapshot: fileMeta(files.snapshot!) },
        version: this.versions.timestamp,
      },
      this.keys.timestamp,
    );
    return files;
  }

  /** Bumps snapshot and timestamp (and the given roles): what a publish of those roles does. */
  bump(...roles: Role[]): void {
    for (const r of roles) {
      if ((TOP as readonly string[]).includes(r)) this.versions[r as Top]++;
      else {
        const d = this.delegations.find((x) => x.name === r);
        if (!d) throw new Error(`no delegation ${r}`);
        d.version++;
      }
    }
    if (!roles.includes('snapshot')) this.versions.snapshot++;
    if (!roles.includes('timestamp')) this.versions.timestamp++;
  }
}
