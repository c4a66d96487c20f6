/** `trust refresh IMAGE`: re-sign timestamp (and what expires soon) of registry-hosted trust data. */

import { LocalError } from '../../errors.js';
import { escapeControl } from '../../escape.js';
import { refreshRegistryRepository, registryServerFor } from '../../publish/registry.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust refresh IMAGE [OPTIONS]';

const HELP = `Usage: trust refresh IMAGE [OPTIONS]

Re-signs the timestamp of registry-hosted trust data (and the snapshot and
targets roles when they expire within their renew window), for a cron job or
CI schedule: run it well within the timestamp lifetime. There is no server to
do this: you hold the snapshot and timestamp keys. The root key is never used;
a root that expires soon is reported (re-sign it with trust key rotate).

Options:
  --timestamp-expiry DUR   lifetime of the new timestamp (default 7d)
  --snapshot-expiry DUR    lifetime of a re-signed snapshot (default 30d)
  --targets-expiry DUR     lifetime of re-signed targets roles (default 365d)
  DUR: a number with a unit: 30m, 12h, 7d
  --json  --server registry|oci://HOST[:PORT]/REPO[:TAG]  --trust-dir DIR  --tlscacert FILE  --deadline SEC
Passphrase: DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, or a prompt on a terminal.
`;

/** `30m`, `12h`, `7d` → ms. */
export function parseDuration(text: string, flag: string): number {
  const m = /^([1-9][0-9]{0,5})([mhd])$/.exec(text.trim());
  if (!m) throw new LocalError('USAGE', `${flag} must be a duration like 30m, 12h or 7d`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      json: { type: 'boolean' },
      'timestamp-expiry': { type: 'string' },
      'snapshot-expiry': { type: 'string' },
      'targets-expiry': { type: 'string' },
    });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length !== 1) throw new LocalError('USAGE', 'refresh takes exactly one IMAGE');
    const image = args.positionals[0]!;
    const opts = publishOptionsFrom(args);
    const server = await registryServerFor(image, opts);
    if (server === undefined) {
      throw new LocalError(
        'USAGE',
        'refresh is for registry-hosted trust data (--server registry or oci://...); a Notary server refreshes its own timestamps',
      );
    }
    const expiresIn: { timestamp?: number; snapshot?: number; targets?: number; delegation?: number } = {};
    const ts = str(args, 'timestamp-expiry');
    if (ts !== undefined) expiresIn.timestamp = parseDuration(ts, '--timestamp-expiry');
    const sn = str(args, 'snapshot-expiry');
    if (sn !== undefined) expiresIn.snapshot = parseDuration(sn, '--snapshot-expiry');
    const tg = str(args, 'targets-expiry');
    if (tg !== undefined) expiresIn.targets = expiresIn.delegation = parseDuration(tg, '--targets-expiry');
    const r = await refreshRegistryRepository(image, { ...opts, server, expiresIn });
    const signed = Object.fromEntries(r.signed);
    const expiring = Object.fromEntries(r.result);
    if (bool(args, 'json')) printJson({ digest: r.digest, signed, expiring });
    else {
      const list = Object.entries(signed).map(([role, v]) => `${role} v${v}`);
      printText(`Refreshed ${list.join(', ')}\n`);
      for (const [role, when] of Object.entries(expiring)) {
        // terminal-safe: escaped with escapeControl
        process.stderr.write(
          escapeControl(
            `warning: ${role} expires ${when} and could not be re-signed (key not in the trust dir)\n`,
            '\n',
          ),
        );
      }
    }
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
