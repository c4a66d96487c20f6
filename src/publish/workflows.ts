/**
 * The signing workflows (library API; the CLI is a shell over these):
 * init, sign, revoke, signer add/remove, key rotation, key generate/load.
 */

import { createPublicKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repositoryContext } from '../context/repository.js';
import { parsePublicKey } from '../crypto/keys.js';
import type { PrivateKeyAlgorithm, PrivateKeyHandle } from '../crypto/signers.js';
import type { TufPublicKey } from '../crypto/types.js';
import { LocalError, PublishError } from '../errors.js';
import { inspectKeyFile, readKeyFile } from '../keys/keyfile.js';
import { defaultPassphraseProvider } from '../keys/passphrase.js';
import {
  defaultExpires,
  delegationRole,
  fileMetaOf,
  keyJson,
  rootBody,
  signMetadata,
  snapshotBody,
  targetMeta,
  targetsBody,
  timestampBody,
} from '../metadata/build.js';
import type { TargetsBody } from '../metadata/model.js';
import { setOwn } from '../metadata/parse.js';
import { pathsAllow, RELEASES_ROLE } from '../metadata/roles.js';
import { type ImageReference, parseReference } from '../reference.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { pathOccupied } from '../storage/exists.js';
import { resolveTrustDir } from '../storage/trust-dir.js';
import { defaultCredentials } from '../transport/credentials.js';
import { RegistryClient } from '../transport/registry.js';
import {
  certifiedRootSigner,
  createKey,
  heldSigners,
  holdsAny,
  publicKeyFromPem,
  rootKeyFor,
} from './keys.js';
import {
  type Edit,
  editableRoot,
  editableTargets,
  keystoreFor,
  loadState,
  mutate,
  type PublishOptions,
  type RepoState,
  refreshAfterPublish,
} from './repository.js';

// ---------------------------------------------------------------- init

/** Options of `initRepository`. */
export interface InitOptions extends PublishOptions {
  /** Algorithm of the new tagging (targets) key (default ed25519). */
  targetsAlgorithm?: PrivateKeyAlgorithm;
}

/** What `initRepository` created: the repository, its key ids and who manages the snapshot key. */
export interface InitResult {
  repository: string;
  rootKeyId: string;
  targetsKeyId: string;
  /** True when the trust server signs snapshots (docker's default). */
  serverManagedSnapshot: boolean;
}

/**
 * Creates trust data for a repository: root key (reused from the trust dir,
 * else new, ECDSA P-256 with a self-signed certificate for the GUN), a new
 * tagging key, and the server's snapshot and timestamp keys (a local store
 * gets publisher-held ones).
 */
export async function initRepository(
  reference: string | ImageReference,
  opts: InitOptions = {},
): Promise<InitResult> {
  const ctx = repositoryContext(reference, opts);
  const keystore = keystoreFor(ctx, opts);
  const existing = await loadState(ctx, keystore);
  if (existing) {
    throw new PublishError(
      'CONFLICT',
      `${ctx.ref.gun} already has trust data (root v${existing.root.version})`,
    );
  }
  const gun = ctx.ref.gun;
  const rootHandle = await rootKeyFor(keystore);
  const rootSigner = certifiedRootSigner(rootHandle, gun);
  const targets = await createKey(keystore, opts.targetsAlgorithm ?? 'ed25519', 'targets', gun);

  const serverTs = await ctx.store.getServerKey('timestamp');
  let snapshotKey: TufPublicKey;
  let timestampKey: TufPublicKey;
  let localSnapshot: PrivateKeyHandle | undefined;
  let localTimestamp: PrivateKeyHandle | undefined;
  if (serverTs !== null) {
    timestampKey = parsePublicKey(serverTs, { role: 'timestamp' });
    const serverSn = await ctx.store.getServerKey('snapshot');
    snapshotKey = parsePublicKey(serverSn, { role: 'snapshot' });
  } else {
    localSnapshot = await createKey(keystore, 'ecdsa', 'snapshot', gun);
    localTimestamp = await createKey(keystore, 'ecdsa', 'timestamp', gun);
    snapshotKey = localSnapshot.publicKey;
    timestampKey = localTimestamp.publicKey;
  }
  const root = signMetadata(
    'root',
    rootBody(
      {
        root: [rootSigner.publicKey],
        targets: [targets.publicKey],
        snapshot: [snapshotKey],
        timestamp: [timestampKey],
      },
      1,
      defaultExpires('root'),
    ),
    [rootSigner],
  );
  const tgt = signMetadata('targets', targetsBody({}, 1, defaultExpires('targets')), [targets]);
  const files = [
    { role: 'root', bytes: root.wireBytes() },
    { role: 'targets', bytes: tgt.wireBytes() },
  ];
  if (localSnapshot && localTimestamp) {
    const sn = signMetadata(
      'snapshot',
      snapshotBody(
        { root: fileMetaOf(files[0]!.bytes), targets: fileMetaOf(files[1]!.bytes) },
        1,
        defaultExpires('snapshot'),
      ),
      [localSnapshot],
    );
    const ts = signMetadata('timestamp', timestampBody(sn.wireBytes(), 1, defaultExpires('timestamp')), [
      localTimestamp,
    ]);
    files.push({ role: 'snapshot', bytes: sn.wireBytes() }, { role: 'timestamp', bytes: ts.wireBytes() });
  }
  await ctx.store.publish(files);
  await refreshAfterPublish(ctx, keystore); // verify and cache what the server now serves
  return {
    repository: gun,
    rootKeyId: rootSigner.publicKey.id,
    targetsKeyId: targets.publicKey.id,
    serverManagedSnapshot: localSnapshot === undefined,
  };
}

// ---------------------------------------------------------------- sign / revoke

/** A tag to sign: the reference, and optionally its digest and size (else asked from the registry). */
export interface TagToSign {
  /** `IMAGE:TAG` */
  reference: string;
  /** `sha256:<hex>`; resolved from the registry when absent. */
  digest?: string;
  size?: number;
}

/** Options of `signTags`. */
export interface SignOptions extends PublishOptions {
  /** Called after each tag's digest is known (progress for bulk signing). */
  onProgress?: (done: number, total: number) => void;
  /** Create the repository's trust data first when it has none (docker trust sign does). */
  initIfMissing?: boolean;
}

/** A tag `signTags` signed: reference, digest, size and the roles it went into. */
export interface SignedTag {
  reference: string;
  tag: string;
  digest: string;
  size: number;
  roles: string[];
}

/**
 * docker's rule: write into every direct child delegation of `targets` the
 * trust dir holds a key for and whose paths allow the tag (a path is a name
 * prefix, `""` allows all); else into `targets` when the trust dir holds the
 * repository key. Without `tag`, paths are not checked.
 */
export async function signableRoles(state: RepoState, tag?: string): Promise<string[]> {
  return (await signingPlan(state))(tag);
}

/**
 * Which roles this trust dir can sign, decided once per operation (the key
 * store is consulted once per delegation, not per tag); the returned function
 * applies docker's rule to one tag (delegation paths) or to any tag.
 */
export async function signingPlan(state: RepoState): Promise<(tag?: string) => string[]> {
  const top = state.targets.get('targets')!;
  const held: { name: string; paths?: readonly string[] }[] = [];
  for (const d of top.signed.delegations.roles) {
    if (d.name.split('/').length !== 2) continue;
    if (await holdsAny(state.keystore, d.keyids, top.keys)) held.push(d);
  }
  const r = state.root.signed.roles.targets!;
  const holdsTargets = await holdsAny(state.keystore, r.keyids, state.root.keys);
  return (tag?: string) => {
    const out = held.filter((d) => tag === undefined || pathsAllow(d.paths, tag)).map((d) => d.name);
    if (out.length > 0) return out;
    if (holdsTargets) return ['targets'];
    throw new LocalError(
      'KEY_NOT_FOUND',
      `no key in the trust dir can sign ${tag === undefined ? '' : `${JSON.stringify(tag)} in `}${state.ctx.ref.gun}: ` +
        'neither the repository key nor a signer key of targets/releases or another delegation',
    );
  };
}

async function resolveDigests(tags: readonly TagToSign[], opts: SignOptions): Promise<SignedTag[]> {
  const out: SignedTag[] = [];
  const clients = new Map<string, RegistryClient>();
  for (const t of tags) {
    const r = parseReference(t.reference);
    if (!r.tag || (r.digest && !t.digest)) {
      throw new LocalError('USAGE', `${t.reference}: sign needs IMAGE:TAG`);
    }
    let digest = t.digest;
    let size = t.size;
    if (digest === undefined || size === undefined) {
      let client = clients.get(r.registry);
      if (!client) {
        const o: ConstructorParameters<typeof RegistryClient>[0] = {
          registry: r.registry,
          credentials:
            opts.credentials === undefined
              ? defaultCredentials(r.registry, opts.env ?? process.env)
              : opts.credentials,
        };
        if (opts.tlsCaCert) o.ca = opts.tlsCaCert;
        if (opts.deadlineMs !== undefined) o.deadlineMs = opts.deadlineMs;
        client = new RegistryClient(o);
        clients.set(r.registry, client);
      }
      const m = await client.resolveManifest(r.repository, r.tag);
      if (!m) throw new LocalError('USAGE', `${r.name}:${r.tag} is not in the registry (no manifest)`);
      digest = m.digest;
      size = m.size;
    }
    targetMeta(digest, size); // validates
    out.push({ reference: `${r.name}:${r.tag}`, tag: r.tag, digest, size, roles: [] });
    opts.onProgress?.(out.length, tags.length);
  }
  return out;
}

/** Signs tags of ONE repository in one publish. */
export async function signTags(tags: readonly TagToSign[], opts: SignOptions = {}): Promise<SignedTag[]> {
  if (tags.length === 0) return [];
  const first = parseReference(tags[0]!.reference);
  for (const t of tags) {
    if (parseReference(t.reference).gun !== first.gun) {
      throw new LocalError('USAGE', 'all tags signed in one call must belong to one repository');
    }
  }
  const resolved = await resolveDigests(tags, opts);
  if (opts.initIfMissing) {
    const ctx = repositoryContext(first, opts);
    if (!(await loadState(ctx, keystoreFor(ctx, opts)))) await initRepository(first, opts);
  }
  return mutate(first, opts, async (state) => {
    const bodies = new Map<string, TargetsBody>();
    const result: SignedTag[] = [];
    const rolesFor = await signingPlan(state);
    for (const t of resolved) {
      const roles = rolesFor(t.tag);
      for (const role of roles) {
        let body = bodies.get(role);
        if (!body) {
          body = editableTargets(state.targets.get(role)?.signed, role);
          bodies.set(role, body);
        }
        setOwn(body.targets, t.tag, targetMeta(t.digest, t.size));
      }
      result.push({ ...t, roles });
    }
    return { edit: { targets: bodies }, result };
  });
}

/** Removes trust for a tag (or every tag when none is given) from the roles this trust dir can sign. */
export async function revokeTag(
  reference: string,
  opts: PublishOptions = {},
): Promise<{ removed: string[] }> {
  const r = parseReference(reference);
  const explicitTag = /:[\w][\w.-]*$/.test(reference.split('/').pop() ?? '') ? r.tag : undefined;
  return mutate(r, opts, async (state) => {
    const roles = await signableRoles(state, explicitTag);
    const bodies = new Map<string, TargetsBody>();
    const removed = new Set<string>();
    for (const role of roles) {
      const cur = state.targets.get(role)?.signed;
      if (!cur) continue;
      const body = editableTargets(cur, role);
      for (const name of Object.keys(body.targets)) {
        if (explicitTag === undefined || name === explicitTag) {
          delete body.targets[name];
          removed.add(name);
        }
      }
      if (Object.keys(body.targets).length !== Object.keys(cur.targets).length) bodies.set(role, body);
    }
    if (removed.size === 0) {
      throw new PublishError(
        'NOT_SIGNED',
        `${reference}: no signed tag to revoke in the roles this trust dir can sign`,
      );
    }
    return { edit: { targets: bodies }, result: { removed: [...removed].sort() } };
  });
}

// ---------------------------------------------------------------- signers

/** Adds a signer (`targets/<name>` and `targets/releases`), like `docker trust signer add`. */
export async function addSigner(
  name: string,
  publicKeyPem: string,
  reference: string,
  opts: PublishOptions & { initIfMissing?: boolean } = {},
): Promise<{ keyId: string; roles: string[] }> {
  checkSignerName(name);
  const key = publicKeyFromPem(publicKeyPem);
  const r = parseReference(reference);
  if (opts.initIfMissing) {
    const ctx = repositoryContext(r, opts);
    if (!(await loadState(ctx, keystoreFor(ctx, opts)))) await initRepository(r, opts);
  }
  const roles = [RELEASES_ROLE, `targets/${name}`];
  return mutate(r, opts, async (state) => {
    const body = editableTargets(state.targets.get('targets')!.signed, 'targets');
    body.delegations.keys[key.id] = keyJson(key);
    for (const role of roles) {
      const d = body.delegations.roles.find((x) => x.name === role);
      if (d) {
        if (!d.keyids.includes(key.id)) d.keyids.push(key.id);
      } else {
        body.delegations.roles.push(delegationRole(role, [key.id], [''], 1));
      }
    }
    return {
      edit: { targets: new Map([['targets', body]]) },
      newKeys: new Map([[key.id, key]]),
      result: { keyId: key.id, roles },
    };
  });
}

/** Removes a signer: its `targets/<name>` role, and its keys from `targets/releases`. */
export async function removeSigner(
  name: string,
  reference: string,
  opts: PublishOptions = {},
): Promise<{ removedKeys: string[] }> {
  checkSignerName(name);
  const role = `targets/${name}`;
  return mutate(reference, opts, async (state) => {
    const body = editableTargets(state.targets.get('targets')!.signed, 'targets');
    const d = body.delegations.roles.find((x) => x.name === role);
    if (!d) throw new LocalError('USAGE', `${name} is not a signer of ${state.ctx.ref.gun}`);
    const keys = new Set(d.keyids);
    body.delegations.roles = body.delegations.roles.filter((x) => x.name !== role);
    const releases = body.delegations.roles.find((x) => x.name === RELEASES_ROLE);
    if (releases) {
      releases.keyids = releases.keyids.filter((k) => !keys.has(k));
      if (releases.keyids.length === 0)
        body.delegations.roles = body.delegations.roles.filter((x) => x !== releases);
    }
    const used = new Set(body.delegations.roles.flatMap((x) => x.keyids));
    for (const id of Object.keys(body.delegations.keys)) if (!used.has(id)) delete body.delegations.keys[id];
    const removedRoles = [role];
    if (!body.delegations.roles.some((x) => x.name === RELEASES_ROLE)) removedRoles.push(RELEASES_ROLE);
    const edit: Edit = { targets: new Map([['targets', body]]), removedRoles };
    return { edit, result: { removedKeys: [...keys] } };
  });
}

function isSignerName(name: string): boolean {
  return /^[a-z0-9][-a-z0-9_]*$/.test(name) && name !== 'releases' && name.length <= 200;
}

function checkSignerName(name: string): void {
  if (!isSignerName(name)) {
    throw new LocalError(
      'USAGE',
      `invalid signer name ${JSON.stringify(name)} (lower-case letters, digits, - and _; not "releases")`,
    );
  }
}

// ---------------------------------------------------------------- key rotation

/** A top-level role whose key `rotateKey` can replace. */
export type RotatableRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/** Options of `rotateKey`. */
export interface RotateOptions extends PublishOptions {
  /** snapshot/timestamp: let the trust server hold the new key. */
  serverManaged?: boolean;
  /** Algorithm of a new local key (root: ecdsa; others default ecdsa). */
  algorithm?: PrivateKeyAlgorithm;
}

/** Rotates one role's key; the new root is signed by the old and the new root keys. */
export async function rotateKey(
  reference: string,
  role: RotatableRole,
  opts: RotateOptions = {},
): Promise<{ role: RotatableRole; keyId: string; rootVersion: number }> {
  // the new key is made once: a retry after a concurrent publish reuses it
  let made: TufPublicKey | undefined;
  return mutate(reference, opts, async (state) => {
    const gun = state.ctx.ref.gun;
    const root = editableRoot(state.root);
    const oldRootSigners = await heldSigners(
      state.keystore,
      state.root.signed.roles.root!.keyids,
      state.root.keys,
    );
    if (oldRootSigners.length < state.root.signed.roles.root!.threshold) {
      throw new LocalError(
        'KEY_NOT_FOUND',
        `rotating keys needs the root key of ${gun}, which is not in the trust dir`,
      );
    }
    if (role === 'targets' && opts.serverManaged) {
      throw new LocalError('USAGE', 'the targets key cannot be server-managed');
    }
    const edit: Edit = { root };
    const newKeys = new Map<string, TufPublicKey>();
    if (role === 'root') edit.rootSigners = oldRootSigners;
    made ??= await newKeyFor(state, role, opts);
    const newKey = made;
    newKeys.set(newKey.id, newKey);
    const old = root.roles[role]!.keyids;
    root.roles[role] = { keyids: [newKey.id], threshold: 1 };
    root.keys[newKey.id] = keyJson(newKey);
    const used = new Set(Object.values(root.roles).flatMap((r) => r.keyids));
    for (const id of old) if (!used.has(id)) delete root.keys[id];
    if (role === 'targets') {
      edit.targets = new Map([['targets', editableTargets(state.targets.get('targets')!.signed, 'targets')]]);
    }
    return { edit, newKeys, result: { role, keyId: newKey.id, rootVersion: root.version } };
  });
}

/** A new key for `role`: root (ECDSA P-256 with a certificate), a server-held one, or a local one. */
async function newKeyFor(state: RepoState, role: RotatableRole, opts: RotateOptions): Promise<TufPublicKey> {
  const gun = state.ctx.ref.gun;
  if (role === 'root') {
    const handle = await createKey(state.keystore, opts.algorithm === 'rsa' ? 'rsa' : 'ecdsa', 'root');
    return certifiedRootSigner(handle, gun).publicKey;
  }
  if (role !== 'targets' && (opts.serverManaged || role === 'timestamp')) {
    // a local directory has no server keys: its timestamp key stays with the publisher
    const json = await state.ctx.store.rotateServerKey(role).catch((e: unknown) => {
      if (role === 'timestamp' && !opts.serverManaged && e instanceof LocalError) return null;
      throw e;
    });
    if (json !== null) return parsePublicKey(json, { role });
  }
  const alg = opts.algorithm ?? (role === 'targets' ? 'ed25519' : 'ecdsa');
  return (await createKey(state.keystore, alg, role, gun)).publicKey;
}

// ---------------------------------------------------------------- signer keys

/** What `generateKey` wrote: the signer name, key id and the public key file. */
export interface GeneratedKey {
  name: string;
  keyId: string;
  publicKeyPath: string;
}

/**
 * `trust key generate NAME`: NAME.pub (PEM) in `dir`, encrypted private key in
 * the trust dir. An existing NAME.pub is never overwritten (as docker); both
 * files are written atomically, the private key first.
 */
export async function generateKey(
  name: string,
  opts: PublishOptions & { dir?: string; algorithm?: PrivateKeyAlgorithm } = {},
): Promise<GeneratedKey> {
  checkSignerName(name);
  const dir = opts.dir ?? process.cwd();
  const path = join(dir, `${name}.pub`);
  if (await pathOccupied(path)) throw new LocalError('USAGE', `public key file already exists: ${path}`);
  const ctx = { trustDir: repositoryTrustDir(opts) };
  const keystore = keystoreFor(ctx, opts);
  const handle = await createKey(keystore, opts.algorithm ?? 'ecdsa', name);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new LocalError('IO', `cannot create ${dir}: ${(e as Error).message}`);
  }
  await writeFileAtomic(path, publicPem(handle), { mode: 0o644 });
  return { name, keyId: handle.publicKey.id, publicKeyPath: path };
}

function publicPem(handle: PrivateKeyHandle): string {
  return createPublicKey(handle.keyObject).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * `trust key load FILE`: imports a signer's private key (PEM, encrypted or
 * not) into the trust dir as role NAME (default: the file's `role:` header,
 * else `signer`). An encrypted file is decrypted with `filePassphrase`, else
 * with the passphrase provider (asked for role NAME, as docker does).
 */
export async function loadKey(
  file: string,
  opts: PublishOptions & { name?: string; filePassphrase?: string } = {},
): Promise<{ name: string; keyId: string }> {
  const pem = await readFile(file, 'utf8').catch((e: Error) => {
    throw new LocalError('IO', `cannot read ${file}: ${e.message}`);
  });
  const info = inspectKeyFile(pem);
  const fromHeader = info.role.replace(/^targets\//, '');
  const name = opts.name ?? (isSignerName(fromHeader) ? fromHeader : 'signer');
  checkSignerName(name);
  if (info.role === 'root' && opts.name === undefined) {
    throw new LocalError('USAGE', `${file} is a root key; signer keys only (give --name to load it anyway)`);
  }
  let passphrase = opts.filePassphrase;
  if (info.encrypted && passphrase === undefined) {
    const ask = opts.passphrase ?? defaultPassphraseProvider(opts.env ? { env: opts.env } : {});
    const keyId = info.path && /^[0-9a-f]{64}$/.test(info.path) ? info.path : '';
    passphrase = await ask({ role: name, keyId, attempt: 0, creating: false });
  }
  const loaded = await readKeyFile(pem, passphrase, { label: file });
  const keystore = keystoreFor({ trustDir: repositoryTrustDir(opts) }, opts);
  await keystore.add(loaded.key, { role: name, overwrite: true });
  return { name, keyId: loaded.key.publicKey.id };
}

function repositoryTrustDir(opts: PublishOptions): string {
  return resolveTrustDir(opts.trustDir, opts.env ?? process.env);
}
