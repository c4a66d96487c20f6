// TransportPool: the authenticating clients of one context, keyed by what changes the wire, bounded.
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { TrustContext } from '../context/context.js';
import { TransportPool } from './pool.js';
import { PROXY_ENV_VARS } from './proxy.js';

const base = { server: 'https://notary.example', registry: 'reg.example', env: {} };

describe('TransportPool', () => {
  it('one client per (server, CA, registry, deadline, NOTARY_AUTH, proxy env)', async () => {
    const pool = new TransportPool();
    const a = pool.authFor(base);
    expect(pool.authFor({ ...base })).toBe(a);
    expect(pool.authFor({ ...base, server: 'https://other.example' })).not.toBe(a);
    expect(pool.authFor({ ...base, registry: 'reg2.example' })).not.toBe(a);
    expect(pool.authFor({ ...base, deadlineMs: 5 })).not.toBe(a);
    expect(pool.authFor({ ...base, env: { NOTARY_AUTH: 'dTpw' } })).not.toBe(a);
    expect(pool.authFor({ ...base, env: { HTTPS_PROXY: 'http://127.0.0.1:1' } })).not.toBe(a);
    // CAs taken in turn (the pool remembers the last CA's hash): each keeps its own client
    const ca1 = pool.authFor({ ...base, tlsCaCert: rootCertificates[0] });
    const ca2 = pool.authFor({ ...base, tlsCaCert: rootCertificates[1] });
    expect(ca2).not.toBe(ca1);
    expect(pool.authFor({ ...base, tlsCaCert: rootCertificates[0] })).toBe(ca1);
    expect(pool.authFor({ ...base, tlsCaCert: rootCertificates[1] })).toBe(ca2);
    expect(pool.size).toBe(8);
    await pool.close();
    expect(pool.size).toBe(0);
    expect(pool.authFor(base)).not.toBe(a);
  });

  it('reads the environment on every call: NOTARY_AUTH or a proxy variable changed in the same env object takes effect on the next call', async () => {
    const pool = new TransportPool();
    const env: NodeJS.ProcessEnv = {};
    const o = { ...base, env };
    const a = pool.authFor(o);
    expect(pool.authFor(o)).toBe(a); // the remembered last client
    env.NOTARY_AUTH = 'dTpw';
    const b = pool.authFor(o);
    expect(b).not.toBe(a);
    expect(pool.authFor(o)).toBe(b);
    for (const v of PROXY_ENV_VARS) {
      env[v] = 'http://127.0.0.1:1';
      const c = pool.authFor(o);
      expect(c, v).not.toBe(b);
      expect(pool.authFor(o), v).toBe(c);
      delete env[v];
      expect(pool.authFor(o), v).toBe(b);
    }
    delete env.NOTARY_AUTH;
    expect(pool.authFor(o)).toBe(a);
    // a closed pool forgets its clients, the last one included
    await pool.close();
    expect(pool.authFor(o)).not.toBe(a);
  });

  it('the remembered last client is not returned once the bound has closed it', () => {
    const pool = new TransportPool(1);
    const first = pool.authFor(base);
    const other = pool.authFor({ ...base, registry: 'r1' }); // evicts (and closes) the first
    expect(pool.authFor({ ...base, registry: 'r1' })).toBe(other);
    expect(pool.authFor(base)).not.toBe(first);
  });

  it('one Notary store per (server, GUN) and pooled client: another client, another store', async () => {
    const pool = new TransportPool();
    const auth = pool.authFor(base);
    const s = pool.notaryStore(base.server, 'reg.example/app', auth);
    expect(pool.notaryStore(base.server, 'reg.example/app', auth)).toBe(s);
    expect(pool.notaryStore(base.server, 'reg.example/other', auth)).not.toBe(s);
    expect(pool.notaryStore('https://other.example', 'reg.example/app', auth)).not.toBe(s);
    const otherAuth = pool.authFor({ ...base, deadlineMs: 5 });
    const s2 = pool.notaryStore(base.server, 'reg.example/app', otherAuth);
    expect(s2).not.toBe(s);
    expect(pool.notaryStore(base.server, 'reg.example/app', otherAuth)).toBe(s2);
    // an invalid GUN or server is refused as before, and nothing is remembered for it
    expect(() => pool.notaryStore(base.server, 'reg.example/../x', auth)).toThrowError(/invalid GUN/);
    expect(() => pool.notaryStore('ftp://x', 'reg.example/app', auth)).toThrowError();
    await pool.close();
    expect(pool.notaryStore(base.server, 'reg.example/app', otherAuth)).not.toBe(s2);
  });

  it('is bounded: the least recently used client goes first', () => {
    const pool = new TransportPool(3);
    const first = pool.authFor({ ...base, registry: 'r0' });
    pool.authFor({ ...base, registry: 'r1' });
    pool.authFor({ ...base, registry: 'r2' });
    expect(pool.authFor({ ...base, registry: 'r0' })).toBe(first); // r0 now most recent
    pool.authFor({ ...base, registry: 'r3' }); // evicts r1
    expect(pool.size).toBe(3);
    expect(pool.authFor({ ...base, registry: 'r0' })).toBe(first);
  });

  it("belongs to a context: two contexts share nothing, a derived context shares its parent's", () => {
    const c1 = new TrustContext();
    const c2 = new TrustContext();
    expect(c1.transport).toBeInstanceOf(TransportPool);
    expect(c1.transport).not.toBe(c2.transport);
    expect(c1.derive({ limits: { deadlineMs: 5 } }).transport).toBe(c1.transport);
  });
});
