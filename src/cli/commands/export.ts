/** `trust export IMAGE[:TAG]... --output FILE.tar`: registry-hosted trust data as an offline bundle. */

import { LocalError } from '../../errors.js';
import { escapeControl } from '../../escape.js';
import { exportBundle } from '../../publish/registry.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust export IMAGE[:TAG]... --output FILE.tar [OPTIONS]';

const HELP = `Usage: trust export IMAGE[:TAG]... --output FILE.tar [OPTIONS]

Verifies the registry-hosted trust data of each image's repository as verify
does (trusted or pinned root, signatures, versions, expiry; every delegated role;
each TAG given must be signed), then writes exactly that state (the metadata
manifest, Docker's per-role manifests when the repository uses them, and every
metadata file) into an OCI image layout tarball, for air-gapped clusters and
promotion between registries: verify offline with
trust verify IMAGE:TAG --bundle FILE.tar. Nothing is written when verification
fails (exit 1).

Options:
  --output FILE   the tarball to write (replaced atomically)
  --json  --server registry|oci://HOST[:PORT]/REPO[:TAG]  --trust-dir DIR  --tlscacert FILE  --deadline SEC
  --config FILE   notary-style client config (trust_pinning: the root to start from)
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      json: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length === 0) throw new LocalError('USAGE', 'export needs at least one IMAGE');
    const output = str(args, 'output');
    if (!output) throw new LocalError('USAGE', 'export needs --output FILE.tar');
    const res = await exportBundle(args.positionals, output, publishOptionsFrom(args));
    if (bool(args, 'json')) printJson(res);
    else {
      for (const r of res.repositories) {
        const roles = r.roleManifests?.length ? `, role manifests ${r.roleManifests.join(' ')}` : '';
        printText(`Exported ${r.gun} (${r.files} files, ${r.location}${escapeControl(roles)})\n`);
      }
    }
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
