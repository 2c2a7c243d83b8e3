import {
  MongoError,
  MongoNetworkError,
  MongoServerSelectionError,
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
