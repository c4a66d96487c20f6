/**
 * A Notary targets document read for the verified index (storage/verified-index.ts): everything but
 * the `targets` map is parsed by the strict parser (the document with that map emptied), and the map
 * is a lazy view: looking a tag up finds its member in a native search of the bytes located when the document was read (json-locate.ts) and
 * parses that entry exactly as the strict parser would. A warm verify of a 10,000-tag repository then
 * parses one entry instead of 2 MB. Anything that lists the map (`Object.keys`, canonical JSON for a
 * signature check) or any doubt about the bytes parses the whole document strictly first, so the
 * view behaves as the plain object the strict parser builds (and fails as it fails).
 *
 * Only for bytes whose digest the verified index vouches for; null when the map cannot be located
 * soundly, and the caller parses the document in full.
 */

import { type LocatedObject, locateObject, memberValue } from '../encoding/json-locate.js';
import { type JsonObject, MAX_JSON_DEPTH } from '../encoding/olpc.js';
import { DEFAULT_MAX_NESTING, type FileMetaJson, Metadata, type TargetsMetadata } from './model.js';
import { type ParseLimits, parseMetadata, parseTargetEntry, parseTargets } from './parse.js';
import {
  parseTuf1,
  parseTuf1TargetEntry,
  Tuf1Metadata,
  type Tuf1TargetFile,
  type Tuf1TargetsBody,
} from './tuf1.js';

const EMPTY = new Uint8Array([0x7b, 0x7d]); // {}
const encoder = new TextEncoder();

/** The lazy `targets` map over `bytes` (the map's object at `span`). */
function lazyTargets(
  bytes: Uint8Array,
  obj: LocatedObject,
  role: string,
  limits: ParseLimits,
): Record<string, FileMetaJson> {
  const seen = new Map<string, FileMetaJson | undefined>();
  let full: Record<string, FileMetaJson> | undefined;
  const all = (): Record<string, FileMetaJson> => {
    full ??= parseTargets(bytes, role, limits).signed.targets;
    return full;
  };
  const one = (name: string): FileMetaJson | undefined => {
    if (full) return Object.hasOwn(full, name) ? full[name] : undefined;
    if (seen.has(name)) return seen.get(name);
    const at = memberValue(bytes, obj, encoder.encode(name));
    if (at === null) return Object.hasOwn(all(), name) ? all()[name] : undefined;
    const v =
      at === undefined ? undefined : parseTargetEntry(bytes.subarray(at.start, at.end), role, name, limits);
    seen.set(name, v);
    return v;
  };
  return new Proxy({} as Record<string, FileMetaJson>, {
    get: (_t, k) => (typeof k === 'string' ? one(k) : Reflect.get(all(), k)),
    has: (_t, k) => (typeof k === 'string' ? one(k) !== undefined : Reflect.has(all(), k)),
    getOwnPropertyDescriptor: (_t, k) => {
      if (typeof k !== 'string') return Reflect.getOwnPropertyDescriptor(all(), k);
      const v = one(k);
      return v === undefined ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
    },
    ownKeys: () => Reflect.ownKeys(all()),
    set: (_t, k, v) => Reflect.set(all(), k, v),
    defineProperty: (_t, k, d) => Reflect.defineProperty(all(), k, d),
    deleteProperty: (_t, k) => Reflect.deleteProperty(all(), k),
    getPrototypeOf: () => Object.prototype,
  });
}

/**
 * Parses a Notary targets document (`role`) with its `targets` map as a lazy view, or null when the
 * map cannot be located soundly. Errors are the strict parser's.
 */
export function parseTargetsIndexed(
  bytes: Uint8Array,
  role: string,
  limits: ParseLimits = {},
): TargetsMetadata | null {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_NESTING;
  if (limits.maxBytes !== undefined && bytes.length > limits.maxBytes) return null;
  const span = locateObject(bytes, ['signed', 'targets'], maxDepth);
  if (!span) return null;
  const spliced = new Uint8Array(bytes.length - (span.end - span.start) + EMPTY.length);
  spliced.set(bytes.subarray(0, span.start), 0);
  spliced.set(EMPTY, span.start);
  spliced.set(bytes.subarray(span.end), span.start + EMPTY.length);
  const rest = parseMetadata(spliced, role, limits) as TargetsMetadata;
  const targets = lazyTargets(bytes, span, role, limits);
  return new Metadata(
    role,
    { ...rest.signed, targets },
    rest.signatures,
    rest.keys,
    bytes,
    rest.expiresMs,
  ) as TargetsMetadata;
}

/** A read-only map whose `get`/`has` find one member; anything that lists builds the whole map first. */
class LazyMap<V> implements ReadonlyMap<string, V> {
  readonly #one: (k: string) => V | undefined;
  readonly #all: () => ReadonlyMap<string, V>;
  constructor(one: (k: string) => V | undefined, all: () => ReadonlyMap<string, V>) {
    this.#one = one;
    this.#all = all;
  }
  get(k: string): V | undefined {
    return typeof k === 'string' ? this.#one(k) : undefined;
  }
  has(k: string): boolean {
    return this.get(k) !== undefined;
  }
  get size(): number {
    return this.#all().size;
  }
  forEach(f: (v: V, k: string, m: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#all()) f.call(thisArg, v, k, this);
  }
  entries(): MapIterator<[string, V]> {
    return this.#all().entries();
  }
  keys(): MapIterator<string> {
    return this.#all().keys();
  }
  values(): MapIterator<V> {
    return this.#all().values();
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.#all().entries();
  }
}

/**
 * The TUF 1.0 form of `parseTargetsIndexed` (registry-hosted trust): the body's `targets` map finds
 * one entry with a native search and parses it as `parseTuf1` would; listing it, or the JSON view
 * (`signed`, for canonical bytes), parses the whole document strictly first.
 */
export function parseTuf1TargetsIndexed(
  bytes: Uint8Array,
  role: string,
  limits: ParseLimits = {},
): TargetsMetadata | null {
  const maxDepth = Math.min(limits.maxDepth ?? MAX_JSON_DEPTH, MAX_JSON_DEPTH);
  if (limits.maxBytes !== undefined && bytes.length > limits.maxBytes) return null;
  const obj = locateObject(bytes, ['signed', 'targets'], maxDepth);
  if (!obj) return null;
  const spliced = new Uint8Array(bytes.length - (obj.end - obj.start) + EMPTY.length);
  spliced.set(bytes.subarray(0, obj.start), 0);
  spliced.set(EMPTY, obj.start);
  spliced.set(bytes.subarray(obj.end), obj.start + EMPTY.length);
  const rest = parseTuf1(spliced, 'targets', role, limits);
  let full: ReturnType<typeof parseTuf1> | undefined;
  const whole = () => {
    full ??= parseTuf1(bytes, 'targets', role, limits) as typeof full & object;
    return full!;
  };
  const seen = new Map<string, Tuf1TargetFile | undefined>();
  const one = (name: string): Tuf1TargetFile | undefined => {
    if (full) return (full.body as Tuf1TargetsBody).targets.get(name);
    if (seen.has(name)) return seen.get(name);
    const at = memberValue(bytes, obj, encoder.encode(name));
    if (at === null) return (whole().body as Tuf1TargetsBody).targets.get(name);
    const v =
      at === undefined
        ? undefined
        : parseTuf1TargetEntry(bytes.subarray(at.start, at.end), role, name, limits);
    seen.set(name, v);
    return v;
  };
  const targets = new LazyMap(one, () => (whole().body as Tuf1TargetsBody).targets);
  const body = { ...(rest.body as Tuf1TargetsBody), targets };
  // the JSON view: its `targets` is the whole document's, built when first read
  const json = { ...rest.json };
  Object.defineProperty(json, 'targets', {
    enumerable: true,
    configurable: true,
    get: () => whole().json.targets,
  });
  return new Tuf1Metadata(
    role,
    body,
    json as unknown as JsonObject,
    rest.tufSignatures,
    bytes,
  ) as unknown as TargetsMetadata;
}
