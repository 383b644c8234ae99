// A hand-rolled OpenID Provider that issues the ID token a test asks for, to check that
// sign-in refuses bad ones. Run: node test/support/oidc-forger.mjs <client_id> <redirect_uri>
// POST /test/mode {"mode": "good" | "other-key" | "wrong-aud" | "wrong-iss" | "expired" | "alg-none" | "wrong-nonce", "sub": "...", "claims": {...}}
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, UnsecuredJWT } from 'jose';

const [clientId, redirectUri] = process.argv.slice(2);
const published = await generateKeyPair('RS256');
const unpublished = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(published.publicKey)), kid: 'published', alg: 'RS256', use: 'sig' };
let mode = { mode: 'good', sub: 'forged-sub', claims: {} };
const codes = new Map();

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/.well-known/openid-configuration') {
    return json(200, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  }
  if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
  if (url.pathname === '/test/mode' && req.method === 'POST') {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    mode = JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(204);
    return res.end();
  }
  if (url.pathname === '/authorize') {
    const code = randomBytes(16).toString('hex');
    codes.set(code, { nonce: url.searchParams.get('nonce') });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    res.writeHead(302, { location: back.href });
    return res.end();
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const code = new URLSearchParams(Buffer.concat(chunks).toString()).get('code');
    const grant = codes.get(code);
    codes.delete(code);
    if (!grant) return json(400, { error: 'invalid_grant' });
    const now = Math.floor(Date.now() / 1000);
    const m = mode.mode;
    const payload = {
      nonce: m === 'wrong-nonce' ? 'not-the-nonce' : grant.nonce,
      ...mode.claims,
    };
    const base = (builder) =>
      builder
        .setSubject(mode.sub)
        .setIssuer(m === 'wrong-iss' ? 'https://evil.example' : issuer)
        .setAudience(m === 'wrong-aud' ? 'someone-else' : clientId)
        .setIssuedAt(m === 'expired' ? now - 7200 : now)
        .setExpirationTime(m === 'expired' ? now - 3600 : now + 300);
    const idToken =
      m === 'alg-none'
        ? base(new UnsecuredJWT(payload)).encode()
        : await base(new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'published' })).sign(
            m === 'other-key' ? unpublished.privateKey : published.privateKey,
          );
    return json(200, {
      access_token: randomBytes(8).toString('hex'),
      token_type: 'Bearer',
      expires_in: 300,
      id_token: idToken,
    });
  }
  res.writeHead(404);
  res.end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
