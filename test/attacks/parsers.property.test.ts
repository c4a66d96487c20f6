/** Property tests with untrusted input: only our own errors escape, and no mutated signed body is accepted. */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countMembers, scanJson } from '../../src/encoding/json-scan.js';
import { TrustError } from '../../src/errors.js';
import { parseMetadata, parseTargets } from '../../src/metadata/parse.js';
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

/** JSON values without fractions (a fraction is refused before any key is looked at). */
const integralJson = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }),
);

describe('no differential with Go, and bounded work, under untrusted input', () => {
  /** Depth and whether JSON.stringify writes a number with a fraction or exponent. */
  const reference = (v: unknown): { depth: number; nonInteger: boolean } => {
    if (typeof v === 'number') return { depth: 0, nonInteger: /[.eE]/.test(JSON.stringify(v)) };
    if (typeof v !== 'object' || v === null) return { depth: 0, nonInteger: false };
    const kids = Object.values(v as object).map(reference);
    return {
      depth: 1 + Math.max(0, ...kids.map((k) => k.depth)),
      nonInteger: kids.some((k) => k.nonInteger),
    };
  };

  it('scanJson counts members and depth as the parsed value has them, and finds every non-integer', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 2),
        (v, maxDepth, indent) => {
          const text = JSON.stringify(v, null, indent);
          const r = scanJson(Buffer.from(text), maxDepth);
          const ref = reference(v);
          if (ref.depth > maxDepth) {
            // depth is reported first, unless a number before the too-deep point stops the scan
            expect('problem' in r).toBe(true);
            return;
          }
          if (ref.nonInteger) {
            expect(r).toMatchObject({ problem: expect.stringMatching(/fraction|exponent|-0/) });
            return;
          }
          expect(r).toEqual({
            members: countMembers(v),
            surrogateEscapes: expect.any(Boolean),
            escapes: text.includes('\\'),
            // the text itself when it is all ASCII (then the caller parses it instead of decoding)
            ascii: /^[\x00-\x7f]*$/.test(text) ? text : undefined,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a member repeated in any object of a real document is refused', () => {
    /** JSON text of v whose object number `at` (pre-order) writes its first member twice, the first copy `0`. */
    const withRepeat = (v: unknown, at: number): { text: string; done: boolean } => {
      let n = 0;
      let done = false;
      const ser = (x: unknown): string => {
        if (typeof x !== 'object' || x === null) return JSON.stringify(x);
        if (Array.isArray(x)) return `[${x.map(ser).join(',')}]`;
        const keys = Object.keys(x as object);
        const mine = n++ === at && keys.length > 0;
        const members = keys.map((k) => `${JSON.stringify(k)}:${ser((x as Record<string, unknown>)[k])}`);
        if (mine) {
          done = true;
          members.unshift(`${JSON.stringify(keys[0])}:0`);
        }
        return `{${members.join(',')}}`;
      };
      return { text: ser(v), done };
    };
    for (const role of files) {
      const doc = JSON.parse(Buffer.from(vectorFile(scenario, role)).toString()) as unknown;
      const objects = countObjects(doc);
      fc.assert(
        fc.property(fc.nat(objects - 1), (at) => {
          const { text, done } = withRepeat(doc, at);
          if (!done) return;
          expect(() => parseMetadata(Buffer.from(text), role)).toThrowError(
            expect.objectContaining({ code: 'BAD_METADATA' }),
          );
        }),
        { numRuns: Math.min(objects, 60) },
      );
    }
  });

  it('a key Go folds onto a struct field is refused wherever it goes; case variants of map keys are kept', () => {
    // struct objects of a targets document, and their fields
    const doc = () =>
      JSON.parse(Buffer.from(vectorFile(scenario, 'targets')).toString()) as {
        signed: Record<string, unknown> & { targets: Record<string, Record<string, unknown>> };
        signatures: Record<string, unknown>[];
      };
    const places: [string, (d: ReturnType<typeof doc>) => Record<string, unknown>, string[]][] = [
      ['document', (d) => d as unknown as Record<string, unknown>, ['signed', 'signatures']],
      ['signed', (d) => d.signed, ['_type', 'expires', 'version', 'targets', 'delegations']],
      ['signature', (d) => d.signatures[0]!, ['keyid', 'method', 'sig']],
      ['file meta', (d) => Object.values(d.signed.targets)[0]!, ['length', 'hashes', 'custom']],
    ];
    const variant = (field: string) =>
      fc
        .array(fc.nat(3), { minLength: field.length, maxLength: field.length })
        .map((choice) =>
          [...field]
            .map((c, i) => {
              const pick = choice[i]!;
              if (c === 's' && pick === 3) return '\u017f';
              if (c === 'k' && pick === 3) return '\u212a';
              return pick % 2 === 1 ? c.toUpperCase() : c;
            })
            .join(''),
        )
        .filter((k) => k !== field);
    const placeAndKey = fc
      .constantFrom(...places)
      .chain(([name, get, fields]) =>
        fc.constantFrom(...fields).chain((f) => variant(f).map((k) => [name, get, f, k] as const)),
      );
    fc.assert(
      fc.property(placeAndKey, integralJson, ([, get, field, key], value) => {
        const d = doc();
        get(d)[key] = value;
        expect(() => parseMetadata(Buffer.from(JSON.stringify(d)), 'targets')).toThrowError(
          expect.objectContaining({
            code: 'BAD_METADATA',
            message: expect.stringContaining(`reads this key as field "${field}"`),
          }),
        );
      }),
      { numRuns: 400 },
    );
    // the targets map is a Go map: a case variant is another tag
    fc.assert(
      fc.property(variant('latest'), (key) => {
        const d = doc();
        d.signed.targets[key] = d.signed.targets.latest!;
        expect(Object.keys(parseTargets(Buffer.from(JSON.stringify(d))).signed.targets)).toContain(key);
      }),
      { numRuns: 100 },
    );
  });

  it('adversarial shapes are refused or accepted within a CPU budget linear in their size', () => {
    const cpuMs = (f: () => void) => {
      const t = process.cpuUsage();
      f();
      const d = process.cpuUsage(t);
      return (d.user + d.system) / 1000;
    };
    const ts = JSON.parse(Buffer.from(vectorFile(scenario, 'timestamp')).toString()) as {
      signed: Record<string, unknown>;
    };
    const inSigned = (x: string) =>
      Buffer.from(JSON.stringify(ts).replace('"signed":{', `"signed":{"x":${x},`));
    const shape = fc.oneof(
      fc.integer({ min: 1, max: 500_000 }).map((n) => inSigned('['.repeat(n) + ']'.repeat(n))),
      fc
        .integer({ min: 1, max: 30 })
        .map((n) => inSigned(`${'[{"9":0,"10":'.repeat(n)}[${'1,'.repeat(100_000)}1]${'}]'.repeat(n)}`)),
      fc
        .integer({ min: 1, max: 200_000 })
        .map((n) => inSigned(`{${Array.from({ length: n }, (_, i) => `"${i}":${i}`).join(',')}}`)),
      fc.integer({ min: 1, max: 200_000 }).map((n) => inSigned(`{${'"a":1,'.repeat(n)}"a":2}`)),
      fc.integer({ min: 1, max: 300_000 }).map((n) => inSigned(`"${'\\u00e9\\"'.repeat(n)}"`)),
      fc.integer({ min: 1, max: 300_000 }).map((n) => inSigned(`"${'\\ud800'.repeat(n)}"`)),
      fc.integer({ min: 1, max: 500_000 }).map((n) => inSigned(`[${'-0,'.repeat(n)}0]`)),
    );
    fc.assert(
      fc.property(shape, (bytes) => {
        const ms = cpuMs(() =>
          onlyTrustErrors(() => {
            const md = parseMetadata(bytes, 'timestamp');
            md.canonicalText();
          }),
        );
        expect(ms, `${bytes.length} bytes: ${ms} ms`).toBeLessThan(300 + bytes.length / 1000);
      }),
      { numRuns: 25 },
    );
  });
});

function countObjects(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return (
    (Array.isArray(v) ? 0 : 1) + Object.values(v as object).reduce<number>((n, x) => n + countObjects(x), 0)
  );
}
