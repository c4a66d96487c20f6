import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/harness/lab.js';
import { FormatError, PublishError, VerificationError } from '../errors.js';
import { FileStore } from './file-store.js';

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const meta = (type: string, version: number, extra: Record<string, unknown> = {}) =>
  enc({ signed: { _type: type, version, ...extra }, signatures: [] });
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const GUN = 'localhost:5000/library/demo';

describe('FileStore', () => {
  it('publishes <role>.json, <role>.<sha256>.json and <version>.<role>.json, and reads them back', async () => {
    const dir = tempDir();
    const s = new FileStore(dir, GUN);
    const root = meta('Root', 1);
    const rel = meta('Targets', 3);
    await s.publish([
      { role: 'root', bytes: root },
      { role: 'targets/releases', bytes: rel },
    ]);
    const base = join(dir, 'localhost:5000', 'library', 'demo', '_trust', 'tuf');
    expect(s.metaDir).toBe(base);
    expect(s.description).toBe(`file://${base}`);
    expect(readFileSync(join(base, 'root.json'))).toEqual(Buffer.from(root));
    expect(readFileSync(join(base, `root.${hex(root)}.json`))).toEqual(Buffer.from(root));
    expect(readFileSync(join(base, '1.root.json'))).toEqual(Buffer.from(root));
    expect(readFileSync(join(base, 'targets', 'releases.json'))).toEqual(Buffer.from(rel));
    expect(readFileSync(join(base, '3.targets', 'releases.json'))).toEqual(Buffer.from(rel));
    expect(await s.getMeta('root', 1024)).toEqual(root);
    expect(await s.getMeta('1.root', 1024)).toEqual(root);
    expect(await s.getMeta(`targets/releases.${hex(rel)}`, 1024)).toEqual(rel);
    expect(await s.getMeta('3.targets/releases', 1024)).toEqual(rel);
    expect(await s.getMeta('timestamp', 1024)).toBeNull();
    expect(await s.getMeta('2.root', 1024)).toBeNull();
    // no temp files or locks left behind
    expect(readdirSync(base).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses versions that are not newer (CONFLICT), accepts newer ones', async () => {
    const s = new FileStore(tempDir(), GUN);
    await s.publish([{ role: 'targets', bytes: meta('Targets', 2) }]);
    const err = await s
      .publish([{ role: 'targets', bytes: meta('Targets', 2, { x: 1 }) }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ code: 'CONFLICT', role: 'targets', version: 2 });
    await expect(s.publish([{ role: 'targets', bytes: meta('Targets', 1) }])).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await s.publish([{ role: 'targets', bytes: meta('Targets', 3) }]);
    expect(await s.getMeta('targets', 1024)).toEqual(meta('Targets', 3));
    expect(await s.getMeta('2.targets', 1024)).toEqual(meta('Targets', 2));
  });

  it('a conflicting batch changes nothing', async () => {
    const s = new FileStore(tempDir(), GUN);
    await s.publish([{ role: 'snapshot', bytes: meta('Snapshot', 5) }]);
    await expect(
      s.publish([
        { role: 'targets', bytes: meta('Targets', 1) },
        { role: 'snapshot', bytes: meta('Snapshot', 5, { y: 1 }) },
      ]),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await s.getMeta('targets', 1024)).toBeNull();
  });

  it('needs signed.version to name files', async () => {
    const s = new FileStore(tempDir(), GUN);
    await expect(s.publish([{ role: 'root', bytes: enc({ signed: {} }) }])).rejects.toBeInstanceOf(
      FormatError,
    );
    await expect(s.publish([{ role: 'root', bytes: new TextEncoder().encode('{') }])).rejects.toMatchObject({
      code: 'BAD_METADATA',
    });
  });

  it('caps reads (TOO_LARGE with the role)', async () => {
    const s = new FileStore(tempDir(), GUN);
    await s.publish([{ role: 'targets', bytes: meta('Targets', 1, { pad: 'x'.repeat(5000) }) }]);
    const err = await s.getMeta('targets', 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect(err).toMatchObject({ code: 'TOO_LARGE', role: 'targets' });
  });

  it('serialises publishers with a lock that dies with its holder (issue 8 item 20)', async () => {
    const dir = tempDir();
    const s = new FileStore(dir, GUN);
    await s.publish([{ role: 'root', bytes: meta('Root', 1) }]);
    const lock = join(dir, ...GUN.split('/'), '_trust', '.publish.lock');
    const start = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    // held by a live process (this one): refused
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: process.pid, start }));
    await expect(s.publish([{ role: 'root', bytes: meta('Root', 2) }])).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(new RegExp(`in progress .*held by pid ${process.pid}`)),
    });
    // the pid is alive but started at another time: reused by another process, the lock is stale
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: process.pid, start: '1' }));
    await s.publish([{ role: 'root', bytes: meta('Root', 2) }]);
    expect(existsSync(lock)).toBe(false);
    // a holder that is gone (a SIGKILLed publisher): broken at once, no 10-minute wait
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: Number(dead.stdout) }));
    await s.publish([{ role: 'root', bytes: meta('Root', 3) }]);
    // 0.1.0's lock ("<pid>\n") of a process that is gone, too
    writeFileSync(lock, `${dead.stdout}\n`);
    await expect(s.publish([{ role: 'root', bytes: meta('Root', 4) }])).rejects.toMatchObject({
      code: 'CONFLICT',
    }); // no host in it: only its age counts
    const old = new Date(Date.now() - 60 * 60_000);
    utimesSync(lock, old, old);
    await s.publish([{ role: 'root', bytes: meta('Root', 4) }]);
    // a lock from another host (shared file system) waits for its age too
    writeFileSync(lock, JSON.stringify({ host: 'elsewhere.example', pid: 1 }));
    await expect(s.publish([{ role: 'root', bytes: meta('Root', 5) }])).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await s.getMeta('root', 1024)).toEqual(meta('Root', 4));
  });

  it('one state switch per publish; a 0.1.0 directory is migrated; left-overs of a kill are recovered', async () => {
    const dir = tempDir();
    const s = new FileStore(dir, GUN);
    const trust = join(dir, ...GUN.split('/'), '_trust');
    // 0.1.0's layout: tuf/ a plain directory
    mkdirSync(join(trust, 'tuf'), { recursive: true });
    writeFileSync(join(trust, 'tuf', 'root.json'), meta('Root', 1));
    writeFileSync(join(trust, 'tuf', '1.root.json'), meta('Root', 1));
    await s.publish([
      { role: 'targets', bytes: meta('Targets', 1) },
      { role: 'timestamp', bytes: meta('Timestamp', 1) },
    ]);
    expect(lstatSync(join(trust, 'tuf')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(trust, 'tuf'))).toBe('.tuf-states/s-2');
    expect(await s.getMeta('root', 1024)).toEqual(meta('Root', 1));
    expect(await s.getMeta('1.root', 1024)).toEqual(meta('Root', 1));
    expect(await s.getMeta('timestamp', 1024)).toEqual(meta('Timestamp', 1));
    // what a kill leaves: an unfinished state, a temp link, a temp file in the current state
    mkdirSync(join(trust, '.tuf-states', '.building-0123456789ab'));
    writeFileSync(
      join(trust, '.tuf-states', '.building-0123456789ab', 'timestamp.json'),
      meta('Timestamp', 9),
    );
    symlinkSync('.tuf-states/s-2', join(trust, '.tuf-link-0123456789ab'));
    writeFileSync(join(trust, 'tuf', '.timestamp.json.0123456789ab.tmp'), 'partial');
    await s.publish([{ role: 'timestamp', bytes: meta('Timestamp', 2) }]);
    expect(readdirSync(join(trust, '.tuf-states')).sort()).toEqual(['s-2', 's-3']);
    expect(readdirSync(trust).sort()).toEqual(['.tuf-states', 'tuf']);
    expect(readdirSync(join(trust, 'tuf')).filter((f) => f.startsWith('.'))).toEqual([]);
    // killed after a complete state was made but before the switch, with the link gone: the newest
    // complete state is served again
    rmSync(join(trust, 'tuf'));
    await s.publish([{ role: 'timestamp', bytes: meta('Timestamp', 3) }]);
    expect(readlinkSync(join(trust, 'tuf'))).toBe('.tuf-states/s-4');
    expect(await s.getMeta('timestamp', 1024)).toEqual(meta('Timestamp', 3));
    expect(await s.getMeta('targets', 1024)).toEqual(meta('Targets', 1));
  });

  it('rejects GUNs and names that would leave the directory', async () => {
    expect(() => new FileStore(tempDir(), '../etc')).toThrow(
      expect.objectContaining({ code: 'BAD_REFERENCE' }),
    );
    expect(() => new FileStore(tempDir(), 'a//b')).toThrow(
      expect.objectContaining({ code: 'BAD_REFERENCE' }),
    );
    const s = new FileStore(tempDir(), GUN);
    await expect(s.getMeta('../../x', 10)).rejects.toMatchObject({ code: 'USAGE' });
    await expect(s.publish([{ role: '../x', bytes: meta('Root', 1) }])).rejects.toMatchObject({
      code: 'USAGE',
    });
  });

  it('no server keys; deleteRepository removes everything', async () => {
    const s = new FileStore(tempDir(), GUN);
    expect(await s.getServerKey('timestamp')).toBeNull();
    await expect(s.rotateServerKey('snapshot')).rejects.toMatchObject({ code: 'USAGE' });
    await s.publish([{ role: 'root', bytes: meta('Root', 1) }]);
    await s.deleteRepository();
    expect(await s.getMeta('root', 1024)).toBeNull();
    await s.deleteRepository(); // idempotent
  });

  it('deleteRepository leaves repositories nested below the GUN alone', async () => {
    const dir = tempDir();
    const outer = new FileStore(dir, 'reg.example/app');
    const inner = new FileStore(dir, 'reg.example/app/sub');
    await outer.publish([{ role: 'root', bytes: meta('Root', 1) }]);
    await inner.publish([{ role: 'root', bytes: meta('Root', 1) }]);
    await outer.deleteRepository();
    expect(await outer.getMeta('root', 1024)).toBeNull();
    expect(await inner.getMeta('root', 1024)).toEqual(meta('Root', 1));
  });

  it('a FIFO or other non-regular file is refused at once, never a hang (issue 8 item 12)', async () => {
    const dir = tempDir();
    const s = new FileStore(dir, GUN, { deadlineMs: 5_000 });
    await s.publish([{ role: 'root', bytes: meta('Root', 1) }]);
    const fifo = join(s.metaDir, 'timestamp.json');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(s.metaDir, 'snapshot.json'));
    const started = Date.now();
    await expect(s.getMeta('timestamp', 1024)).rejects.toMatchObject({
      code: 'IO',
      message: expect.stringMatching(/not a regular file/),
    });
    await expect(s.getMeta('snapshot', 1024)).rejects.toMatchObject({ code: 'IO' });
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 10_000);
});
