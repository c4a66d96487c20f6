// Summarises a V8 .cpuprofile (node --cpu-prof, or the inspector): self time by area and by function.
// Native frames (no script URL) are charged to the nearest JavaScript caller, so `writeLatin1String`
// shows up as what called it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SPECIAL = {
  '(garbage collector)': 'GC',
  '(idle)': 'idle (waiting for the server or disk)',
  '(program)': 'V8 native (compile, startup)',
  '(root)': 'V8 native (compile, startup)',
};

function areaOf(url) {
  if (url.startsWith('node:')) {
    if (/modules|vm\b|loader|esm|realm|bootstrap/.test(url)) return 'node module loading';
    if (/tls|_http|https?\b|net\b|stream|dns|socket/.test(url)) return 'node http/tls/streams';
    if (/crypto/.test(url)) return 'node:crypto';
    if (/fs\b|fs\//.test(url)) return 'node fs';
    return 'node internals';
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  return 'content-trust';
}

function labelOf(frame) {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  if (frame.url.startsWith('node:')) return `${name} [${frame.url}]`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  return m ? `${name} [${m[1]}]` : name;
}

/** Self time (ms) per area and per function of one profile. */
export function summariseProfile(path) {
  const p = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  const areas = new Map();
  const fns = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  let total = 0;
  for (const [id, ms] of self) {
    total += ms;
    const frame = byId.get(id).callFrame;
    const special = SPECIAL[frame.functionName];
    if (!frame.url && special) {
      add(areas, special, ms);
      add(fns, frame.functionName, ms);
      continue;
    }
    let owner = id;
    while (!byId.get(owner).callFrame.url && parent.has(owner)) owner = parent.get(owner);
    const of = byId.get(owner).callFrame;
    if (!of.url) {
      add(areas, SPECIAL['(program)'], ms);
      add(fns, labelOf(frame), ms);
      continue;
    }
    add(areas, areaOf(of.url), ms);
    add(fns, frame.url ? labelOf(frame) : `${labelOf(frame)} (native, from ${labelOf(of)})`, ms);
  }
  const top = (m, k) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, v]) => ({ name, ms: Math.round(v * 10) / 10 }));
  return { totalMs: Math.round(total), areas: top(areas, 8), functions: top(fns, 10) };
}

/** The single .cpuprofile written into dir. */
export function profileIn(dir) {
  const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
  if (!f) throw new Error(`no .cpuprofile in ${dir}`);
  return join(dir, f);
}
