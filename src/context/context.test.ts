/** The explicit context: limits, and caches that never key on declared ids or leak across contexts. */

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Forge, newKey } from '../../test/support/forge.js';
import { getCryptoBackend } from '../crypto/backend.js';
import { setCryptoBackend } from '../crypto/noble.js';
import type { TufPublicKey } from '../crypto/types.js';
import { parseTimestamp } from '../metadata/parse.js';
import { MetadataCache } from '../storage/trust-dir.js';
import { type RoleKeySet, validSignerIds } from '../trust/signatures.js';
import {
  DEFAULT_LIMITS,
  Deadline,
  DocumentCache,
  resolveLimits,
  TrustContext,
  VerdictMemo,
} from './context.js';
import { operationContext } from './repository.js';

afterEach(() => setCryptoBackend('node'));

/** A timestamp signed by `key`, and the parsed key it is signed with. */
function signedTimestamp() {
  const forge = new Forge(`unit.example.com/ctx/${randomBytes(4).toString('hex')}`, { alg: 'ed25519' });
  forge.tag('v1');
  const md = parseTimestamp(forge.build().timestamp!);
  const key = forge.keys.timestamp[0]!;
  return {
    md,
    id: key.id,
    key: { keytype: 'ed25519', publicB64: key.publicB64, id: key.id } as TufPublicKey,
  };
}

const setOf = (id: string, key: TufPublicKey): RoleKeySet => ({
  role: 'timestamp',
  keyids: [id],
  threshold: 1,
  keys: new Map([[id, key]]),
});

describe('signature verdict memo', () => {
  it('is keyed by the key bytes, not the declared key id: another key under the same id does not hit', () => {
    const { md, id, key } = signedTimestamp();
    const ctx = new TrustContext();
    expect(validSignerIds(md, setOf(id, key), ctx).valid).toEqual([id]);
    const other = newKey('ed25519');
    const impostor = { keytype: 'ed25519', publicB64: other.publicB64, id } as TufPublicKey;
    expect(validSignerIds(md, setOf(id, impostor), ctx).valid).toEqual([]);
  });

  it('includes the crypto backend', () => {
    const { md, id, key } = signedTimestamp();
    const ctx = new TrustContext();
    validSignerIds(md, setOf(id, key), ctx);
    expect(ctx.verdicts.size).toBe(1);
    setCryptoBackend('noble');
    expect(getCryptoBackend()).toBe('noble');
    expect(validSignerIds(md, setOf(id, key), ctx).valid).toEqual([id]);
    expect(ctx.verdicts.size).toBe(2);
  });

  it('belongs to one context: another context starts empty; derive() shares it', () => {
    const { md, id, key } = signedTimestamp();
    const a = new TrustContext();
    validSignerIds(md, setOf(id, key), a);
    expect(new TrustContext().verdicts.size).toBe(0);
    const d = a.derive({ limits: { deadlineMs: 5 } });
    expect(d.verdicts).toBe(a.verdicts);
    expect(d.documents).toBe(a.documents);
    expect(d.keyIdentities).toBe(a.keyIdentities);
    expect(d.transport).toBe(a.transport);
    expect(d.limits.deadlineMs).toBe(5);
    expect(a.limits.deadlineMs).toBe(DEFAULT_LIMITS.deadlineMs);
  });
});

describe('limits', () => {
  it('defaults, overrides, and refuses unknown or non-positive limits (USAGE)', () => {
    expect(resolveLimits().maxMetadataBytes).toBe(100 << 20);
    expect(resolveLimits({ maxMetadataBytes: 1024 }).maxMetadataBytes).toBe(1024);
    expect(() => resolveLimits({ maxMetadataBytes: 0 })).toThrowError(
      expect.objectContaining({ code: 'USAGE' }),
    );
    expect(() => resolveLimits({ typo: 1 } as never)).toThrowError(/unknown limit "typo"/);
  });

  it('a deadline that has passed is TIMEOUT', async () => {
    const d = new Deadline(10);
    await new Promise((r) => setTimeout(r, 20));
    expect(() => d.check('x')).toThrowError(expect.objectContaining({ code: 'TIMEOUT' }));
    await expect(new Deadline(10).race(new Promise(() => {}), 'y')).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });

  it('race: the value or error of the promise when it settles first; past the deadline a rejection, never a throw', async () => {
    const d = new Deadline(60_000);
    await expect(d.race(Promise.resolve(7), 'v')).resolves.toBe(7);
    const err = new Error('boom');
    await expect(d.race(Promise.reject(err), 'e')).rejects.toBe(err);
    // settled late: the TIMEOUT stands, the late value is ignored
    let late: (v: number) => void = () => {};
    const slow = new Deadline(10).race(new Promise<number>((r) => (late = r)), 'slow');
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/^slow /) });
    late(1);
    // a deadline already passed: a rejected promise (callers await it), not an exception
    let t = 0;
    const passed = new Deadline(5, () => t);
    t = 10;
    const p = passed.race(new Promise(() => {}), 'gone');
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('race past the deadline: the raced promise rejecting later is handled (no unhandled rejection, which ends a Node process)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      // what a verify with a 1 ms deadline hit (Q3): the request starts with the last millisecond,
      // the race finds the deadline passed, then the request fails with its own TIMEOUT
      let t = 0;
      const passed = new Deadline(5, () => t);
      let fail: (e: Error) => void = () => {};
      const request = new Promise<never>((_, reject) => (fail = reject));
      t = 10;
      await expect(passed.race(request, 'late')).rejects.toMatchObject({ code: 'TIMEOUT' });
      fail(new Error('the request timed out too'));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('DocumentCache', () => {
  it('hits on the same role and bytes only, whatever buffer holds them, and keeps its own copy', () => {
    const cache = new DocumentCache<string>(2);
    let parses = 0;
    const parse = (s: string) => () => {
      parses++;
      return s;
    };
    const bytes = new TextEncoder().encode('{"signed":1}');
    expect(cache.get('timestamp', bytes, parse('a'))).toBe('a');
    expect(cache.get('timestamp', Uint8Array.from(bytes), parse('b'))).toBe('a'); // equal bytes: a hit
    expect(cache.get('snapshot', bytes, parse('c'))).toBe('c'); // another role: a miss
    const other = Uint8Array.from(bytes);
    other[10] = 0x32; // same length, one byte differs
    expect(cache.get('timestamp', other, parse('d'))).toBe('d');
    // the caller's buffer changing after a parse does not change what the cache holds
    const mutable = new TextEncoder().encode('{"signed":3}');
    expect(cache.get('root', mutable, parse('e'))).toBe('e');
    mutable[10] = 0x34;
    expect(cache.get('root', mutable, parse('f'))).toBe('f');
    expect(cache.get('root', new TextEncoder().encode('{"signed":3}'), parse('g'))).toBe('e');
    expect(cache.get('timestamp', bytes, parse('h'))).toBe('h'); // bounded (2): the oldest went first
    expect(parses).toBe(6);
  });
});

describe('DocumentCache digests', () => {
  it('remembers a digest only for bytes a document was parsed from, compared byte for byte', () => {
    const cache = new DocumentCache<string>(4);
    let hashes = 0;
    const hash = (b: Uint8Array) => () => {
      hashes++;
      return createHash('sha256').update(b).digest('base64');
    };
    const bytes = new TextEncoder().encode('{"signed":{"version":1}}');
    // bytes no document was parsed from: computed every time, never remembered
    cache.digest(bytes, 'sha256/base64', hash(bytes));
    cache.digest(bytes, 'sha256/base64', hash(bytes));
    expect(hashes).toBe(2);
    cache.get('snapshot', bytes, () => 'snapshot v1');
    const first = cache.digest(bytes, 'sha256/base64', hash(bytes));
    expect(cache.digest(Uint8Array.from(bytes), 'sha256/base64', hash(bytes))).toBe(first); // equal copy: a hit
    expect(hashes).toBe(3);
    // one byte changed, same length: hashed again, and the right digest comes back
    const tampered = Uint8Array.from(bytes);
    tampered[22] = 0x32;
    const got = cache.digest(tampered, 'sha256/base64', hash(tampered));
    expect(got).toBe(createHash('sha256').update(tampered).digest('base64'));
    expect(got).not.toBe(first);
    expect(hashes).toBe(4);
    // another label is another digest
    cache.digest(bytes, 'sha512/base64', hash(bytes));
    expect(hashes).toBe(5);
  });
});

describe('VerdictMemo', () => {
  it('is bounded: full, it starts over', () => {
    const memo = new VerdictMemo(2);
    const key = { keytype: 'ed25519', publicB64: 'AAAA', id: 'k' } as TufPublicKey;
    let checks = 0;
    const check = () => {
      checks++;
      return true;
    };
    memo.verdict(key, 'eddsa', 's1', 'h', check);
    memo.verdict(key, 'eddsa', 's1', 'h', check);
    expect(checks).toBe(1);
    memo.verdict(key, 'eddsa', 's2', 'h', check);
    expect(memo.size).toBe(2);
    memo.verdict(key, 'eddsa', 's3', 'h', check);
    expect(memo.size).toBe(1);
    memo.verdict(key, 'eddsa', 's1', 'h', check); // forgotten: checked again
    expect(checks).toBe(4);
  });
});

describe('operationContext', () => {
  it("is the caller's context when the call overrides nothing, else a derived one sharing its caches", () => {
    const context = new TrustContext();
    expect(operationContext({ context })).toBe(context);
    for (const o of [{ deadlineMs: 5 }, { limits: { maxDelegations: 3 } }, { now: () => 0 }, { env: {} }]) {
      const d = operationContext({ context, ...o });
      expect(d).not.toBe(context);
      expect(d.documents).toBe(context.documents);
      expect(d.transport).toBe(context.transport);
    }
    expect(operationContext({ context, deadlineMs: 5 }).limits.deadlineMs).toBe(5);
    expect(operationContext({}).transport).not.toBe(context.transport);
  });
});

describe('TrustContext.metadataCache', () => {
  it('one MetadataCache per trust dir and GUN, over the context files, with the paths a new one has', () => {
    const context = new TrustContext();
    const a = context.metadataCache('/td', 'reg.example/app');
    expect(context.metadataCache('/td', 'reg.example/app')).toBe(a);
    expect(context.metadataCache('/td2', 'reg.example/app')).not.toBe(a);
    expect(context.metadataCache('/td', 'reg.example/other')).not.toBe(a);
    expect(a.files).toBe(context.files);
    const fresh = new MetadataCache('/td', 'reg.example/app');
    for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']) {
      expect(a.pathOf(role)).toBe(fresh.pathOf(role));
    }
    expect(a.indexPath()).toBe(fresh.indexPath());
    expect(a.pathOf('root')).toBe(join('/td', 'tuf', 'reg.example', 'app', 'metadata', 'root.json'));
    // an invalid GUN throws every time, and nothing is remembered for it
    for (let i = 0; i < 2; i++) {
      expect(() => context.metadataCache('/td', 'reg.example/../x')).toThrowError(
        expect.objectContaining({ code: 'BAD_REFERENCE' }),
      );
    }
    // two contexts share nothing
    expect(new TrustContext().metadataCache('/td', 'reg.example/app')).not.toBe(a);
  });
});
