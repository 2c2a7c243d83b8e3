import {
  MongoError,
  MongoNetworkError,
  MongoServerSelectionError,
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type OptionalUnlessRequiredId,
} from 'mongodb';

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
 * Updates sent in one command. FerretDB 1.24.2 (SQLite) holds one of its 100 connections per matched
 * statement until the whole command ends, so a command of 100 updates (or several at once that add up to
 * that) waits forever for a connection and stalls the whole database (measured: 99 take 95 ms, 100 never
 * finish). Small commands cost nothing: SQLite writes one at a time anyway (about 1 ms each).
 */
const UPDATES_PER_COMMAND = 25;
/**
 * Update statements of such commands under way at once in this process: the commands of several callers
 * must not add up to FerretDB's connections either, and half of them stay free for other commands.
 */
const UPDATES_AT_ONCE = 50;
let updatesUnderWay = 0;
const waitingForUpdates: (() => void)[] = [];

/** Runs update operations (updateOne, replaceOne) as a few small unordered bulk writes, one after another. */
export async function bulkUpdate<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
): Promise<void> {
  for (let i = 0; i < operations.length; i += UPDATES_PER_COMMAND) {
    const command = operations.slice(i, i + UPDATES_PER_COMMAND);
    while (updatesUnderWay + command.length > UPDATES_AT_ONCE)
      await new Promise<void>((resolve) => waitingForUpdates.push(resolve));
    updatesUnderWay += command.length;
    try {
      await collection.bulkWrite(command, { ordered: false });
    } finally {
      updatesUnderWay -= command.length;
      for (const wake of waitingForUpdates.splice(0)) wake();
    }
  }
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
