/** `trust key generate|load|rotate`. */

import { LocalError } from '../../errors.js';
import { registryServerFor } from '../../publish/registry.js';
import { rotateRegistryKey } from '../../publish/registry-admin.js';
import {
  generateKey,
  loadKey,
  type RotatableRole,
  type RotateOptions,
  rotateKey,
} from '../../publish/workflows.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { PUBLISH_FLAGS, publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust key generate NAME | load FILE | rotate IMAGE ROLE [OPTIONS]';

const HELP = `Usage:
  trust key generate NAME [--dir DIR] [--algorithm ecdsa|ed25519]
      writes NAME.pub (PEM) into DIR (default: current directory) and the encrypted
      private key into the trust dir. ECDSA P-256 by default: docker and notary import
      only ECDSA/RSA public keys.
  trust key load FILE [--name NAME]
      imports a signer's private key (PEM; encrypted keys are decrypted with
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE or a prompt) into the trust dir,
      encrypted. A key loaded again keeps its role unless --name is given.
  trust key rotate IMAGE ROLE [--server-managed]
      ROLE is targets, snapshot, timestamp or root. --server-managed lets the trust
      server hold the new snapshot key. The new root is signed by the old and new root
      keys; the old root key is marked retired in the trust dir. With registry-hosted
      trust (--server registry or oci://...) you hold every key, and each rotation is
      a new N.root.json in the registry, next to the earlier ones.
Options: --json  --trust-dir DIR  (rotate: --root-key ID --server URL --tlscacert FILE --config FILE)
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    const args = parseArgs(rest, {
      ...SERVER_FLAGS,
      ...PUBLISH_FLAGS,
      json: { type: 'boolean' },
      dir: { type: 'string' },
      algorithm: { type: 'string' },
      name: { type: 'string' },
      'server-managed': { type: 'boolean' },
    });
    if (sub === undefined || sub === '--help' || sub === '-h' || bool(args, 'help')) {
      (sub === undefined ? process.stderr : process.stdout).write(HELP);
      return sub === undefined ? 2 : 0;
    }
    const opts = publishOptionsFrom(args);
    const alg = str(args, 'algorithm');
    if (alg !== undefined && alg !== 'ecdsa' && alg !== 'ed25519') {
      throw new LocalError('USAGE', '--algorithm is ecdsa or ed25519');
    }
    let result: Record<string, unknown>;
    let text: string;
    if (sub === 'generate') {
      if (args.positionals.length !== 1) throw new LocalError('USAGE', 'key generate takes exactly one NAME');
      const dir = str(args, 'dir');
      const r = await generateKey(args.positionals[0]!, {
        ...opts,
        ...(dir ? { dir } : {}),
        ...(alg ? { algorithm: alg } : {}),
      });
      result = { ...r };
      text = `Generated key ${r.keyId} for ${r.name}\n  public key:  ${r.publicKeyPath}\n  private key: ${r.privateKeyPath}\n`;
    } else if (sub === 'load') {
      if (args.positionals.length !== 1) throw new LocalError('USAGE', 'key load takes exactly one FILE');
      const name = str(args, 'name');
      const r = await loadKey(args.positionals[0]!, {
        ...opts,
        ...(name ? { name } : {}),
        filePassphrase: undefined,
      });
      result = { ...r };
      text = r.alreadyLoaded
        ? `Key ${r.keyId} is signer ${r.name} (it was already in the trust dir: ${r.privateKeyPath})\n`
        : `Loaded key ${r.keyId} as signer ${r.name} (${r.privateKeyPath})\n`;
    } else if (sub === 'rotate') {
      if (args.positionals.length !== 2) throw new LocalError('USAGE', 'key rotate takes IMAGE and ROLE');
      const role = args.positionals[1]! as RotatableRole;
      if (!['root', 'targets', 'snapshot', 'timestamp'].includes(role)) {
        throw new LocalError('USAGE', 'ROLE is root, targets, snapshot or timestamp');
      }
      const rotateOpts: RotateOptions = {
        ...opts,
        serverManaged: bool(args, 'server-managed'),
        ...(alg ? { algorithm: alg } : {}),
      };
      const registry = await registryServerFor(args.positionals[0]!, opts);
      const r =
        registry !== undefined
          ? (await rotateRegistryKey(args.positionals[0]!, role, { ...rotateOpts, server: registry })).result
          : await rotateKey(args.positionals[0]!, role, rotateOpts);
      result = { ...r };
      text = `Rotated the ${r.role} key to ${r.keyId} (root version ${r.rootVersion})\n`;
      for (const id of r.retiredKeys) text += `  old root key ${id} marked retired\n`;
    } else {
      throw new LocalError('USAGE', `unknown key command ${JSON.stringify(sub)} (generate, load, rotate)`);
    }
    if (bool(args, 'json')) printJson(result);
    else printText(text);
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
