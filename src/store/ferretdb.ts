import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
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

/**
 * FerretDB runs each update of an update command (a bulk write's updates) on its own: a lookup, then a
 * write in a transaction of its own; a replacement reads the document it replaces. With these changes
 * and the file added below (ferretdb-patches/nims_pending_updates.go), the documents a command changes
 * are written together at its end, in one transaction, and a replacement of one `_id` with upsert (the
 * store's replaceOne) is written without reading what it replaces. An update that may read a document
 * still pending writes them first, so each update sees the ones before it. Measured on bulks of 1,000:
 * a `$set` 0.38 to 0.19 ms of FerretDB CPU a document, with the next patch.
 */
const UPDATE_FILE = join('internal', 'handler', 'msg_update.go');
const BULK_UPDATE_PATCHES: SourcePatch[] = [
  {
    file: UPDATE_FILE,
    from: `\tfor _, u := range params.Updates {\n`,
    to: `\tpending := newPendingUpdates(&upserted)\n\n\tfor i, u := range params.Updates {\n`,
  },
  {
    file: UPDATE_FILE,
    from: `\t\tvar qp backends.QueryParams\n`,
    to: `\t\tif !pending.unaffected(u.Filter) {
			if err = pending.flush(ctx); err != nil {
				return 0, 0, nil, lazyerrors.Error(err)
			}
		}

		pending.Collection = c

		if pending.replace(&u, i) {
			continue
		}

		var qp backends.QueryParams\n`,
  },
  {
    file: UPDATE_FILE,
    from: `\t\tdefer closer.Close()\n`,
    to: '',
  },
  {
    file: UPDATE_FILE,
    from: `\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)
		if err != nil {\n`,
    // an update that fails ends the command; those before it stand, as they would without these changes
    to: `\t\tresult, err := common.UpdateDocument(ctx, pending, "update", iter, &u)
		closer.Close()

		if err != nil {
			_ = pending.flush(ctx)\n`,
  },
  {
    // FerretDB numbers an upsert by the upserts before it; MongoDB, by its update
    file: UPDATE_FILE,
    from: `"index", int32(upserted.Len()),`,
    to: `"index", int32(i),`,
  },
  {
    file: UPDATE_FILE,
    from: `\treturn matched, modified, &upserted, nil\n`,
    to: `\tif err = pending.flush(ctx); err != nil {
		return 0, 0, nil, lazyerrors.Error(err)
	}

	matched += pending.matched
	modified += pending.modified

	return matched, modified, &upserted, nil\n`,
  },
];

/** Files added to FerretDB's source, from ferretdb-patches/ beside this file's source. */
const ADDED_FILES = [
  { name: 'nims_pending_updates.go', into: join('internal', 'handler') },
  { name: 'nims_sjson_decode.go', into: join('internal', 'handler', 'sjson') },
  { name: 'nims_sjson_encode.go', into: join('internal', 'handler', 'sjson') },
  { name: 'nims_sjson_test.go', into: join('internal', 'handler', 'sjson') },
];
/** Packages whose tests of nims' additions (named Nims…) run before each build; a failure stops it. */
const TESTED_PACKAGES = ['./internal/handler/sjson/'];
const PATCH_DIR = (projectRoot: string) => join(projectRoot, 'src', 'store', 'ferretdb-patches');

/**
 * FerretDB tracks every iterator, row set and transaction it opens for leaks: each one records its stack
 * in a pprof profile and gets a finalizer that panics if it is never closed. That is a developer's check;
 * it took a tenth of FerretDB's CPU on every lookup and write (measured under bulk updates).
 */
const LEAK_TRACKING_PATCHES: SourcePatch[] = ['Track', 'Untrack'].map((name) => ({
  file: join('internal', 'util', 'resource', 'resource.go'),
  from: `func ${name}(obj any, token *Token) {\n`,
  to: `func ${name}(obj any, token *Token) {\n\tif obj != nil {\n\t\treturn\n\t}\n\n`,
}));

/**
 * SQLite lets one transaction write at a time, and FerretDB leaves writers that find the database busy to
 * SQLite's busy handler, which sleeps and tries again, up to 100 ms at a time: a batch of inserts beside
 * a stream of update commands waited up to a third of a second. Here a process-wide lock queues
 * FerretDB's write transactions (every insert and update command), so each starts as the one before ends.
 */
const WRITE_QUEUE_PATCHES: SourcePatch[] = [
  {
    file: join('internal', 'util', 'fsql', 'db.go'),
    from: `\t"log/slog"\n`,
    to: `\t"log/slog"\n\t"sync"\n`,
  },
  {
    file: join('internal', 'util', 'fsql', 'db.go'),
    from: `func (db *DB) InTransaction(ctx context.Context, f func(*Tx) error) (err error) {\n`,
    to: `var writers sync.Mutex

func (db *DB) InTransaction(ctx context.Context, f func(*Tx) error) (err error) {
	writers.Lock()
	defer writers.Unlock()\n\n`,
  },
];

/**
 * FerretDB turns documents into SQLite's JSON inside its write transactions; with the queue above, every
 * other writer would wait for that work too. Here the statements are made first, and the transaction
 * only runs them.
 */
const SQLITE_COLLECTION = join('internal', 'backends', 'sqlite', 'collection.go');
const PREPARED_WRITE_PATCHES: SourcePatch[] = [
  {
    file: SQLITE_COLLECTION,
    from: `\terr := db.InTransaction(ctx, func(tx *fsql.Tx) error {
		batchSize := c.r.BatchSize
		if batchSize < 1 {
			panic("batch-size should be greater or equal to 1")
		}

		var batch []*types.Document
		docs := params.Docs

		for len(docs) > 0 {
			i := min(batchSize, len(docs))
			batch, docs = docs[:i], docs[i:]

			q, args, err := prepareInsertStatement(meta.TableName, meta.Capped(), batch)
			if err != nil {
				return lazyerrors.Error(err)
			}

			if _, err = tx.ExecContext(ctx, q, args...); err != nil {\n`,
    to: `\tbatchSize := c.r.BatchSize
	if batchSize < 1 {
		panic("batch-size should be greater or equal to 1")
	}

	var statements [][]any

	for docs := params.Docs; len(docs) > 0; {
		i := min(batchSize, len(docs))

		q, args, err := prepareInsertStatement(meta.TableName, meta.Capped(), docs[:i])
		if err != nil {
			return nil, lazyerrors.Error(err)
		}

		statements = append(statements, append([]any{q}, args...))
		docs = docs[i:]
	}

	err := db.InTransaction(ctx, func(tx *fsql.Tx) error {
		for _, statement := range statements {
			if _, err := tx.ExecContext(ctx, statement[0].(string), statement[1:]...); err != nil {\n`,
  },
  {
    file: SQLITE_COLLECTION,
    from: `\terr := db.InTransaction(ctx, func(tx *fsql.Tx) error {
		for _, doc := range params.Docs {
			b, err := sjson.Marshal(doc)
			if err != nil {
				return lazyerrors.Error(err)
			}

			id, _ := doc.Get("_id")
			must.NotBeZero(id)

			arg := string(must.NotFail(sjson.MarshalSingleValue(id)))

			r, err := tx.ExecContext(ctx, q, string(b), arg)\n`,
    to: `\tmarshaled := make([][2]string, len(params.Docs))

	for i, doc := range params.Docs {
		b, err := sjson.Marshal(doc)
		if err != nil {
			return nil, lazyerrors.Error(err)
		}

		id, _ := doc.Get("_id")
		must.NotBeZero(id)

		marshaled[i] = [2]string{string(b), string(must.NotFail(sjson.MarshalSingleValue(id)))}
	}

	err := db.InTransaction(ctx, func(tx *fsql.Tx) error {
		for _, m := range marshaled {
			r, err := tx.ExecContext(ctx, q, m[0], m[1])\n`,
  },
];

/**
 * FerretDB keeps documents in SQLite as JSON with a schema beside the values, and turns them to and from
 * that through encoding/json: each read twice over (a map of raw fields, then each field again with a
 * decoder made for it), each write through a buffer per value and per nested schema. That was two thirds
 * of its CPU on a read by `_id` and a sixth on an insert. The added files nims_sjson_decode.go and
 * nims_sjson_encode.go (in ferretdb-patches/) read a document in one pass, and write the same bytes as
 * before into one buffer; anything else goes the way it went before. Measured on a Patient's current
 * copy: decoding 73 to 7.4 µs, encoding 14 to 3.1 µs.
 */
const SJSON_PATCHES: SourcePatch[] = [
  {
    file: join('internal', 'handler', 'sjson', 'sjson.go'),
    from: `func Unmarshal(data []byte) (*types.Document, error) {\n`,
    to: `func Unmarshal(data []byte) (*types.Document, error) {\n\tif doc, ok := fastUnmarshal(data); ok {\n\t\treturn doc, nil\n\t}\n\n`,
  },
  {
    file: join('internal', 'handler', 'sjson', 'sjson.go'),
    from: `\t\tpanic("v is nil")\n\t}\n\n\tschema, err := marshalSchemaForDoc(d)\n`,
    to: `\t\tpanic("v is nil")\n\t}\n\n\tif b, ok := fastMarshal(d); ok {\n\t\treturn b, nil\n\t}\n\n\tschema, err := marshalSchemaForDoc(d)\n`,
  },
];

const PATCHES = [
  ID_LOOKUP_PATCH,
  ID_LIST_PATCH,
  ...BULK_UPDATE_PATCHES,
  ...LEAK_TRACKING_PATCHES,
  ...WRITE_QUEUE_PATCHES,
  ...PREPARED_WRITE_PATCHES,
  ...SJSON_PATCHES,
];
/** The build's name: it changes with the patches and added files, so an older cached build is not reused. */
function buildName(projectRoot: string): string {
  const hash = createHash('sha256').update(JSON.stringify(PATCHES));
  for (const { name } of ADDED_FILES) hash.update(readFileSync(join(PATCH_DIR(projectRoot), name)));
  return `${FERRETDB_VERSION}-nims-${hash.digest('hex').slice(0, 12)}`;
}

/** The project-local FerretDB binary, built from the Go module proxy (with the patches above) on first use. */
export function ferretdbBinary(projectRoot: string): string {
  const binary = join(projectRoot, '.cache', 'bin', `ferretdb-${buildName(projectRoot)}`);
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
    writeFileSync(
      patched,
      original.replace(patch.from, () => patch.to),
    );
  }
  for (const { name, into } of ADDED_FILES)
    cpSync(join(PATCH_DIR(projectRoot), name), join(source, into, name));
  // FerretDB's test helpers look for the repository's root by its .git
  mkdirSync(join(source, '.git'));
  const tests = spawnSync('go', ['test', '-count=1', '-run', 'Nims', ...TESTED_PACKAGES], {
    cwd: source,
    stdio: 'inherit',
  });
  if (tests.status !== 0) throw new Error("the tests of nims' changes to FerretDB failed");
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

async function waitForSocket(path: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !existsSync(path); ) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('FerretDB did not open its Unix socket in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
  const socket = socketPath(listenPort);
  // left by a FerretDB that was killed; the port is free, so no FerretDB serves it now
  rmSync(socket, { force: true });
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      // temp_store: a multi-row insert keeps the pages it changes in a statement journal, to undo it
      // alone; SQLite spilled those of larger inserts to temporary files, a tenth of FerretDB's CPU on
      // creates going to their writes
      `--sqlite-url=file:${dataDir}/?_pragma=synchronous(${sync})&_pragma=temp_store(memory)`,
      `--listen-addr=127.0.0.1:${listenPort}`,
      `--listen-unix=${socket}`,
      `--state-dir=${dataDir}`,
      // its defaults would open a debug listener on a fixed port and report telemetry; a profile of
      // FerretDB (go tool pprof http://{address}/debug/pprof/profile) needs the listener asked for
      `--debug-addr=${process.env.FERRETDB_DEBUG_ADDR ?? '-'}`,
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
  await waitForSocket(socket, child, 30_000);
  logger.info('embedded FerretDB started', { port: listenPort });
  // nims talks to it over the Unix socket: a lookup by `_id` cost both processes about a tenth less CPU
  // than over TCP on the loopback (the TCP port stays open for other tools, mongosh say)
  const uri = `mongodb://${encodeURIComponent(socket)}/`;
  // commands (npm run client) find the running database here
  writeFileSync(stateFile(dataDir), JSON.stringify({ uri, pid: child.pid }));
  return {
    uri,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    stop: () =>
      new Promise<void>((resolve) => {
        rmSync(stateFile(dataDir), { force: true });
        const stopped = () => {
          rmSync(socket, { force: true });
          resolve();
        };
        if (child.exitCode !== null) return stopped();
        child.once('exit', stopped);
        child.kill('SIGTERM');
      }),
  };
}

/** Short, for a socket's path is limited to about a hundred bytes; one for each port. */
const socketPath = (port: number) => join(tmpdir(), `nims-ferretdb-${port}.sock`);

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
