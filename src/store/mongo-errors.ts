import { MongoError, MongoNetworkError, MongoServerSelectionError } from 'mongodb';

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoError && error.code === 11000;
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
