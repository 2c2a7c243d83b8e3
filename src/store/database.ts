import { EXPIRING_COLLECTIONS } from './expiry.js';
import { MongoClient, ReadConcern, type CommandStartedEvent, type Db } from 'mongodb';
import { parametersOf, type SearchParamDef } from '../search/parameters.js';
import { logger } from '../shared/logger.js';
import { databaseDuration } from '../shared/metrics.js';

export interface Database {
  client: MongoClient;
  db: Db;
  /** FerretDB answers quickly only by `_id`; secondary indexes would cost writes and serve no query. */
  isFerretDb: boolean;
  close(): Promise<void>;
}

/** Write and read settings on a replica set (retryable writes are the driver's default). */
export const DURABLE = {
  writeConcern: { w: 'majority' as const, journal: true, wtimeoutMS: 10_000 },
  readConcern: new ReadConcern('majority'),
};

/**
 * Commands under way at once on FerretDB. It has 100 SQLite connections, and some commands hold several
 * (an update, one per matched statement) while waiting for more: with the driver's own 100 all busy,
 * the database stalled under load (the crash test saw requests wait minutes with every connection
 * open). Two cores gain nothing from more than this.
 */
const FERRETDB_POOL = 32;

export async function connect(uri: string, dbName: string): Promise<Database> {
  const isFerretDb = await isFerretDbAt(uri, dbName);
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: isFerretDb ? FERRETDB_POOL : 100,
    ignoreUndefined: true,
    retryWrites: true,
    monitorCommands: true,
  });
  timeCommands(client);
  await client.connect();
  const admin = client.db(dbName).admin();
  const replicaSet = !isFerretDb && typeof (await admin.command({ hello: 1 })).setName === 'string';
  // on a replica set, a write is acknowledged once a majority has it in their journals, and reads see
  // only what a majority has: an acknowledged write survives the loss of the primary
  const db = replicaSet ? client.db(dbName, DURABLE) : client.db(dbName);
  logger.info('database connected', {
    database: dbName,
    engine: isFerretDb ? 'ferretdb' : 'mongodb',
    ...(replicaSet ? { durability: 'majority, journaled' } : {}),
  });
  return { client, db, isFerretDb, close: () => client.close() };
}

/** Whether the database at `uri` is FerretDB (asked on a connection of its own, before the pool is sized). */
async function isFerretDbAt(uri: string, dbName: string): Promise<boolean> {
  const probe = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 1 });
  try {
    const buildInfo = await probe.db(dbName).admin().command({ buildInfo: 1 });
    return typeof buildInfo.ferretdbVersion === 'string';
  } finally {
    await probe.close();
  }
}

/** A collection name as a metric label: names nims makes, never anything longer or odd. */
const COLLECTION_LABEL = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * Times every command the driver sends into `nims_db_operation_duration_seconds`. The driver names the
 * collection only when a command starts, so it is kept by request id until the command ends.
 */
function timeCommands(client: MongoClient): void {
  const started = new Map<number, { command: string; collection: string }>();
  const collectionOf = (event: CommandStartedEvent): string => {
    const value: unknown =
      event.commandName === 'getMore' ? event.command.collection : event.command[event.commandName];
    return typeof value === 'string' && COLLECTION_LABEL.test(value) ? value : '';
  };
  const ended = (outcome: string) => (event: { requestId: number; duration: number }) => {
    const labels = started.get(event.requestId);
    if (!labels) return;
    started.delete(event.requestId);
    databaseDuration.observe({ ...labels, outcome }, event.duration / 1000);
  };
  client.on('commandStarted', (event) =>
    started.set(event.requestId, { command: event.commandName, collection: collectionOf(event) }),
  );
  client.on('commandSucceeded', ended('ok'));
  client.on('commandFailed', ended('failed'));
}

/** The stored forms of a parameter's values (see index-values.ts), each of which a search may filter on. */
function indexedFields(param: SearchParamDef): string[] {
  switch (param.type) {
    case 'token':
      return ['', ':code', ':text'];
    case 'string':
      return ['', ':exact'];
    case 'date':
      return [':lo', ':hi'];
    case 'reference':
      return ['', ':identifier'];
  }
}

/**
 * On MongoDB, an index for every stored search value, so scans of non-selective parameters use indexes.
 * Derived from the same parameter table as the search itself.
 */
export async function ensureIndexes(database: Database, types: string[]): Promise<void> {
  if (database.isFerretDb) return;
  for (const type of types) {
    const fields = parametersOf(type).flatMap((p) =>
      indexedFields(p).map((suffix) => `idx.${p.name}${suffix}`),
    );
    // values that must be unique (an NHS number, a vaccination's identifier) are refused twice by the
    // database too, so a create retried after a lost answer cannot store a second copy
    const unique = parametersOf(type)
      .filter((p) => p.unique)
      .map((p) => `idx.${p.name}:unique`);
    await database.db.collection(type).createIndexes([
      ...fields.map((f) => ({ key: { [f]: 1 } })),
      { key: { del: 1, 'srt._lastUpdated': 1 } },
      ...unique.map((f) => ({
        key: { [f]: 1 },
        name: `${f}_unique`,
        unique: true,
        partialFilterExpression: { [f]: { $exists: true } },
      })),
    ]);
  }
  // what is of no use once expired goes by itself (FerretDB has no TTL indexes: see Expiry)
  for (const name of EXPIRING_COLLECTIONS)
    await database.db.collection(name).createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
}
