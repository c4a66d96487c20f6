import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { LocalError } from '../errors.js';
import { parseArgs } from './args.js';
import { parseClientConfig, SERVER_FLAGS, trustOptionsFrom } from './options.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function setup(config: unknown) {
  const dir = tempDir('ct-cli-options-');
  mkdirSync(join(dir, 'certs'));
  writeFileSync(join(dir, 'certs', 'ca.pem'), PEM);
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return { dir, path };
}

const opts = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  trustOptionsFrom(parseArgs(argv, SERVER_FLAGS), env);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LocalError);
    return (e as LocalError).code;
  }
  return undefined;
}

describe('trustOptionsFrom', () => {
  it('maps a notary client config: server, root_ca relative to the config, trust_pinning', () => {
    const gun = 'registry.example.com/team/app';
    const { dir, path } = setup({
      remote_server: { url: 'https://notary.example.com', root_ca: 'certs/ca.pem', skipTLSVerify: false },
      trust_dir: '~/.my-trust',
      trust_pinning: { certs: { [gun]: ['ab'.repeat(32)] }, disable_tofu: true },
    });
    const o = opts(['--config', path]);
    expect(o.server).toBe('https://notary.example.com');
    expect(o.tlsCaCert).toBe(PEM);
    expect(o.trustDir).toBe(join(homedir(), '.my-trust'));
    expect(o.pinning).toEqual({ certs: { [gun]: ['ab'.repeat(32)] }, disableTofu: true });
    // the same file through the environment
    expect(opts([], { CONTENT_TRUST_CONFIG: path }).server).toBe('https://notary.example.com');
    // trust_pinning.ca files are read relative to the working directory, as notary does
    const ca = setup({ trust_pinning: { ca: { 'registry.example.com/': join(dir, 'certs', 'ca.pem') } } });
    expect(opts(['--config', ca.path]).pinning).toEqual({ ca: { 'registry.example.com/': PEM } });
  });

  it('flags beat the environment, the environment beats the config', () => {
    const { path } = setup({ remote_server: { url: 'https://from-config' }, trust_dir: 'rel' });
    expect(opts(['--config', path, '--server', 'https://flag', '--trust-dir', '/t']).server).toBe(
      'https://flag',
    );
    expect(opts(['--config', path, '--trust-dir', '/t']).trustDir).toBe('/t');
    // DOCKER_CONTENT_TRUST_SERVER is the library's default: the CLI leaves server unset
    const fromEnv = opts(['--config', path], { DOCKER_CONTENT_TRUST_SERVER: 'https://env' });
    expect(fromEnv.server).toBeUndefined();
    expect(fromEnv.env).toEqual({ DOCKER_CONTENT_TRUST_SERVER: 'https://env' });
    expect(opts(['--config', path]).trustDir).toBe(resolve('rel'));
    expect(opts([]).server).toBeUndefined();
    expect(opts([]).trustDir).toBeUndefined();
  });

  it('turns --deadline seconds into milliseconds and rejects nonsense', () => {
    expect(opts(['--deadline', '2.5']).deadlineMs).toBe(2500);
    expect(opts(['--deadline', '0.0001']).deadlineMs).toBe(1);
    for (const d of ['0', '-1', 'soon', '', 'Infinity'])
      expect(codeOf(() => opts(['--deadline', d]))).toBe('USAGE');
  });

  it('refuses servers that are not http(s)/file URLs, from flags, env or config', () => {
    expect(opts(['--server', 'file:///srv/trust']).server).toBe('file:///srv/trust');
    expect(codeOf(() => opts(['--server', 'notary.example.com']))).toBe('CONFIG');
    expect(codeOf(() => opts(['--server', 'ftp://x']))).toBe('CONFIG');
    expect(codeOf(() => opts([], { DOCKER_CONTENT_TRUST_SERVER: 'nope' }))).toBe('CONFIG');
    expect(codeOf(() => opts(['--config', setup({ remote_server: { url: 'x' } }).path]))).toBe('CONFIG');
  });

  it('reports unreadable files as configuration errors', () => {
    expect(codeOf(() => opts(['--tlscacert', '/nonexistent/ca.pem']))).toBe('CONFIG');
    expect(codeOf(() => opts(['--config', '/nonexistent/config.json']))).toBe('CONFIG');
    expect(codeOf(() => opts(['--config', setup('{not json').path]))).toBe('CONFIG');
    expect(codeOf(() => opts(['--config', setup({ remote_server: { root_ca: 'missing.pem' } }).path]))).toBe(
      'CONFIG',
    );
  });
});

describe('parseClientConfig', () => {
  it.each([
    ['[]', /not a JSON object/],
    ['{"trust_dir": 1}', /trust_dir must be a string/],
    ['{"remote_server": "https://x"}', /remote_server must be an object/],
    ['{"remote_server": {"url": 5}}', /remote_server.url must be a string/],
    ['{"trust_pinning": {"certs": {"gun": "id"}}}', /trust_pinning.certs/],
    ['{"trust_pinning": {"certs": {"gun": [1]}}}', /trust_pinning.certs/],
    ['{"trust_pinning": {"ca": {"gun": ["f"]}}}', /trust_pinning.ca/],
    ['{"trust_pinning": {"disable_tofu": "yes"}}', /disable_tofu/],
    ['{"trust_pinning": {"typo": true}}', /unknown key "trust_pinning.typo" \(known: trust_pinning.certs, /],
    ['{"remote_server": {"URL": "https://x"}}', /unknown key "remote_server.URL"/],
    ['{"storage": {}}', /unknown key "storage" \(known: trust_dir, remote_server, trust_pinning\)/],
    ['{"trust_dir": "t", "__proto__": {}}', /unknown key "__proto__"/],
    ['{"remote_server": {"tls_client_cert": "c.pem"}}', /remote_server.tls_client_cert is a notary setting/],
    ['{"remote_server": {"skipTLSVerify": true}}', /remote_server.skipTLSVerify is a notary setting/],
  ])('%s is refused', (text, message) => {
    expect(() => parseClientConfig(text, 'c.json')).toThrow(message);
    expect(codeOf(() => parseClientConfig(text, 'c.json'))).toBe('CONFIG');
  });

  it('reads the keys it knows; skipTLSVerify false is accepted (TLS is always verified)', () => {
    expect(
      parseClientConfig(
        '{"remote_server": {"skipTLSVerify": false}, "trust_pinning": {"disable_tofu": false}}',
        'c',
      ),
    ).toEqual({ remote_server: {}, trust_pinning: { disable_tofu: false } });
  });
});
