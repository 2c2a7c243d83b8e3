import { EXPIRING_COLLECTIONS } from './expiry.js';
import { MongoClient, type Db } from 'mongodb';
import { parametersOf, type SearchParamDef } from '../search/parameters.js';
import { logger } from '../shared/logger.js';

export interface Database {
  client: MongoClient;
  db: Db;
  /** FerretDB answers quickly only by `_id`; secondary indexes would cost writes and serve no query. */
  isFerretDb: boolean;
  close(): Promise<void>;
}

export async function connect(uri: string, dbName: string): Promise<Database> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: 100,
    ignoreUndefined: true,
  });
  await client.connect();
  const db = client.db(dbName);
  const buildInfo = await db.admin().command({ buildInfo: 1 });
  const isFerretDb = typeof buildInfo.ferretdbVersion === 'string';
  logger.info('database connected', { database: dbName, engine: isFerretDb ? 'ferretdb' : 'mongodb' });
  return { client, db, isFerretDb, close: () => client.close() };
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
    await database.db
      .collection(type)
      .createIndexes([
        ...fields.map((f) => ({ key: { [f]: 1 } })),
        { key: { del: 1, 'srt._lastUpdated': 1 } },
      ]);
  }
  // what is of no use once expired goes by itself (FerretDB has no TTL indexes: see Expiry)
  for (const name of EXPIRING_COLLECTIONS)
    await database.db.collection(name).createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
}
