import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'fhir-kit-client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT, startServer } from '../../src/server.js';
import { ASSERTION_TYPE } from '../../src/auth/tokens.js';
let running;
let dataDir;
/** The real server on a real FerretDB, both on free ports; started once for the whole run. */
export function testServer() {
    if (!running) {
        dataDir = mkdtempSync(join(tmpdir(), 'nims-test-'));
        const config = {
            // every test server takes a free MLLP port: several run in one process
            ...loadConfig({ MLLP_PORT: '0' }, PROJECT_ROOT),
            port: 0,
            host: '127.0.0.1',
            dataDir,
            dbName: 'nims_test',
            // one token serves the whole run; expiry is tested with tokens made to be expired
            tokenTtlSeconds: 3600,
        };
        running = startServer(config);
    }
    return running;
}
/**
 * Another server in this process on the test run's FerretDB, with its own settings (rate limits, CORS,
 * TLS) given as environment variables. On the same database (unless MONGODB_DB says otherwise) it shares
 * the main server's clients and signing keys.
 */
export async function extraServer(env) {
    const main = await testServer();
    return startServer({
        ...loadConfig({ MONGODB_DB: 'nims_test', MLLP_PORT: '0', ...env, MONGODB_URI: main.embedded.uri }, PROJECT_ROOT),
        port: 0,
        host: '127.0.0.1',
    });
}
/** Retries `check` until it stops throwing (the audit trail is written a moment after the request). */
export async function eventually(check, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            return await check();
        }
        catch (error) {
            if (Date.now() > deadline)
                throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }
}
export async function stopTestServer() {
    if (!running)
        return;
    const server = await running;
    running = undefined;
    fullAccess = undefined;
    await server.stop();
    if (dataDir)
        rmSync(dataDir, { recursive: true, force: true });
}
/**
 * Registers a client with a fresh key pair (its public half inline, as `npm run client -- add` does), on
 * the main test server unless another is given.
 */
export async function registerClient(options = {
    scopes: 'system/*.cruds',
}, on) {
    const server = on ?? (await testServer());
    const alg = options.alg ?? 'ES384';
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const kid = randomUUID();
    const record = await server.tokens.clients.add({
        name: options.name ?? 'test client',
        scopes: options.scopes,
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg }] },
        ...(options.practice ? { practice: options.practice } : {}),
    });
    return { id: record._id, kid, alg, privateKey, tokenUrl: server.url.replace(/\/fhir$/, '/auth/token') };
}
/** A client assertion, valid unless `claims` or `header` say otherwise. */
export async function clientAssertion(client, claims = {}, header = {}, key = client.privateKey) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
        iss: client.id,
        sub: client.id,
        aud: client.tokenUrl,
        exp: now + 240,
        jti: randomUUID(),
        ...claims,
    })
        .setProtectedHeader({ alg: client.alg, kid: client.kid, typ: 'JWT', ...header })
        .sign(key);
}
/** Posts to the token endpoint; the raw answer. */
export async function requestToken(client, scope, assertion) {
    const response = await fetch(client.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: ASSERTION_TYPE,
            client_assertion: assertion ?? (await clientAssertion(client)),
            scope,
        }).toString(),
    });
    return { status: response.status, body: (await response.json()) };
}
/** An access token for a new client registered with these scopes (and practice), from `on` or the main server. */
export async function tokenFor(scopes, practice, on) {
    const registered = await registerClient({ scopes, ...(practice ? { practice } : {}) }, on);
    const { status, body } = await requestToken(registered, scopes);
    if (status !== 200)
        throw new Error(`token refused: ${JSON.stringify(body)}`);
    return body.access_token;
}
let fullAccess;
/** The token most tests use: a client allowed everything. */
export function defaultToken() {
    fullAccess ??= tokenFor('system/*.cruds');
    return fullAccess;
}
/** `fetch` with the default token, for URLs the server handed out (paging links). */
export async function authorizedFetch(url, init = {}) {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization'))
        headers.set('authorization', `Bearer ${await defaultToken()}`);
    return fetch(url, { ...init, headers });
}
export async function client(token) {
    return new Client({
        baseUrl: (await testServer()).url,
        customHeaders: { Authorization: `Bearer ${token ?? (await defaultToken())}` },
    });
}
export async function baseUrl() {
    return (await testServer()).url;
}
/** A plain HTTP call, for what a FHIR client library would not send (bad bodies, odd headers). */
export async function http(method, path, options = {}) {
    const url = `${await baseUrl()}${path.startsWith('/') ? path : `/${path}`}`;
    const headers = {
        authorization: `Bearer ${await defaultToken()}`,
        ...options.headers,
    };
    let body = options.raw;
    if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/fhir+json';
    }
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : {},
    };
}
/**
 * Calls of one extra server's FHIR API, with a token when `token` gives one (none for AUTH=off): a body
 * is sent as JSON, or as it is when it is text (with its content type); answers the status, the JSON
 * body (none for 204) and the Location header.
 */
export function caller(server, token) {
    return async (method, path, body, type = 'application/fhir+json', headers = {}) => {
        const response = await fetch(`${server().url}${path}`, {
            method,
            headers: {
                ...(token ? { authorization: `Bearer ${token()}` } : {}),
                ...(body !== undefined ? { 'content-type': type } : {}),
                ...headers,
            },
            ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        const location = response.headers.get('location');
        return {
            status: response.status,
            body: text ? JSON.parse(text) : undefined,
            ...(location ? { location } : {}),
        };
    };
}
/** The error code (stable, from the server's catalogue) of an OperationOutcome. */
export function errorCode(outcome) {
    return outcome.issue?.[0]?.details?.coding?.[0]?.code;
}
export function ruleKeys(outcome) {
    return (outcome.issue ?? []).flatMap((i) => i.details?.coding?.filter((c) => c.system?.endsWith('profile-rule')).map((c) => c.code) ?? []);
}
/** fhir-kit-client's own resource type, for bodies. */
export function asBody(resource) {
    return resource;
}
/** Creates a resource over HTTP and returns what the server stored. */
export async function create(resource) {
    const fhir = await client();
    return (await fhir.create({
        resourceType: resource.resourceType,
        body: asBody(resource),
    }));
}
/** The HTTP status of a failed fhir-kit-client call. */
export async function statusOf(call) {
    try {
        await call;
    }
    catch (error) {
        const response = error.response;
        if (response)
            return response;
        throw error;
    }
    throw new Error('expected the call to fail');
}
/**
 * The server's metrics as a map from series (`name{label="value",…}` as Prometheus writes it) to value.
 * The registry is the process's: with several servers in one test process, compare before and after.
 */
export async function scrape(server, token) {
    const response = await fetch(new URL('/metrics', server.url), {
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    if (response.status !== 200)
        throw new Error(`/metrics answered ${response.status}`);
    const series = new Map();
    for (const line of (await response.text()).split('\n')) {
        const match = /^(\S+(?:\{.*\})?) (\S+)$/.exec(line);
        if (match && !line.startsWith('#'))
            series.set(match[1], Number(match[2]));
    }
    return series;
}
//# sourceMappingURL=harness.js.map