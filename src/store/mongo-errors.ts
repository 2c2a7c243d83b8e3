import {
  MongoError,
  MongoNetworkError,
  MongoServerSelectionError,
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type Filter,
  type FindOptions,
  type OptionalUnlessRequiredId,
  type WithId,
} from 'mongodb';

/** The most `_id`s one lookup of many asks for (the embedded FerretDB looks up no more at once). */
const IDS_A_COMMAND = 1000;

/**
 * The documents with these `_id`s, in lists of up to 1,000: one command each, an index lookup on MongoDB
 * and on the embedded FerretDB (see ferretdb.ts), a third to a quarter of the cost of a lookup each.
 */
export async function findByIds<T extends Document>(
  collection: Collection<T>,
  ids: string[],
  options?: FindOptions,
): Promise<WithId<T>[]> {
  const lists = Array.from({ length: Math.ceil(ids.length / IDS_A_COMMAND) }, (_, i) =>
    ids.slice(i * IDS_A_COMMAND, (i + 1) * IDS_A_COMMAND),
  );
  const found = await Promise.all(
    lists.map((list) => collection.find({ _id: { $in: list } } as Filter<T>, options).toArray()),
  );
  return found.flat();
}

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoError && error.code === 11000;
}

/**
 * Inserts `docs` unordered; returns the positions of those whose `_id` was taken already. Any other
 * failure is thrown.
 */
export async function insertAllNew<T extends Document>(
  collection: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<number[]> {
  if (docs.length === 0) return [];
  try {
    await collection.insertMany(docs, { ordered: false });
    return [];
  } catch (error) {
    const failures = (error as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
    if (!failures || failures.length === 0 || failures.some((e) => e.code !== 11000)) throw error;
    return failures.map((e) => e.index);
  }
}

/**
 * Updates sent in one command. FerretDB 1.24.2 as published holds one of its 100 SQLite connections per
 * update of a command until the command ends, so a command of 100 updates never finished; the FerretDB
 * nims builds lets each go at once and writes a command's changes in one transaction (see ferretdb.ts).
 * SQLite writes one transaction at a time: larger commands update faster but keep other writes waiting
 * longer (measured beside batches of inserts: 200 a command, 13,900 updates and 30,300 inserts a second;
 * 1,000, 15,600 and 24,000).
 */
const UPDATES_PER_COMMAND = 200;

/** Runs update operations (updateOne, replaceOne) as unordered bulk writes of at most 200. */
export async function bulkUpdate<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
): Promise<void> {
  for (let i = 0; i < operations.length; i += UPDATES_PER_COMMAND)
    await collection.bulkWrite(operations.slice(i, i + UPDATES_PER_COMMAND), { ordered: false });
}

/** The database could not be reached, or was too busy to answer (as opposed to refusing an operation). */
export function isUnavailable(error: unknown): boolean {
  return (
    // SQLite (under FerretDB) gave up waiting for its single write lock
    (error instanceof MongoError && /SQLITE_BUSY/.test(error.message)) ||
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    (error instanceof MongoError &&
      ['MongoNotConnectedError', 'MongoTopologyClosedError', 'PoolClearedError'].includes(error.name))
  );
}
