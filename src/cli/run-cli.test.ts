import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('runCli', () => {
  const listeners = () => [
    ...process.listeners('uncaughtException'),
    ...(process.listeners('unhandledRejection') as unknown[]),
  ];
  const before = listeners();
  const stdoutErrors = process.stdout.listeners('error');
  afterEach(() => {
    for (const l of process.listeners('uncaughtException')) {
      if (!before.includes(l)) process.off('uncaughtException', l);
    }
    for (const l of process.listeners('unhandledRejection')) {
      if (!before.includes(l)) process.off('unhandledRejection', l);
    }
    for (const l of process.stdout.listeners('error')) {
      if (!stdoutErrors.includes(l)) process.stdout.off('error', l as (err: Error) => void);
    }
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('a failure exits once its output is written, without waiting for work still under way', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    runCli(async () => 1);
    await turn();
    expect(exit).toHaveBeenCalledWith(1);
    expect(process.exitCode).toBe(1);
  });

  it('a thrown error is reported and exits with its code', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(((...args: unknown[]) => {
      (args.find((a) => typeof a === 'function') as (() => void) | undefined)?.();
      return true;
    }) as never);
    runCli(async () => {
      throw new Error('boom');
    });
    await turn();
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit.mock.calls[0]?.[0]).not.toBe(0);
    expect(stderr).toHaveBeenCalled();
  });

  it('success ends the process naturally (exit code set, no exit call)', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    runCli(async () => 0);
    await turn();
    expect(exit).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(0);
  });
});
