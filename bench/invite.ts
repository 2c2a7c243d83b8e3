// bench/invite: invitation runs over generated people through a local GOV.UK Notify-shaped gateway.
// First with a gateway that answers at once and no rate limit, so the run is limited by nims: people and
// Communications prepared a second, beside the raw mongodb driver inserting as many Communication-shaped
// documents into the same FerretDB in the same run. Then a second server process with the gateway held
// to a rate limit, inviting part of the population again: the run should go at the gateway's pace.
// Run: npm run bench:invite   (BENCH_PEOPLE to change the size, BENCH_RATE the limit of the second run,
// BENCH_AGE the youngest it invites)
import type { Communication, Parameters, Task } from 'fhir/r4';
import { MongoClient } from 'mongodb';
import { syntheticGeography, syntheticPerson } from '../fixtures/population.js';
import { startFakeNotify, type FakeNotify } from '../test/fakes/notify.js';
import {
  commandsPer,
  cpuSeconds,
  databaseCommands,
  progress,
  record,
  startServerProcess,
  withDatabase,
} from './support.js';

const people = Number(process.env.BENCH_PEOPLE ?? 100_000);
const rate = Number(process.env.BENCH_RATE ?? 200);
const limitedAge = Number(process.env.BENCH_AGE ?? 65);
const today = new Date();

async function post(url: string, body: string, contentType = 'application/fhir+json'): Promise<Response> {
  let response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  // a server still building its cohort index says when to ask again
  while (response.status === 503 && response.headers.get('retry-after')) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  }
  if (!response.ok && response.status !== 202)
    throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response;
}

const parameters = (...parameter: NonNullable<Parameters['parameter']>) =>
  JSON.stringify({ resourceType: 'Parameters', parameter });
const outputOf = (task: Task, code: string) =>
  task.output?.find((o) => o.type.coding?.[0]?.code === code)?.valueInteger ?? 0;

/** People of a run whose part is over: their message sent, or they were skipped or unreachable. */
const settledPeople = (task: Task) =>
  (task.output ?? [])
    .filter(({ type }) => {
      const code = type.coding?.[0]?.code ?? '';
      return code === 'sent' || code === 'unreachable' || code.startsWith('skipped-');
    })
    .reduce((sum, { valueInteger }) => sum + (valueInteger ?? 0), 0);

/** Selects a cohort, invites it by text and waits for the run to finish; answers its figures. */
async function inviteRun(
  url: string,
  notify: FakeNotify,
  criteria: NonNullable<Parameters['parameter']>,
  label: string,
  /** Cancel the run once every member is prepared: preparing measured alone, not the sending. */
  untilPrepared = false,
): Promise<{
  people: number;
  seconds: number;
  considered: number;
  texts: number;
  /** Seconds until every member was prepared: claimed, checked, their Communication made. */
  firstDone: number;
  /** Seconds until the gateway took the last text. */
  lastText: number;
  /** Seconds from the first text the gateway took to the last. */
  sending: number;
}> {
  const selected = (await (
    await post(`${url}/Patient/$cohort`, parameters({ name: 'mode', valueCode: 'select' }, ...criteria))
  ).json()) as Parameters;
  const group = selected.parameter!.find((p) => p.name === 'group')!.valueReference!.reference!;
  const total = selected.parameter!.find((p) => p.name === 'total')!.valueInteger!;
  const textsBefore = notify.sent.length;
  const started = performance.now();
  const run = (await (
    await post(
      `${url}/${group}/$invite`,
      parameters(
        { name: 'programme', valueCode: 'flu' },
        { name: 'channel', valueCode: 'sms' },
        { name: 'template-sms', valueString: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
        { name: 'batch-size', valueInteger: 1000 },
      ),
    )
  ).json()) as Task;
  let task = run;
  // when every member had been prepared (polled four times a second: the figure rounds up to that)
  let firstDone = 0;
  while (task.status !== 'completed') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    task = (await (await fetch(`${url}/Task/${run.id}`)).json()) as Task;
    const considered = outputOf(task, 'considered');
    if (!firstDone && considered >= total) firstDone = (performance.now() - started) / 1000;
    progress(label, considered, total);
    if (firstDone && untilPrepared) {
      await fetch(`${url}/Task/${run.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json-patch+json' },
        body: JSON.stringify([{ op: 'replace', path: '/status', value: 'cancelled' }]),
      });
      // the cancellation ends everyone prepared and not sent (a version of each Communication): what is
      // measured next starts once that is done, every person counted as sent, skipped or unreachable
      const deadline = Date.now() + 600_000;
      while (settledPeople(task) < outputOf(task, 'considered')) {
        if (Date.now() > deadline) throw new Error(`run ${run.id} not settled after its cancellation`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        task = (await (await fetch(`${url}/Task/${run.id}`)).json()) as Task;
      }
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    people: total,
    seconds,
    considered: outputOf(task, 'considered'),
    texts: notify.sent.length - textsBefore,
    firstDone: firstDone || seconds,
    // the gateway's times are this process's clock
    lastText: ((notify.sent.at(-1)?.at ?? started) - started) / 1000,
    sending: ((notify.sent.at(-1)?.at ?? 0) - (notify.sent[textsBefore]?.at ?? 0)) / 1000,
  };
}

async function main(): Promise<void> {
  const [fast, limited] = await Promise.all([startFakeNotify(), startFakeNotify()]);
  await withDatabase('nims-bench-invite-', async (database, atEnd) => {
    atEnd(() => Promise.all([fast.close(), limited.close()]));
    const server = await startServerProcess(database.uri, {
      AUTH: 'off',
      AUDIT: 'off',
      NOTIFY_URL: fast.url,
      NOTIFY_API_KEY: fast.apiKey,
      NOTIFY_PER_SECOND: '1000000',
    });
    atEnd(() => server.stop());
    const mongo = new MongoClient(database.uri);
    atEnd(() => mongo.close());
    const geography = syntheticGeography();
    for (let start = 0; start < people; start += 10_000) {
      const lines = Array.from({ length: Math.min(10_000, people - start) }, (_, i) =>
        JSON.stringify(syntheticPerson(start + i, { seed: 9, today, geography })),
      );
      await post(`${server.url}/Patient/$load`, `${lines.join('\n')}\n`, 'application/fhir+ndjson');
      progress('loading people', start + lines.length, people);
    }

    const commandsBefore = await databaseCommands(server.url);
    const cpuBefore = {
      server: cpuSeconds(server.process.pid),
      database: cpuSeconds(database.pid),
      // this process: the gateway, checking each call's token
      gateway: process.cpuUsage(),
    };
    const whole = await inviteRun(server.url, fast, [], 'inviting everyone, gateway unlimited');
    const gatewayCpu = process.cpuUsage(cpuBefore.gateway);
    const wholeCpu = {
      server: cpuSeconds(server.process.pid) - cpuBefore.server,
      database: cpuSeconds(database.pid) - cpuBefore.database,
      gateway: (gatewayCpu.user + gatewayCpu.system) / 1e6,
    };
    const commands = commandsPer(commandsBefore, await databaseCommands(server.url), whole.considered);

    // the baseline: as many Communication-shaped documents straight into the same database
    const raw = mongo.db('bench_raw').collection<Communication & { _id: string }>('Communication');
    const rawStarted = performance.now();
    for (let start = 0; start < whole.considered; start += 1000)
      await raw.insertMany(
        Array.from({ length: Math.min(1000, whole.considered - start) }, (_, k) => ({
          _id: `c${start + k}`,
          resourceType: 'Communication' as const,
          status: 'completed' as const,
          subject: { reference: `Patient/p${start + k}` },
          sent: new Date().toISOString(),
        })),
        { ordered: false },
      );
    const rawSeconds = (performance.now() - rawStarted) / 1000;

    // a second process whose gateway allows `rate` texts a second, inviting the older people again
    const paced = await startServerProcess(database.uri, {
      AUTH: 'off',
      AUDIT: 'off',
      NOTIFY_URL: limited.url,
      NOTIFY_API_KEY: limited.apiKey,
      NOTIFY_PER_SECOND: String(rate),
    });
    atEnd(() => paced.stop());
    // what each process asks of the database while the second runs: its own work, and the first's
    // following of the second's changes
    const pacedBefore = await Promise.all([databaseCommands(paced.url), databaseCommands(server.url)]);
    const part = await inviteRun(
      paced.url,
      limited,
      [{ name: 'age-from', valueInteger: limitedAge }],
      `inviting the over-${limitedAge}s at ${rate}/s`,
    );
    const [pacedCommands, followerCommands] = await Promise.all(
      [paced.url, server.url].map(async (url, i) =>
        commandsPer(pacedBefore[i]!, await databaseCommands(url), part.people),
      ),
    );
    // the measure, preparing alone: everyone invited again by the same process, its run
    // cancelled once all are prepared; first with the first server following the changes, then with
    // the machine to this one process
    const again = await inviteRun(paced.url, limited, [], `preparing everyone again at ${rate}/s`, true);
    await server.stop();
    const alone = await inviteRun(paced.url, limited, [], `preparing everyone again, one process`, true);

    const perSecond = (n: number, s: number) => Math.round(n / s).toLocaleString('en-GB');
    const summary = [
      `${whole.people.toLocaleString('en-GB')} generated people invited by text through a local Notify-shaped gateway; embedded FerretDB 1.24.2; server without auth and audit; batches of 1,000. Each person: a claim and a Communication created (preparation), ahead of the sending; then send marks, a provider call, a status poll and the Communication moved to in-progress and completed (three versions in all).`,
      '',
      '| | seconds | per second |',
      '|---|---:|---:|',
      `| gateway unlimited: people prepared (claimed, checked, a Communication in preparation each) | ${whole.firstDone.toFixed(1)} | ${perSecond(whole.considered, whole.firstDone)} |`,
      `| gateway unlimited: texts the gateway received, from the start of the run to the last | ${whole.lastText.toFixed(1)} | ${perSecond(whole.texts, whole.lastText)} |`,
      `| gateway unlimited: the whole run, until every delivery was settled (CPU: server ${wholeCpu.server.toFixed(0)} s, FerretDB ${wholeCpu.database.toFixed(0)} s, gateway ${wholeCpu.gateway.toFixed(0)} s) | ${whole.seconds.toFixed(1)} | ${perSecond(whole.considered, whole.seconds)} |`,
      `| raw driver: insertMany of as many Communication-shaped documents | ${rawSeconds.toFixed(1)} | ${perSecond(whole.considered, rawSeconds)} |`,
      `| gateway limited to ${rate}/s: ${part.people.toLocaleString('en-GB')} people aged ${limitedAge}+ (invited again) prepared | ${part.firstDone.toFixed(1)} | ${perSecond(part.considered, part.firstDone)} |`,
      `| gateway limited to ${rate}/s: their texts, from the start of the run to the last | ${part.lastText.toFixed(1)} | ${perSecond(part.texts, part.lastText)} |`,
      `| gateway limited to ${rate}/s: the same texts, from the first the gateway took to the last | ${part.sending.toFixed(1)} | ${perSecond(part.texts - 1, part.sending)} |`,
      `| gateway limited to ${rate}/s: all ${again.people.toLocaleString('en-GB')} invited again, prepared (the run then cancelled) | ${again.firstDone.toFixed(1)} | ${perSecond(again.considered, again.firstDone)} |`,
      `| the same again with the first server stopped (one server process on the machine) | ${alone.firstDone.toFixed(1)} | ${perSecond(alone.considered, alone.firstDone)} |`,
      '',
      `Database commands a person in the unlimited run, from the cohort selection to every delivery settled (the server's whole work): ${commands}.`,
      `Database commands a person in the limited run: its own server ${pacedCommands}; the first server, following its changes, ${followerCommands}.`,
    ];
    console.log(summary.join('\n'));
    record('bench/invite', summary);
  });
}

await main();
