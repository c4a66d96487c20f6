/**
 * The signing workflows (library API; the CLI is a shell over these):
 * init, sign, revoke, signer add/remove, key rotation, key generate/load.
 */

import { join } from 'node:path';
import { repositoryContext } from '../context/repository.js';
import { bareKeyOf, parsePublicKey } from '../crypto/keys.js';
import type { PrivateKeyAlgorithm, PrivateKeyHandle } from '../crypto/signers.js';
import type { TufPublicKey } from '../crypto/types.js';
import { LocalError, PublishError } from '../errors.js';
import type { KeyStore } from '../keys/keystore.js';
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
import { defaultCredentials } from '../transport/credentials.js';
import { RegistryClient } from '../transport/registry.js';
import {
  certifiedRootSigner,
  checkSignerName,
  createKey,
  heldSigners,
  holdsAny,
  keystoreFor,
  publicKeyFromPem,
  rootKeyFor,
} from './keys.js';
import {
  closeDelegationGaps,
  delegationGaps,
  type Edit,
  editableRoot,
  editableTargets,
  loadState,
  mutate,
  type PublishOptions,
  type RepoState,
  refreshAfterPublish,
} from './repository.js';

export type { GeneratedKey, LoadedKey } from './keys.js';
export { generateKey, loadKey } from './keys.js';

// ---------------------------------------------------------------- init

/** Options of `initRepository`. */
export interface InitOptions extends PublishOptions {
  /** Algorithm of the new tagging (targets) key (default ed25519). */
  targetsAlgorithm?: PrivateKeyAlgorithm;
}

/** What `initRepository` created: the repository, its key ids and who manages the snapshot key. */
export interface InitResult {
  repository: string;
  /** Id root.json lists for the root key (the id of its certificate). */
  rootKeyId: string;
  /** Id of the root key itself: it names the key file `private/<id>.key`. */
  rootKeyFileId: string;
  /** The root key file: back it up and keep it offline. */
  rootKeyFile: string;
  /** False when `rootKeyId` named an existing root key. */
  rootKeyCreated: boolean;
  /** The repository (targets) key; ed25519/ecdsa ids name their key files too. */
  targetsKeyId: string;
  targetsKeyFile: string;
  /** Publisher-held snapshot/timestamp keys (local repositories), when created. */
  snapshotKeyId?: string;
  timestampKeyId?: string;
  /** True when the trust server signs snapshots (docker's default). */
  serverManagedSnapshot: boolean;
}

/**
 * Creates trust data for a repository: a new root key (ECDSA P-256 with a
 * self-signed certificate for the GUN) unless `rootKeyId` names one, a new
 * tagging key, and the server's snapshot and timestamp keys (a local store gets
 * publisher-held ones). New keys become part of the trust dir only when the
 * upload is made (a failure before it leaves no orphan key).
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
  const pending: string[] = [];
  const make = async (alg: PrivateKeyAlgorithm, role: string, g?: string) => {
    const h = await createKey(keystore, alg, role, g, { pending: true });
    pending.push(h.publicKey.id);
    return h;
  };
  let uploaded = false;
  try {
    const root =
      opts.rootKeyId === undefined
        ? { handle: await make('ecdsa', 'root'), created: true }
        : await rootKeyFor(keystore, opts.rootKeyId);
    const rootSigner = certifiedRootSigner(root.handle, gun);
    const targets = await make(opts.targetsAlgorithm ?? 'ed25519', 'targets', gun);

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
      localSnapshot = await make('ecdsa', 'snapshot', gun);
      localTimestamp = await make('ecdsa', 'timestamp', gun);
      snapshotKey = localSnapshot.publicKey;
      timestampKey = localTimestamp.publicKey;
    }
    const rootMd = signMetadata(
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
      { role: 'root', bytes: rootMd.wireBytes() },
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
    // the keys join the trust dir before the upload: a kill after it must not lose them
    for (const id of pending.splice(0)) await keystore.commitPending(id);
    uploaded = true;
    await ctx.store.publish(files);
    // verify and cache what the server now serves, and check that it holds the new repository
    await refreshAfterPublish(
      ctx,
      keystore,
      {
        before: null,
        published: {
          roles: files.map((f) => f.role),
          versions: new Map([
            ['root', 1],
            ['targets', 1],
          ]),
          bytes: new Map(files.map((f) => [f.role, f.bytes])),
        },
      },
      opts.onWarning,
    );
    const rootFileId = root.handle.publicKey.id;
    const result: InitResult = {
      repository: gun,
      rootKeyId: rootSigner.publicKey.id,
      rootKeyFileId: rootFileId,
      rootKeyFile: join(keystore.privateDir, `${rootFileId}.key`),
      rootKeyCreated: root.created,
      targetsKeyId: targets.publicKey.id,
      targetsKeyFile: join(keystore.privateDir, `${targets.publicKey.id}.key`),
      serverManagedSnapshot: localSnapshot === undefined,
    };
    if (localSnapshot) result.snapshotKeyId = localSnapshot.publicKey.id;
    if (localTimestamp) result.timestampKeyId = localTimestamp.publicKey.id;
    return result;
  } finally {
    if (!uploaded) for (const id of pending) await keystore.discardPending(id);
  }
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
  /** Told when `initIfMissing` created the repository (which keys, where the root key file is). */
  onInit?: (result: InitResult) => void;
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

/**
 * mutate(), and with `opts.initIfMissing` a repository without trust data is initialised first
 * (`opts.onInit` is told): one refresh when the repository exists, not a probe and then the real one.
 */
function mutateOrInit<T>(
  ref: ImageReference,
  opts: PublishOptions & { initIfMissing?: boolean; onInit?: (result: InitResult) => void },
  change: Parameters<typeof mutate<T>>[2],
): Promise<T> {
  const ifMissing = async () => {
    const res = await initRepository(ref, opts);
    opts.onInit?.(res);
  };
  return mutate(ref, opts, change, opts.initIfMissing ? { ifMissing } : {});
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
  return mutateOrInit(first, opts, async (state) => {
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

/** What `revokeTag` removed, per role, and whether the tag still verifies afterwards. */
export interface RevokeResult {
  reference: string;
  /** Tags removed (from any role). */
  removed: string[];
  /** Per role this trust dir can sign: the tags removed from it (possibly none). */
  roles: { role: string; removed: string[] }[];
  /**
   * After the publish: whether the tag still verifies (docker's order: targets/releases,
   * then targets), through which role and to which digest. Without a tag: the tags that
   * still verify.
   */
  stillVerifies: boolean;
  verifiedBy?: { role: string; digest: string };
  stillSigned?: string[];
}

/** The role that answers for `tag` in a state, in docker's order (targets/releases, then targets). */
function answeringRole(state: RepoState, tag: string): { role: string; digest: string } | null {
  const top = state.targets.get('targets')!;
  const rel = top.signed.delegations.roles.find((d) => d.name === RELEASES_ROLE);
  const order = rel && pathsAllow(rel.paths, tag) ? [RELEASES_ROLE, 'targets'] : ['targets'];
  for (const role of order) {
    const md = state.targets.get(role);
    const meta = md && Object.hasOwn(md.signed.targets, tag) ? md.signed.targets[tag] : undefined;
    if (meta?.hashes.sha256) {
      return { role, digest: `sha256:${Buffer.from(meta.hashes.sha256, 'base64').toString('hex')}` };
    }
  }
  return null;
}

/**
 * Removes trust for a tag (or every tag when none is given) from every role
 * this trust dir can sign (`targets` and the delegations it holds keys for),
 * publishes, and reports per role what it removed and whether the tag still
 * verifies afterwards (through a role this trust dir cannot sign).
 */
export async function revokeTag(reference: string, opts: PublishOptions = {}): Promise<RevokeResult> {
  const r = parseReference(reference);
  const explicitTag = /:[\w][\w.-]*$/.test(reference.split('/').pop() ?? '') ? r.tag : undefined;
  return mutate(
    r,
    opts,
    async (state) => {
      const roles = await writableRoles(state);
      if (roles.length === 0) {
        throw new LocalError(
          'KEY_NOT_FOUND',
          `no key in the trust dir can sign ${state.ctx.ref.gun}: neither the repository key nor a signer key`,
        );
      }
      const bodies = new Map<string, TargetsBody>();
      const perRole: RevokeResult['roles'] = [];
      const removed = new Set<string>();
      for (const role of roles) {
        const cur = state.targets.get(role)?.signed;
        const gone: string[] = [];
        if (cur) {
          const body = editableTargets(cur, role);
          for (const name of Object.keys(body.targets)) {
            if (explicitTag === undefined || name === explicitTag) {
              delete body.targets[name];
              gone.push(name);
              removed.add(name);
            }
          }
          if (gone.length > 0) bodies.set(role, body);
        }
        perRole.push({ role, removed: gone.sort() });
      }
      if (removed.size === 0) {
        const answer = explicitTag === undefined ? null : answeringRole(state, explicitTag);
        throw new PublishError(
          'NOT_SIGNED',
          `${reference}: no signed tag to revoke in the roles this trust dir can sign (${roles.join(', ')})` +
            (answer
              ? `; it is signed in ${answer.role}, whose keys this trust dir does not hold: revoke it from a trust dir that does`
              : ''),
        );
      }
      const result: RevokeResult = {
        reference,
        removed: [...removed].sort(),
        roles: perRole,
        stillVerifies: false,
      };
      return { edit: { targets: bodies }, result };
    },
    {
      after: async (after, result) => {
        if (!after) return result;
        if (explicitTag !== undefined) {
          const answer = answeringRole(after, explicitTag);
          if (answer) return { ...result, stillVerifies: true, verifiedBy: answer };
          return result;
        }
        const still = result.removed.filter((t) => answeringRole(after, t) !== null);
        return { ...result, stillVerifies: still.length > 0, stillSigned: still };
      },
    },
  );
}

/** Every targets role this trust dir can sign: `targets` and each delegation it holds a key for. */
async function writableRoles(state: RepoState): Promise<string[]> {
  const out: string[] = [];
  const r = state.root.signed.roles.targets!;
  if (await holdsAny(state.keystore, r.keyids, state.root.keys)) out.push('targets');
  for (const md of state.targets.values()) {
    for (const d of md.signed.delegations.roles) {
      if (await holdsAny(state.keystore, d.keyids, md.keys)) out.push(d.name);
    }
  }
  return [...new Set(out)];
}

// ---------------------------------------------------------------- signers

/** Adds a signer (`targets/<name>` and `targets/releases`), like `docker trust signer add`. */
export async function addSigner(
  name: string,
  publicKeyPem: string,
  reference: string,
  opts: PublishOptions & { initIfMissing?: boolean; onInit?: (result: InitResult) => void } = {},
): Promise<{ keyId: string; roles: string[] }> {
  checkSignerName(name);
  const key = publicKeyFromPem(publicKeyPem);
  const r = parseReference(reference);
  const roles = [RELEASES_ROLE, `targets/${name}`];
  return mutateOrInit(r, opts, async (state) => {
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

/** What `removeSigner` changed: keys removed, delegations re-signed, delegations dropped with their tags. */
export interface RemoveSignerResult {
  removedKeys: string[];
  /** Delegations re-signed with a remaining key this trust dir holds (their tags kept). */
  resigned: string[];
  /** Delegations removed (`force`, or no key left), with the tags that went with them. */
  dropped: { role: string; tags: string[] }[];
}

/**
 * Removes a signer: its `targets/<name>` role, and its keys from
 * `targets/releases`. Never publishes a state in which a delegation's current
 * metadata misses its threshold: such a role is re-signed with a remaining key
 * this trust dir holds; else the call is refused before anything is uploaded,
 * naming who must re-sign first, unless `force`, which removes that delegation
 * (and reports the tags it drops).
 */
export async function removeSigner(
  name: string,
  reference: string,
  opts: PublishOptions & { force?: boolean } = {},
): Promise<RemoveSignerResult> {
  checkSignerName(name);
  const role = `targets/${name}`;
  return mutate(reference, opts, async (state) => {
    const body = editableTargets(state.targets.get('targets')!.signed, 'targets');
    const d = body.delegations.roles.find((x) => x.name === role);
    if (!d) throw new LocalError('USAGE', `${name} is not a signer of ${state.ctx.ref.gun}`);
    const keys = new Set(d.keyids);
    const dropRole = (r: string) => {
      body.delegations.roles = body.delegations.roles.filter((x) => x.name !== r);
    };
    dropRole(role);
    const dropped: RemoveSignerResult['dropped'] = [];
    const tagsOf = (r: string) => Object.keys(state.targets.get(r)?.signed.targets ?? {}).sort();
    const ownTags = tagsOf(role);
    if (ownTags.length > 0) dropped.push({ role, tags: ownTags });
    const releases = body.delegations.roles.find((x) => x.name === RELEASES_ROLE);
    if (releases) {
      releases.keyids = releases.keyids.filter((k) => !keys.has(k));
      if (releases.keyids.length === 0) {
        dropRole(RELEASES_ROLE);
        dropped.push({ role: RELEASES_ROLE, tags: tagsOf(RELEASES_ROLE) });
      }
    }
    const bodies = new Map([['targets', body]]);
    const resigned: string[] = [];
    for (const gap of await delegationGaps(state, bodies)) {
      if (gap.canResign) resigned.push(gap.role);
      else if (opts.force) {
        dropRole(gap.role);
        dropped.push({ role: gap.role, tags: gap.trusted ? gap.tags : [] });
      }
    }
    // refuses (naming the remedy) when a role can be neither re-signed nor dropped; re-signs the others
    await closeDelegationGaps(
      state,
      bodies,
      new Map(),
      (gap) =>
        `; or pass --force to remove ${gap.role} now (drops its tags: ${gap.tags.join(', ') || 'none'}; ` +
        "remaining signers can be added again with 'trust signer add')",
    );
    const used = new Set(body.delegations.roles.flatMap((x) => x.keyids));
    for (const id of Object.keys(body.delegations.keys)) if (!used.has(id)) delete body.delegations.keys[id];
    const removedRoles = [role];
    for (const x of dropped) if (!removedRoles.includes(x.role)) removedRoles.push(x.role);
    const edit: Edit = { targets: bodies, removedRoles };
    return { edit, result: { removedKeys: [...keys], resigned, dropped } };
  });
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

/**
 * Rotates one role's key; the new root is signed by the old and the new root
 * keys. Every passphrase the publish needs is checked before the new key is
 * made, and the new key joins the trust dir only when the upload is made. A
 * rotated-out root key this trust dir holds is marked retired afterwards.
 */
export async function rotateKey(
  reference: string,
  role: RotatableRole,
  opts: RotateOptions = {},
): Promise<{ role: RotatableRole; keyId: string; rootVersion: number; retiredKeys: string[] }> {
  if (role === 'targets' && opts.serverManaged) {
    throw new LocalError('USAGE', 'the targets key cannot be server-managed');
  }
  // the new key is made once: a retry after a concurrent publish reuses it
  let made: { key: TufPublicKey; pendingId?: string; keystore: KeyStore } | undefined;
  let uploaded = false;
  let oldRootKeys: string[] = [];
  try {
    const res = await mutate(
      reference,
      opts,
      async (state) => {
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
        // unlock every other key the publish signs with before anything is created
        for (const r of ['snapshot', 'timestamp'] as const) {
          if (r !== role)
            await heldSigners(state.keystore, state.root.signed.roles[r]!.keyids, state.root.keys);
        }
        oldRootKeys = oldRootSigners.map((sg) => bareKeyOf(sg.publicKey).id);
        const edit: Edit = { root };
        const newKeys = new Map<string, TufPublicKey>();
        if (role === 'root') edit.rootSigners = oldRootSigners;
        made ??= { ...(await newKeyFor(state, role, opts)), keystore: state.keystore };
        const newKey = made.key;
        newKeys.set(newKey.id, newKey);
        const old = root.roles[role]!.keyids;
        root.roles[role] = { keyids: [newKey.id], threshold: 1 };
        root.keys[newKey.id] = keyJson(newKey);
        const used = new Set(Object.values(root.roles).flatMap((r) => r.keyids));
        for (const id of old) if (!used.has(id)) delete root.keys[id];
        if (role === 'targets') {
          edit.targets = new Map([
            ['targets', editableTargets(state.targets.get('targets')!.signed, 'targets')],
          ]);
        }
        return { edit, newKeys, result: { role, keyId: newKey.id, rootVersion: root.version } };
      },
      {
        beforeUpload: async () => {
          if (made?.pendingId) await made.keystore.commitPending(made.pendingId);
          uploaded = true;
        },
      },
    );
    const retiredKeys: string[] = [];
    if (role === 'root' && made) {
      for (const id of oldRootKeys) {
        try {
          await made.keystore.markRetired(id);
          retiredKeys.push(id);
        } catch (e) {
          opts.onWarning?.(`could not mark the old root key ${id} retired: ${(e as Error).message}`);
        }
      }
    }
    return { ...res, retiredKeys };
  } finally {
    if (!uploaded && made?.pendingId) await made.keystore.discardPending(made.pendingId);
  }
}

/** A new key for `role`: root (ECDSA P-256 with a certificate), a server-held one, or a local one (pending). */
async function newKeyFor(
  state: RepoState,
  role: RotatableRole,
  opts: RotateOptions,
): Promise<{ key: TufPublicKey; pendingId?: string }> {
  const gun = state.ctx.ref.gun;
  if (role === 'root') {
    const handle = await createKey(
      state.keystore,
      opts.algorithm === 'rsa' ? 'rsa' : 'ecdsa',
      'root',
      undefined,
      {
        pending: true,
      },
    );
    return { key: certifiedRootSigner(handle, gun).publicKey, pendingId: handle.publicKey.id };
  }
  if (role !== 'targets' && (opts.serverManaged || role === 'timestamp')) {
    // a local directory has no server keys: its timestamp key stays with the publisher
    const json = await state.ctx.store.rotateServerKey(role).catch((e: unknown) => {
      if (role === 'timestamp' && !opts.serverManaged && e instanceof LocalError) return null;
      throw e;
    });
    if (json !== null) return { key: parsePublicKey(json, { role }) };
  }
  const alg = opts.algorithm ?? (role === 'targets' ? 'ed25519' : 'ecdsa');
  const handle = await createKey(state.keystore, alg, role, gun, { pending: true });
  return { key: handle.publicKey, pendingId: handle.publicKey.id };
}
