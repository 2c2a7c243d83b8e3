// A small SMART Backend Services client for trying nims by hand:
//   node scripts/token.mjs keys DIR                      makes an ES384 key pair: DIR/private.jwk.json and
//                                                        DIR/jwks.json (the public set to register)
//   node scripts/token.mjs get CLIENT_ID DIR "SCOPES"    prints an access token (TOKEN_URL, default
//                                                        http://localhost:8080/auth/token)
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

const [command, ...args] = process.argv.slice(2);

if (command === 'keys' && args[0]) {
  const dir = args[0];
  mkdirSync(dir, { recursive: true });
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = randomUUID();
  writeFileSync(
    join(dir, 'private.jwk.json'),
    JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES384' }),
    {
      mode: 0o600,
    },
  );
  writeFileSync(
    join(dir, 'jwks.json'),
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384' }] }),
  );
  console.log(
    `${join(dir, 'jwks.json')} (register this) and ${join(dir, 'private.jwk.json')} (keep this secret)`,
  );
} else if (command === 'get' && args.length === 3) {
  const [clientId, dir, scope] = args;
  const tokenUrl = process.env.TOKEN_URL ?? 'http://localhost:8080/auth/token';
  const jwk = JSON.parse(readFileSync(join(dir, 'private.jwk.json'), 'utf8'));
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid: jwk.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setExpirationTime('4m')
    .setJti(randomUUID())
    .sign(await importJWK(jwk, 'ES384'));
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope,
    }),
  });
  const answer = await response.json();
  if (!response.ok) {
    console.error(`${answer.error}: ${answer.error_description}`);
    process.exit(1);
  }
  console.log(answer.access_token);
} else {
  console.error('usage: node scripts/token.mjs keys DIR | get CLIENT_ID DIR "SCOPES"');
  process.exit(2);
}
