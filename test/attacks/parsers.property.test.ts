/** Property tests with untrusted input: only our own errors escape, and no mutated signed body is accepted. */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrustError } from '../../src/errors.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { TrustedMetadataSet } from '../../src/trust/trusted-set.js';
import { vectorFile, vectorInfo, vectorNow } from '../support/vectors.js';

const scenario = 'ecdsa-server';
const info = vectorInfo(scenario);
const files = ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases'] as const;

function onlyTrustErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof TrustError)) throw e;
  }
}

/** A random JSON-level mutation of a parsed document: change, delete or retype one value somewhere. */
function mutate(doc: unknown, path: number[], replacement: unknown, op: number): unknown {
  const copy = JSON.parse(JSON.stringify(doc)) as unknown;
  let node: unknown = copy;
  for (let depth = 0; depth < path.length; depth++) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[path[depth]! % keys.length]!;
    const child = (node as Record<string, unknown>)[k];
    const last = depth === path.length - 1 || typeof child !== 'object' || child === null;
    if (last) {
      if (op === 0) delete (node as Record<string, unknown>)[k];
      else (node as Record<string, unknown>)[k] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}

const jsonValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }),
);

describe('parsers under untrusted input', () => {
  it.each(files)('random byte flips and truncations of real %s only raise TrustErrors', (role) => {
    const bytes = vectorFile(scenario, role);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (flips, cut) => {
          const b = Buffer.from(bytes).subarray(0, Math.max(1, bytes.length - (cut % 64)));
          const m = Buffer.from(b);
          for (const [i, v] of flips) m[i % m.length] = v;
          onlyTrustErrors(() => parseMetadata(m, role));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(files)('structural mutations of real %s only raise TrustErrors', (role) => {
    const doc = JSON.parse(Buffer.from(vectorFile(scenario, role)).toString()) as unknown;
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), jsonValue, fc.nat(2), (path, v, op) => {
        onlyTrustErrors(() => parseMetadata(Buffer.from(JSON.stringify(mutate(doc, path, v, op))), role));
      }),
      { numRuns: 400 },
    );
  });

  it('arbitrary JSON documents only raise TrustErrors', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...files), (v, role) => {
        onlyTrustErrors(() => parseMetadata(Buffer.from(JSON.stringify(v)), role));
      }),
      { numRuns: 500 },
    );
  });

  it('the state machine never accepts a timestamp whose signed body was changed', () => {
    const policy = { gun: info.gun, now: vectorNow(scenario) };
    const doc = JSON.parse(Buffer.from(vectorFile(scenario, 'timestamp')).toString()) as { signed: unknown };
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), jsonValue, fc.nat(2), (path, v, op) => {
        const signed = mutate(doc.signed, path, v, op);
        if (JSON.stringify(signed) === JSON.stringify(doc.signed)) return;
        const set = TrustedMetadataSet.fromRoot(vectorFile(scenario, 'root'), policy, 'first-use');
        const bytes = Buffer.from(JSON.stringify({ ...doc, signed }));
        let accepted = false;
        try {
          set.updateTimestamp(bytes);
          accepted = true;
        } catch (e) {
          if (!(e instanceof TrustError)) throw e;
        }
        expect(accepted).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
