import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT, type RunningServer } from '../../src/server.js';
import { errorCode, extraServer, http, tokenFor } from './harness.js';

describe('hardening', () => {
  it('when any answer goes out, then it carries the security headers', async () => {
    const response = await http('GET', '/metadata');
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(response.headers.get('strict-transport-security')).to.match(/max-age=/);
    expect(response.headers.get('content-security-policy')).to.match(/default-src 'self'/);
    expect(response.headers.get('x-powered-by')).to.equal(null);
    expect(response.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('when an array in the body is longer than the limit, then 413 and nothing is stored', async () => {
    const response = await http('POST', '/Patient', {
      raw: `{"resourceType":"Patient","name":[${Array.from({ length: 20_001 }, () => '{}').join(',')}]}`,
      headers: { 'content-type': 'application/fhir+json' },
    });
    expect(response.status).to.equal(413);
    expect(errorCode(response.body)).to.equal('too-large');
  });

  it('when AUTH=off is asked for in production, then the server refuses to start', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', AUTH: 'off', MONGODB_URI: 'mongodb://db/' }, PROJECT_ROOT),
    ).to.throw(/AUTH=off is refused/);
    expect(() => loadConfig({ AUTH: 'maybe' }, PROJECT_ROOT)).to.throw(/AUTH must be/);
  });

  describe('with limits and origins configured', () => {
    let server: RunningServer;
    before(async () => {
      server = await extraServer({
        RATE_LIMIT_PER_ADDRESS: '1000',
        RATE_LIMIT_PER_CLIENT: '3',
        CORS_ORIGINS: 'https://app.example.org',
      });
    });
    after(() => server.stop());

    const get = (path: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { headers });

    it('when a client goes over its rate, then 429 with Retry-After, and other clients carry on', async () => {
      const [busy, quiet] = await Promise.all([tokenFor('system/Patient.rs'), tokenFor('system/Patient.rs')]);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await get('/Patient?_count=1', { authorization: `Bearer ${busy}` });
        statuses.push(last.status);
      }
      expect(statuses).to.deep.equal([200, 200, 200, 429]);
      expect(Number(last!.headers.get('retry-after'))).to.be.within(1, 60);
      expect(last!.headers.get('ratelimit-policy')).to.equal('3;w=60');
      expect(last!.headers.get('ratelimit')).to.match(/^limit=3, remaining=0, reset=\d+$/);
      expect(errorCode(await last!.json())).to.equal('too-many-requests');
      expect((await get('/Patient?_count=1', { authorization: `Bearer ${quiet}` })).status).to.equal(200);
    });

    it('when a browser app calls from a configured origin, then CORS allows it; from another, it does not', async () => {
      const preflight = (origin: string) =>
        fetch(`${server.url}/Patient`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        });
      const allowed = await preflight('https://app.example.org');
      expect(allowed.headers.get('access-control-allow-origin')).to.equal('https://app.example.org');
      expect(allowed.headers.get('access-control-allow-headers')).to.match(/Authorization/);
      const other = await preflight('https://evil.example.com');
      expect(other.headers.get('access-control-allow-origin')).to.equal(null);
    });
  });

  describe('per address', () => {
    let server: RunningServer;
    before(async () => {
      server = await extraServer({ RATE_LIMIT_PER_ADDRESS: '5' });
    });
    after(() => server.stop());

    it('when one address sends too many requests, even unauthenticated ones, then 429', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await fetch(`${server.url}/Patient`)).status);
      expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429]);
    });
  });

  describe('with a TLS certificate', () => {
    let server: RunningServer | undefined;
    let dir: string | undefined;
    before(async function () {
      // the certificate is made with the openssl command, part of the machines this project runs on
      if (spawnSync('openssl', ['version']).status !== 0) this.skip();
      dir = mkdtempSync(join(tmpdir(), 'nims-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      server = await extraServer({
        TLS_CERT_FILE: join(dir, 'cert.pem'),
        TLS_KEY_FILE: join(dir, 'key.pem'),
      });
    });
    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('when TLS_CERT_FILE and TLS_KEY_FILE are set, then the API is served over HTTPS', async () => {
      const url = server!.url;
      const ca = readFileSync(join(dir!, 'cert.pem'));
      expect(url).to.match(/^https:/);
      const status = await new Promise<number>((resolve, reject) => {
        httpsRequest(`${url}/metadata`, { ca }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).to.equal(200);
    });
  });
});
