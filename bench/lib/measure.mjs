// Timing helpers: monotonic clock, robust statistics, bounded child processes, interleaved A/B runs.
import { spawnSync } from 'node:child_process';

export const now = () => Number(process.hrtime.bigint()) / 1e6;

export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median (= p50), min, max and run count of a sample of milliseconds. */
export function stats(xs) {
  if (xs.length === 0) throw new Error('no samples');
  return { median: quantile(xs, 0.5), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length };
}

/** Per-process bound (ms): no single step of the bench may hang it. */
export const STEP_TIMEOUT_MS = 120_000;

let deadline = Number.POSITIVE_INFINITY;
/** After this instant (a `now()` value) every child is killed and `run` throws an OverBudget error. */
export function setDeadline(t) {
  deadline = t;
}
export const timeLeft = () => deadline - now();

export class OverBudget extends Error {}

/** Runs a command to completion; throws with its stderr when it fails or times out. */
export function run(cmd, args, opts = {}) {
  const left = timeLeft();
  if (left <= 0) throw new OverBudget('out of time');
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
    timeout: Math.ceil(Math.min(STEP_TIMEOUT_MS, left)),
    ...opts,
  });
  if (r.error?.code === 'ETIMEDOUT' && timeLeft() <= 0) throw new OverBudget('out of time');
  if (r.error) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}...: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} -> exit ${r.status ?? r.signal}\n${r.stderr}`.slice(0, 4000));
  }
  return r.stdout;
}

/** Wall time (ms) of one child process, from spawn to exit. */
export function timeProcess(cmd, args, opts = {}) {
  const t = now();
  run(cmd, args, opts);
  return now() - t;
}

/**
 * Runs two measurements alternately (A B A B ...), so load from other work on this shared machine
 * hits both sides alike. Each function returns one sample in ms (or a promise of one).
 */
export async function interleave(runs, a, b) {
  const xa = [];
  const xb = [];
  for (let i = 0; i < runs; i++) {
    xa.push(await a(i));
    xb.push(await b(i));
  }
  return { ours: stats(xa), theirs: stats(xb) };
}
