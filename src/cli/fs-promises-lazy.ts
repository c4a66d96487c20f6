/**
 * `node:fs/promises` as the CLI bundle sees it (tsup.config.ts aliases the module here): each
 * function is looked up on `fs.promises` when called, so a `trust verify` that writes nothing never
 * loads Node's fs/promises, which brings perf_hooks, readline and the fs watchers with it (about
 * 1 ms of every run, issue 12). A name the sources import and this file lacks fails the build.
 */

import { promises } from 'node:fs';

type P = typeof promises;
function lazy<K extends keyof P>(name: K): P[K] {
  return ((...args: unknown[]) => (promises[name] as (...a: unknown[]) => unknown)(...args)) as P[K];
}

export const chmod = lazy('chmod');
export const cp = lazy('cp');
export const link = lazy('link');
export const lstat = lazy('lstat');
export const mkdir = lazy('mkdir');
export const mkdtemp = lazy('mkdtemp');
export const open = lazy('open');
export const readdir = lazy('readdir');
export const readFile = lazy('readFile');
export const readlink = lazy('readlink');
export const rename = lazy('rename');
export const rm = lazy('rm');
export const stat = lazy('stat');
export const symlink = lazy('symlink');
export const unlink = lazy('unlink');
export const writeFile = lazy('writeFile');
