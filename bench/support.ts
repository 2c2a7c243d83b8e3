import type { Resource } from 'fhir/r4';
import type { Db } from 'mongodb';
import { versionDocuments } from '../src/store/mongo-repository.js';
import { VersionCollection } from '../src/store/kept-documents.js';
import type { CurrentDocument, HistoryDocument } from '../src/store/repository.js';
import { postingKeysOf } from '../src/store/postings.js';
import { markIndexed } from '../src/store/reindex.js';
import { slotEntry } from '../src/store/slots.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { freePort, startFerretdb, type EmbeddedDatabase } from '../src/store/ferretdb.js';
import { PROJECT_ROOT } from '../src/server.js';
export { progress } from '../src/shared/progress.js';

export interface Figures {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

/** Runs `operation` from `concurrency` workers for `seconds`; throughput and latency percentiles. */
export async function closedLoop(
  name: string,
  concurrency: number,
  seconds: number,
  operation: (i: number) => Promise<unknown>,
): Promise<Figures> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let counter = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      await operation(counter++);
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, requestsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/**
 * Runs a benchmark on an embedded FerretDB in a temporary directory. Whatever happens, what `atEnd` was
 * given is undone (newest first), then the database stops and its files go.
 */
export async function withDatabase<T = void>(
  prefix: string,
  run: (database: EmbeddedDatabase, atEnd: (undo: () => unknown) => void) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const database = await startFerretdb(PROJECT_ROOT, dataDir);
  const undos: (() => unknown)[] = [];
  try {
    return await run(database, (undo) => undos.push(undo));
  } finally {
    for (const undo of undos.reverse()) await undo();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks of 1/100 s; a server run with WORKERS
  // does its work in child processes, alive ones counted here
  return (
    (Number(fields[11]) + Number(fields[12])) / 100 +
    childProcesses(pid).reduce((sum, child) => sum + cpuSeconds(child), 0)
  );
}

/** The live child processes of `pid`. */
export function childProcesses(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return []; // gone meanwhile
  }
}

/** A process's memory in MiB: resident now, and the most it has held (`VmRSS`, `VmHWM`). */
export function residentMiB(pid: number | undefined): { now: number; peak: number } {
  if (pid === undefined) return { now: 0, peak: 0 };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { now: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

/**
 * The database commands a server process has sent so far, by command name, from its `/metrics`: what a
 * piece of work costs the database, counted the same on a fast machine and a slow one. Split by
 * collection as well when `BENCH_BY_COLLECTION=1`.
 */
export async function databaseCommands(serverUrl: string): Promise<Map<string, number>> {
  const byCollection = process.env.BENCH_BY_COLLECTION === '1';
  const text = await (await fetch(serverUrl.replace(/\/fhir$/, '/metrics'))).text();
  const counts = new Map<string, number>();
  for (const [, command, collection, count] of text.matchAll(
    /^nims_db_operation_duration_seconds_count\{command="([^"]+)",collection="([^"]*)"[^}]*\} (\d+)$/gm,
  )) {
    const key = byCollection ? `${command} ${collection}` : command!;
    counts.set(key, (counts.get(key) ?? 0) + Number(count));
  }
  return counts;
}

/** The commands sent between two counts, per unit of work, as `find 3.1, insert 0.8, ...` (most first). */
export function commandsPer(before: Map<string, number>, after: Map<string, number>, units: number): string {
  const spent = [...after].map(
    ([command, n]) => [command, (n - (before.get(command) ?? 0)) / units] as const,
  );
  const total = spent.reduce((sum, [, n]) => sum + n, 0);
  const each = spent
    .filter(([, n]) => n >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([command, n]) => `${command} ${n.toFixed(1)}`);
  return each.length > 0 ? `${total.toFixed(1)} (${each.join(', ')})` : total.toFixed(1);
}

/** One HTTP workload by autocannon: each request from `next`; any non-2xx answer fails the run. */
export async function cannon(
  name: string,
  url: string,
  load: { connections: number; seconds: number },
  next: () => { method: 'GET' | 'POST'; path: string; body?: string },
  headers: Record<string, string> = {},
): Promise<Figures> {
  const result = await autocannon({
    url,
    connections: load.connections,
    duration: load.seconds,
    requests: [
      {
        setupRequest: (request) => {
          const { method, path, body } = next();
          return {
            ...request,
            method,
            path,
            headers: { ...headers, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
            ...(body ? { body } : {}),
          };
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  /** SIGTERM, and the process's exit (so its database is not taken away while it stops). */
  stop(): Promise<void>;
}

/** How many server processes answer at `serverUrl` (see nims_server_processes). */
async function serverProcesses(serverUrl: string): Promise<number> {
  const text = await (await fetch(serverUrl.replace(/\/fhir$/, '/metrics'))).text();
  return Number(/^nims_server_processes (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Sends SIGTERM and waits for the process to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Starts the built server as its own process against `mongodbUri`; by default without authentication
 * and audit trail, which the core benchmarks leave out (bench/auth measures what they cost).
 */
export async function startServerProcess(
  mongodbUri: string,
  env: Record<string, string> = { AUTH: 'off', AUDIT: 'off' },
): Promise<ServerProcess> {
  const port = await freePort();
  // e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' to see where the server's time goes
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MONGODB_URI: mongodbUri,
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn',
      // several servers at once in some benchmarks: each its own free MLLP port
      MLLP_PORT: '0',
      // a benchmark's one client makes far more than a minute's allowance of a caller; the limiter
      // still counts every request, so its cost stays in the figures
      RATE_LIMIT_PER_ADDRESS: String(1e9),
      RATE_LIMIT_PER_CLIENT: String(1e9),
      ...env,
    },
    // its log only when asked for (BENCH_SERVER_LOG_LEVEL)
    stdio: ['ignore', process.env.BENCH_SERVER_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/fhir`;
  for (let i = 0; i < 300; i++) {
    try {
      // with WORKERS, every server process must be listening before a workload opens its connections
      if ((await fetch(`${url}/metadata`)).ok && (await serverProcesses(url)) >= Number(env.WORKERS ?? 1))
        return { url, process: child, stop: () => stopProcess(child) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('server did not start');
}

export function machine(): string {
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  }).stdout?.trim();
  const where = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  return commit ? `${where}, commit ${commit}` : where;
}

/** Appends a dated section to bench/RESULTS.md. */
export function record(title: string, lines: string[]): void {
  const file = join(PROJECT_ROOT, 'bench', 'RESULTS.md');
  if (!existsSync(file))
    writeFileSync(file, '# Benchmark results\n\nNewest last. Each section is one run of one benchmark.\n');
  appendFileSync(
    file,
    `\n## ${title} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\n${machine()}\n\n${lines.join('\n')}\n`,
  );
}

export function table(rows: Figures[]): string[] {
  return [
    '| workload | requests/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.name} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    ),
  ];
}

/**
 * Writes resources straight into a repository's collections, as the repository would store them (its
 * own document builder and posting keys), in bulk: how benchmarks fill a database quickly. `slots`
 * numbers each posting key's holders across calls.
 */
export class BulkWriter {
  private readonly slots = new Map<string, number>();
  private readonly ts = new Date().toISOString();
  private readonly marked = new Set<string>();

  constructor(private readonly db: Db) {}

  async write(type: string, resources: Resource[]): Promise<void> {
    // its search values are the current table's: a server started on them has nothing to index again
    if (!this.marked.has(type)) {
      await markIndexed(this.db, type);
      this.marked.add(type);
    }
    const docs = resources.map((r) => versionDocuments(r.id!, 1, this.ts, 'POST', r));
    const keys = docs.flatMap(({ current }) =>
      postingKeysOf(type, current.idx).all.map((key) => ({ key, id: current._id })),
    );
    const postings = keys.map(({ key, id }) => {
      const n = this.slots.get(key) ?? 0;
      this.slots.set(key, n + 1);
      return slotEntry(key, n, id);
    });
    await Promise.all([
      new VersionCollection<HistoryDocument>(this.db.collection(`${type}_history`)).insertMany(
        docs.map((d) => d.history),
      ),
      new VersionCollection<CurrentDocument>(this.db.collection(type)).insertMany(docs.map((d) => d.current)),
      postings.length > 0
        ? this.db.collection('postings').insertMany(postings as never[], { ordered: false })
        : undefined,
    ]);
  }
}

/**
 * Waits until a freshly started server has built its cohort index (it reads every person and record
 * first), so that what a benchmark measures next does not share the database with that build; answers
 * the seconds it took.
 */
export async function untilIndexed(url: string): Promise<number> {
  const started = performance.now();
  const count = () =>
    fetch(`${url}/Patient/$cohort`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters' }),
    });
  while ((await count()).status === 503) await new Promise((r) => setTimeout(r, 1000));
  return (performance.now() - started) / 1000;
}
