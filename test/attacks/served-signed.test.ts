/**
 * Issue 12: the Notary dialect checks a signature over the served bytes of `signed` when the parser
 * proved them canonical, instead of re-encoding the parsed value (metadata/parse.ts). That must not
 * change which documents verify. Served over HTTPS by the tampering proxy with notary-server's
 * names, each targets document below holds the same value in another spelling, signed by the real
 * targets key either over the canonical encoding of the value as parsed (what Notary's client
 * checks: accepted, as before) or over the exact served bytes (refused, as before). The spellings
 * `custom-null` and `no-delegations` look canonical to a byte scan, but parsing normalises them
 * (`"custom": null` dropped, absent delegations filled in), so their served bytes are not what
 * re-encoding gives: a signature over those bytes alone must still fail.
 */

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

describe('served bytes of signed vs re-encoding: the same documents verify as before', () => {
  for (const [name, spell] of Object.entries(SPELLINGS)) {
    it(`${name}: signed over the canonical encoding of the value is accepted; over the served bytes only if canonical`, async () => {
      const forge = new Forge(lab.newGun(name));
      const latest = forge.tag('latest', `build of ${name}`);
      forge.tag('1');
      forge.tag('10');
      forge.tag('2');
      const { signed } = openFile(forge.build().targets!);
      const { text, value } = spell(signed);
      // the spelling is the same value (after the parser's normalisation) or it tests nothing
      const parsed = parseTargets(targetsFile(forge, text, new Uint8Array()));
      expect(canonicalJson(parsed.signed)).toBe(canonicalJson(value));
      expect(parsed.canonicalSigned !== undefined).toBe(name === 'canonical');

      // signed over the canonical bytes of the value (as Notary signs and checks): accepted
      lab.publish(forge, { replace: { targets: targetsFile(forge, text, canonicalBytes(value)) } });
      expect((await verify(`${forge.gun}:latest`, lab.opts(tempDir()))).digest).toBe(latest.digest);

      // signed over the served bytes alone: accepted only where they are the canonical bytes
      forge.bump();
      const files = lab.publish(forge, {
        replace: { targets: targetsFile(forge, text, Buffer.from(text, 'utf8')) },
      });
      expect(files.targets).toBeDefined();
      if (name === 'canonical') {
        expect((await verify(`${forge.gun}:latest`, lab.opts(tempDir()))).digest).toBe(latest.digest);
      } else {
        await lab.rejected(`${forge.gun}:latest`, lab.opts(tempDir()), 'BAD_SIGNATURE', 'targets');
      }
    });
  }
});
