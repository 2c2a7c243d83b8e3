import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { immunization, patient } from '../../fixtures/records.js';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/server.js';
import { ODS_CODE_SYSTEM } from '../../src/shared/ods.js';
import { baseUrl, clientAssertion, create, errorCode, registerClient, requestToken, testServer, tokenFor, } from './harness.js';
/** A plain request with the given token (or none). */
async function call(method, path, token, body) {
    const response = await fetch(`${await baseUrl()}${path}`, {
        method,
        headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : {},
    };
}
const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
describe('authentication: SMART Backend Services', () => {
    let client;
    before(async () => {
        client = await registerClient({ scopes: 'system/Patient.rs system/Immunization.cruds' });
    });
    it('when a client proves itself with an ES384 assertion, then it gets a short-lived token for the scopes it may have', async () => {
        const { status, body } = await requestToken(client, 'system/Patient.rs system/Immunization.rs');
        expect(status).to.equal(200);
        expect(body.token_type).to.equal('bearer');
        expect(body.expires_in).to.be.a('number');
        expect(body.scope).to.equal('system/Patient.rs system/Immunization.rs');
        const read = await call('GET', '/Patient?_count=1', body.access_token);
        expect(read.status).to.equal(200);
    });
    it('when an RS384 client asks for more than it is registered for, then it gets only what it may have', async () => {
        const rsa = await registerClient({ scopes: 'system/Patient.rs', alg: 'RS384' });
        const { status, body } = await requestToken(rsa, 'system/*.cruds');
        expect(status).to.equal(200);
        expect(body.scope).to.equal('system/Patient.rs');
    });
    it('when the token is issued, then the answer may not be cached and the token names its signing key', async () => {
        const response = await fetch(client.tokenUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
                grant_type: 'client_credentials',
                client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
                client_assertion: await clientAssertion(client),
                scope: 'system/Patient.rs',
            }).toString(),
        });
        expect(response.headers.get('cache-control')).to.equal('no-store');
        const token = (await response.json()).access_token;
        const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
        const jwks = (await (await fetch(client.tokenUrl.replace('token', 'jwks.json'))).json());
        expect(jwks.keys.map((k) => k.kid)).to.include(header.kid);
    });
    describe('every faulty assertion is refused with invalid_client', () => {
        const cases = [
            ['a wrong audience', (c) => clientAssertion(c, { aud: 'https://elsewhere.example/token' })],
            ['an expired assertion', (c) => clientAssertion(c, { exp: Math.floor(Date.now() / 1000) - 120 })],
            [
                'an expiry more than five minutes ahead',
                (c) => clientAssertion(c, { exp: Math.floor(Date.now() / 1000) + 3600 }),
            ],
            ['another issuer than the subject', (c) => clientAssertion(c, { sub: 'someone-else' })],
            ['no jti', (c) => clientAssertion(c, { jti: undefined })],
            [
                'a key the client did not register',
                async (c) => clientAssertion(c, {}, {}, (await generateKeyPair('ES384')).privateKey),
            ],
            [
                'alg none',
                (c) => Promise.resolve(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsOf(c))}.`),
            ],
            [
                'HS256 with the public key as the secret',
                async (c) => {
                    const server = await testServer();
                    const record = await server.tokens.clients.get(c.id);
                    const secret = JSON.stringify(record.jwks.keys[0]);
                    const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT', kid: c.kid })}.${base64url(claimsOf(c))}`;
                    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
                },
            ],
            [
                'ES256 (not allowed by SMART)',
                async (c) => {
                    const { privateKey } = await generateKeyPair('ES256');
                    return new SignJWT(claimsOf(c)).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
                },
            ],
            ['text that is not a JWT', () => Promise.resolve('not-a-jwt')],
        ];
        for (const [name, make] of cases) {
            it(`when the assertion has ${name}, then no token is issued`, async () => {
                const { status, body } = await requestToken(client, 'system/Patient.rs', await make(client));
                expect(status, JSON.stringify(body)).to.equal(401);
                expect(body.error).to.equal('invalid_client');
                expect(body).to.not.have.property('access_token');
            });
        }
    });
    it('when an assertion is used twice, then the second use is refused as a replay', async () => {
        const assertion = await clientAssertion(client);
        expect((await requestToken(client, 'system/Patient.rs', assertion)).status).to.equal(200);
        const replay = await requestToken(client, 'system/Patient.rs', assertion);
        expect(replay.status).to.equal(401);
        expect(replay.body.error_description).to.match(/used before/);
    });
    it('when a client is disabled or unknown, then it gets no token', async () => {
        const disabled = await registerClient({ scopes: 'system/Patient.rs' });
        await (await testServer()).tokens.clients.setStatus(disabled.id, 'disabled');
        expect((await requestToken(disabled, 'system/Patient.rs')).body.error).to.equal('invalid_client');
        const unknown = { ...client, id: randomUUID() };
        expect((await requestToken(unknown, 'system/Patient.rs')).body.error).to.equal('invalid_client');
    });
    it('when the request itself is wrong, then the OAuth error says how', async () => {
        const post = (form, type = 'application/x-www-form-urlencoded') => fetch(client.tokenUrl, {
            method: 'POST',
            headers: { 'content-type': type },
            body: new URLSearchParams(form).toString(),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) }));
        expect((await post({ grant_type: 'password' })).body.error).to.equal('unsupported_grant_type');
        expect((await post({ grant_type: 'client_credentials' })).body.error).to.equal('invalid_request');
        expect((await post({ grant_type: 'client_credentials' }, 'application/json')).body.error).to.equal('invalid_request');
        const badScope = await requestToken(client, 'patient/*.read');
        expect(badScope.status).to.equal(400);
        expect(badScope.body.error).to.equal('invalid_scope');
        const notAllowed = await requestToken(client, 'system/Consent.rs');
        expect(notAllowed.body.error).to.equal('invalid_scope');
    });
    it('when the client publishes its keys at a jwks_uri, then its assertions verify against them', async () => {
        const { publicKey, privateKey } = await generateKeyPair('ES384');
        const kid = randomUUID();
        const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384' }] };
        const keyServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks)));
        await new Promise((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
        try {
            const server = await testServer();
            const record = await server.tokens.clients.add({
                name: 'remote keys',
                scopes: 'system/Patient.rs',
                jwksUri: `http://127.0.0.1:${keyServer.address().port}/jwks.json`,
            });
            const remote = { id: record._id, kid, alg: 'ES384', privateKey, tokenUrl: client.tokenUrl };
            const { status } = await requestToken(remote, 'system/Patient.rs');
            expect(status).to.equal(200);
        }
        finally {
            keyServer.close();
        }
    });
    describe('bearer tokens on /fhir', () => {
        it('when no token is sent, then 401 with WWW-Authenticate and an OperationOutcome', async () => {
            const response = await call('GET', '/Patient', undefined);
            expect(response.status).to.equal(401);
            expect(response.headers.get('www-authenticate')).to.match(/^Bearer realm="nims"/);
            expect(errorCode(response.body)).to.equal('unauthenticated');
        });
        it('when the token is forged, expired or not a token, then 401 naming invalid_token', async () => {
            const server = await testServer();
            const key = await server.tokens.keys.current();
            const now = Math.floor(Date.now() / 1000);
            const sign = (exp, signingKey) => new SignJWT({ scope: 'system/*.cruds' })
                .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
                .setSubject(client.id)
                .setIssuedAt(now - 600)
                .setExpirationTime(exp)
                .sign(signingKey);
            const expired = await sign(now - 60, key.privateKey);
            const forged = await sign(now + 300, (await generateKeyPair('ES256')).privateKey);
            for (const token of [expired, forged, 'abc.def.ghi', 'x']) {
                const response = await call('GET', '/Patient', token);
                expect(response.status, token).to.equal(401);
                expect(response.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
            }
        });
        it('when an assertion is sent as if it were an access token, then it is refused', async () => {
            const response = await call('GET', '/Patient', await clientAssertion(client));
            expect(response.status).to.equal(401);
        });
        it('when metadata or the SMART configuration is read without a token, then both answer and describe the token endpoint', async () => {
            const metadata = await call('GET', '/metadata', undefined);
            expect(metadata.status).to.equal(200);
            const security = metadata.body.rest[0].security;
            expect(security.service[0].coding[0].code).to.equal('SMART-on-FHIR');
            const smart = await call('GET', '/.well-known/smart-configuration', undefined);
            expect(smart.status).to.equal(200);
            expect(smart.body.token_endpoint).to.equal(client.tokenUrl);
            expect(smart.body.token_endpoint_auth_signing_alg_values_supported).to.deep.equal(['RS384', 'ES384']);
            expect(JSON.stringify(security)).to.include(client.tokenUrl);
        });
    });
});
function claimsOf(c) {
    const now = Math.floor(Date.now() / 1000);
    return { iss: c.id, sub: c.id, aud: c.tokenUrl, exp: now + 240, jti: randomUUID() };
}
describe('authorisation: scopes', () => {
    let patientReader;
    let immunizationOnly;
    let stored;
    before(async () => {
        [patientReader, immunizationOnly] = await Promise.all([
            tokenFor('system/Patient.rs'),
            tokenFor('system/Immunization.rs'),
        ]);
        stored = await create(patient(700));
        await create(immunization(stored.id));
    });
    it('when a client may read patients, then it reads and searches them but may not write them or read records', async () => {
        expect((await call('GET', `/Patient/${stored.id}`, patientReader)).status).to.equal(200);
        expect((await call('GET', `/Patient?_id=${stored.id}`, patientReader)).status).to.equal(200);
        const write = await call('POST', '/Patient', patientReader, patient(701));
        expect(write.status).to.equal(403);
        expect(errorCode(write.body)).to.equal('forbidden');
        expect((await call('DELETE', `/Patient/${stored.id}`, patientReader)).status).to.equal(403);
        expect((await call('GET', `/Immunization?patient=Patient/${stored.id}`, patientReader)).status).to.equal(403);
        expect((await call('GET', `/Patient/${stored.id}`, patientReader)).status).to.equal(200);
    });
    it('when _revinclude or _include would bring in what the client may not read, then it is left out and the bundle says so', async () => {
        const rev = await call('GET', `/Patient?_id=${stored.id}&_revinclude=Immunization:patient`, patientReader);
        const entries = rev.body.entry ?? [];
        expect(entries.map((e) => e.resource.resourceType)).to.deep.equal(['Patient', 'OperationOutcome']);
        expect(entries[1].resource.issue[0].diagnostics).to.match(/Immunization/);
        const inc = await call('GET', `/Immunization?patient=${stored.id}&_include=Immunization:patient`, immunizationOnly);
        const types = (inc.body.entry ?? []).map((e) => e.resource.resourceType);
        expect(types).to.include('Immunization');
        expect(types).to.not.include('Patient');
    });
    it('when a chain searches a type the client may not search, then 403', async () => {
        const nhs = stored.identifier[0].value;
        const response = await call('GET', `/Immunization?patient.identifier=${nhs}`, immunizationOnly);
        expect(response.status).to.equal(403);
    });
    it('when v1 scopes are used, then read covers read and search and write does not read', async () => {
        const v1 = await tokenFor('system/Patient.read system/Immunization.write');
        expect((await call('GET', `/Patient?_id=${stored.id}`, v1)).status).to.equal(200);
        expect((await call('GET', `/Immunization?patient=${stored.id}`, v1)).status).to.equal(403);
        expect((await call('POST', '/Immunization', v1, immunization(stored.id))).status).to.equal(201);
    });
    it('when a batch holds an entry the client may not run, then that entry alone answers 403', async () => {
        const response = await call('POST', '', patientReader, {
            resourceType: 'Bundle',
            type: 'batch',
            entry: [
                { request: { method: 'GET', url: `Patient/${stored.id}` } },
                { request: { method: 'POST', url: 'Patient' }, resource: patient(702) },
            ],
        });
        const statuses = (response.body.entry ?? []).map((e) => e.response.status);
        expect(statuses).to.deep.equal(['200 OK', '403 Forbidden']);
    });
    it('when a transaction holds an entry the client may not run, then nothing is stored', async () => {
        const writer = await tokenFor('system/Patient.cruds');
        const marker = `Tx${randomUUID().slice(0, 8)}`;
        const response = await call('POST', '', writer, {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
                {
                    request: { method: 'POST', url: 'Patient' },
                    resource: { ...patient(703), name: [{ family: marker }] },
                },
                { request: { method: 'POST', url: 'Immunization' }, resource: immunization(stored.id) },
            ],
        });
        expect(response.status).to.equal(403);
        const search = await call('GET', `/Patient?family=${marker}`, writer);
        expect(search.body.entry ?? []).to.have.length(0);
    });
    it('when $validate is called, then it needs the right to create that type', async () => {
        expect((await call('POST', '/Patient/$validate', patientReader, patient(704))).status).to.equal(403);
        const creator = await tokenFor('system/Patient.c');
        expect((await call('POST', '/Patient/$validate', creator, patient(704))).status).to.equal(200);
    });
    it('when a client may not read every type, then system history is refused', async () => {
        expect((await call('GET', '/_history', patientReader)).status).to.equal(403);
    });
});
describe('authorisation: GP systems see their own practice only', () => {
    const message = (patientId, practice) => ({
        resourceType: 'Communication',
        status: 'completed',
        subject: { reference: `Patient/${patientId}` },
        recipient: [{ identifier: { system: ODS_CODE_SYSTEM, value: practice } }],
        payload: [{ contentString: 'Vaccination recorded elsewhere' }],
    });
    let ownToken;
    let own;
    let other;
    let person;
    before(async () => {
        person = await create(patient(710));
        own = await create(message(person.id, 'A81001'));
        other = await create(message(person.id, 'B82002'));
        ownToken = await tokenFor('system/Communication.rs system/Patient.rs', 'A81001');
    });
    it("when a GP system searches messages, then only its practice's come back", async () => {
        const response = await call('GET', `/Communication?subject=Patient/${person.id}`, ownToken);
        const ids = (response.body.entry ?? []).map((e) => e.resource.id);
        expect(ids).to.deep.equal([own.id]);
    });
    it("when a GP system reads another practice's message, then 403", async () => {
        expect((await call('GET', `/Communication/${own.id}`, ownToken)).status).to.equal(200);
        expect((await call('GET', `/Communication/${other.id}`, ownToken)).status).to.equal(403);
        expect((await call('GET', `/Communication/${other.id}/_history/1`, ownToken)).status).to.equal(403);
        expect((await call('GET', '/Communication/_history', ownToken)).status).to.equal(403);
    });
    it("when a GP system reaches messages through _revinclude, then another practice's stay out", async () => {
        const response = await call('GET', `/Patient?_id=${person.id}&_revinclude=Communication:subject`, ownToken);
        const ids = (response.body.entry ?? []).map((e) => e.resource.id);
        expect(ids).to.include(own.id);
        expect(ids).to.not.include(other.id);
    });
});
describe('token signing keys', () => {
    it('when the signing key is rotated, then tokens signed with the old key still verify and both keys are published', async () => {
        const server = await testServer();
        // a database of its own: rotating every second would retire the test server's key
        const db = server.database.client.db('nims_keys_test');
        const tokens = new TokenService(db, { tokenTtlSeconds: 60, keyRotationMs: 1000 });
        const record = await tokens.clients.add({
            name: 'rotation',
            scopes: 'system/Patient.rs',
            jwks: { keys: [{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y' }] },
        });
        const issue = async () => {
            const key = await tokens.keys.current();
            const token = await new SignJWT({ scope: 'system/Patient.rs' })
                .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
                .setSubject(record._id)
                .setExpirationTime('1m')
                .sign(key.privateKey);
            return { kid: key.kid, token };
        };
        const before = await issue();
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const after = await issue();
        expect(after.kid).to.not.equal(before.kid);
        expect((await tokens.verify(before.token)).clientId).to.equal(record._id);
        expect((await tokens.verify(after.token)).clientId).to.equal(record._id);
        expect((await tokens.keys.jwks()).keys.map((k) => k.kid)).to.include.members([before.kid, after.kid]);
        await db.dropDatabase();
    });
});
describe('token signing keys at rest', () => {
    it('when TOKEN_KEY_SECRET is set, then private keys are sealed in the database and only that secret opens them', async () => {
        const server = await testServer();
        const db = server.database.client.db('nims_sealed_keys_test');
        const secret = 'a-long-enough-secret-for-sealing-keys';
        try {
            const first = new TokenService(db, {
                tokenTtlSeconds: 60,
                keyRotationMs: 3_600_000,
                keySecret: secret,
            });
            const key = await first.keys.current();
            const stored = await db.collection('auth_keys').findOne({ _id: key.kid });
            expect(JSON.stringify(stored.privateJwk)).to.not.match(/"d":/);
            expect(stored.privateJwk).to.have.property('sealed');
            const again = new TokenService(db, {
                tokenTtlSeconds: 60,
                keyRotationMs: 3_600_000,
                keySecret: secret,
            });
            expect((await again.keys.current()).kid).to.equal(key.kid);
            for (const wrong of [{ keySecret: 'another-secret-that-is-long-enough!!' }, {}]) {
                const other = new TokenService(db, { tokenTtlSeconds: 60, keyRotationMs: 3_600_000, ...wrong });
                const error = await other.keys.current().then(() => undefined, (e) => e);
                expect(error?.message).to.match(/TOKEN_KEY_SECRET/);
            }
        }
        finally {
            await db.dropDatabase();
        }
    });
    it('when production starts without TOKEN_KEY_SECRET, or with a short one, then it refuses', () => {
        const production = { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/' };
        expect(() => loadConfig(production, PROJECT_ROOT)).to.throw(/TOKEN_KEY_SECRET/);
        expect(() => loadConfig({ ...production, TOKEN_KEY_SECRET: 'short' }, PROJECT_ROOT)).to.throw(/32 characters/);
        expect(loadConfig({ ...production, TOKEN_KEY_SECRET: 'x'.repeat(32) }, PROJECT_ROOT).tokenKeySecret).to.have.length(32);
    });
});
//# sourceMappingURL=auth.test.js.map