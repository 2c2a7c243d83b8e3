import { request } from 'node:http';
import { availableParallelism } from 'node:os';
import { expect } from 'chai';
import type { Bundle, Parameters, Patient } from 'fhir/r4';
import { patient } from '../../fixtures/records.js';
import { childProcesses, startServerProcess, type ServerProcess } from '../../bench/support.js';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/server.js';
import { NHS_NUMBER_SYSTEM } from '../../src/shared/nhs-number.js';
import { testServer } from './harness.js';

/** One request on a connection of its own, so that the cluster hands each to the next server process. */
function call(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        method,
        agent: false,
        headers: text
          ? { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(text) }
          : {},
      },
      (response) => {
        let answer = '';
        response.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: JSON.parse(answer) as Record<string, unknown> }),
        );
      },
    );
    sent.on('error', reject);
    sent.end(text);
  });
}

const metric = async (server: ServerProcess, pattern: RegExp) => {
  const text = await (await fetch(server.url.replace(/\/fhir$/, '/metrics'))).text();
  return Number(pattern.exec(text)?.[1] ?? NaN);
};

describe('several server processes on one port (WORKERS)', function () {
  this.timeout(120_000);
  let server: ServerProcess;

  before(async () => {
    const main = await testServer();
    server = await startServerProcess(main.embedded!.uri, {
      AUTH: 'off',
      AUDIT: 'off',
      MONGODB_DB: 'nims_cluster_test',
      WORKERS: '2',
    });
  });
  after(() => server?.stop());

  it('when WORKERS=2, then two processes serve one port: what one stores the other reads, finds and counts at once, and a scrape adds up both', async () => {
    expect(childProcesses(server.process.pid!)).to.have.length(2);
    const people = Array.from({ length: 12 }, (_, i) => patient(88_000 + i, 40));
    const created = await Promise.all(people.map((p) => call(`${server.url}/Patient`, 'POST', p)));
    expect(created.map((c) => c.status)).to.deep.equal(people.map(() => 201));
    const ids = created.map((c) => c.body.id as string);

    // each on a new connection: the cluster gives them to the processes in turn, so half are read by the
    // process that did not store them
    for (const [i, id] of ids.entries()) {
      const read = await call(`${server.url}/Patient/${id}`, 'GET');
      expect(read.status).to.equal(200);
      expect((read.body as unknown as Patient).identifier).to.deep.equal(people[i]!.identifier);
      const number = people[i]!.identifier![0]!.value!;
      const found = await call(`${server.url}/Patient?identifier=${NHS_NUMBER_SYSTEM}|${number}`, 'GET');
      expect(((found.body as unknown as Bundle).entry ?? []).map((e) => e.resource!.id)).to.deep.equal([id]);
    }
    const counts = await Promise.all(
      [0, 1].map(() =>
        call(`${server.url}/Patient/$cohort`, 'POST', {
          resourceType: 'Parameters',
          parameter: [{ name: 'mode', valueCode: 'count' }],
        }),
      ),
    );
    for (const count of counts) {
      const total = (count.body as unknown as Parameters).parameter?.find((p) => p.name === 'total');
      expect(count.status).to.equal(200);
      expect(total?.valueInteger).to.equal(people.length);
    }
    expect(await metric(server, /^nims_server_processes (\d+)$/m)).to.equal(2);
    expect(
      await metric(
        server,
        /^nims_http_requests_total\{method="POST",route="\/fhir\/Patient",status="201"\} (\d+)$/m,
      ),
    ).to.equal(people.length);
  });

  it('when a server process dies, then another takes its place and the port keeps answering', async () => {
    const [first] = childProcesses(server.process.pid!);
    process.kill(first!, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const children = childProcesses(server.process.pid!);
      if (children.length === 2 && !children.includes(first!)) {
        if ((await metric(server, /^nims_server_processes (\d+)$/m).catch(() => 0)) === 2) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(childProcesses(server.process.pid!)).to.have.length(2).and.not.include(first);
    const answers = await Promise.all([0, 1, 2, 3].map(() => call(`${server.url}/metadata`, 'GET')));
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200]);
  });

  it('when SIGTERM reaches the first process, then every server process stops and it exits 0', async () => {
    const children = childProcesses(server.process.pid!);
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    expect(await exited).to.equal(0);
    for (const child of children) expect(() => process.kill(child, 0)).to.throw();
  });

  it('when WORKERS is auto, then there is one a core; anything but a whole number from 1 is refused', () => {
    expect(loadConfig({ WORKERS: 'auto' }, PROJECT_ROOT).workers).to.equal(availableParallelism());
    expect(loadConfig({}, PROJECT_ROOT).workers).to.equal(1);
    expect(() => loadConfig({ WORKERS: '0' }, PROJECT_ROOT)).to.throw(/WORKERS must be at least 1/);
    expect(() => loadConfig({ WORKERS: 'two' }, PROJECT_ROOT)).to.throw(/WORKERS must be a whole number/);
  });
});
