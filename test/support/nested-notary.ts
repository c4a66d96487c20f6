// A Notary repository with a nested delegation, for the migration tests (real notary-server).
import { readFileSync } from 'node:fs';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { delegationRole, keyJson, targetMeta } from '../../src/metadata/build.js';
import { generateKey, publicKeyFromPem } from '../../src/publish/keys.js';
import { editableTargets, mutate } from '../../src/publish/repository.js';
import { addSigner, initRepository, signTags } from '../../src/publish/workflows.js';
import { freshGun, type LabInfo, pushImage, tempDir } from '../harness/lab.js';

export function notaryOptsFor(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    passphrase: staticPassphraseProvider('nested-pass'),
    keyIterations: 1000,
    deadlineMs: 15_000,
    credentials: null,
  };
}

/**
 * A Notary repository: v1 in targets, v2 in targets/releases (signer "releaser"), and qa-1 in the
 * nested delegation targets/releases/qa (delegated by targets/releases, paths "qa-", its own key).
 */
export async function nestedNotaryRepo(lab: LabInfo, prefix: string, withNested = true) {
  const gun = freshGun(lab, prefix);
  const repo = gun.slice(lab.registryHost.length + 1);
  const v1 = await pushImage(lab, repo, 'v1');
  const v2 = await pushImage(lab, repo, 'v2', { content: 'two' });
  const qa = await pushImage(lab, repo, 'qa-1', { content: 'qa' });
  const dir = tempDir();
  const opts = notaryOptsFor(lab, dir);
  await initRepository(gun, opts);
  await signTags([{ reference: `${gun}:v1` }], opts);
  const releaser = await generateKey('releaser', { ...opts, dir: tempDir() });
  await addSigner('releaser', readFileSync(releaser.publicKeyPath, 'utf8'), gun, opts);
  await signTags([{ reference: `${gun}:v2` }], opts);
  if (!withNested) return { gun, repo, v1, v2, qa, dir, opts };
  const qaKey = await generateKey('qa', { ...opts, dir: tempDir() });
  const qaPub = publicKeyFromPem(readFileSync(qaKey.publicKeyPath, 'utf8'));
  await mutate(gun, opts, async (state) => {
    const rel = editableTargets(state.targets.get('targets/releases')?.signed, 'targets/releases');
    rel.delegations.keys[qaPub.id] = keyJson(qaPub);
    rel.delegations.roles.push(delegationRole('targets/releases/qa', [qaPub.id], ['qa-'], 1));
    const nested = editableTargets(undefined, 'targets/releases/qa');
    nested.targets['qa-1'] = targetMeta(qa.digest, qa.size);
    return {
      edit: {
        targets: new Map([
          ['targets/releases', rel],
          ['targets/releases/qa', nested],
        ]),
      },
      newKeys: new Map([[qaPub.id, qaPub]]),
      result: null,
    };
  });
  return { gun, repo, v1, v2, qa, dir, opts };
}
