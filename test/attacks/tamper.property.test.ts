/**
 * Property tests with a malicious server in the loop: the real Notary vectors
 * (vectors/<scenario>/) are served by an in-memory store that answers every
 * name, checksum names included, with whatever bytes the property chose, so a
 * mutated file always reaches the client's checks. For any mutation of any
 * served file, verify() either returns exactly the genuine answer or throws a
 * TrustError: never another error type, never another digest. And the state
 * machine never accepts a root whose signed body was changed.
 */

import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { canonicalJson } from '../../src/encoding/canonical.js';
import { TrustError, VerificationError } from '../../src/errors.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import type { MetadataStore } from '../../src/transport/store.js';
import { TrustedMetadataSet } from '../../src/trust/trusted-set.js';
import { tempDir } from '../harness/lab.js';
import {
  SCENARIOS,
  type Scenario,
  vectorFile,
  vectorInfo,
  vectorNow,
  vectorTags,
} from '../support/vectors.js';

const ROLES = ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases'] as const;

/** Serves the vectors like notary-server, but with `swap` answered for every name of its role. */
class HostileStore implements MetadataStore {
  readonly description = 'hostile in-memory store';
  constructor(
    private readonly scenario: Scenario,
    private readonly swap: { role: string; bytes: Uint8Array },
  ) {}
  async getMeta(name: string, maxBytes: number): Promise<Uint8Array | null> {
    const role = name.replace(/\.[0-9a-f]{64,128}$/, '');
    let bytes: Uint8Array | null;
    if (role === this.swap.role) bytes = this.swap.bytes;
    else if (/^\d+\.root$/.test(role))
      bytes = null; // no rotation to walk: root.json is the newest
    else bytes = vectorFile(this.scenario, role);
    if (bytes && bytes.length > maxBytes) throw new VerificationError('TOO_LARGE', `${name} > ${maxBytes}`);
    return bytes;
  }
  async publish(): Promise<void> {
    throw new Error('read-only');
  }
  async getServerKey(): Promise<null> {
    return null;
  }
  async rotateServerKey(): Promise<unknown> {
    throw new Error('read-only');
  }
  async deleteRepository(): Promise<void> {
    throw new Error('read-only');
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON-level edit: at a path chosen by `steps`, delete, replace, or add a key. */
function edit(doc: Json, steps: number[], op: 'delete' | 'replace' | 'add', value: Json, key: string): Json {
  const copy = structuredClone(doc);
  let node: Json = copy;
  for (let i = 0; i < steps.length; i++) {
    if (typeof node !== 'object' || node === null) return copy;
    const keys = Array.isArray(node) ? node.map((_, j) => String(j)) : Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[steps[i]! % keys.length]!;
    const child: Json = Array.isArray(node) ? node[Number(k)]! : node[k]!;
    const last = i === steps.length - 1 || typeof child !== 'object' || child === null;
    if (last) {
      if (Array.isArray(node)) {
        if (op === 'delete') node.splice(Number(k), 1);
        else if (op === 'add') node.push(value);
        else node[Number(k)] = value;
      } else if (op === 'delete') delete node[k];
      else if (op === 'add') node[key] = value;
      else node[k] = value;
      return copy;
    }
    node = child;
  }
  return copy;
}

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 1_000_000 }),
  fc.constantFrom(0.5, -0, 2 ** 53, 1e300, Number.MAX_SAFE_INTEGER),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '',
    'ecdsa',
    'eddsa',
    'Root',
    'Targets',
    'Snapshot',
    'Timestamp',
    '2099-01-01T00:00:00Z',
    '__proto__',
  ),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }) },
);
const jsonEdit = fc.record({
  steps: fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
  op: fc.constantFrom('delete' as const, 'replace' as const, 'add' as const),
  value,
  key: fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('__proto__', 'constructor', 'signed', 'version'),
  ),
});
const byteEdit = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
  cut: fc.nat({ max: 40 }),
});

/** Runs verify for `tag` against `store`; returns the digest or the TrustError; rethrows anything else. */
async function outcome(
  scenario: Scenario,
  store: MetadataStore,
  tag: string,
): Promise<{ digest?: string; error?: TrustError }> {
  const trustDir = mkdtempSync(join(tempDir(), 'p-'));
  try {
    const res = await verify(`${vectorInfo(scenario).gun}:${tag}`, {
      store,
      trustDir,
      now: vectorNow(scenario),
    });
    return { digest: res.digest };
  } catch (e) {
    if (e instanceof TrustError) return { error: e };
    throw e;
  }
}

describe.each(SCENARIOS)('a hostile server in front of the %s vectors', (scenario) => {
  const tags = vectorTags(scenario);
  const genuine = `sha256:${tags['release-1']!.sha256hex}`;

  it('control: the unmodified files verify', async () => {
    const r = await outcome(
      scenario,
      new HostileStore(scenario, { role: 'none', bytes: new Uint8Array() }),
      'release-1',
    );
    expect(r).toEqual({ digest: genuine });
  });

  it.each(ROLES)('JSON edits of %s: the genuine digest or a TrustError, nothing else', async (role) => {
    const doc = JSON.parse(Buffer.from(vectorFile(scenario, role)).toString('utf8')) as Json;
    let rejectedCount = 0;
    await fc.assert(
      fc.asyncProperty(jsonEdit, async ({ steps, op, value: v, key }) => {
        const changed = edit(doc, steps, op, v, key);
        const bytes = Buffer.from(JSON.stringify(changed), 'utf8');
        const r = await outcome(scenario, new HostileStore(scenario, { role, bytes }), 'release-1');
        if (r.error) rejectedCount++;
        else expect(r.digest).toBe(genuine);
      }),
      { numRuns: 60 },
    );
    expect(rejectedCount).toBeGreaterThan(0);
  });

  it.each(ROLES)('byte flips and truncations of %s: the genuine digest or a TrustError', async (role) => {
    const bytes = Buffer.from(vectorFile(scenario, role));
    await fc.assert(
      fc.asyncProperty(byteEdit, async ({ flips, cut }) => {
        const m = Buffer.from(bytes.subarray(0, bytes.length - cut));
        for (const [i, b] of flips) m[i % m.length] = b;
        const r = await outcome(scenario, new HostileStore(scenario, { role, bytes: m }), 'release-1');
        if (!r.error) expect(r.digest).toBe(genuine);
      }),
      { numRuns: 40 },
    );
  });

  it('a root whose signed body was changed is never trusted, on first use or as the next version', () => {
    const info = vectorInfo(scenario);
    const policy = { gun: info.gun, now: vectorNow(scenario) };
    const v2 = JSON.parse(Buffer.from(vectorFile(scenario, '2.root')).toString('utf8')) as { signed: Json };
    const original = canonicalJson(v2.signed);
    fc.assert(
      fc.property(jsonEdit, ({ steps, op, value: v, key }) => {
        const signed = edit(v2.signed, steps, op, v, key);
        let same: boolean;
        try {
          same = canonicalJson(signed) === original;
        } catch {
          same = false;
        }
        const bytes = Buffer.from(JSON.stringify({ ...v2, signed }), 'utf8');
        for (const attempt of ['first-use', 'rotation'] as const) {
          let accepted = false;
          try {
            if (attempt === 'first-use') TrustedMetadataSet.fromRoot(bytes, policy, 'first-use');
            else
              TrustedMetadataSet.fromRoot(vectorFile(scenario, '1.root'), policy, 'first-use').updateRoot(
                bytes,
              );
            accepted = true;
          } catch (e) {
            if (!(e instanceof TrustError)) throw e;
          }
          expect(accepted, `${attempt}: ${JSON.stringify(signed).slice(0, 200)}`).toBe(same);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('pathological but well-formed JSON', () => {
  const scenario: Scenario = 'ecdsa-server';
  const ts = JSON.parse(Buffer.from(vectorFile(scenario, 'timestamp')).toString('utf8')) as {
    signed: Record<string, Json>;
    signatures: { keyid: string; method: string; sig: string }[];
  };

  function deep(depth: number): string {
    return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  }

  it.each([
    [
      'a 100 000-deep array in an unknown field',
      (s: string) => s.replace('"_type"', `"x":${deep(100_000)},"_type"`),
    ],
    [
      'a 600-deep object in an unknown field',
      (s: string) => s.replace('"_type"', `"x":${'{"a":'.repeat(600)}1${'}'.repeat(600)},"_type"`),
    ],
    ['a huge version', (s: string) => s.replace(/"version":\d+/, '"version":1e400')],
    ['a negative zero version', (s: string) => s.replace(/"version":\d+/, '"version":-0')],
    [
      'a __proto__ meta entry',
      (s: string) => s.replace('"meta":{', '"meta":{"__proto__":{"length":1,"hashes":{}},'),
    ],
    [
      'duplicate keys (the last wins, as in Go)',
      (s: string) => s.replace('"_type":"Timestamp"', '"_type":"Root","_type":"Timestamp"'),
    ],
    ['a lone surrogate escape in a key', (s: string) => s.replace('"_type"', '"\\ud800":1,"_type"')],
  ])('%s: only TrustErrors, and no change of the signed body is accepted', (_name, change) => {
    const text = change(JSON.stringify(ts));
    const bytes = Buffer.from(text, 'utf8');
    const policy = { gun: vectorInfo(scenario).gun, now: vectorNow(scenario) };
    let accepted = false;
    try {
      parseMetadata(bytes, 'timestamp');
      const set = TrustedMetadataSet.fromRoot(vectorFile(scenario, 'root'), policy, 'first-use');
      set.updateTimestamp(bytes);
      accepted = true;
    } catch (e) {
      if (!(e instanceof TrustError)) throw e;
    }
    // only an edit that leaves the canonical signed body as it was may pass
    if (accepted) expect(canonicalJson(JSON.parse(text).signed)).toBe(canonicalJson(ts.signed));
  });
});
