import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { TrustError } from '../../errors.js';
import { OciBundle, writeBundle } from './bundle.js';
import { buildMetadataManifest, sha256Digest } from './layout.js';
import { readTar, writeTar } from './tar.js';

const enc = new TextEncoder();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ct-tar-'));
  dirs.push(d);
  return d;
}

function errorOf(f: () => unknown): TrustError {
  try {
    f();
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw e;
  }
  throw new Error('expected a TrustError');
}

/** Runs GNU tar (a real peer) in `dir`. */
function gnuTar(dir: string, args: string[]): void {
  const r = spawnSync('tar', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr}`);
}

describe('strict tar', () => {
  it('round-trips and is deterministic; GNU tar reads what we write and we read what GNU tar writes', () => {
    const long = `blobs/sha256/${'a'.repeat(64)}/${'b'.repeat(90)}`;
    const entries = [
      { name: 'index.json', bytes: enc.encode('{"x":1}') },
      { name: 'oci-layout', bytes: enc.encode('{}') },
      { name: long, bytes: new Uint8Array(1500).fill(7) },
      { name: 'empty', bytes: new Uint8Array(0) },
    ];
    const a = writeTar(entries);
    expect(Buffer.from(writeTar([...entries].reverse()))).toEqual(Buffer.from(a));
    expect(readTar(a).map((e) => [e.name, Buffer.from(e.bytes)])).toEqual(
      [...entries].sort((x, y) => (x.name < y.name ? -1 : 1)).map((e) => [e.name, Buffer.from(e.bytes)]),
    );
    const d = tmp();
    writeFileSync(join(d, 'ours.tar'), a);
    mkdirSync(join(d, 'out'));
    gnuTar(join(d, 'out'), ['-xf', '../ours.tar']);
    expect(readFileSync(join(d, 'out', long))).toEqual(Buffer.from(entries[2]!.bytes));
    // GNU tar's own archive (gnu format with directories, and a pax one)
    for (const format of ['gnu', 'pax', 'ustar']) {
      gnuTar(join(d, 'out'), ['--format', format, '-cf', `../${format}.tar`, '.']);
      const got = readTar(readFileSync(join(d, `${format}.tar`)));
      expect(got.map((e) => e.name).sort(), format).toEqual(entries.map((e) => e.name).sort());
    }
  });

  it('refuses links, devices, traversal, absolute names, duplicates, bad checksums, truncation and trailing data', () => {
    const d = tmp();
    mkdirSync(join(d, 'src'));
    writeFileSync(join(d, 'src', 'f'), 'x');
    symlinkSync('/etc/passwd', join(d, 'src', 'link'));
    gnuTar(join(d, 'src'), ['--format', 'ustar', '-cf', '../sym.tar', 'link']);
    expect(errorOf(() => readTar(readFileSync(join(d, 'sym.tar')))).message).toContain('symbolic link');
    gnuTar(join(d, 'src'), ['--format', 'ustar', '--hard-dereference', '-cf', '../ok.tar', 'f']);
    expect(readTar(readFileSync(join(d, 'ok.tar'))).map((e) => e.name)).toEqual(['f']);
    gnuTar(join(d, 'src'), [
      '--format',
      'ustar',
      '-P',
      '--transform',
      's,^,../../,',
      '-cf',
      '../trav.tar',
      'f',
    ]);
    expect(errorOf(() => readTar(readFileSync(join(d, 'trav.tar')))).message).toContain('traversal');
    gnuTar(join(d, 'src'), ['--format', 'pax', '-P', '--transform', 's,^,/abs/,', '-cf', '../abs.tar', 'f']);
    expect(errorOf(() => readTar(readFileSync(join(d, 'abs.tar')))).message).toContain('refusing entry name');

    const good = writeTar([{ name: 'a', bytes: enc.encode('hello') }]);
    const hard = Uint8Array.from(good);
    hard[156] = '1'.charCodeAt(0);
    fixChecksum(hard);
    expect(errorOf(() => readTar(hard)).message).toContain('hard link');
    const dev = Uint8Array.from(good);
    dev[156] = '3'.charCodeAt(0);
    fixChecksum(dev);
    expect(errorOf(() => readTar(dev)).message).toContain('device');
    const sum = Uint8Array.from(good);
    sum[0] = 'b'.charCodeAt(0);
    expect(errorOf(() => readTar(sum)).message).toContain('checksum');
    expect(errorOf(() => readTar(good.subarray(0, 512))).message).toMatch(/truncated|end-of-archive/);
    const trailing = new Uint8Array(good.length + 512);
    trailing.set(good);
    trailing[good.length + 10] = 1;
    expect(errorOf(() => readTar(trailing)).message).toContain('after the end');
    const twice = new Uint8Array([...good.subarray(0, 1024), ...good]);
    expect(errorOf(() => readTar(twice)).message).toContain('duplicate');
    expect(errorOf(() => readTar(good, { maxArchiveBytes: 1000 })).code).toBe('TOO_LARGE');
    expect(errorOf(() => readTar(good, { maxEntryBytes: 4 })).code).toBe('TOO_LARGE');
    expect(errorOf(() => readTar(new Uint8Array(100))).message).toContain('multiple of 512');
    expect(() => writeTar([{ name: '../x', bytes: new Uint8Array() }])).toThrow(TrustError);
  });

  it('property: random corruption of an archive never escapes as anything but a TrustError', () => {
    const good = writeTar([
      { name: 'index.json', bytes: enc.encode('{"a":1}') },
      { name: `blobs/sha256/${'c'.repeat(64)}`, bytes: new Uint8Array(700).fill(1) },
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const b = Uint8Array.from(good);
        b[i] = v;
        try {
          for (const e of readTar(b)) expect(e.name.split('/')).not.toContain('..');
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

function fixChecksum(h: Uint8Array): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\u0000 `), 148);
}

describe('offline bundles (OCI image layout tarball)', () => {
  const files = [
    { name: '1.root.json', bytes: enc.encode('{"root":1}') },
    { name: 'timestamp.json', bytes: enc.encode('{"ts":1}') },
    { name: '1.snapshot.json', bytes: enc.encode('{"snap":1}') },
  ];
  const built = buildMetadataManifest(files);
  const gun = 'localhost:5000/library/app';
  const bundle = writeBundle([{ gun, tag: 'tuf-metadata', bytes: built.bytes }], built.blobs);

  it('serves the same files with no network, through the same store', async () => {
    const b = OciBundle.parse(bundle);
    expect(b.guns()).toEqual([gun]);
    const store = b.store(gun);
    for (const f of files)
      expect(Buffer.from((await store.getMeta(f.name, 1 << 20))!)).toEqual(Buffer.from(f.bytes));
    expect(await store.getMeta('2.root.json', 1 << 20)).toBeNull();
    expect(errorOf(() => b.store('localhost:5000/library/other')).code).toBe('NO_TRUST_DATA');
    await expect(store.pushFiles(files)).rejects.toThrow(/read-only/);
  });

  it('is a valid OCI image layout that GNU tar unpacks into oci-layout, index.json and blobs', () => {
    const d = tmp();
    writeFileSync(join(d, 'b.tar'), bundle);
    gnuTar(d, ['-xf', 'b.tar']);
    expect(JSON.parse(readFileSync(join(d, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(d, 'index.json'), 'utf8'));
    expect(index.manifests[0]).toMatchObject({
      digest: built.digest,
      annotations: { 'io.content-trust.gun': gun },
    });
    expect(readFileSync(join(d, 'blobs', 'sha256', built.digest.slice(7)))).toEqual(Buffer.from(built.bytes));
  });

  it('a blob with other bytes in the bundle is HASH_MISMATCH; a missing blob or layout file is refused', async () => {
    const forgedBlobs = new Map(built.blobs);
    const ts = sha256Digest(files[1]!.bytes);
    const entries = readTar(bundle).map((e) =>
      e.name === `blobs/sha256/${ts.slice(7)}` ? { name: e.name, bytes: enc.encode('{"ts":9}') } : e,
    );
    const forged = OciBundle.parse(writeTar(entries)).store(gun);
    await expect(forged.getMeta('timestamp.json', 1 << 20)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    forgedBlobs.delete(ts);
    const missing = OciBundle.parse(
      writeBundle([{ gun, tag: 'tuf-metadata', bytes: built.bytes }], forgedBlobs),
    ).store(gun);
    await expect(missing.getMeta('timestamp.json', 1 << 20)).rejects.toMatchObject({ code: 'BAD_METADATA' });
    const noLayout = writeTar(readTar(bundle).filter((e) => e.name !== 'oci-layout'));
    expect(errorOf(() => OciBundle.parse(noLayout)).message).toContain('oci-layout');
  });
});
