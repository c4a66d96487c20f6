/**
 * Attacks on the signing side, over the real wire: the real notary-server (remote lab) holds a
 * genuine repository; a tampering proxy in front of it serves forged metadata for reads and passes
 * publishes through to the real server, exactly what a malicious or compromised trust server (or a
 * man in the middle with a trusted certificate) can do.
 *
 * Issue 8 item 16: a publisher whose trust dir never verified the repository (a CI runner holding
 * only the repository key, or only a signer key) must not build on whatever root the server serves:
 * a forged root that lists the publisher's real key next to an attacker key, plus forged targets
 * with an injected tag, made 0.1.0 upload the injected tag signed with the real key (the real
 * server accepted it, and real clients then verified it). Now: UNTRUSTED_ROOT before anything is
 * uploaded, and the trust dir is left as it was.
 *
 * Issue 8 item 17: `signer remove` must never publish a state in which a delegation's current
 * metadata misses its threshold (0.1.0 published, then failed with THRESHOLD, and from then on
 * every verify of the repository failed).
 */

import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import {
  addSigner,
  generateKey,
  type InitResult,
  initRepository,
  removeSigner,
  signTags,
} from '../../src/publish/workflows.js';
import { freshGun, getLab, type LabInfo, notaryGet, tempDir } from '../harness/lab.js';
import { Forge, newKey, openFile, type TestKey } from '../support/forge.js';
import { TamperProxy } from '../support/tamper-proxy.js';
import { treeSnapshot } from '../support/tree-snapshot.js';
import { digestOf } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: attack tests edit documents freely
type Loose = Record<string, any>;

const passphrase = staticPassphraseProvider('publisher-attack-passphrase');

function direct(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    passphrase,
    keyIterations: 1000,
  };
}

/** A fresh trust dir holding copies of the given key files of `from` (nothing else: no cache). */
async function runnerWith(from: string, keyIds: string[]): Promise<string> {
  const dir = tempDir();
  mkdirSync(join(dir, 'private'), { mode: 0o700 });
  const ks = new KeyStore(from, { passphrase });
  for (const id of keyIds) {
    const info = await ks.get(id);
    if (!info) throw new Error(`no key ${id} in ${from}`);
    copyFileSync(info.path, join(dir, 'private', basename(info.path)));
  }
  return dir;
}

/** `signed.version` of a role as the real server stores it. */
async function serverVersion(lab: LabInfo, gun: string, role: string): Promise<number> {
  const res = await notaryGet(lab, `/v2/${gun}/_trust/tuf/${role}.json`, gun);
  if (res.status !== 200) throw new Error(`GET ${role}.json: ${res.status}`);
  return openFile(res.body).signed.version as number;
}

/** Public key JSON of a key listed in a genuine root.json / targets.json. */
function listedKey(doc: Uint8Array, where: 'root' | 'delegations', id: string): Loose {
  const signed = openFile(doc).signed as Loose;
  return where === 'root' ? signed.keys[id] : signed.delegations.keys[id];
}

describe('a publisher never launders a malicious server’s tags (issue 8 item 16, remote lab)', () => {
  let lab: LabInfo;
  let proxy: TamperProxy;
  let gun: string;
  let admin: ReturnType<typeof direct>;
  let init: InitResult;
  let samKeyId: string;
  let samDir: string;

  beforeAll(async () => {
    lab = getLab('remote');
    proxy = await TamperProxy.start({
      upstream: { url: lab.notaryUrl, ca: readFileSync(lab.caCert, 'utf8') },
    });
    gun = freshGun(lab, 'launder');
    admin = direct(lab, tempDir());
    init = await initRepository(gun, admin);
    await signTags([{ reference: `${gun}:v1`, digest: digestOf('v1'), size: 2 }], admin);
    samDir = tempDir();
    const sam = await generateKey('sam', { ...direct(lab, samDir), dir: samDir });
    samKeyId = sam.keyId;
    await addSigner('sam', readFileSync(sam.publicKeyPath, 'utf8'), gun, admin);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /** The forged repository the proxy serves for reads: the attacker's root, targets, snapshot, timestamp. */
  async function serveForgery(kind: 'targets' | 'signer'): Promise<void> {
    const genuineRoot = (await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun)).body;
    const genuineTargets = (await notaryGet(lab, `/v2/${gun}/_trust/tuf/targets.json`, gun)).body;
    const forge = new Forge(gun);
    forge.versions.targets = 1000;
    forge.versions.snapshot = 1000;
    forge.versions.timestamp = 1000;
    let attackerSigner: TestKey | undefined;
    if (kind === 'signer') {
      attackerSigner = newKey('ecdsa');
      const d = forge.delegate('targets/releases', [attackerSigner]);
      d.version = 1000;
      forge.tag('evil', 'evil manifest', 'targets/releases');
    } else {
      forge.tag('evil', 'evil manifest');
    }
    const targetsId = init.targetsKeyId;
    const files = forge.build({
      edit: {
        // the forged root lists the publisher's REAL repository key next to the attacker's
        root: (b: Loose) => {
          b.keys[targetsId] = listedKey(genuineRoot, 'root', targetsId);
          b.roles.targets.keyids.push(targetsId);
        },
        // ...and the forged targets delegates targets/releases to the REAL signer key too
        targets: (b: Loose) => {
          if (kind !== 'signer') return;
          b.delegations.keys[samKeyId] = listedKey(genuineTargets, 'delegations', samKeyId);
          b.delegations.roles[0].keyids.push(samKeyId);
        },
      },
    });
    proxy.reset();
    proxy.serveAll(gun, files);
  }

  for (const kind of ['targets', 'signer'] as const) {
    it(`holding only the ${kind === 'targets' ? 'repository (targets) key' : 'signer key of targets/releases'}: UNTRUSTED_ROOT, nothing uploaded, trust dir unchanged`, async () => {
      await serveForgery(kind);
      const runner =
        kind === 'targets'
          ? await runnerWith(admin.trustDir, [init.targetsKeyId])
          : await runnerWith(samDir, [samKeyId]);
      const before = treeSnapshot(runner);
      const targetsBefore = await serverVersion(lab, gun, 'targets');
      const opts = { ...direct(lab, runner), server: proxy.url, tlsCaCert: proxy.ca };
      // initIfMissing (what `trust sign` does) must not cache the served root while checking for trust data
      const err = await signTags([{ reference: `${gun}:ci`, digest: digestOf('ci'), size: 2 }], {
        ...opts,
        initIfMissing: true,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNTRUSTED_ROOT' });
      expect((err as Error).message).toContain('--root-key');
      expect((err as Error).message).toContain('trust_pinning.certs');
      // nothing reached the real server: no upload, no new version, and :evil does not verify anywhere
      expect(proxy.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(await serverVersion(lab, gun, 'targets')).toBe(targetsBefore);
      await expect(verify(`${gun}:evil`, direct(lab, tempDir()))).rejects.toMatchObject({
        code: 'NOT_SIGNED',
      });
      expect(treeSnapshot(runner)).toEqual(before);

      // naming the real root key does not help against the forged root (it is not signed by it)...
      const named = await signTags([{ reference: `${gun}:ci`, digest: digestOf('ci'), size: 2 }], {
        ...opts,
        rootKeyId: init.rootKeyId,
      }).catch((e: unknown) => e);
      expect(named).toMatchObject({ code: 'UNTRUSTED_ROOT' });
      expect(proxy.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(treeSnapshot(runner)).toEqual(before);

      // ...while against the honest server the same id (or the key file id) anchors the genuine root
      const [signed] = await signTags([{ reference: `${gun}:ci-${kind}`, digest: digestOf('ci'), size: 2 }], {
        ...direct(lab, runner),
        rootKeyId: kind === 'targets' ? init.rootKeyId : init.rootKeyFileId,
      });
      expect(signed!.roles).toEqual(kind === 'targets' ? ['targets'] : ['targets/releases', 'targets/sam']);
      expect((await verify(`${gun}:ci-${kind}`, direct(lab, tempDir()))).digest).toBe(digestOf('ci'));
    });
  }

  it('pinning the root (trust_pinning.certs) also anchors it; a pin for another key refuses the forgery', async () => {
    await serveForgery('targets');
    const runner = await runnerWith(admin.trustDir, [init.targetsKeyId]);
    const pinned = { certs: { [gun]: [init.rootKeyId] } };
    const err = await signTags([{ reference: `${gun}:pin`, digest: digestOf('pin'), size: 3 }], {
      ...direct(lab, runner),
      server: proxy.url,
      tlsCaCert: proxy.ca,
      pinning: pinned,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PINNING' });
    expect(proxy.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    const [ok] = await signTags([{ reference: `${gun}:pin`, digest: digestOf('pin'), size: 3 }], {
      ...direct(lab, runner),
      pinning: pinned,
    });
    expect(ok!.roles).toEqual(['targets']);
  });
});

describe('signer remove never locks a repository out (issue 8 item 17, remote lab)', () => {
  /** alice and bob sign into targets/releases; bob signs, then alice (the role is now signed by alice only). */
  async function setup() {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'lockout');
    const admin = direct(lab, tempDir());
    const init = await initRepository(gun, admin);
    await signTags([{ reference: `${gun}:base`, digest: digestOf('base'), size: 4 }], admin);
    const people: Record<string, { dir: string; keyId: string }> = {};
    for (const name of ['alice', 'bob']) {
      const dir = tempDir();
      const k = await generateKey(name, { ...direct(lab, dir), dir });
      await addSigner(name, readFileSync(k.publicKeyPath, 'utf8'), gun, admin);
      people[name] = { dir, keyId: k.keyId };
    }
    const as = (name: string) => ({ ...direct(lab, people[name]!.dir), rootKeyId: init.rootKeyId });
    await signTags([{ reference: `${gun}:b1`, digest: digestOf('b1'), size: 2 }], as('bob'));
    await signTags([{ reference: `${gun}:a1`, digest: digestOf('a1'), size: 2 }], as('alice'));
    return { lab, gun, admin, init, people };
  }

  const verifies = async (lab: LabInfo, gun: string, tag: string) =>
    (await verify(`${gun}:${tag}`, direct(lab, tempDir()))).role;

  it('refuses before publishing and names who must re-sign; a trust dir holding bob’s key re-signs instead', async () => {
    const { lab, gun, admin, people } = await setup();
    const before = await serverVersion(lab, gun, 'targets');
    // a first refusal brings the admin's cache up to the signers' (verified) publishes; a refusal
    // itself writes nothing
    await removeSigner('alice', gun, admin).catch(() => undefined);
    const cache = treeSnapshot(admin.trustDir);
    const err = await removeSigner('alice', gun, admin).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_NOT_FOUND', role: 'targets/releases' });
    expect((err as Error).message).toMatch(/refusing to publish: targets\/releases v\d+ would not verify/);
    expect((err as Error).message).toContain('Have bob re-sign targets/releases first');
    expect((err as Error).message).toContain('--force');
    expect(await serverVersion(lab, gun, 'targets')).toBe(before);
    expect(treeSnapshot(admin.trustDir)).toEqual(cache);
    for (const tag of ['a1', 'b1']) expect(await verifies(lab, gun, tag)).toBe('targets/releases');

    // the repository key plus bob's key in one trust dir: alice goes, bob re-signs, nothing is lost
    const both = await runnerWith(admin.trustDir, [
      ...(await new KeyStore(admin.trustDir, { passphrase }).find()).map((k) => k.keyId),
    ]);
    copyFileSync(
      join(people.bob!.dir, 'private', `${people.bob!.keyId}.key`),
      join(both, 'private', `${people.bob!.keyId}.key`),
    );
    const res = await removeSigner('alice', gun, direct(lab, both));
    expect(res).toMatchObject({
      resigned: ['targets/releases'],
      dropped: [{ role: 'targets/alice', tags: ['a1'] }],
    });
    for (const tag of ['a1', 'b1']) expect(await verifies(lab, gun, tag)).toBe('targets/releases');
    expect(await verifies(lab, gun, 'base')).toBe('targets');
    // bob keeps signing; the admin keeps publishing
    await signTags([{ reference: `${gun}:b2`, digest: digestOf('b2'), size: 2 }], {
      ...direct(lab, people.bob!.dir),
    });
    await signTags([{ reference: `${gun}:base2`, digest: digestOf('x'), size: 1 }], admin);
    expect(await verifies(lab, gun, 'b2')).toBe('targets/releases');
  });

  it('--force removes the delegation, says which tags it drops, and every remaining tag verifies', async () => {
    const { lab, gun, admin, init, people } = await setup();
    const res = await removeSigner('alice', gun, { ...admin, force: true });
    expect(res.dropped).toEqual([
      { role: 'targets/alice', tags: ['a1'] },
      { role: 'targets/releases', tags: ['a1', 'b1'] },
    ]);
    expect(res.resigned).toEqual([]);
    // published, and nothing fails afterwards: targets still answers, the dropped tags are gone
    expect(await verifies(lab, gun, 'base')).toBe('targets');
    await expect(verify(`${gun}:a1`, direct(lab, tempDir()))).rejects.toMatchObject({ code: 'NOT_SIGNED' });
    await signTags([{ reference: `${gun}:after`, digest: digestOf('after'), size: 5 }], admin);
    expect(await verifies(lab, gun, 'after')).toBe('targets');

    // re-adding bob re-creates targets/releases, whose old metadata notary-server still lists in its
    // snapshot: the admin alone cannot make it verify, so the change is refused before publishing...
    const bobPub = readFileSync(join(people.bob!.dir, 'bob.pub'), 'utf8');
    const refused = await addSigner('bob', bobPub, gun, admin).catch((e: unknown) => e);
    if (refused instanceof Error) {
      expect(refused).toMatchObject({ code: 'KEY_NOT_FOUND', role: 'targets/releases' });
      expect(refused.message).toContain('publishes a fresh, empty targets/releases');
      // ...and a trust dir holding the repository key and bob's key does it
      const both = await runnerWith(admin.trustDir, [init.targetsKeyId]);
      copyFileSync(
        join(people.bob!.dir, 'private', `${people.bob!.keyId}.key`),
        join(both, 'private', `${people.bob!.keyId}.key`),
      );
      await addSigner('bob', bobPub, gun, { ...direct(lab, both), rootKeyId: init.rootKeyId });
    }
    expect(await verifies(lab, gun, 'base')).toBe('targets');
    await signTags(
      [{ reference: `${gun}:b9`, digest: digestOf('b9'), size: 2 }],
      direct(lab, people.bob!.dir),
    );
    expect(await verifies(lab, gun, 'b9')).toBe('targets/releases');
    await expect(verify(`${gun}:a1`, direct(lab, tempDir()))).rejects.toMatchObject({ code: 'NOT_SIGNED' });
  });
});

describe('a publish the server did not store is not reported as signed (issue 8 item 21, remote lab)', () => {
  it('the server answers 200 to the upload and stores nothing: PUBLISH_REJECTED after reading it back', async () => {
    const lab = getLab('remote');
    const proxy = await TamperProxy.start({
      upstream: { url: lab.notaryUrl, ca: readFileSync(lab.caCert, 'utf8') },
    });
    try {
      const gun = freshGun(lab, 'blackhole');
      const admin = direct(lab, tempDir());
      await initRepository(gun, admin);
      const before = await serverVersion(lab, gun, 'timestamp');
      // swallow every upload with a success answer
      proxy.rule((req) => (req.method === 'POST' ? { status: 200, body: '{}' } : undefined));
      const opts = { ...admin, server: proxy.url, tlsCaCert: proxy.ca };
      const err = await signTags(
        [{ reference: `${gun}:lost`, digest: digestOf('lost'), size: 4 }],
        opts,
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PUBLISH_REJECTED' });
      expect((err as Error).message).toMatch(
        /accepted the upload but does not serve it: expected targets v2/,
      );
      expect(proxy.requests.some((r) => r.method === 'POST')).toBe(true);
      expect(await serverVersion(lab, gun, 'timestamp')).toBe(before);
      // an honest server: the same call succeeds
      proxy.reset();
      const [ok] = await signTags([{ reference: `${gun}:lost`, digest: digestOf('lost'), size: 4 }], opts);
      expect(ok!.roles).toEqual(['targets']);
    } finally {
      await proxy.close();
    }
  });
});
