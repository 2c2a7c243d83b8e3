// The crash test: several clients create and update vaccination records while the server process is
// killed with SIGKILL at random moments and started again. Clients do what a careful supplier system
// does: send a request again when the connection was cut, with the same idempotency key or the same
// conditional create, and find out what happened when the answer says the write may already be there.
// Afterwards every acknowledged write must be stored exactly once with the right version history, no
// record may be stored that no client asked for, and every message derived from a stored version must
// have reached the practice's GP system (by message id).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pick, seeded } from '../../fixtures/population.js';
import { gpEndpoint, immunization, patient } from '../../fixtures/records.js';
import { messageId } from '../../src/messaging/messages.js';
import { PROJECT_ROOT } from '../../src/server.js';
import { ODS_CODE_SYSTEM } from '../../src/shared/ods.js';
import { freePort } from '../../src/store/ferretdb.js';
import { startFakeGpSystem } from '../fakes/gp-system.js';
const PRACTICE = 'Y90001';
const SUPPLIER = 'https://supplier.example.org/crash-test';
/** How long a request may go unanswered (connections refused, 5xx) before the test gives up. */
const NO_ANSWER_LIMIT_MS = 300_000;
/** A request unanswered this long is hung: the server is asked for a diagnostic report, and it is sent again. */
const HUNG_MS = 60_000;
/** How long a write may keep being put off before the test gives up on it. */
const PUT_OFF_LIMIT_MS = 180_000;
/**
 * The server as a child process, killed and started again. Each start takes a port free at that moment:
 * while the server is down, other programs on the machine may take the one it had.
 */
class KillableServer {
    env;
    reports;
    child;
    url = '';
    constructor(env, 
    /** Where a report of what the server is doing is written when a request hangs. */
    reports) {
        this.env = env;
        this.reports = reports;
    }
    /** Starts the process and waits until it is ready; answers how long that took. */
    async start() {
        const began = performance.now();
        const port = await freePort();
        this.url = `http://127.0.0.1:${port}/fhir`;
        this.child = spawn(process.execPath, [
            '--report-on-signal',
            `--report-directory=${this.reports}`,
            join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
        ], {
            env: { ...process.env, ...this.env, PORT: String(port), HOST: '127.0.0.1' },
            stdio: ['ignore', 'ignore', 'inherit'],
        });
        const ready = this.url.replace(/\/fhir$/, '/readyz');
        for (let i = 0; i < 600; i++) {
            if (this.child.exitCode !== null)
                throw new Error(`the server exited with ${this.child.exitCode}`);
            if (await fetch(ready, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false))
                return performance.now() - began;
            await sleep(50);
        }
        throw new Error('the server did not become ready in 30 s');
    }
    /** Has the server write a diagnostic report (its JavaScript stack, handles, requests' sockets). */
    report() {
        this.child?.kill('SIGUSR2');
    }
    async kill(signal) {
        const child = this.child;
        if (!child || child.exitCode !== null || child.signalCode !== null)
            return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
    }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const refusalOf = (answer) => `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
const lotOf = (n, write) => `CRASH-${n}-${write}`;
const identifierOf = (n) => ({ system: SUPPLIER, value: `vaccination-${n}` });
export async function crashTest(options) {
    const random = seeded(options.seed);
    const gp = await startFakeGpSystem();
    const reports = mkdtempSync(join(tmpdir(), 'nims-crash-reports-'));
    const server = new KillableServer({
        MONGODB_URI: options.mongodbUri,
        MONGODB_DB: options.dbName,
        AUTH: 'off',
        AUDIT: 'off',
        MLLP_PORT: 'off',
        LOG_LEVEL: process.env.CRASH_SERVER_LOG_LEVEL ?? 'error',
    }, reports);
    const report = {
        writes: 0,
        records: 0,
        kills: 0,
        seconds: 0,
        restartMs: { median: 0, max: 0 },
        acknowledged: { answered: 0, replayed: 0, reconciled: 0 },
        resent: 0,
        putOff: 0,
        slow: [],
        versions: 0,
        messages: 0,
        taken: 0,
        deliveries: 0,
        violations: [],
    };
    const violation = (text) => {
        if (report.violations.length < 50)
            report.violations.push(text);
    };
    const restarts = [];
    /** Sends until an answer comes: a cut connection or a 5xx (the server starting) is sent again. */
    const send = async (method, path, body, headers = {}) => {
        const firstSent = performance.now();
        for (;;) {
            const began = performance.now();
            try {
                const response = await fetch(`${server.url}${path}`, {
                    signal: AbortSignal.timeout(HUNG_MS),
                    method,
                    headers: {
                        accept: 'application/fhir+json',
                        ...headers,
                        ...(body ? { 'content-type': 'application/fhir+json' } : {}),
                    },
                    ...(body ? { body: JSON.stringify(body) } : {}),
                });
                const text = await response.text();
                const seconds = (performance.now() - began) / 1000;
                if (seconds > 10 && report.slow.length < 20)
                    report.slow.push(`${method} ${path.slice(0, 80)}: ${response.status} after ${seconds.toFixed(0)} s`);
                if (response.status < 500) {
                    return {
                        status: response.status,
                        body: text ? JSON.parse(text) : undefined,
                        replayed: response.headers.get('idempotent-replayed') === 'true',
                    };
                }
            }
            catch (error) {
                // the connection was refused or cut (the server is down or starting), or the answer hung
                if (error instanceof DOMException && error.name === 'TimeoutError') {
                    if (report.slow.length < 20)
                        report.slow.push(`${method} ${path.slice(0, 80)}: no answer in ${HUNG_MS / 1000} s`);
                    server.report();
                }
            }
            report.resent++;
            // several restarts in a row on a slow machine keep the server away for a while, never this long
            if (performance.now() - firstSent > NO_ANSWER_LIMIT_MS)
                throw new Error(`${method} ${path}: no answer for ${NO_ANSWER_LIMIT_MS / 60_000} minutes (server reports in ${reports})`);
            await sleep(50);
        }
    };
    try {
        await server.start();
        // the practice's GP system, and people registered with it
        if ((await send('POST', '/Endpoint', gpEndpoint(PRACTICE, gp.url))).status !== 201)
            throw new Error('no Endpoint');
        const patientIds = [];
        for (let i = 0; i < 20; i++) {
            const person = {
                ...patient(i, options.seed),
                generalPractitioner: [{ identifier: { system: ODS_CODE_SYSTEM, value: PRACTICE } }],
            };
            const created = await send('POST', '/Patient', person);
            if (created.status !== 201)
                throw new Error(`no Patient: ${JSON.stringify(created.body)}`);
            patientIds.push(created.body.id);
        }
        const plans = [];
        for (let planned = 0; planned < options.writes;) {
            const updates = Math.min(Math.floor(random() * 4), options.writes - planned - 1);
            plans.push({ n: plans.length, patientId: pick(random, patientIds), updates, done: 0, notBefore: 0 });
            planned += 1 + updates;
        }
        report.records = plans.length;
        const recordOf = (plan, write) => ({
            ...immunization(plan.patientId, {
                identifier: [identifierOf(plan.n)],
                lotNumber: lotOf(plan.n, write),
            }),
            ...(plan.id ? { id: plan.id } : {}),
        });
        /** The record as stored now, found by its identifier (what a client does when unsure). */
        const stored = async (plan) => {
            const { system, value } = identifierOf(plan.n);
            const found = await send('GET', `/Immunization?identifier=${encodeURIComponent(`${system}|${value}`)}`);
            return (found.body.entry ?? []).map((e) => e.resource);
        };
        /** The next write of `plan`; true when it was acknowledged, false when it is put off. */
        const step = async (plan) => {
            const write = plan.done;
            const key = `crash-${options.seed}-${plan.n}-${write}`;
            const acknowledged = (answer, version) => {
                const resource = answer.body;
                if (resource.lotNumber !== lotOf(plan.n, write) || Number(resource.meta?.versionId) !== version)
                    violation(`record ${plan.n} write ${write}: acknowledged as ${resource.meta?.versionId} ${resource.lotNumber}`);
                if (answer.replayed)
                    report.acknowledged.replayed++;
                else
                    report.acknowledged.answered++;
                plan.id = resource.id;
                return true;
            };
            const reconciled = (found) => {
                if (found?.lotNumber !== lotOf(plan.n, write) || Number(found.meta?.versionId) !== write + 1)
                    return false;
                report.acknowledged.reconciled++;
                plan.id = found.id;
                return true;
            };
            if (write === 0) {
                // even records come with an idempotency key, odd ones as a conditional create on the identifier
                const { system, value } = identifierOf(plan.n);
                const headers = plan.n % 2 === 0
                    ? { 'idempotency-key': key }
                    : { 'if-none-exist': `identifier=${system}|${value}` };
                const answer = await send('POST', '/Immunization', recordOf(plan, 0), headers);
                if (answer.status === 201 || answer.status === 200)
                    return acknowledged(answer, 1);
                if (answer.status === 422 || answer.status === 409) {
                    // the identifier is taken or the key is in use: perhaps by this record's earlier attempt
                    plan.refusal = refusalOf(answer);
                    const found = await stored(plan);
                    if (found.length > 1)
                        violation(`record ${plan.n}: stored ${found.length} times`);
                    return reconciled(found[0]);
                }
                violation(`record ${plan.n} create: ${refusalOf(answer)}`);
                return true;
            }
            const answer = await send('PUT', `/Immunization/${plan.id}`, recordOf(plan, write), {
                'idempotency-key': key,
                'if-match': `W/"${write}"`,
            });
            if (answer.status === 200)
                return acknowledged(answer, write + 1);
            if (answer.status === 412 || answer.status === 409) {
                plan.refusal = refusalOf(answer);
                const read = await send('GET', `/Immunization/${plan.id}`);
                return reconciled(read.body);
            }
            violation(`record ${plan.n} update ${write}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
            return true;
        };
        // kills land at random points of the load, each a little after the write count passes its mark
        const marks = Array.from({ length: options.kills }, () => Math.floor(random() * options.writes)).sort((a, b) => a - b);
        let acknowledgedWrites = 0;
        let loadDone = false;
        const killer = (async () => {
            for (const mark of marks) {
                // each kill lands in the load: after its mark, and after a write acknowledged since the last start
                const afterStart = acknowledgedWrites;
                while ((acknowledgedWrites < mark || acknowledgedWrites === afterStart) && !loadDone)
                    await sleep(5);
                if (loadDone)
                    break;
                await sleep(random() * 100);
                await server.kill('SIGKILL');
                report.kills++;
                restarts.push(await server.start());
                options.onProgress?.(acknowledgedWrites, report.kills);
            }
        })();
        const began = performance.now();
        const waiting = [...plans];
        const worker = async () => {
            for (;;) {
                const index = waiting.findIndex((p) => p.notBefore <= Date.now());
                if (index < 0) {
                    if (waiting.length === 0)
                        return;
                    await sleep(50);
                    continue;
                }
                const [plan] = waiting.splice(index, 1);
                while (plan.done <= plan.updates) {
                    if (await step(plan)) {
                        plan.done++;
                        plan.putOffSince = undefined;
                        report.writes++;
                        if (++acknowledgedWrites % 500 === 0)
                            options.onProgress?.(acknowledgedWrites, report.kills);
                        continue;
                    }
                    // an earlier attempt may still be under way, or died with its process: try again later
                    report.putOff++;
                    plan.putOffSince ??= Date.now();
                    if (Date.now() - plan.putOffSince > PUT_OFF_LIMIT_MS) {
                        violation(`record ${plan.n} write ${plan.done}: still refused after ${PUT_OFF_LIMIT_MS / 1000} s (${plan.refusal})`);
                        break;
                    }
                    plan.notBefore = Date.now() + 1000;
                    waiting.push(plan);
                    break;
                }
            }
        };
        await Promise.all(Array.from({ length: options.clients }, worker));
        loadDone = true;
        await killer;
        report.seconds = (performance.now() - began) / 1000;
        // what is stored: each record once, with one version per write in order
        const expected = new Set();
        for (const plan of plans) {
            const found = await stored(plan);
            if (found.length !== 1) {
                violation(`record ${plan.n}: found ${found.length} times by its identifier`);
                continue;
            }
            const id = found[0].id;
            if (plan.id !== undefined && id !== plan.id)
                violation(`record ${plan.n}: acknowledged as ${plan.id}, stored as ${id}`);
            const history = (await send('GET', `/Immunization/${id}/_history?_count=100`)).body;
            const lots = (history.entry ?? [])
                .map((e) => e.resource)
                .sort((a, b) => Number(a.meta?.versionId) - Number(b.meta?.versionId))
                .map((r) => `${r.meta?.versionId}:${r.lotNumber}`);
            const wanted = Array.from({ length: plan.done }, (_, w) => `${w + 1}:${lotOf(plan.n, w)}`);
            if (lots.join() !== wanted.join())
                violation(`record ${plan.n}: history ${lots.join()} but wrote ${wanted.join()}`);
            report.versions += lots.length;
            for (let version = 1; version <= lots.length; version++)
                expected.add(messageId({ immunization: id, version, practice: PRACTICE }));
        }
        // the type's history (the change log) lists each stored version once, and no other
        const listed = new Map();
        for (let page = '/Immunization/_history?_count=500'; page;) {
            const bundle = (await send('GET', page)).body;
            for (const entry of bundle.entry ?? []) {
                const version = `${entry.resource?.id}/${entry.resource?.meta?.versionId}`;
                listed.set(version, (listed.get(version) ?? 0) + 1);
            }
            const next = bundle.link?.find((l) => l.relation === 'next')?.url;
            page = next?.slice(next.indexOf('/fhir') + '/fhir'.length);
        }
        const repeated = [...listed].filter(([, times]) => times > 1);
        if (repeated.length > 0)
            violation(`${repeated.length} versions listed more than once in history`);
        if (listed.size !== report.versions)
            violation(`history lists ${listed.size} versions, ${report.versions} are stored`);
        const count = await send('GET', '/Immunization?_summary=count');
        if (count.body.total !== plans.length)
            violation(`${String(count.body.total)} Immunizations stored for ${plans.length} records`);
        // every message once at the GP system: wait for the outbox to empty (each message has a stable id)
        report.messages = expected.size;
        const deadline = Date.now() + 120_000;
        const distinct = () => new Set(gp.messages.map((m) => m.id ?? ''));
        while (Date.now() < deadline && [...expected].some((id) => !distinct().has(id)))
            await sleep(500);
        await sleep(2000); // repeats still on their way
        const taken = distinct();
        const missing = [...expected].filter((id) => !taken.has(id));
        const unexpected = [...taken].filter((id) => !expected.has(id));
        if (missing.length > 0)
            violation(`${missing.length} messages never reached the GP system`);
        if (unexpected.length > 0)
            violation(`${unexpected.length} messages about versions that are not stored`);
        report.taken = expected.size - missing.length;
        // each record's messages came in the order of its versions
        const arrived = new Map();
        for (const message of gp.messages) {
            const record = message.entry?.find((e) => e.resource?.resourceType === 'Immunization')?.resource;
            if (!record?.id)
                continue;
            arrived.set(record.id, [...(arrived.get(record.id) ?? []), Number(record.meta?.versionId)]);
        }
        for (const [id, versions] of arrived)
            if (versions.some((v, i) => i > 0 && v < versions[i - 1]))
                violation(`the messages about Immunization/${id} came as versions ${versions.join(', ')}`);
        report.deliveries = gp.deliveries;
    }
    finally {
        await server.kill('SIGTERM');
        await gp.close();
        // the reports stay only when a request hung
        if (readdirSync(reports).length === 0)
            rmSync(reports, { recursive: true });
    }
    restarts.sort((a, b) => a - b);
    report.restartMs = { median: restarts[Math.floor(restarts.length / 2)] ?? 0, max: restarts.at(-1) ?? 0 };
    return report;
}
//# sourceMappingURL=crash.js.map