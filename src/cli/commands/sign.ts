/** `trust sign IMAGE:TAG...`: sign tags (one publish per repository). */

import { registryServerFor } from '../../client/registry-source.js';
import { LocalError } from '../../errors.js';
import type { RegistrySignedTag } from '../../publish/registry.js';
import { type SignedTag, signTags, type TagToSign } from '../../publish/workflows.js';
import { parseReference } from '../../reference.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, printWarning, reportError } from '../output.js';
import { describeInit, describeRegistryInit, PUBLISH_FLAGS, publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust sign IMAGE:TAG... [OPTIONS]';

const HELP = `Usage: trust sign IMAGE:TAG... [OPTIONS]

Signs each tag's manifest digest (looked up in the registry, or given with
--digest/--size) into targets/releases when you hold a signer key for it
(docker's rule: every delegation you can sign), else into targets. Tags of one
repository are published together. A repository without trust data is
initialised first (new root and repository keys; their ids and the root key
file are printed). The root of an existing repository must be anchored: cached
by an earlier verify from this trust dir, pinned in the config, named with
--root-key, or signed by a root key the trust dir holds.
With --server registry or oci://HOST[:PORT]/REPO[:TAG] (or a repository first
published there), signs into the TUF 1.0 repository stored in the registry
(created first when missing, as trust init does).

Options:
  --digest sha256:HEX --size N   sign this digest instead of asking the registry (one tag only)
  --root-key ID      the repository's root key id (anchors a root not verified before)
  --json             print the signed tags as JSON
  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
Passphrases: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
or a prompt on a terminal.
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      ...PUBLISH_FLAGS,
      digest: { type: 'string' },
      size: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length === 0) throw new LocalError('USAGE', 'sign needs at least one IMAGE:TAG');
    const digest = str(args, 'digest');
    const sizeText = str(args, 'size');
    if ((digest === undefined) !== (sizeText === undefined)) {
      throw new LocalError('USAGE', '--digest and --size go together');
    }
    if (digest !== undefined && args.positionals.length !== 1) {
      throw new LocalError('USAGE', '--digest/--size sign exactly one IMAGE:TAG');
    }
    if (sizeText !== undefined && !/^\d+$/.test(sizeText))
      throw new LocalError('USAGE', '--size must be a byte count');
    const opts = publishOptionsFrom(args);
    const byRepo = new Map<string, TagToSign[]>();
    for (const ref of args.positionals) {
      const gun = parseReference(ref).gun;
      const t: TagToSign = { reference: ref };
      if (digest !== undefined) {
        t.digest = digest;
        t.size = Number(sizeText);
      }
      byRepo.set(gun, [...(byRepo.get(gun) ?? []), t]);
    }
    const registry = await registryServerFor(args.positionals[0]!, opts);
    if (registry !== undefined) {
      // the registry-hosted (TUF 1.0) publisher is loaded only for it: a sign on a Notary server
      // does not initialise the OCI, TUF 1.0 writer and client modules (issue 12)
      const { signRegistryTags } = await import('../../publish/registry.js');
      const out: RegistrySignedTag[] = [];
      for (const tags of byRepo.values()) {
        const repoServer = (await registryServerFor(tags[0]!.reference, opts)) ?? registry;
        out.push(
          ...(
            await signRegistryTags(tags, {
              ...opts,
              server: repoServer,
              initIfMissing: true,
              onInit: (res) =>
                bool(args, 'json')
                  ? printWarning(describeRegistryInit(res))
                  : printText(describeRegistryInit(res)),
            })
          ).result,
        );
      }
      if (bool(args, 'json')) printJson(out);
      else for (const s of out) printText(`Signed ${s.reference} ${s.digest} (${s.roles.join(', ')})\n`);
      return 0;
    }
    const tty = process.stderr.isTTY === true;
    const all: SignedTag[] = [];
    for (const tags of byRepo.values()) {
      const signed = await signTags(tags, {
        ...opts,
        initIfMissing: true,
        // JSON output stays the list of signed tags; the initialisation is told on stderr then
        onInit: (res) =>
          bool(args, 'json') ? printWarning(describeInit(res)) : printText(describeInit(res)),
        onProgress:
          tty && tags.length > 1
            ? // terminal-safe: our own progress line, numbers only
              (d, n) => process.stderr.write(`\rresolving digests ${d}/${n}`)
            : undefined,
      });
      if (tty && tags.length > 1) process.stderr.write('\n');
      all.push(...signed);
    }
    if (bool(args, 'json')) printJson(all);
    else for (const s of all) printText(`Signed ${s.reference} ${s.digest} (${s.roles.join(', ')})\n`);
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
