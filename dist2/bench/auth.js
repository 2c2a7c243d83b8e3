import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { patient } from '../fixtures/records.js';
import { ClientStore } from '../src/auth/clients.js';
import { ASSERTION_TYPE } from '../src/auth/tokens.js';
import { connect } from '../src/store/database.js';
import { cannon, progress, record, startServerProcess, table, withDatabase, } from './support.js';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const preload = Number(process.env.BENCH_PATIENTS ?? 2000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BATCH = 500;
/** Registers a client straight in the database and gets a token from the server's token endpoint. */
async function token(uri, fhirUrl) {
    const database = await connect(uri, 'nims');
    const { publicKey, privateKey } = await generateKeyPair('ES384');
    const client = await new ClientStore(database.db).add({
        name: 'bench',
        scopes: 'system/Patient.rs',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384' }] },
    });
    await database.close();
    const tokenUrl = fhirUrl.replace(/\/fhir$/, '/auth/token');
    const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES384', kid: 'bench' })
        .setIssuer(client._id)
        .setSubject(client._id)
        .setAudience(tokenUrl)
        .setExpirationTime('4m')
        .setJti(randomUUID())
        .sign(privateKey);
    const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: ASSERTION_TYPE,
            client_assertion: assertion,
            scope: 'system/Patient.rs',
        }).toString(),
    });
    if (!response.ok)
        throw new Error(`token refused: ${await response.text()}`);
    return (await response.json()).access_token;
}
async function main() {
    await withDatabase('nims-bench-auth-', async (database, atEnd) => {
        const servers = await Promise.all([
            startServerProcess(database.uri, { AUTH: 'off', AUDIT: 'off' }),
            startServerProcess(database.uri, { AUDIT: 'off' }),
            startServerProcess(database.uri, {}),
        ]);
        const [open, authenticated, audited] = servers;
        atEnd(() => Promise.all(servers.map((s) => s.stop())));
        const ids = [];
        for (let start = 0; start < preload; start += BATCH) {
            const bundle = {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: Array.from({ length: Math.min(BATCH, preload - start) }, (_, i) => ({
                    resource: patient(start + i, 9),
                    request: { method: 'POST', url: 'Patient' },
                })),
            };
            const response = await fetch(open.url, {
                method: 'POST',
                headers: { 'content-type': 'application/fhir+json' },
                body: JSON.stringify(bundle),
            });
            if (!response.ok)
                throw new Error(`preload failed: ${response.status}`);
            ids.push(...(await response.json()).entry.map((e) => e.resource.id));
            progress('preloading patients', ids.length, preload);
        }
        const bearer = { authorization: `Bearer ${await token(database.uri, authenticated.url)}` };
        const read = () => ({
            method: 'GET',
            path: `/fhir/Patient/${ids[Math.floor(Math.random() * ids.length)]}`,
        });
        const results = [];
        // one client at a time shows what a request waits for; many at once, what the machine can serve
        for (const clients of [1, connections]) {
            const load = { connections: clients, seconds };
            console.log(`measuring, ${seconds} s each, ${clients} concurrent client(s)`);
            const label = (name) => `${name}, ${clients} client${clients === 1 ? '' : 's'}`;
            results.push(await cannon(label('no token, no audit (baseline)'), open.url, load, read), await cannon(label('bearer token, no audit'), authenticated.url, load, read, bearer), await cannon(label('bearer token and audit trail'), audited.url, load, read, bearer));
        }
        const share = (i, base) => `${((results[i].requestsPerSecond / results[base].requestsPerSecond) * 100).toFixed(0)}%`;
        const summary = [
            `GET /Patient/{id} over ${preload} patients; ${seconds} s per workload; one client, then ${connections} concurrent clients; three server processes on one embedded FerretDB 1.24.2.`,
            '',
            ...table(results),
            '',
            `Throughput as a share of the baseline, one client: with tokens ${share(1, 0)}, with tokens and audit ${share(2, 0)}; ${connections} clients: with tokens ${share(4, 3)}, with tokens and audit ${share(5, 3)}.`,
        ];
        console.log(summary.slice(2).join('\n'));
        record('bench/auth', summary);
    });
}
await main();
//# sourceMappingURL=auth.js.map