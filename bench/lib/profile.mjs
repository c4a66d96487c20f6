// Summarises a V8 .cpuprofile (node --cpu-prof): self time by area and by function.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Which part of the process a profile frame belongs to. */
function areaOf(url, fn) {
  if (!url) {
    if (fn === '(garbage collector)') return 'GC';
    if (fn === '(idle)') return 'idle (waiting on I/O)';
    if (fn === '(program)') return 'V8/native (compile, startup)';
    return `native: ${fn}`;
  }
  if (url.startsWith('node:')) {
    if (/modules|vm|loader|esm/.test(url)) return 'node module loader';
    if (/tls|_tls|net|http|stream|dns/.test(url)) return 'node net/tls/streams';
    return 'node internals';
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (/\/dist\/|\.dist-/.test(url) || /ct-bench/.test(url)) return 'content-trust (ours)';
  return url.replace(/^file:\/\//, '');
}

/** Self time (ms) per area and per function of one profile. */
export function summariseProfile(path) {
  const p = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  const areas = new Map();
  const fns = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id);
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const fname = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`;
    fns.set(fname, (fns.get(fname) ?? 0) + ms);
    total += ms;
  }
  const top = (m, k) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
  return { totalMs: Math.round(total), areas: top(areas, 8), functions: top(fns, 8) };
}

/** The single .cpuprofile written into dir. */
export function profileIn(dir) {
  const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
  if (!f) throw new Error(`no .cpuprofile in ${dir}`);
  return join(dir, f);
}
