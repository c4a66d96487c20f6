#!/usr/bin/env node
/**
 * `trust`: a thin shell over the library. Each subcommand lives in its own
 * module, loaded on demand so `trust verify` (the pre-pull hook) loads only
 * what it needs. Exit codes: 0 ok, 1 verification failed / not signed,
 * 2 usage or configuration, 3 server unreachable.
 */

import { reportError } from './output.js';

type Command = () => Promise<{ run(argv: string[]): Promise<number> }>;

const COMMANDS: Record<string, Command> = {
  verify: () => import('./commands/verify.js'),
  inspect: () => import('./commands/inspect.js'),
  sign: () => import('./commands/sign.js'),
  revoke: () => import('./commands/revoke.js'),
  init: () => import('./commands/init.js'),
  key: () => import('./commands/key.js'),
  signer: () => import('./commands/signer.js'),
  demo: () => import('./commands/demo.js'),
};

export const USAGE = `Usage: trust COMMAND [OPTIONS]

Docker Content Trust (Notary v1) signing and verify-before-pull.

Commands:
  verify IMAGE[:TAG]            print the trusted IMAGE@sha256:... or fail
  inspect IMAGE[:TAG]...        signed tags, signers and keys (docker trust inspect)
  sign IMAGE:TAG...             sign tags (manifest digest from the registry or --digest/--size)
  revoke IMAGE[:TAG]            remove trust for a tag (or every tag)
  init IMAGE                    create trust data for a repository
  key generate NAME             create a signer key (NAME.pub + encrypted private key)
  key load FILE                 import a signer's private key
  key rotate IMAGE ROLE         rotate the targets, snapshot or root key
  signer add --key PUB NAME IMAGE...   add a signer (targets/releases and targets/NAME)
  signer remove NAME IMAGE...   remove a signer
  demo                          local sign-and-verify walkthrough (no services)

Common options: --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SECONDS
Run 'trust COMMAND --help' for details. Exit codes: 0 ok, 1 not trusted, 2 usage/config, 3 unreachable.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd === undefined ? process.stderr : process.stdout).write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    const { VERSION } = await import('./version.js');
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`error USAGE: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
    return 2;
  }
  const mod = await load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
