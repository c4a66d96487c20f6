/**
 * File-system adapter of the TUF 1.0 writer: a repository directory in the
 * layout the spec's clients read over plain HTTP (python-tuf's ngclient,
 * go-tuf, tuf-js):
 *
 *   <dir>/metadata/N.root.json, N.snapshot.json, N.targets.json, N.<role>.json, timestamp.json
 *   <dir>/targets/<path dir>/<sha256>.<basename>   (target files, when the repository serves files)
 *
 * or, for a repository whose root says `consistent_snapshot: false`:
 *
 *   <dir>/metadata/N.root.json, snapshot.json, targets.json, <role>.json, timestamp.json
 *   <dir>/targets/<path dir>/<basename>
 *
 * Role names are percent-encoded in file names (`N.targets%2Freleases.json`),
 * the names python-tuf requests and caches; a static web server must serve
 * them under that literal name.
 *
 * Writes are atomic per file (temp + fsync + rename + directory fsync), and
 * ordered so a reader never sees a timestamp naming files that are not there
 * yet: every versioned file first, `timestamp.json` last. Versioned names are
 * never overwritten with other bytes (that would be a concurrent writer or a
 * rollback): LocalError CONFLICT.
 *
 * Keys live in the trust dir's key store (`private/<id>.key`, encrypted), the
 * same store the Notary path uses; `tuf1SignersFromKeyStore` finds the key files of
 * the keys a role lists.
 */
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../../crypto/backend.js';
import { toHex } from '../../crypto/util.js';
import { LocalError } from '../../errors.js';
import type { KeyStore } from '../../keys/keystore.js';
import type { Tuf1KeyJson } from '../../metadata/tuf1.js';
import { writeFileAtomic } from '../../storage/atomic.js';
import { notaryKeyIdOf, type Tuf1Signer, tuf1Signer } from './keys.js';
import type { Tuf1TargetInfo, Tuf1Writer } from './writer.js';
import { Tuf1Writer as Writer } from './writer.js';

/** Largest metadata file the adapter reads back (the client's default targets limit). */
const MAX_METADATA_FILE = 16 << 20;
const MAX_METADATA_FILES = 100_000;
const METADATA_NAME = /^(?:[1-9][0-9]{0,15}\.)?[A-Za-z0-9_.~%-]+\.json$/;
const VERSIONED_NAME = /^[1-9][0-9]{0,15}\./;

function io(message: string, cause?: unknown): LocalError {
  return new LocalError('IO', message, cause === undefined ? {} : { cause });
}

/** The metadata files of a repository directory (`<dir>/metadata/*.json`). */
export async function readTuf1Files(dir: string): Promise<Map<string, Uint8Array>> {
  const metaDir = join(dir, 'metadata');
  let names: string[];
  try {
    names = await readdir(metaDir);
  } catch (cause) {
    throw io(`no TUF repository at ${dir} (cannot list ${metaDir})`, cause);
  }
  if (names.length > MAX_METADATA_FILES) throw io(`${metaDir} holds more than ${MAX_METADATA_FILES} files`);
  const out = new Map<string, Uint8Array>();
  for (const name of names.sort()) {
    if (!METADATA_NAME.test(name)) continue;
    const path = join(metaDir, name);
    const st = await lstat(path);
    if (!st.isFile()) continue;
    if (st.size > MAX_METADATA_FILE) throw io(`${path} is larger than ${MAX_METADATA_FILE} bytes`);
    out.set(name, new Uint8Array(await readFile(path)));
  }
  return out;
}

/** Opens the repository in `dir` for editing. */
export async function openTuf1Repository(dir: string): Promise<Tuf1Writer> {
  return Writer.fromFiles(await readTuf1Files(dir));
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw io(`cannot read ${path}`, e);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Writes metadata files (a commit's `files`, or `writer.files()`) into
 * `<dir>/metadata`: targets roles, then snapshot, then root versions, and
 * `timestamp.json` last. Versioned names (`N.<role>.json`) are never
 * overwritten with other bytes; unversioned ones (`timestamp.json`, and
 * without consistent snapshots `snapshot.json`, `targets.json`,
 * `<role>.json`) are replaced atomically.
 */
export async function writeTuf1Files(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const metaDir = join(dir, 'metadata');
  await mkdir(metaDir, { recursive: true, mode: 0o755 });
  const names = [...files.keys()];
  for (const name of names)
    if (!METADATA_NAME.test(name)) throw io(`refusing to write metadata file ${JSON.stringify(name)}`);
  const isSnapshot = (n: string) => n === 'snapshot.json' || /^[0-9]+\.snapshot\.json$/.test(n);
  const ordered = [
    ...names.filter((n) => n !== 'timestamp.json' && !n.endsWith('.root.json') && !isSnapshot(n)).sort(),
    ...names.filter(isSnapshot),
    ...names
      .filter((n) => n.endsWith('.root.json'))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)),
    ...names.filter((n) => n === 'timestamp.json'),
  ];
  for (const name of ordered) {
    const bytes = files.get(name) as Uint8Array;
    const path = join(metaDir, name);
    if (VERSIONED_NAME.test(name)) {
      const have = await readIfExists(path);
      if (have !== undefined) {
        if (sameBytes(have, bytes)) continue;
        throw new LocalError(
          'CONFLICT',
          `${path} already exists with other content (another writer?); nothing was published`,
        );
      }
    }
    await writeFileAtomic(path, bytes, { mode: 0o644 });
  }
}

/** Options of `writeTuf1TargetFile`. */
export interface Tuf1TargetFileOptions {
  /**
   * The repository's `consistent_snapshot` (default true): store the file as
   * `<sha256>.<basename>`, else under its plain name (what clients download in each case).
   */
  consistentSnapshot?: boolean;
}

/**
 * Stores a target file as `<dir>/targets/<dirs>/<sha256>.<basename>` (the
 * name consistent-snapshot clients download; `<dirs>/<basename>` without
 * consistent snapshots) and returns its target info.
 */
export async function writeTuf1TargetFile(
  dir: string,
  path: string,
  data: Uint8Array,
  options: Tuf1TargetFileOptions = {},
): Promise<Tuf1TargetInfo> {
  const segs = path.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..'))
    throw new LocalError(
      'USAGE',
      `target path ${JSON.stringify(path)} must be relative without empty, '.' or '..' segments`,
    );
  const hex = toHex(sha256(data));
  const base = segs.pop() as string;
  const targetDir = join(dir, 'targets', ...segs);
  await mkdir(targetDir, { recursive: true, mode: 0o755 });
  const name = options.consistentSnapshot === false ? base : `${hex}.${base}`;
  await writeFileAtomic(join(targetDir, name), data, { mode: 0o644 });
  return { length: data.length, hashes: { sha256: hex } };
}

/**
 * Signers for every key the given metadata key entries name and the key
 * store holds (decrypting each once; passphrases come from the store's
 * provider). Keys the store does not hold are skipped: `commit` reports a
 * missing threshold by role.
 */
export async function tuf1SignersFromKeyStore(
  store: KeyStore,
  keys: Readonly<Record<string, Tuf1KeyJson>>,
): Promise<Tuf1Signer[]> {
  const out: Tuf1Signer[] = [];
  for (const [keyid, k] of Object.entries(keys)) {
    const id = notaryKeyIdOf({ keytype: k.keytype as 'ed25519', public: k.keyval?.public ?? '' });
    if (id === undefined || (await store.get(id)) === undefined) continue;
    const { key } = await store.load(id);
    const signer = tuf1Signer(key);
    if (signer.key.keyid === keyid) out.push(signer);
  }
  return out;
}

/** All key entries of a repository being edited: root's and every delegation's. */
export function tuf1KeyEntries(writer: Tuf1Writer): Record<string, Tuf1KeyJson> {
  const out: Record<string, Tuf1KeyJson> = { ...writer.root.keys };
  for (const role of writer.targetsRoles) {
    const d = writer.targetsOf(role).delegations;
    if (d?.keys) Object.assign(out, d.keys);
  }
  return out;
}
