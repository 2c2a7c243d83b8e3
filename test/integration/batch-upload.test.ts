import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Immunization, Parameters, Patient } from 'fhir/r4';
import { flatFile, flatFileRow, PRODUCTS } from '../../fixtures/flat-file.js';
import { nhsNumber, patient } from '../../fixtures/records.js';
import { parseScopes } from '../../src/auth/scopes.js';
import { SupplierUploads, type UploadJob } from '../../src/batch/uploads.js';
import { Validator } from '../../src/fhir/validation.js';
import type { RunningServer } from '../../src/server.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { caller, eventually, extraServer, registerClient, tokenFor } from './harness.js';

let server: RunningServer | undefined;
const dropDir = mkdtempSync(join(tmpdir(), 'nims-drop-'));
const tokens = { full: '', supplier: '', other: '' };
const full = caller(
  () => server,
  () => tokens.full,
);

/** Sends a file and follows its upload to the report and the acknowledgement rows. */
async function upload(text: string, token = tokens.supplier, query = '') {
  const kickOff = await fetch(`${server!.url}/$batch-upload${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: text,
  });
  expect(kickOff.status, await kickOff.clone().text()).to.equal(202);
  const statusUrl = kickOff.headers.get('content-location')!;
  const message = ((await kickOff.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics;
  const report = await eventually(async () => {
    const polled = await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } });
    if (polled.status === 202) expect(polled.headers.get('x-progress')).to.match(/rows applied/);
    expect(polled.status).to.equal(200);
    return (await polled.json()) as Parameters;
  }, 30_000);
  const value = (name: string) => report.parameter!.find((p) => p.name === name);
  const ack = await fetch(value('acknowledgement')!.valueUrl!, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(ack.status).to.equal(200);
  expect(ack.headers.get('content-type')).to.match(/^text\/csv/);
  const ackText = await ack.text();
  // the acknowledgement is in the file's own delimiter
  const delimiter = ackText.split('\n')[0]!.includes('|') ? '|' : ',';
  const rows = parse<Record<string, string>>(ackText, { columns: true, delimiter });
  return { statusUrl, message, report, count: (name: string) => value(name)?.valueInteger, rows };
}

describe('Supplier batch files ($batch-upload) with per-row acknowledgement', function () {
  this.timeout(90_000);
  const people: Patient[] = [];
  const dob = (p: Patient) => p.birthDate!.replaceAll('-', '');
  const nhs = (p: Patient) => p.identifier![0]!.value!;

  before(async () => {
    server = await extraServer({ MONGODB_DB: 'nims_upload_test', BATCH_DROP_DIR: dropDir });
    tokens.full = await tokenFor('system/*.cruds', undefined, server);
    tokens.supplier = await tokenFor(
      'system/Patient.rs system/Immunization.cruds?programme=covid-19 system/Immunization.cruds?programme=flu',
      undefined,
      server,
    );
    tokens.other = await tokenFor('system/Patient.rs system/Immunization.cruds', undefined, server);
    for (let n = 1; n <= 2; n++) {
      const created = await full('POST', '/Patient', {
        ...patient(n, 73),
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 73) }],
      });
      people.push(created.body as Patient);
    }
  });
  after(async () => {
    await server?.stop();
    rmSync(dropDir, { recursive: true, force: true });
  });

  it('when a file holds good, bad and repeated rows, then each is applied or rejected on its own, with the column at fault', async () => {
    const [ann, bob] = people as [Patient, Patient];
    const row = (id: string, overrides: Record<string, string> = {}) =>
      flatFileRow({ NHS_NUMBER: nhs(ann), PERSON_DOB: dob(ann), UNIQUE_ID: id, ...overrides });
    const file = flatFile([
      row('c1'),
      row('f1', { NHS_NUMBER: nhs(bob), PERSON_DOB: dob(bob), VACCINE_PRODUCT_CODE: PRODUCTS.flu }),
      row('bad-nhs', { NHS_NUMBER: '9000000001' }),
      row('unknown-person', { NHS_NUMBER: nhsNumber(999, 73) }),
      row('wrong-dob', { PERSON_DOB: '19000101' }),
      row('bad-time', { DATE_AND_TIME: '2026-10-15 10:30' }),
      row('unknown-product', { VACCINE_PRODUCT_CODE: '1234567890' }),
      row('mmr', { VACCINE_PRODUCT_CODE: PRODUCTS.mmr }),
      row('c1', { ACTION_FLAG: 'update', BATCH_NUMBER: 'CD5678' }),
      row('never', { ACTION_FLAG: 'delete' }),
      row('future', { DATE_AND_TIME: '20991015T10300000' }),
      row('f1', { ACTION_FLAG: 'delete', NHS_NUMBER: nhs(bob), PERSON_DOB: '' }),
      row('no-action', { ACTION_FLAG: 'replace' }),
    ]).concat('a|b|c\n');
    const { rows, count, report } = await upload(file, tokens.supplier, '?file=covid_flu_20261015.csv');
    const result = (id: string) => rows.filter((r) => r.UNIQUE_ID === id).map((r) => [r.RESULT, r.COLUMN]);
    expect(rows).to.have.length(14);
    expect(rows.map((r) => Number(r.ROW))).to.deep.equal([...Array(14).keys()].map((i) => i + 2));
    expect(result('c1')).to.deep.equal([
      ['created', ''],
      ['updated', ''],
    ]);
    expect(result('f1')).to.deep.equal([
      ['created', ''],
      ['deleted', ''],
    ]);
    expect(result('bad-nhs')).to.deep.equal([['rejected', 'NHS_NUMBER']]);
    expect(result('unknown-person')).to.deep.equal([['rejected', 'NHS_NUMBER']]);
    expect(result('wrong-dob')).to.deep.equal([['rejected', 'PERSON_DOB']]);
    expect(result('bad-time')).to.deep.equal([['rejected', 'DATE_AND_TIME']]);
    expect(result('unknown-product')).to.deep.equal([['rejected', 'VACCINE_PRODUCT_CODE']]);
    // a programme this supplier may not write
    expect(result('mmr')).to.deep.equal([['rejected', 'VACCINE_PRODUCT_CODE']]);
    expect(rows.find((r) => r.UNIQUE_ID === 'mmr')!.REASON).to.match(/covid-19, flu programme\(s\) only/);
    expect(result('never')).to.deep.equal([['rejected', 'UNIQUE_ID']]);
    expect(result('future')).to.deep.equal([['rejected', 'DATE_AND_TIME']]);
    expect(result('no-action')).to.deep.equal([['rejected', 'ACTION_FLAG']]);
    expect(rows.at(-1)!.REASON).to.match(/different number of fields/);
    expect(count('rows')).to.equal(14);
    expect([
      count('created'),
      count('updated'),
      count('deleted'),
      count('unchanged'),
      count('rejected'),
    ]).to.deep.equal([2, 1, 1, 0, 10]);
    expect(report.parameter!.find((p) => p.name === 'file')!.valueString).to.equal('covid_flu_20261015.csv');

    // what was applied is there, as the rows gave it
    const c1 = rows.find((r) => r.UNIQUE_ID === 'c1' && r.RESULT === 'updated')!;
    const stored = (await full('GET', `/Immunization/${c1.IMMUNIZATION_ID}`)).body as Immunization;
    expect(stored.meta!.versionId).to.equal('2');
    expect(c1.VERSION).to.equal('2');
    expect(stored.lotNumber).to.equal('CD5678');
    expect(stored.patient.reference).to.equal(`Patient/${ann.id}`);
    expect(stored.occurrenceDateTime).to.equal('2026-10-15T10:30:00+00:00');
    expect(stored.identifier).to.deep.equal([
      { system: 'https://supplier.example.org/vaccinations', value: 'c1' },
    ]);
    expect(stored.protocolApplied![0]!.targetDisease![0]!.coding![0]!.code).to.equal('840539006');
    const f1 = rows.find((r) => r.UNIQUE_ID === 'f1')!;
    expect((await full('GET', `/Immunization/${f1.IMMUNIZATION_ID}`)).status).to.equal(410);
  });

  it('when the same file is sent again, then it answers the first upload and nothing changes', async () => {
    const [ann] = people as [Patient];
    const file = flatFile(
      [flatFileRow({ NHS_NUMBER: nhs(ann), PERSON_DOB: dob(ann), UNIQUE_ID: 'again-1' })],
      ',',
    );
    const first = await upload(file);
    const second = await upload(file);
    expect(second.statusUrl).to.equal(first.statusUrl);
    expect(second.message).to.match(/received before/);
    // the same rows in another file: unchanged, with the record's id
    const other = await upload(file.replace('\n', '\n\n'));
    expect(other.statusUrl).to.not.equal(first.statusUrl);
    expect(other.rows.map((r) => [r.RESULT, r.IMMUNIZATION_ID, r.VERSION])).to.deep.equal([
      ['unchanged', first.rows[0]!.IMMUNIZATION_ID, '1'],
    ]);
    // the same UNIQUE_ID as new with other content: refused, the record stays as it was
    const changed = await upload(
      flatFile(
        [
          flatFileRow({
            NHS_NUMBER: nhs(ann),
            PERSON_DOB: dob(ann),
            UNIQUE_ID: 'again-1',
            BATCH_NUMBER: 'ZZ99',
          }),
        ],
        ',',
      ),
    );
    expect(changed.rows.map((r) => [r.RESULT, r.COLUMN])).to.deep.equal([['rejected', 'UNIQUE_ID']]);
    expect(changed.rows[0]!.REASON).to.match(/exists already/);
    const kept = (await full('GET', `/Immunization/${first.rows[0]!.IMMUNIZATION_ID}`)).body as Immunization;
    expect(kept.meta!.versionId).to.equal('1');
  });

  it("when a row's field holds the delimiter in quotes, then it is read whole", async () => {
    const [, bob] = people as [Patient, Patient];
    const row = flatFileRow({
      NHS_NUMBER: nhs(bob),
      PERSON_DOB: dob(bob),
      UNIQUE_ID: 'quoted',
      BATCH_NUMBER: 'A|B "1"',
    });
    const { rows } = await upload(flatFile([row]));
    expect(rows[0]!.RESULT).to.equal('created');
    const stored = (await full('GET', `/Immunization/${rows[0]!.IMMUNIZATION_ID}`)).body as Immunization;
    expect(stored.lotNumber).to.equal('A|B "1"');
  });

  it('when the upload is not CSV, empty, or another client asks for its report, then it is refused', async () => {
    const post = (body: string, type: string) =>
      fetch(`${server!.url}/$batch-upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.supplier}`, 'content-type': type },
        body,
      });
    expect((await post('{}', 'application/fhir+json')).status).to.equal(415);
    expect((await post('', 'text/csv')).status).to.equal(400);
    const [ann] = people as [Patient];
    const { statusUrl } = await upload(
      flatFile([flatFileRow({ NHS_NUMBER: nhs(ann), PERSON_DOB: dob(ann), UNIQUE_ID: 'own' })]),
    );
    const other = await fetch(statusUrl, { headers: { authorization: `Bearer ${tokens.other}` } });
    expect(other.status).to.equal(404);
    const noScope = await tokenFor('system/Patient.rs', undefined, server);
    const refused = await fetch(`${server!.url}/$batch-upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${noScope}`, 'content-type': 'text/csv' },
      body: 'x\n',
    });
    expect(refused.status).to.equal(403);
  });

  it("when a supplier drops a file in its folder, then it is applied with its registration's permissions and the acknowledgement is written beside it", async () => {
    const [ann] = people as [Patient];
    const supplier = await registerClient(
      { scopes: 'system/Patient.rs system/Immunization.cruds?programme=flu', name: 'Flu supplier' },
      server,
    );
    const folder = join(dropDir, supplier.id);
    mkdirSync(folder);
    const rows = [
      flatFileRow({
        NHS_NUMBER: nhs(ann),
        PERSON_DOB: dob(ann),
        UNIQUE_ID: 'drop-flu',
        VACCINE_PRODUCT_CODE: PRODUCTS.flu,
      }),
      flatFileRow({ NHS_NUMBER: nhs(ann), PERSON_DOB: dob(ann), UNIQUE_ID: 'drop-covid' }),
    ];
    // written under another name and renamed, as a supplier's transfer would
    writeFileSync(join(folder, '.flu.csv.part'), flatFile(rows));
    renameSync(join(folder, '.flu.csv.part'), join(folder, 'flu_20261015.csv'));
    // the report is written last: once it is there, so is the acknowledgement
    const report = JSON.parse(
      await eventually(
        () => Promise.resolve(readFileSync(join(folder, 'ack', 'flu_20261015.csv.report.json'), 'utf8')),
        30_000,
      ),
    ) as Parameters;
    const ack = readFileSync(join(folder, 'ack', 'flu_20261015.csv.ack.csv'), 'utf8');
    const acks = parse<Record<string, string>>(ack, { columns: true, delimiter: '|' });
    expect(acks.map((a) => [a.UNIQUE_ID, a.RESULT])).to.deep.equal([
      ['drop-flu', 'created'],
      ['drop-covid', 'rejected'],
    ]);
    expect(report.parameter!.find((p) => p.name === 'created')!.valueInteger).to.equal(1);
    await eventually(() =>
      Promise.resolve(expect(existsSync(join(folder, 'done', 'flu_20261015.csv'))).to.equal(true)),
    );
    expect(existsSync(join(folder, 'flu_20261015.csv'))).to.equal(false);
    // the half-written file (a dot name) is left alone
    expect(existsSync(join(folder, 'processing', '.flu.csv.part'))).to.equal(false);
  });

  it('when a server stops in the middle of an upload, then another takes it up where it stopped and applies no row twice', async () => {
    const [ann] = people as [Patient];
    const rows = Array.from({ length: 2500 }, (_, i) =>
      flatFileRow({ NHS_NUMBER: nhs(ann), PERSON_DOB: dob(ann), UNIQUE_ID: `resume-${i}` }),
    );
    const db = server!.database.db;
    const make = () => new SupplierUploads(db, new MongoRepository(db), new Validator(), 3_600_000);
    const first = make();
    const access = {
      clientId: 'resume-test',
      clientName: 'resume test',
      grants: parseScopes('system/*.cruds').grants,
    };
    const { job } = await first.receive(access, Readable.from([flatFile(rows)]));
    // the first server stops after its first batch
    await first.stop();
    const stopped = (await db.collection<UploadJob>('batch_uploads').findOne({ _id: job._id }))!;
    expect(stopped.state).to.equal('in-progress');
    expect(stopped.rows).to.equal(1000);
    // its heartbeat goes quiet; the next server to start takes the upload up
    await db
      .collection<UploadJob>('batch_uploads')
      .updateOne({ _id: job._id }, { $set: { heartbeat: new Date(0) } });
    const second = make();
    await second.start();
    const done = (await second.finished(job._id))!;
    expect(done.state).to.equal('completed');
    expect(done.rows).to.equal(2500);
    expect(done.totals).to.deep.include({ created: 2500, rejected: 0, unchanged: 0 });
    let ack = '';
    for await (const piece of second.acknowledgement(access, job._id)) ack += piece;
    const acked = parse<Record<string, string>>(ack, { columns: true, delimiter: '|' });
    expect(acked.map((a) => Number(a.ROW))).to.deep.equal(rows.map((_, i) => i + 2));
    const ids = new Set(acked.map((a) => a.IMMUNIZATION_ID));
    expect(ids.size).to.equal(2500);
  });
});
