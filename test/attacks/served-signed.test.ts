/**
 * Issue 12: the Notary dialect checks a signature over the served bytes of `signed` when the parser
 * proved them canonical, instead of re-encoding (metadata/parse.ts). Whichever path runs, the message
 * must be the one Notary's own client checks: the canonical encoding of the generic decode of the
 * served `signed` (tuf/signed/verify.go), before any normalisation. Served over HTTPS by the
 * tampering proxy with notary-server's names, each targets document below holds the same value in
 * another spelling, signed by the real targets key over the canonical encoding of the value as our
 * parser normalises it, or over the exact served bytes; `verify` must give the real `notary lookup`'s
 * verdict on each. `custom-null` and `no-delegations` are canonical to a byte scan, but parsing
 * normalises them (`"custom": null` dropped, absent delegations filled in): Notary checks their
 * served bytes, so a signature over the normalised encoding must fail (0.1.0 accepted it, and
 * refused one over the served bytes that Notary accepts).
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { canonicalBytes, canonicalJson } from '../../src/encoding/canonical.js';
import { parseTargets } from '../../src/metadata/parse.js';
import { tempDir } from '../harness/lab.js';
import { Forge, type JsonObject, openFile } from '../support/forge.js';
import { useForgedLab } from '../support/forged-lab.js';

const lab = useForgedLab('served');

/** JSON.stringify with keys sorted byte-wise, indented. */
function indented(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) out[k] = (x as Record<string, unknown>)[k];
      return out;
    },
    2,
  );
}

/** Members of every object in reverse order (the same value, unsorted). */
function reversed(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(reversed);
  const out: Record<string, unknown> = {};
  // prefixed, or integer-like keys would be listed first again (the caller strips the prefix)
  for (const k of Object.keys(v).sort().reverse()) out[`_${k}`] = reversed((v as Record<string, unknown>)[k]);
  return out;
}

type Spelling = (body: JsonObject) => { text: string; value: JsonObject };

/** The served text of `signed` and the value the client reads from it (before normalisation). */
const SPELLINGS: Record<string, Spelling> = {
  canonical: (b) => ({ text: canonicalJson(b), value: b }),
  indented: (b) => ({ text: indented(b), value: b }),
  unsorted: (b) => ({ text: JSON.stringify(reversed(b)).replace(/"_/g, '"'), value: b }),
  'escaped-key': (b) => ({ text: canonicalJson(b).replace('"latest"', '"\\u006catest"'), value: b }),
  'escaped-value': (b) => ({ text: canonicalJson(b).replace('"Targets"', '"\\u0054argets"'), value: b }),
  'custom-null': (b) => {
    const text = canonicalJson(b).replace('"latest":{"hashes"', '"latest":{"custom":null,"hashes"');
    return { text, value: b };
  },
  'no-delegations': (b) => {
    const { delegations: _d, ...rest } = b;
    return { text: canonicalJson(rest), value: b };
  },
};

function targetsFile(forge: Forge, signedText: string, message: Uint8Array): Uint8Array {
  const key = forge.keys.targets[0]!;
  const sig = { keyid: key.id, method: key.method, sig: key.signBytes(message).toString('base64') };
  return Buffer.from(`{"signed":${signedText},"signatures":[${JSON.stringify(sig)}]}`, 'utf8');
}

/** The real notary client's verdict on `gun:latest` through the proxy (fresh trust dir). */
function notaryAccepts(gun: string): Promise<boolean> {
  const dir = tempDir();
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, lab.proxy.ca);
  // notary pings the registry-style base first
  lab.proxy.rule((req) => (req.path === '/v2/' ? { status: 200, body: '{}' } : undefined));
  // asynchronous: the proxy answers from this process
  return new Promise((resolve, reject) => {
    execFile(
      'notary',
      ['-d', join(dir, 'trust'), '-s', lab.proxy.url, '--tlscacert', ca, 'lookup', gun, 'latest'],
      { encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        if (!err) resolve(true);
        else if (/valid signatures did not meet threshold for targets/.test(`${stdout}${stderr}`))
          resolve(false);
        else reject(new Error(`notary lookup failed for another reason: ${stdout}${stderr}`));
      },
    );
  });
}

describe("served bytes of signed: verify gives the real notary client's verdict on every spelling", () => {
  for (const [name, spell] of Object.entries(SPELLINGS)) {
    for (const over of ['normalised value', 'served bytes'] as const) {
      it(`${name}, signed over the ${over}`, async () => {
        const forge = new Forge(lab.newGun(`${name}-${over.split(' ')[0]}`));
        const latest = forge.tag('latest', `build of ${name}`);
        forge.tag('1');
        forge.tag('10');
        forge.tag('2');
        const { signed } = openFile(forge.build().targets!);
        const { text, value } = spell(signed);
        // the spelling is the same value (after the parser's normalisation) or it tests nothing
        const parsed = parseTargets(targetsFile(forge, text, new Uint8Array()));
        expect(canonicalJson(parsed.signed)).toBe(canonicalJson(value));
        const message = over === 'served bytes' ? Buffer.from(text, 'utf8') : canonicalBytes(value);
        lab.publish(forge, { replace: { targets: targetsFile(forge, text, message) } });

        // Notary's message: the canonical encoding of the served `signed` as decoded, nothing dropped
        const notaryMessage = canonicalBytes(JSON.parse(text));
        const expected = Buffer.from(message).equals(Buffer.from(notaryMessage));
        expect(await notaryAccepts(forge.gun)).toBe(expected);
        if (expected) {
          expect((await verify(`${forge.gun}:latest`, lab.opts(tempDir()))).digest).toBe(latest.digest);
        } else {
          await lab.rejected(`${forge.gun}:latest`, lab.opts(tempDir()), 'BAD_SIGNATURE', 'targets');
        }
      });
    }
  }
});
