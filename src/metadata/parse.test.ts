import { describe, expect, it } from 'vitest';
import { vectorFile } from '../../test/support/vectors.js';
import { parseMetadata, parseTargets } from './parse.js';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));
const targets = () =>
  JSON.parse(Buffer.from(vectorFile('ecdsa-server', 'targets')).toString()) as {
    signed: Record<string, unknown> & {
      delegations: { keys: Record<string, unknown>; roles: { name: string }[] };
    };
    signatures: unknown[];
  };

describe('strict metadata parsing', () => {
  it('names the role, field and reason', () => {
    const doc = targets();
    doc.signed.version = '3';
    expect(() => parseMetadata(enc(doc), 'targets')).toThrowError('targets: version: must be an integer');
    const d2 = targets();
    delete d2.signed.expires;
    expect(() => parseMetadata(enc(d2), 'targets')).toThrowError('targets: expires: must be a string');
  });

  it('rejects the wrong _type with WRONG_TYPE', () => {
    expect(() => parseMetadata(vectorFile('ecdsa-server', 'targets'), 'snapshot')).toThrowError(
      expect.objectContaining({ code: 'WRONG_TYPE', role: 'snapshot' }),
    );
  });

  it('enforces the size limit before parsing', () => {
    expect(() => parseMetadata(vectorFile('ecdsa-server', 'targets'), 'targets', 100)).toThrowError(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    );
  });

  it('rejects invalid UTF-8 and invalid JSON with BAD_METADATA', () => {
    expect(() => parseMetadata(new Uint8Array([0x7b, 0xff, 0x7d]), 'root')).toThrowError(/not valid UTF-8/);
    expect(() => parseMetadata(Buffer.from('{"signed":'), 'root')).toThrowError(/not valid JSON/);
  });

  it('keeps an unusable delegation key listed but never usable (as Notary does)', () => {
    const doc = targets();
    const [id] = Object.keys(doc.signed.delegations.keys);
    doc.signed.delegations.keys[id!] = { keytype: 'rsa', keyval: { private: null, public: 'AAAA' } };
    const md = parseTargets(enc(doc));
    expect(md.keys.has(id!)).toBe(false);
    expect(md.signed.delegations.roles.length).toBeGreaterThan(0);
  });

  it('refuses delegations that are not children of the parent, or badly named', () => {
    for (const name of ['targets/Upper', 'targets/a/../b', 'other/x', 'targets/releases/x']) {
      const doc = targets();
      doc.signed.delegations.roles[0]!.name = name;
      expect(() => parseMetadata(enc(doc), 'targets'), name).toThrowError(/invalid delegation/);
    }
  });

  it('drops custom:null (Go omits a nil RawMessage) and keeps unknown fields', () => {
    const doc = targets();
    const t = doc.signed.targets as Record<string, Record<string, unknown>>;
    t.latest!.custom = null;
    doc.signed.x_extra = { keep: true };
    const md = parseTargets(enc(doc));
    expect('custom' in (md.signed.targets.latest as object)).toBe(false);
    expect(md.canonicalText()).toContain('"x_extra":{"keep":true}');
  });
});
