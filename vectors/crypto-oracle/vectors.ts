/** Typed access to the oracle-generated vectors (see generate.mjs). Test-only. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function load<T>(name: string): T {
  return JSON.parse(readFileSync(join(here, name), 'utf8')) as T;
}

export interface Ed25519Case {
  name: string;
  pub: string;
  msg: string;
  sig: string;
  go: boolean;
  /** Present on Go's sign.input vectors. */
  seed?: string;
}

export interface SigCase {
  name: string;
  key?: string;
  keytype: string;
  pub: string;
  method: string;
  msg: string;
  sig: string;
  go: boolean;
  divergence?: string;
}

export interface KeyIdCase {
  name: string;
  keytype: string;
  pub: string;
  id: string;
  canonical: string;
}

export interface CertCase {
  name: string;
  keytype: string;
  pub: string;
  gun: string;
  go: boolean;
  goReason: string;
  id?: string;
}

export interface CertGenCase {
  key: string;
  pkcs8: string;
  gun: string;
  notBefore: number;
  notAfter: number;
  serial: string;
  der: string;
  pem: string;
}

export const ed25519Vectors = load<{ cases: Ed25519Case[] }>('ed25519-edge.json').cases;
export const signatureVectors = load<{ keys: Record<string, string>; cases: SigCase[]; fixtures: SigCase[] }>(
  'signatures.json',
);
export const keyIdVectors = load<{ cases: KeyIdCase[] }>('keyids.json').cases;
export const rootCertVectors = load<{ now: number; cases: CertCase[] }>('root-certs.json');
export const certGenVectors = load<{ cases: CertGenCase[] }>('certgen.json').cases;

export const hexBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const b64Bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
