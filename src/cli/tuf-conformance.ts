/**
 * The TUF conformance suite's client-under-test protocol
 * (theupdateframework/tuf-conformance CLIENT-CLI.md) over the library's
 * TufUpdater:
 *
 *   --metadata-dir DIR init TRUSTED_ROOT
 *   --metadata-dir DIR --metadata-url URL refresh
 *   --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH...]
 *       --target-base-url URL --target-dir DIR download
 *
 * Global options come in any order (`--opt value` or `--opt=value`); the exit
 * code is exactly 0 (success) or 1 (anything else). The clock is the system's
 * (the suite runs some steps under faketime). Diagnostics go to stderr, with
 * control characters escaped.
 */

import { readFileSync } from 'node:fs';
import { TufUpdater } from '../client/tuf-updater.js';
import { NotSignedError, TrustError } from '../errors.js';
import { escapeControl } from '../escape.js';

interface Args {
  command?: string;
  positional: string[];
  metadataDir?: string;
  metadataUrl?: string;
  targetBaseUrl?: string;
  targetDir?: string;
  targetNames: string[];
}

const OPTIONS: Record<string, keyof Args> = {
  '--metadata-dir': 'metadataDir',
  '--metadata-url': 'metadataUrl',
  '--target-base-url': 'targetBaseUrl',
  '--target-dir': 'targetDir',
  '--target-name': 'targetNames',
};

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { positional: [], targetNames: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const field = OPTIONS[name];
    if (field) {
      let value: string | undefined;
      if (eq > 0) value = arg.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      if (field === 'targetNames') a.targetNames.push(value);
      else if (a[field] !== undefined) throw new UsageError(`${name} given twice`);
      else (a as unknown as Record<string, string>)[field] = value;
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (a.command === undefined) {
      a.command = arg;
    } else {
      a.positional.push(arg);
    }
  }
  return a;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new UsageError(`${what} is required`);
  return v;
}

function log(message: string): void {
  // terminal-safe: the message passes through the one escaping function
  process.stderr.write(`tuf-conformance-client: ${escapeControl(message)}\n`);
}

async function run(argv: readonly string[]): Promise<void> {
  const a = parseArgs(argv);
  const metadataDir = need(a.metadataDir, '--metadata-dir');
  switch (a.command) {
    case 'init': {
      const rootPath = need(a.positional[0], 'TRUSTED_ROOT');
      TufUpdater.init(metadataDir, readFileSync(rootPath));
      log(`initialised ${metadataDir}`);
      return;
    }
    case 'refresh': {
      const updater = new TufUpdater({ metadataDir, metadataBaseUrl: need(a.metadataUrl, '--metadata-url') });
      try {
        await updater.refresh();
      } finally {
        await updater.close();
      }
      const v = updater.trustedVersions();
      log(
        `refreshed: root v${v.root}, timestamp v${v.timestamp}, snapshot v${v.snapshot}, targets v${v.targets}`,
      );
      return;
    }
    case 'download': {
      if (a.targetNames.length === 0) throw new UsageError('--target-name is required');
      const updater = new TufUpdater({
        metadataDir,
        metadataBaseUrl: need(a.metadataUrl, '--metadata-url'),
        targetBaseUrl: need(a.targetBaseUrl, '--target-base-url'),
        targetDir: need(a.targetDir, '--target-dir'),
      });
      try {
        await updater.refresh();
        for (const name of a.targetNames) {
          const info = await updater.getTargetInfo(name);
          if (!info)
            throw new NotSignedError('NOT_SIGNED', `no trusted role lists target ${JSON.stringify(name)}`);
          const cached = await updater.findCachedTarget(info);
          if (cached) {
            log(`${name}: cached copy is current (${cached})`);
            continue;
          }
          log(`${name}: downloaded to ${await updater.downloadTarget(info)}`);
        }
      } finally {
        await updater.close();
      }
      return;
    }
    default:
      throw new UsageError(
        a.command === undefined ? 'no command (init, refresh or download)' : `unknown command ${a.command}`,
      );
  }
}

/** Runs the protocol; resolves to the exit code (0 or 1, never anything else). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<0 | 1> {
  try {
    await run(argv);
    return 0;
  } catch (e) {
    if (e instanceof TrustError) log(`error ${e.code}: ${e.message}`);
    else if (e instanceof UsageError) log(`usage: ${e.message}`);
    else log(`error: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}
