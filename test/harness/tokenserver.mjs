// Minimal Docker registry token server (distribution "token" auth spec) for the
// DCT lab. No dependencies. Issues ES256 JWTs whose x5c header carries a
// certificate signed by the lab CA, which registry and notary-server trust.
//
// Env: TOKEN_ADDR (127.0.0.1), TOKEN_PORT (5001), TOKEN_KEY, TOKEN_CERT (PEM),
//      TOKEN_ISSUER, TOKEN_USERS ("user:pass,user2:pass2"), TOKEN_TTL (seconds)
// Policy: valid credentials -> every requested action is granted;
//         no credentials    -> only "pull" is granted; bad credentials -> 401.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const addr = process.env.TOKEN_ADDR || '127.0.0.1';
const port = Number(process.env.TOKEN_PORT || 5001);
const issuer = process.env.TOKEN_ISSUER || 'dct-lab-token-issuer';
const ttl = Number(process.env.TOKEN_TTL || 300);
const key = crypto.createPrivateKey(fs.readFileSync(process.env.TOKEN_KEY));
const certPem = fs.readFileSync(process.env.TOKEN_CERT, 'utf8');
const certDer = new crypto.X509Certificate(certPem).raw.toString('base64');
const users = new Map(
  (process.env.TOKEN_USERS || 'lab:lab')
    .split(',')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf(':');
      return [p.slice(0, i), p.slice(i + 1)];
    }),
);

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function parseScope(s) {
  // type:name:actions  (name may contain ':' e.g. host:port/repo)
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  return {
    type: s.slice(0, first),
    name: s.slice(first + 1, last),
    actions: s
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function issue(sub, service, scopes, authenticated) {
  const now = Math.floor(Date.now() / 1000);
  const access = scopes
    .map(parseScope)
    .filter(Boolean)
    .map((a) => ({
      type: a.type,
      name: a.name,
      actions: authenticated ? a.actions : a.actions.filter((x) => x === 'pull'),
    }));
  const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer] };
  const claims = {
    iss: issuer,
    sub,
    aud: service,
    exp: now + ttl,
    nbf: now - 10,
    iat: now,
    jti: crypto.randomBytes(16).toString('hex'),
    access,
  };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return {
    token: `${input}.${b64u(sig)}`,
    issued_at: new Date(now * 1000).toISOString(),
    expires_in: ttl,
    access,
  };
}

function checkCreds(user, pass) {
  return users.has(user) && users.get(user) === pass;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
  const send = (code, obj) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  if (url.pathname === '/health') return send(200, { ok: true });
  if (url.pathname !== '/auth') return send(404, { error: 'not found' });

  const finish = (user, pass, service, scopes) => {
    let authenticated = false;
    if (user !== undefined && user !== '') {
      if (!checkCreds(user, pass)) {
        res.setHeader('www-authenticate', 'Basic realm="dct-lab"');
        return send(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
      }
      authenticated = true;
    }
    const out = issue(authenticated ? user : '', service || '', scopes, authenticated);
    process.stdout.write(
      `${new Date().toISOString()} ${req.method} service=${service} user=${user || '-'} access=${JSON.stringify(out.access)}\n`,
    );
    return send(200, {
      token: out.token,
      access_token: out.token,
      expires_in: out.expires_in,
      issued_at: out.issued_at,
    });
  };

  if (req.method === 'GET') {
    let user, pass;
    const h = req.headers.authorization || '';
    if (h.startsWith('Basic ')) {
      const dec = Buffer.from(h.slice(6), 'base64').toString();
      const i = dec.indexOf(':');
      user = dec.slice(0, i);
      pass = dec.slice(i + 1);
    }
    return finish(user, pass, url.searchParams.get('service'), url.searchParams.getAll('scope'));
  }
  if (req.method === 'POST') {
    // OAuth2 password grant (docker login style)
    let body = '';
    req.on('data', (c) => {
      body += c;
      if (body.length > 65536) req.destroy();
    });
    req.on('end', () => {
      const f = new URLSearchParams(body);
      if (f.get('grant_type') !== 'password') return send(400, { error: 'unsupported_grant_type' });
      return finish(
        f.get('username'),
        f.get('password'),
        f.get('service'),
        (f.get('scope') || '').split(' ').filter(Boolean),
      );
    });
    return undefined;
  }
  return send(405, { error: 'method not allowed' });
});

server.listen(port, addr, () => process.stdout.write(`token server on http://${addr}:${port}/auth\n`));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => server.close(() => process.exit(0)));
