import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';

describe("the CLI's node:fs/promises (src/cli/fs-promises-lazy.ts, issue 12)", () => {
  it('writes, syncs, reads and stats through its handle without ever loading node fs/promises', () => {
    // in a fresh process (this one has fs/promises loaded): the module as the CLI bundle has it
    const dir = tempDir('ct-fs-lazy-');
    const bundle = join(dir, 'fs.cjs');
    buildSync({
      entryPoints: [join(__dirname, 'fs-promises-lazy.ts')],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      outfile: bundle,
      logLevel: 'silent',
    });
    const script = `
      const fsp = require(${JSON.stringify(bundle)});
      (async () => {
        const path = ${JSON.stringify(join(dir, 'f.bin'))};
        const data = Buffer.alloc(300 * 1024, 7);
        data[0] = 1;
        const fh = await fsp.open(path, 'wx', 0o600);
        await fh.chmod(0o640);
        await fh.writeFile(data);
        await fh.sync();
        const st = await fh.stat();
        await fh.close();
        const rd = await fsp.open(path, 'r');
        const buf = Buffer.alloc(4);
        const { bytesRead } = await rd.read(buf, 0, 4, 0);
        await rd.close();
        await fsp.rename(path, path + '.2');
        const again = await fsp.readFile(path + '.2');
        const mode = (await fsp.stat(path + '.2')).mode & 0o777;
        const names = await fsp.readdir(${JSON.stringify(dir)});
        await fsp.unlink(path + '.2');
        const exclusive = await fsp.open(${JSON.stringify(bundle)}, 'wx').then(() => 'opened', (e) => e.code);
        console.log(JSON.stringify({
          size: st.size, bytesRead, head: [...buf], same: again.equals(data), mode, names: names.sort(), exclusive,
          loaded: process.moduleLoadList.filter((m) => /fs\\/promises|readline/.test(m)),
        }));
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      size: 300 * 1024,
      bytesRead: 4,
      head: [1, 7, 7, 7],
      same: true,
      mode: 0o640,
      names: ['f.bin.2', 'fs.cjs'],
      exclusive: 'EEXIST',
      loaded: [],
    });
  });
});
