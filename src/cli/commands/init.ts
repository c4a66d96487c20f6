/** `trust init IMAGE`: create trust data for a repository. */

import { LocalError } from '../../errors.js';
import { initRegistryRepository, registryServerFor } from '../../publish/registry.js';
import { initRepository } from '../../publish/workflows.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { describeInit, describeRegistryInit, PUBLISH_FLAGS, publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust init IMAGE [OPTIONS]';

const HELP = `Usage: trust init IMAGE [OPTIONS]

Creates the repository's trust data: a new root key (ECDSA P-256 with a
self-signed certificate for the repository) unless --root-key names one in the
trust dir, a new tagging key, and lets the trust server hold the snapshot and
timestamp keys (a file:// server gets keys held by you). Prints the key ids
(the id that names each key file) and where the root key file is.
With --server registry (the image's own repository, tag tuf-metadata) or
--server oci://HOST[:PORT]/REPO[:TAG], creates a TUF 1.0 repository stored in
the registry; you hold the snapshot and timestamp keys too.

Options:
  --algorithm ed25519|ecdsa   tagging key type (default ed25519)
  --root-key ID               use this root key of the trust dir (never a retired one)
  --json  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      ...PUBLISH_FLAGS,
      json: { type: 'boolean' },
      algorithm: { type: 'string' },
    });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length !== 1) throw new LocalError('USAGE', 'init takes exactly one IMAGE');
    const alg = str(args, 'algorithm') ?? 'ed25519';
    if (alg !== 'ed25519' && alg !== 'ecdsa')
      throw new LocalError('USAGE', '--algorithm is ed25519 or ecdsa');
    const opts = publishOptionsFrom(args);
    const registry = await registryServerFor(args.positionals[0]!, opts);
    if (registry !== undefined) {
      const r = await initRegistryRepository(args.positionals[0]!, {
        ...opts,
        server: registry,
        targetsAlgorithm: alg,
      });
      if (bool(args, 'json')) printJson(r);
      else printText(describeRegistryInit(r));
      return 0;
    }
    const res = await initRepository(args.positionals[0]!, { ...opts, targetsAlgorithm: alg });
    if (bool(args, 'json')) printJson(res);
    else printText(describeInit(res));
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
