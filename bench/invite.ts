// bench/invite: an invitation run over generated people through a local GOV.UK Notify-shaped gateway
// (answering at once, so the run is limited by nims, not by the gateway): Communications prepared and
// messages sent a second, beside the raw mongodb driver inserting as many Communication-shaped documents
// into the same FerretDB in the same run.
// Run: npm run bench:invite   (BENCH_PEOPLE to change the size)
import type { Communication, Parameters, Task } from 'fhir/r4';
import { MongoClient } from 'mongodb';
import { syntheticGeography, syntheticPerson } from '../fixtures/population.js';
import { startFakeNotify } from '../test/fakes/notify.js';
import { progress, record, startServerProcess, withDatabase } from './support.js';

const people = Number(process.env.BENCH_PEOPLE ?? 2000);
const today = new Date('2026-11-25T00:00:00Z');

async function post(url: string, body: string, contentType = 'application/fhir+json'): Promise<Response> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (!response.ok && response.status !== 202)
    throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response;
}

async function main(): Promise<void> {
  const notify = await startFakeNotify();
  await withDatabase('nims-bench-invite-', async (database, atEnd) => {
    atEnd(() => notify.close());
    const server = await startServerProcess(database.uri, {
      AUTH: 'off',
      AUDIT: 'off',
      NOTIFY_URL: notify.url,
      NOTIFY_API_KEY: notify.apiKey,
    });
    atEnd(() => server.process.kill('SIGTERM'));
    const mongo = new MongoClient(database.uri);
    atEnd(() => mongo.close());
    const geography = syntheticGeography();
    const lines = Array.from({ length: people }, (_, i) =>
      JSON.stringify(syntheticPerson(i, { seed: 9, today, geography })),
    );
    await post(`${server.url}/Patient/$load`, `${lines.join('\n')}\n`, 'application/fhir+ndjson');
    const selected = (await (
      await post(
        `${server.url}/Patient/$cohort`,
        JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'select' }] }),
      )
    ).json()) as Parameters;
    const group = selected.parameter!.find((p) => p.name === 'group')!.valueReference!.reference!;
    const invited = selected.parameter!.find((p) => p.name === 'total')!.valueInteger!;

    const started = performance.now();
    const run = (await (
      await post(
        `${server.url}/${group}/$invite`,
        JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            { name: 'programme', valueCode: 'flu' },
            { name: 'channel', valueCode: 'sms' },
            { name: 'template-sms', valueString: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
            { name: 'batch-size', valueInteger: 500 },
          ],
        }),
      )
    ).json()) as Task;
    let task = run;
    while (task.status !== 'completed') {
      await new Promise((resolve) => setTimeout(resolve, 500));
      task = (await (await fetch(`${server.url}/Task/${run.id}`)).json()) as Task;
      const considered =
        task.output?.find((o) => o.type.coding?.[0]?.code === 'considered')?.valueInteger ?? 0;
      progress('inviting', considered, invited);
    }
    const seconds = (performance.now() - started) / 1000;
    const considered = task.output!.find((o) => o.type.coding![0]!.code === 'considered')!.valueInteger!;

    // the baseline: as many Communication-shaped documents straight into the same database
    const raw = mongo.db('bench_raw').collection<Communication & { _id: string }>('Communication');
    const rawStarted = performance.now();
    for (let start = 0; start < considered; start += 1000)
      await raw.insertMany(
        Array.from({ length: Math.min(1000, considered - start) }, (_, k) => ({
          _id: `c${start + k}`,
          resourceType: 'Communication' as const,
          status: 'completed' as const,
          basedOn: [{ reference: `Task/${run.id}` }],
          subject: { reference: `Patient/p${start + k}` },
          sent: new Date().toISOString(),
        })),
        { ordered: false },
      );
    const rawSeconds = (performance.now() - rawStarted) / 1000;

    const summary = [
      `${invited} generated people invited by text through a local Notify-shaped gateway that answers at once; embedded FerretDB 1.24.2; server without auth and audit.`,
      '',
      '| | seconds | per second |',
      '|---|---:|---:|',
      `| invitation run: people considered (a Communication each, or more) | ${seconds.toFixed(1)} | ${Math.round(considered / seconds)} |`,
      `| invitation run: texts the gateway received | ${seconds.toFixed(1)} | ${Math.round(notify.sent.length / seconds)} |`,
      `| raw driver: insertMany of as many Communication-shaped documents | ${rawSeconds.toFixed(1)} | ${Math.round(considered / rawSeconds)} |`,
    ];
    console.log(summary.join('\n'));
    record('bench/invite', summary);
  });
}

await main();
