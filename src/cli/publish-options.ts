/** Options of the commands that write trust data: the shared server flags plus key handling. */

import { LocalError } from '../errors.js';
import type { PublishOptions } from '../publish/repository.js';
import { type FlagSpec, type ParsedArgs, str } from './args.js';
import { trustOptionsFrom } from './options.js';
import { printWarning } from './output.js';

/**
 * Flags every publishing command takes besides the server flags:
 * `--root-key ID` anchors a root this trust dir has not verified before (the id
 * `trust init` printed; `init`: the existing root key to use).
 */
export const PUBLISH_FLAGS: Record<string, FlagSpec> = { 'root-key': { type: 'string' } };

/** PBKDF2 iterations for new key files: CONTENT_TRUST_KDF_ITERATIONS overrides the default. */
export function publishOptionsFrom(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): PublishOptions {
  const opts: PublishOptions = trustOptionsFrom(args, env);
  const it = env.CONTENT_TRUST_KDF_ITERATIONS;
  if (it && /^\d+$/.test(it)) opts.keyIterations = Number(it);
  const rootKey = str(args, 'root-key');
  if (rootKey !== undefined) {
    if (!/^[0-9a-fA-F]{7,64}$/.test(rootKey)) {
      throw new LocalError('USAGE', '--root-key takes a key id (hex, as trust init prints it)');
    }
    opts.rootKeyId = rootKey.toLowerCase();
  }
  opts.onWarning = (message) => printWarning(`warning: ${message}\n`);
  return opts;
}

/** What `trust init` (and `sign`/`signer add` on a new repository) tells a person about the keys it made. */
export function describeInit(res: import('../publish/workflows.js').InitResult): string {
  const lines = [
    `Initialised trust data for ${res.repository}`,
    `  root key:       ${res.rootKeyFileId}${res.rootKeyCreated ? ' (new)' : ''}`,
    ...(res.rootKeyId === res.rootKeyFileId
      ? []
      : [`                  certificate id in root.json: ${res.rootKeyId}`]),
    `  root key file:  ${res.rootKeyFile}`,
    '                  back it up and keep it offline: it is needed only to rotate keys',
    `  repository key: ${res.targetsKeyId} (${res.targetsKeyFile})`,
  ];
  if (res.snapshotKeyId) lines.push(`  snapshot key:   ${res.snapshotKeyId}`);
  if (res.timestampKeyId) lines.push(`  timestamp key:  ${res.timestampKeyId}`);
  lines.push(
    `  snapshot:       ${res.serverManagedSnapshot ? 'signed by the trust server' : 'signed by you'}`,
  );
  return `${lines.join('\n')}\n`;
}

/** What `trust init --server registry` (and `signer add` on a new registry location) tells about the keys. */
export function describeRegistryInit(r: import('../publish/registry.js').RegistryInitResult): string {
  return (
    `Initialised ${r.repository} at ${r.location}\n  root key:       ${r.rootKeyId} (pin this key id)\n` +
    `  repository key: ${r.targetsKeyId}\n  snapshot, timestamp: held by you (run trust refresh before they expire)\n`
  );
}
