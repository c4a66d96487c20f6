/**
 * `trust`: a thin shell over the library. Each subcommand lives in its own
 * module, loaded on demand so `trust verify` (the pre-pull hook) loads only
 * what it needs. Exit codes: 0 ok, 1 verification failed / not signed,
 * 2 usage or configuration, 3 server unreachable.
 */

import { escapeControl } from '../escape.js';
import { runCli } from './run-cli.js';

type Command = () => Promise<{ run(argv: string[]): Promise<number> }>;

const COMMANDS: Record<string, Command> = {
  verify: () => import('./commands/verify.js'),
  inspect: () => import('./commands/inspect.js'),
  sign: () => import('./commands/sign.js'),
  revoke: () => import('./commands/revoke.js'),
  init: () => import('./commands/init.js'),
  refresh: () => import('./commands/refresh.js'),
  export: () => import('./commands/export.js'),
  migrate: () => import('./commands/migrate.js'),
  key: () => import('./commands/key.js'),
  signer: () => import('./commands/signer.js'),
  demo: () => import('./commands/demo.js'),
};

export const USAGE = `Usage: trust COMMAND [OPTIONS]

Docker Content Trust signing and verify-before-pull: Notary v1 servers, TUF 1.0
repositories, and trust metadata stored in the registry itself (--server registry).

Commands:
  verify IMAGE[:TAG]            print the trusted IMAGE@sha256:... or fail
  inspect IMAGE[:TAG]...        signed tags, signers and keys (docker trust inspect)
  sign IMAGE:TAG...             sign tags (manifest digest from the registry or --digest/--size)
  revoke IMAGE[:TAG]            remove trust for a tag (or every tag)
  init IMAGE                    create trust data for a repository
  refresh IMAGE                 re-sign the timestamp of registry-hosted trust data (cron/CI)
  export IMAGE... --output FILE write registry-hosted trust data as an OCI layout tarball
  migrate IMAGE --to registry   move signed tags off a Notary server into the registry
  key generate NAME             create a signer key (NAME.pub + encrypted private key)
  key load FILE                 import a signer's private key
  key rotate IMAGE ROLE         rotate the root, targets, snapshot or timestamp key
  signer add --key PUB NAME IMAGE...   add a signer (targets/releases and targets/NAME)
  signer remove NAME IMAGE...   remove a signer
  demo                          local sign-and-verify walkthrough (no services)

Common options: --server URL|registry|oci://HOST/REPO[:TAG]  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SECONDS
Other: trust --help | trust --version (-v) | trust help COMMAND
Environment: DOCKER_CONTENT_TRUST_SERVER (default server), DOCKER_CONFIG (trust dir $DOCKER_CONFIG/trust),
  CONTENT_TRUST_CONFIG (notary-style config: trust_pinning, remote_server, trust_dir), NODE_EXTRA_CA_CERTS,
  HTTPS_PROXY / HTTP_PROXY / NO_PROXY (as docker; loopback is never proxied),
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE / _REPOSITORY_PASSPHRASE (never flags), CONTENT_TRUST_DEBUG=1.
Run 'trust COMMAND --help' for details. Exit codes: 0 ok, 1 not trusted, 2 usage/config, 3 unreachable.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || (cmd === 'help' && rest.length === 0)) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    const { VERSION } = await import('./version.js');
    process.stdout.write(`${VERSION}\n`); // terminal-safe: our own version string
    return 0;
  }
  // `trust help verify` is `trust verify --help`.
  const [name, args] = cmd === 'help' ? [rest[0]!, ['--help']] : [cmd, rest];
  // own names only: `trust constructor` found Object (error INTERNAL, exit 1 instead of usage, 2)
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    // terminal-safe: the user's word goes through escapeControl
    process.stderr.write(
      `error USAGE: unknown command ${escapeControl(JSON.stringify(name))}\n` +
        `Usage: trust COMMAND [OPTIONS]  (${Object.keys(COMMANDS).join(', ')})\n` +
        `Run 'trust --help' for more information.\n`,
    );
    return 2;
  }
  const mod = await load();
  return mod.run(args);
}

runCli(() => main(process.argv.slice(2)));
