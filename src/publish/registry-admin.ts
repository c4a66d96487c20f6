/**
 * Who may sign registry-hosted trust data (issue 11): `signer add/remove` and `key rotate` on the TUF 1.0
 * repository stored in the registry, with the semantics of the Notary path (src/publish/workflows.ts):
 *
 * - `signer add NAME`: the key joins `targets/releases` (created when absent) and a new `targets/NAME`,
 *   both delegated by `targets` with docker's "every tag" path (`*` in TUF 1.0).
 * - `signer remove NAME`: `targets/NAME` goes, and its keys leave `targets/releases` (which goes too when
 *   no key is left); the tags of removed roles are reported. A threshold is never lowered.
 * - Never publish a state in which a delegated role's metadata misses its threshold: such a role is
 *   re-signed with keys this trust dir holds, else the change is refused before anything is pushed,
 *   naming who must sign first, unless `force` (remove only), which removes that delegation and lists
 *   its tags. A TUF 1.0 client refuses a delegated role the snapshot does not list, so a NEW delegated
 *   role must be signed by its own key when it is created: adding a signer needs that signer's private
 *   key in the trust dir (`trust key generate NAME` there, or `trust key load`). An existing
 *   `targets/releases` that gains a key keeps its signatures (it is not re-signed).
 * - `key rotate ROLE`: a new key for root, targets, snapshot or timestamp (all held by the publisher);
 *   every rotation is a new root version signed by the old root keys and the new root's keys, pushed as
 *   `N.root.json` next to the earlier versions so clients walk the chain. The new key joins the trust
 *   dir right before the push; a rotated-out root key is marked retired afterwards.
 *
 * Every change goes through mutateRegistry (push, read back, refetch + re-apply + retry on a lost update).
 */

import type { PrivateKeyAlgorithm, PrivateKeyHandle } from '../crypto/signers.js';
import { LocalError } from '../errors.js';
import { keyOwnerNames, RELEASES_ROLE } from '../metadata/roles.js';
import type { Tuf1DelegatedRoleJson, Tuf1KeyJson } from '../metadata/tuf1.js';
import { type ImageReference, parseReference } from '../reference.js';
import { formatLocation } from '../transport/oci/location.js';
import { checkSignerName, createKey, publicKeyFromPem } from './keys.js';
import { tuf1PublicKeyOf } from './migrate.js';
import {
  initRegistryRepository,
  mutateRegistry,
  onlineKeyEntries,
  type RegistryContext,
  type RegistryInitResult,
  type RegistryPublishOptions,
  type RegistryPublishResult,
  registryContext,
} from './registry.js';
import { tuf1SignersFromKeyStore } from './tuf1/fs.js';
import { notaryKeyIdOf, type Tuf1PublicKey, tuf1KeyOf, tuf1Signer } from './tuf1/keys.js';
import type { Tuf1Writer } from './tuf1/writer.js';
import type { RemoveSignerResult, RotatableRole } from './workflows.js';

/** docker's delegation path `""` (every tag) as a TUF 1.0 glob. */
const EVERY_TAG = ['*'];

function delegationsOf(writer: Tuf1Writer): Tuf1DelegatedRoleJson[] {
  const roles = writer.targetsOf('targets').delegations?.roles;
  return Array.isArray(roles) ? roles : [];
}

function keyOfEntry(keyid: string, k: Tuf1KeyJson): Tuf1PublicKey {
  return {
    keyid,
    keytype: k.keytype as Tuf1PublicKey['keytype'],
    scheme: k.scheme as Tuf1PublicKey['scheme'],
    public: k.keyval.public,
  };
}

/** Re-delegates `d` from `targets` with other keys, keeping its signatures, paths, threshold and flags. */
function redelegate(writer: Tuf1Writer, d: Tuf1DelegatedRoleJson, keys: Tuf1PublicKey[]): void {
  writer.addDelegation(
    {
      name: d.name,
      keys,
      threshold: d.threshold,
      ...(d.path_hash_prefixes !== undefined
        ? { pathHashPrefixes: d.path_hash_prefixes }
        : { paths: d.paths ?? EVERY_TAG }),
      terminating: d.terminating,
    },
    'targets',
    { keepSignatures: true },
  );
}

function keysOf(writer: Tuf1Writer, d: Tuf1DelegatedRoleJson): Tuf1PublicKey[] {
  const all = writer.targetsOf('targets').delegations?.keys ?? {};
  return d.keyids.filter((id) => all[id]).map((id) => keyOfEntry(id, all[id]!));
}

/** A delegated role whose committed metadata would miss its threshold after the edit. */
interface Gap {
  role: string;
  /** Version that would stop verifying (0: the role has no metadata yet). */
  version: number;
  tags: string[];
  threshold: number;
  keyids: string[];
  canResign: boolean;
}

async function delegationGaps(ctx: RegistryContext, writer: Tuf1Writer): Promise<Gap[]> {
  const gaps: Gap[] = [];
  const keys = writer.targetsOf('targets').delegations?.keys ?? {};
  for (const d of delegationsOf(writer)) {
    if (writer.validSignatures(d.name).length >= d.threshold) continue;
    const mine = Object.fromEntries(d.keyids.filter((id) => keys[id]).map((id) => [id, keys[id]!]));
    const held = await tuf1SignersFromKeyStore(ctx.keystore, mine);
    const t = writer.targetsOf(d.name);
    gaps.push({
      role: d.name,
      version: t.version,
      tags: Object.keys(t.targets).sort(),
      threshold: d.threshold,
      keyids: [...d.keyids],
      canResign: held.length >= d.threshold,
    });
  }
  return gaps;
}

/** The refusal for a gap this trust dir cannot close (no change pushed), mirroring the Notary path's. */
function gapError(ctx: RegistryContext, writer: Tuf1Writer, gap: Gap, hint: string): LocalError {
  const owners = keyOwnerNames(delegationsOf(writer), gap.keyids);
  const who = owners.join(' or ');
  const message =
    gap.version === 0
      ? `refusing to publish: ${gap.role} has no metadata yet, and a TUF 1.0 client refuses a delegated role ` +
        `that the snapshot does not list; its first version must be signed by ${who || 'its key'} ` +
        `(${gap.threshold} signature(s)), whose private key this trust dir does not hold. Run this from a ` +
        `trust dir that holds the repository key and ${who ? `${who}'s key` : 'that key'} ('trust key load FILE')`
      : `refusing to publish: ${gap.role} v${gap.version} would not verify after this change (it needs ` +
        `${gap.threshold} signature(s) from ${owners.join(', ') || 'no key at all'}, and has none), which would ` +
        `make every verify of ${ctx.ref.gun} fail. ` +
        (owners.length > 0
          ? `Have ${who} re-sign ${gap.role} first (their next 'trust sign' does), or run this from a trust dir ` +
            'that also holds one of their keys'
          : `Remove ${gap.role} instead`);
  return new LocalError('KEY_NOT_FOUND', `${message}${hint}`, {
    role: gap.role,
    expected: String(gap.threshold),
    actual: '0',
  });
}

// ---------------------------------------------------------------- signer add / remove

/** What addRegistrySigner added: the signer's TUF 1.0 key id and the roles that list it. */
export interface RegistrySignerAdded {
  keyId: string;
  roles: string[];
}

/**
 * Adds a signer to registry-hosted trust data, like `docker trust signer add`: its key joins
 * `targets/releases` and `targets/NAME`. A role that needs a new signed version (a new role, or one
 * whose signatures would no longer meet its threshold) is signed with keys this trust dir holds, or the
 * change is refused (KEY_NOT_FOUND) before anything is pushed.
 */
export async function addRegistrySigner(
  name: string,
  publicKeyPem: string,
  reference: string | ImageReference,
  opts: RegistryPublishOptions & {
    initIfMissing?: boolean;
    /** Told when `initIfMissing` created the trust data (which keys; the root key id to pin). */
    onInit?: (result: RegistryInitResult) => void;
  } = {},
): Promise<RegistryPublishResult<RegistrySignerAdded>> {
  checkSignerName(name);
  const key = tuf1PublicKeyOf(publicKeyFromPem(publicKeyPem));
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const ctx = registryContext(ref, opts);
  if (
    opts.initIfMissing &&
    (await ctx.client.headManifest(ctx.location.repository, ctx.location.tag)) === null
  ) {
    // not `opts.onInit?.(await init...)`: an optional call skips evaluating its arguments
    const created = await initRegistryRepository(ref, opts);
    opts.onInit?.(created);
  }
  const roles = [RELEASES_ROLE, `targets/${name}`];
  const added: RegistrySignerAdded = { keyId: key.keyid, roles };
  const out = await mutateRegistry(ctx, opts, {
    apply: async (writer) => {
      let changed = false;
      for (const role of roles) {
        const d = delegationsOf(writer).find((x) => x.name === role);
        if (d?.keyids.includes(key.keyid)) continue;
        if (d) redelegate(writer, d, [...keysOf(writer, d), key]);
        else
          writer.addDelegation({ name: role, keys: [key], threshold: 1, paths: EVERY_TAG }, 'targets', {
            keepSignatures: true,
          });
        changed = true;
      }
      if (!changed) return null;
      for (const gap of await delegationGaps(ctx, writer)) {
        if (!gap.canResign) throw gapError(ctx, writer, gap, '');
        writer.touchTargets(gap.role);
      }
      return added;
    },
  });
  return { ...out, result: added };
}

/**
 * Removes a signer from registry-hosted trust data: `targets/NAME`, and its keys from
 * `targets/releases` (removed too when no key is left). A remaining delegation whose metadata would
 * miss its threshold is re-signed with a remaining key this trust dir holds; else the change is refused
 * before anything is pushed, naming who must re-sign first, unless `force`, which removes that
 * delegation (its tags are reported).
 */
export async function removeRegistrySigner(
  name: string,
  reference: string | ImageReference,
  opts: RegistryPublishOptions & { force?: boolean } = {},
): Promise<RegistryPublishResult<RemoveSignerResult>> {
  checkSignerName(name);
  const role = `targets/${name}`;
  const ctx = registryContext(reference, opts);
  let tried = false;
  let last: RemoveSignerResult | undefined;
  const out = await mutateRegistry(ctx, opts, {
    apply: async (writer) => {
      const d = delegationsOf(writer).find((x) => x.name === role);
      if (!d) {
        if (tried) return null; // our earlier push (or another publisher) already removed it
        throw new LocalError('USAGE', `${name} is not a signer of ${ctx.ref.gun}`);
      }
      tried = true;
      const keys = new Set(d.keyids);
      const tagsOf = (r: string) => Object.keys(writer.targetsOf(r).targets).sort();
      const dropped: RemoveSignerResult['dropped'] = [];
      const ownTags = tagsOf(role);
      writer.removeDelegation(role);
      if (ownTags.length > 0) dropped.push({ role, tags: ownTags });
      const releases = delegationsOf(writer).find((x) => x.name === RELEASES_ROLE);
      if (releases) {
        const left = keysOf(writer, releases).filter((k) => !keys.has(k.keyid));
        const tags = tagsOf(RELEASES_ROLE);
        if (left.length === 0 || (left.length < releases.threshold && opts.force)) {
          writer.removeDelegation(RELEASES_ROLE);
          dropped.push({ role: RELEASES_ROLE, tags });
        } else if (left.length < releases.threshold) {
          // never lower a threshold behind the publisher's back
          throw new LocalError(
            'KEY_NOT_FOUND',
            `refusing to publish: ${RELEASES_ROLE} needs ${releases.threshold} signatures and would keep ` +
              `${left.length} key(s) after removing ${name}: add another signer first, or pass --force to remove ` +
              `${RELEASES_ROLE} now (drops its tags: ${tags.join(', ') || 'none'})`,
            { role: RELEASES_ROLE, expected: String(releases.threshold), actual: String(left.length) },
          );
        } else if (left.length !== releases.keyids.length) {
          redelegate(writer, releases, left);
        }
      }
      const resigned: string[] = [];
      for (const gap of await delegationGaps(ctx, writer)) {
        if (gap.canResign) {
          writer.touchTargets(gap.role);
          resigned.push(gap.role);
        } else if (opts.force) {
          writer.removeDelegation(gap.role);
          dropped.push({ role: gap.role, tags: gap.tags });
        } else {
          throw gapError(
            ctx,
            writer,
            gap,
            `; or pass --force to remove ${gap.role} now (drops its tags: ${gap.tags.join(', ') || 'none'}; ` +
              "remaining signers can be added again with 'trust signer add')",
          );
        }
      }
      last = { removedKeys: [...keys], resigned, dropped };
      return last;
    },
  });
  return { ...out, result: out.result ?? last ?? { removedKeys: [], resigned: [], dropped: [] } };
}

// ---------------------------------------------------------------- key rotation

/** Options of rotateRegistryKey. */
export interface RegistryRotateOptions extends RegistryPublishOptions {
  /** Algorithm of the new key (root, snapshot, timestamp: default ecdsa; targets: default ed25519). */
  algorithm?: PrivateKeyAlgorithm;
  /** Refused: registry-hosted trust has no server to hold a key. */
  serverManaged?: boolean;
}

/** What rotateRegistryKey did (the Notary path's shape; `keyId` is the TUF 1.0 key id). */
export interface RegistryRotateResult {
  role: RotatableRole;
  keyId: string;
  rootVersion: number;
  /** Trust-dir ids of rotated-out root keys marked retired. */
  retiredKeys: string[];
}

/**
 * Rotates one top-level role's key of registry-hosted trust data: a new root version lists the new key
 * (signed by a threshold of the old root keys and of the new root's), and the role is re-signed with
 * it. Every passphrase the publish needs is asked before the new key is made; the new key joins the
 * trust dir right before the push (discarded when nothing was pushed).
 */
export async function rotateRegistryKey(
  reference: string | ImageReference,
  role: RotatableRole,
  opts: RegistryRotateOptions = {},
): Promise<RegistryPublishResult<RegistryRotateResult>> {
  if (!['root', 'targets', 'snapshot', 'timestamp'].includes(role)) {
    throw new LocalError('USAGE', 'ROLE is root, targets, snapshot or timestamp');
  }
  if (opts.serverManaged) {
    throw new LocalError(
      'USAGE',
      'registry-hosted trust has no server to hold keys: you hold the snapshot and timestamp keys (omit --server-managed)',
    );
  }
  const ctx = registryContext(reference, opts);
  const gun = ctx.ref.gun;
  let made: PrivateKeyHandle | undefined;
  let pending = false;
  let extra: ReturnType<typeof tuf1Signer>[] = [];
  let oldRootIds: string[] = [];
  try {
    const out = await mutateRegistry(ctx, opts, {
      apply: async (writer) => {
        const newId = made ? tuf1KeyOf(made).keyid : undefined;
        const cur = writer.root.roles[role].keyids;
        if (newId !== undefined && cur.length === 1 && cur[0] === newId) return null; // already published
        const threshold = writer.root.roles[role].threshold;
        if (threshold > 1) {
          // rotation replaces the role's keys with one new key: never lower a threshold silently
          throw new LocalError(
            'USAGE',
            `${role} of ${ctx.ref.gun} has threshold ${threshold}: key rotate replaces its keys with one key, which would lower it to 1; rotate it with the library (Tuf1Writer.setRoleKeys with ${threshold} keys)`,
            { role },
          );
        }
        const root = writer.root;
        const rootKeys = Object.fromEntries(
          root.roles.root.keyids.filter((id) => root.keys[id]).map((id) => [id, root.keys[id]!]),
        );
        const rootSigners = await tuf1SignersFromKeyStore(ctx.keystore, rootKeys);
        if (rootSigners.length < root.roles.root.threshold) {
          throw new LocalError(
            'KEY_NOT_FOUND',
            `rotating keys needs the root key of ${gun}, which is not in the trust dir`,
            { role: 'root' },
          );
        }
        // unlock every other key the publish signs with before the new key is made
        await tuf1SignersFromKeyStore(ctx.keystore, onlineKeyEntries(writer));
        if (!made) {
          const alg = opts.algorithm ?? (role === 'targets' ? 'ed25519' : 'ecdsa');
          made = await createKey(ctx.keystore, alg, role, role === 'root' ? undefined : gun, {
            pending: true,
          });
          pending = true;
        }
        const key = tuf1KeyOf(made);
        writer.setRoleKeys(role, [key], 1);
        extra = [...rootSigners, tuf1Signer(made)];
        oldRootIds =
          role === 'root'
            ? rootSigners.map((sg) => notaryKeyIdOf(sg.key)).filter((id): id is string => id !== undefined)
            : [];
        return { role, keyId: key.keyid, rootVersion: root.version + 1, retiredKeys: [] };
      },
      sign: (writer, signers) =>
        writer.commit([...signers, ...extra], {
          now: (opts.now ?? Date.now)(),
          ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
        }),
      beforePush: async () => {
        if (made && pending) {
          await ctx.keystore.commitPending(made.publicKey.id);
          pending = false;
        }
      },
    });
    const result = out.result as RegistryRotateResult | null;
    if (result === null) {
      throw new LocalError('USAGE', `nothing to rotate at ${formatLocation(ctx.location)}`);
    }
    const retiredKeys: string[] = [];
    for (const id of oldRootIds) {
      try {
        await ctx.keystore.markRetired(id);
        retiredKeys.push(id);
      } catch (e) {
        opts.onWarning?.(`could not mark the old root key ${id} retired: ${(e as Error).message}`);
      }
    }
    return { ...out, result: { ...result, retiredKeys } };
  } finally {
    if (made && pending) await ctx.keystore.discardPending(made.publicKey.id);
  }
}
