import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { logger } from '../shared/logger.js';

export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';

/** A change to FerretDB's source before it is built: `from` must be found in `file`, as published. */
interface SourcePatch {
  file: string;
  from: string;
  to: string;
}

/**
 * FerretDB 1.24.2's SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but looks `_id` up
 * with `_ferretdb_sjson->'$._id'`; SQLite matches index expressions by their text, so no lookup by `_id`
 * ever used the index and every find, update and delete by `_id` read the whole collection (measured:
 * 70 ms for a miss in 20,000 documents, growing with size). Writing the lookup as the index is written
 * makes them index searches (1 to 3 ms at any size).
 */
const ID_LOOKUP_PATCH: SourcePatch = {
  file: join('internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: `IDColumn = DefaultColumn + "->\\"_id\\""`,
};

/**
 * A find whose whole filter is `{_id: {$in: [strings]}}` (up to 1,000) is sent to SQLite as an `IN` on the
 * `_id` index, where FerretDB as published reads the whole collection. FerretDB still checks every
 * document it returns against the filter, as after any lookup it hands to SQLite.
 */
const ID_LIST_PATCH: SourcePatch = {
  file: join('internal', 'backends', 'sqlite', 'collection.go'),
  from: `		switch v.(type) {
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(\` WHERE %s = ?\`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}`,
  to: `		switch v := v.(type) {
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(\` WHERE %s = ?\`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		case *types.Document:
			in, _ := v.Get("$in")
			if values, ok := in.(*types.Array); ok && v.Len() == 1 && values.Len() > 0 && values.Len() <= 1000 {
				marks := make([]string, values.Len())
				keys := make([]any, values.Len())
				for i := range marks {
					value, _ := values.Get(i)
					if _, ok = value.(string); !ok {
						break
					}
					marks[i] = "?"
					keys[i] = string(must.NotFail(sjson.MarshalSingleValue(value)))
				}
				if ok {
					whereClause = fmt.Sprintf(\` WHERE %s IN (%s)\`, metadata.IDColumn, strings.Join(marks, ", "))
					args = keys
				}
			}
		}`,
};

const PATCHES = [ID_LOOKUP_PATCH, ID_LIST_PATCH];
/** Bumped whenever the patches change, so an older cached build is not reused. */
const BUILD = `${FERRETDB_VERSION}-nims2`;

/** The project-local FerretDB binary, built from the Go module proxy (with the patches above) on first use. */
export function ferretdbBinary(projectRoot: string): string {
  const binary = join(projectRoot, '.cache', 'bin', `ferretdb-${BUILD}`);
  if (existsSync(binary)) return binary;
  logger.info('building FerretDB from the Go module proxy (first run only, a few minutes)', {
    version: FERRETDB_VERSION,
  });
  const download = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (download.status !== 0) throw new Error('go mod download of FerretDB failed (is Go installed?)');
  const { Dir } = JSON.parse(download.stdout) as { Dir: string };
  // The module as published lacks the generated version file its build requires; build a copy with it.
  const source = join(projectRoot, '.cache', 'ferretdb-src');
  rmSync(source, { recursive: true, force: true });
  cpSync(Dir, source, { recursive: true });
  chmodSync(join(source, 'build', 'version'), 0o755);
  writeFileSync(join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`, { mode: 0o644 });
  for (const patch of PATCHES) {
    const patched = join(source, patch.file);
    chmodSync(patched, 0o644);
    const original = readFileSync(patched, 'utf8');
    if (!original.includes(patch.from))
      throw new Error(`FerretDB source differs from the one its patch of ${patch.file} was made for`);
    writeFileSync(patched, original.replace(patch.from, patch.to));
  }
  mkdirSync(join(projectRoot, '.cache', 'bin'), { recursive: true });
  const build = spawnSync('go', ['build', '-buildvcs=false', '-o', binary, './cmd/ferretdb'], {
    cwd: source,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('go build of FerretDB failed');
  rmSync(source, { recursive: true, force: true });
  return binary;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`FerretDB exited with code ${child.exitCode}`));
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error('FerretDB did not start listening in time'));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface EmbeddedDatabase {
  uri: string;
  /** The FerretDB process (for benchmarks that account its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * How far SQLite goes to keep a committed write (its `synchronous` setting, in WAL mode). `normal`: a
 * commit survives any crash of FerretDB or nims, but the last few may be lost if the machine itself loses
 * power; each write costs about a quarter of `full`, which waits for the disk on every commit (measured
 * on FerretDB 1.24.2: 0.4 ms an update against 1.5 ms). The embedded database is for development, tests
 * and trials; a national service runs on MongoDB (MONGODB_URI) with journaled writes.
 */
export type EmbeddedSync = 'normal' | 'full';

/** Starts FerretDB over SQLite files in `dataDir`, on `port` (a free one if 0). */
export async function startFerretdb(
  projectRoot: string,
  dataDir: string,
  sync: EmbeddedSync = 'normal',
  port = 0,
): Promise<EmbeddedDatabase> {
  const binary = ferretdbBinary(projectRoot);
  mkdirSync(dataDir, { recursive: true });
  const listenPort = port || (await freePort());
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/?_pragma=synchronous(${sync})`,
      `--listen-addr=127.0.0.1:${listenPort}`,
      `--state-dir=${dataDir}`,
      // its defaults would open a debug listener on a fixed port and report telemetry
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      // FerretDB decodes every document it reads, field by field, and Go's default (100) collects the
      // garbage that makes after every doubling of a small heap: at 400 it took 30% less CPU a lookup
      env: { ...process.env, GOGC: process.env.GOGC ?? '400' },
    },
  );
  child.stderr?.on('data', (chunk: Buffer) =>
    logger.debug('ferretdb', { output: chunk.toString('utf8').trim() }),
  );
  await waitForPort(listenPort, child, 30_000);
  logger.info('embedded FerretDB started', { port: listenPort });
  const uri = `mongodb://127.0.0.1:${listenPort}/`;
  // commands (npm run client) find the running database here
  writeFileSync(stateFile(dataDir), JSON.stringify({ uri, pid: child.pid }));
  return {
    uri,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    stop: () =>
      new Promise<void>((resolve) => {
        rmSync(stateFile(dataDir), { force: true });
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const stateFile = (dataDir: string) => join(dataDir, 'ferretdb.json');

/** The URI of an embedded FerretDB already serving `dataDir` (started by `npm start`), if one is running. */
export function runningFerretdb(dataDir: string): string | undefined {
  try {
    const { uri, pid } = JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as { uri: string; pid: number };
    process.kill(pid, 0); // throws when no such process
    return uri;
  } catch {
    return undefined;
  }
}
