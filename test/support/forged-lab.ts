/**
 * The setup every forged-repository attack file shares: one tampering proxy for the file (started
 * before its tests, reset after each, closed at the end), fresh GUNs under a per-file prefix, verify
 * options pointing at the proxy, and the assertion that a refused verify left the trust dir as it was.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type VerifyOptions, verify } from '../../src/client/verify.js';
import { TrustError } from '../../src/errors.js';
import type { Forge } from './forge.js';
import { TamperProxy } from './tamper-proxy.js';
import { tempDir } from './temp.js';
import { treeSnapshot } from './tree-snapshot.js';

export interface ForgedLab {
  /** The proxy (valid inside tests and hooks). */
  readonly proxy: TamperProxy;
  /** A GUN no other test uses: `forged.example.com/<prefix>/<what>-<random>`. */
  newGun(what: string): string;
  /** Verify options against the proxy with `trustDir`. */
  opts(trustDir: string, extra?: Partial<VerifyOptions>): VerifyOptions;
  /** Builds the forge's files and serves them. */
  publish(forge: Forge, over?: Parameters<Forge['build']>[0]): Record<string, Uint8Array>;
  /** A trust dir that verified `tag` once (root, timestamp, snapshot, targets cached). */
  warm(forge: Forge, tag: string, extra?: Partial<VerifyOptions>): Promise<string>;
  /**
   * verify must fail with `code` (and `role`), leaving the trust dir exactly as it was. NOT_SIGNED is
   * no attack on the metadata (everything fetched verified and may be cached), so it skips that check.
   */
  rejected(ref: string, options: VerifyOptions, code: string, role?: string): Promise<TrustError>;
}

/** Registers the proxy's lifecycle hooks in the calling test file and returns its helpers. */
export function useForgedLab(prefix: string): ForgedLab {
  let proxy: TamperProxy | undefined;
  beforeAll(async () => {
    proxy = await TamperProxy.start();
  });
  afterAll(async () => {
    await proxy?.close();
  });
  afterEach(() => proxy?.reset());
  const lab: ForgedLab = {
    get proxy() {
      if (!proxy) throw new Error('the tamper proxy is not started (use it inside tests)');
      return proxy;
    },
    newGun: (what) => `forged.example.com/${prefix}/${what}-${randomBytes(4).toString('hex')}`,
    opts: (trustDir, extra = {}) => ({ server: lab.proxy.url, tlsCaCert: lab.proxy.ca, trustDir, ...extra }),
    publish(forge, over) {
      const files = forge.build(over);
      lab.proxy.serveAll(forge.gun, files);
      return files;
    },
    async warm(forge, tag, extra = {}) {
      const dir = tempDir();
      await verify(`${forge.gun}:${tag}`, lab.opts(dir, extra));
      return dir;
    },
    async rejected(ref, options, code, role) {
      const before = treeSnapshot(options.trustDir!);
      const err = await verify(ref, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${ref} was accepted`).toBeInstanceOf(TrustError);
      const te = err as TrustError;
      expect(te.code, te.message).toBe(code);
      if (role !== undefined) expect(te.role, te.message).toBe(role);
      if (code !== 'NOT_SIGNED')
        expect(treeSnapshot(options.trustDir!), 'the trust dir changed').toEqual(before);
      return te;
    },
  };
  return lab;
}
