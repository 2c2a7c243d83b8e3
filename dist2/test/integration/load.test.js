import { expect } from 'chai';
import { nhsNumber, patient } from '../../fixtures/records.js';
import { NHS_NUMBER_SYSTEM } from '../../src/shared/nhs-number.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/server.js';
import { errorCode, extraServer, http, tokenFor } from './harness.js';
const NDJSON = { 'content-type': 'application/fhir+ndjson' };
// a server and database of their own, so the thousands of people loaded here do not slow other tests'
// scanning searches; without authentication, which the last test checks on the main server
let server;
async function loadServer() {
    server ??= await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_load_test' });
    return server;
}
async function call(method, path, body) {
    const response = await fetch(`${(await loadServer()).url}${path}`, {
        method,
        ...(body !== undefined ? { body, headers: NDJSON } : {}),
    });
    return { status: response.status, body: await response.json() };
}
const load = (lines) => call('POST', '/Patient/$load', lines.join('\n') + '\n');
function counts(answer) {
    return Object.fromEntries((answer.parameter ?? [])
        .filter((p) => p.valueInteger !== undefined)
        .map((p) => [p.name, p.valueInteger]));
}
function problems(answer) {
    const outcome = answer.parameter?.find((p) => p.name === 'outcome')?.resource;
    return outcome?.issue.map((i) => i.diagnostics) ?? [];
}
/** The stored people with the NHS number of the fixture `patient(n)`. */
async function byNhs(n) {
    const response = await call('GET', `/Patient?identifier=${NHS_NUMBER_SYSTEM}|${patient(n).identifier[0].value}`);
    return (response.body.entry ?? []).map((e) => e.resource);
}
describe('register load: Patient/$load', () => {
    after(() => server?.stop());
    const people = [800, 801, 802].map((n) => patient(n));
    it('when NDJSON holds new people and bad lines, then the people are created and each bad line is named', async () => {
        const badCheckDigit = {
            ...patient(803),
            identifier: [{ system: NHS_NUMBER_SYSTEM, value: '9434765918' }],
        };
        const { status, body } = await load([
            JSON.stringify(people[0]),
            '{"resourceType": "Patient", "name": [',
            JSON.stringify(people[1]),
            '',
            JSON.stringify({ resourceType: 'Organization', name: 'not a person' }),
            JSON.stringify(badCheckDigit),
            JSON.stringify({ ...people[2], id: 'ignored-id', meta: { versionId: '7' } }),
            JSON.stringify({ resourceType: 'Patient', name: [{ family: 'No-Number' }] }),
        ]);
        expect(status).to.equal(200);
        expect(counts(body)).to.deep.equal({ created: 3, updated: 0, unchanged: 0, rejected: 4 });
        const reasons = problems(body);
        expect(reasons.map((r) => r.split(':')[0])).to.deep.equal(['Line 2', 'Line 5', 'Line 6', 'Line 8']);
        expect(reasons[0]).to.match(/not JSON/);
        expect(reasons[1]).to.match(/not a Patient/);
        expect(reasons.join(' ')).to.not.include('9434765918');
        const [third] = await byNhs(802);
        expect(third.id).to.not.equal('ignored-id');
        expect(third.meta.versionId).to.equal('1');
    });
    it('when the same file is loaded again, then nothing changes', async () => {
        const { body } = await load(people.map((p) => JSON.stringify(p)));
        expect(counts(body)).to.deep.equal({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
        expect((await byNhs(800))[0].meta.versionId).to.equal('1');
    });
    it('when a nightly delta moves one person and records a death, then those get a new version and the rest stay', async () => {
        const moved = { ...people[0], address: [{ postalCode: 'LS1 4AP' }] };
        const died = { ...people[1], deceasedDateTime: '2026-11-20T08:00:00Z' };
        const { body } = await load([moved, died, people[2]].map((p) => JSON.stringify(p)));
        expect(counts(body)).to.deep.equal({ created: 0, updated: 2, unchanged: 1, rejected: 0 });
        const [stored] = await byNhs(800);
        expect(stored.meta.versionId).to.equal('2');
        expect(stored.address).to.deep.equal([{ postalCode: 'LS1 4AP' }]);
        const found = await call('GET', '/Patient?address-postalcode=LS1 4AP');
        expect((found.body.entry ?? []).map((e) => e.resource.id)).to.include(stored.id);
    });
    it('when a person appears twice in one file, then the later line wins', async () => {
        const first = patient(804);
        const later = { ...first, gender: 'other' };
        const { body } = await load([JSON.stringify(first), JSON.stringify(later)]);
        expect(counts(body)).to.deep.equal({ created: 1, updated: 1, unchanged: 0, rejected: 0 });
        expect((await byNhs(804)).map((p) => p.gender)).to.deep.equal(['other']);
    });
    it('when thousands of people are streamed, then every one is loaded and found by NHS number', async function () {
        this.timeout(120_000);
        const many = Array.from({ length: 2500 }, (_, i) => JSON.stringify(patient(10_000 + i, 3)));
        const { body } = await load(many);
        expect(counts(body)).to.deep.equal({ created: 2500, updated: 0, unchanged: 0, rejected: 0 });
        const response = await call('GET', `/Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber(12_345, 3)}`);
        expect(response.body.entry).to.have.length(1);
    });
    it('when a line is longer than a megabyte, then that line alone is rejected', async () => {
        const huge = JSON.stringify({ ...patient(805), name: [{ family: 'x'.repeat(1_100_000) }] });
        const { body } = await load([huge, JSON.stringify(patient(806))]);
        expect(counts(body)).to.deep.equal({ created: 1, updated: 0, unchanged: 0, rejected: 1 });
        expect(problems(body)[0]).to.match(/Line 1: the line is too long/);
    });
    it('when the body is not NDJSON, or the client may not write patients, then it is refused', async () => {
        // on the main server, with authentication
        const json = await http('POST', '/Patient/$load', { body: patient(807) });
        expect(json.status).to.equal(415);
        const reader = await tokenFor('system/Patient.rs');
        const refused = await http('POST', '/Patient/$load', {
            raw: `${JSON.stringify(patient(808))}\n`,
            headers: { ...NDJSON, authorization: `Bearer ${reader}` },
        });
        expect(refused.status).to.equal(403);
        expect(errorCode(refused.body)).to.equal('forbidden');
        const found = await http('GET', `/Patient?identifier=${NHS_NUMBER_SYSTEM}|${patient(808).identifier[0].value}`);
        expect(found.body.entry ?? []).to.have.length(0);
    });
    it('when npm run load sends a file in several requests, then the totals add up and bad lines keep their file line numbers', async function () {
        this.timeout(60_000);
        const dir = mkdtempSync(join(tmpdir(), 'nims-load-'));
        try {
            const file = join(dir, 'people.ndjson');
            const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify(patient(820 + i)));
            lines[4] = 'not json';
            writeFileSync(file, `${lines.join('\n')}\n`);
            const { stdout } = await promisify(execFile)(process.execPath, [
                join(PROJECT_ROOT, 'dist', 'src', 'cli', 'load.js'),
                file,
                '--server',
                (await loadServer()).url,
                '--lines',
                '3',
            ]);
            expect(stdout).to.match(/rejected line 5: the line is not JSON/);
            expect(stdout.trim().split('\n').pop()).to.equal('created 6, updated 0, unchanged 0, rejected 1');
        }
        finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
    it('when npm run generate writes a population, then npm run load loads its areas, people and vaccinations in order', async function () {
        this.timeout(180_000);
        const dir = mkdtempSync(join(tmpdir(), 'nims-generate-'));
        const run = (script, args) => promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'dist', script), ...args]);
        try {
            const generated = await run('fixtures/generate.js', [
                '--people',
                '400',
                '--seed',
                '3',
                '--out',
                dir,
                '--date',
                '2026-11-25',
            ]);
            const [, people, vaccinations, practices] = /(\d+) people, (\d+) vaccinations, (\d+) practices/.exec(generated.stdout);
            expect(Number(people)).to.equal(400);
            const { stdout } = await run('src/cli/load.js', [dir, '--server', (await loadServer()).url]);
            const totals = stdout.split('\n').filter((line) => line.startsWith('created'));
            expect(totals).to.have.length(3);
            // regions and care boards are few; every practice and local authority is an Organization too
            expect(Number(/created (\d+)/.exec(totals[0])[1])).to.be.above(Number(practices));
            expect(totals[1]).to.equal('created 400, updated 0, unchanged 0, rejected 0');
            expect(totals[2]).to.equal(`created ${vaccinations}, updated 0, unchanged 0, rejected 0`);
            // then each priority-group list, as its own source
            const lists = stdout.split('\n').filter((line) => line.startsWith('people'));
            expect(lists).to.have.length(7);
            for (const line of lists)
                expect(line).to.match(/^people \d+, changed \d+, unchanged 0, removed 0, rejected 0$/);
            const again = await run('src/cli/load.js', [
                join(dir, 'Immunization.ndjson'),
                '--server',
                (await loadServer()).url,
            ]);
            expect(again.stdout.trim().split('\n').pop()).to.equal(`created 0, updated 0, unchanged ${vaccinations}, rejected 0`);
        }
        finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
//# sourceMappingURL=load.test.js.map