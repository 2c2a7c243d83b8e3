import type { Resource } from 'fhir/r4';
import type { FhirError } from '../fhir/errors.js';
import type { Filter } from '../search/criteria.js';
import type { PageCursor, SortKey } from '../search/controls.js';

/** One version of a resource as stored. A deletion is a version without a resource. */
export interface StoredVersion {
  type: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  resource?: Resource;
  /** The interaction that made this version. */
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
}

export interface WriteRequest {
  type: string;
  id: string;
  /** The new content; absent for a delete. `meta.versionId` and `meta.lastUpdated` are set by the store. */
  resource?: Resource;
  method: StoredVersion['method'];
  /** The write applies only if the current version is this one (If-Match); 0 means "must not exist". */
  expectedVersion?: number;
  /** The GP practice (ODS code) whose own message this write is (see HistoryDocument.origin). */
  origin?: string;
}

/** One update of `Repository.updateMany`: the new content of a resource whose current version is `expectedVersion`. */
export interface VersionUpdate {
  id: string;
  expectedVersion: number;
  resource: Resource;
}

/** What a write did, with enough to take it back (used by transactions that fail part-way). */
export interface WriteReceipt {
  type: string;
  id: string;
  version: number;
  /** The current document before the write, restored by an undo. */
  previous?: CurrentDocument;
  /** Posting entries the write added. */
  postings: string[];
  sequence: number;
}

export interface WriteResult {
  stored: StoredVersion;
  /** True when the write made the resource exist (create, or update of a new id). */
  created: boolean;
  /** Absent when nothing changed (deleting what is already deleted or absent). */
  receipt?: WriteReceipt;
}

export interface SearchQuery {
  type: string;
  filter: Filter;
  postingGroups: string[][];
  idGroups: string[][];
  sort: SortKey[];
  count: number;
  cursor?: PageCursor;
  countTotal: boolean;
  /** Search parameters whose stored values each match carries back (for `_include`); the rest stay unread. */
  carried?: string[];
}

export interface SearchMatch {
  stored: StoredVersion;
  /** Sort values of this match, for the page cursor. */
  sortValues: string[];
  /** Stored search values: those the query tested and those it asked to be carried back. */
  index: Record<string, unknown>;
}

export interface SearchPage {
  matches: SearchMatch[];
  total?: number;
  /** More matches exist beyond this page in the direction of travel. */
  more: boolean;
}

export interface HistoryQuery {
  type?: string;
  id?: string;
  /** Only versions stored at or after this time (epoch ms). */
  since?: number;
  count: number;
  /** Continue below this position (a version number for one resource, a change sequence otherwise). */
  before?: number;
}

export interface HistoryPage {
  versions: StoredVersion[];
  /** Position to continue from, when older entries may remain. */
  next?: number;
}

/** The `_id` of a version in its type's history collection. */
export const versionKey = (id: string, version: number) => `${id}/_history/${version}`;

/**
 * How long a version may sit in history ahead of its current copy before it counts as abandoned. A
 * write's change log entry comes before its current copy, so a follower that starts reading the log
 * where it stands may find the copies of the entries just before missing for that long.
 */
export const ABANDONED_WRITE_MS = 10_000;

/** A version of a resource as kept in `{type}_history`: `_id` is `{id}/_history/{v}`. */
export interface HistoryDocument {
  _id: string;
  id: string;
  v: number;
  ts: string;
  del: boolean;
  method: StoredVersion['method'];
  res?: Resource;
  /**
   * The GP practice (ODS code) whose own message made this version, if one did: it is not told of it
   * again. Kept on the version itself, so that no follower can see the version without it.
   */
  origin?: string;
}

/** The current version of a resource, as kept in its type's collection with its search and sort values. */
export interface CurrentDocument extends Omit<HistoryDocument, '_id'> {
  /** The logical id. */
  _id: string;
  /** A first version kept only here, not in history yet (created under an id the server made). */
  alone?: true;
  idx: Record<string, unknown>;
  srt: Record<string, string>;
}

/** A change this process made to the data, told to listeners after it is stored. */
export interface ChangeEvent {
  type: string;
  id: string;
  /** The change log number; absent when a write was taken back (the resource is as it was before). */
  sequence?: number;
  /** The content now; absent when the resource is deleted or no longer exists. */
  resource?: Resource;
  /** The content before; absent when it did not exist or was deleted. */
  previous?: Resource;
}

export interface Repository {
  /** Calls `listener` after each change this repository stores (not the audit trail's inserts). */
  onChange(listener: (event: ChangeEvent) => void): void;
  read(type: string, id: string): Promise<StoredVersion | undefined>;
  /** The current versions of these resources, by id; those never stored are not in the map. */
  readMany(type: string, ids: string[]): Promise<Map<string, StoredVersion>>;
  vread(type: string, id: string, version: number): Promise<StoredVersion | undefined>;
  write(request: WriteRequest): Promise<WriteResult>;
  /**
   * Stores new resources that will never change under fresh ids, in bulk, with no preconditions, as their
   * current copy only and outside the change log (so not in type or system history): the audit trail.
   */
  insertNew(type: string, resources: Resource[]): Promise<void>;
  /**
   * Creates new resources in bulk (version 1), with their postings and change log entries, as single
   * creates would; one whose unique value is held answers with that error in its place. No two of the
   * resources may share a unique value. Each gets a fresh id, or the one in `ids` at its place: an id the
   * caller chose and recorded before (a write that may have been cut short is completed, not repeated).
   */
  createMany(type: string, resources: Resource[], ids?: string[]): Promise<(StoredVersion | FhirError)[]>;
  /**
   * Stores the next version of existing resources in bulk, each as a single PUT with If-Match
   * `expectedVersion` would, answering in the same order. One whose current version is not the expected
   * one, or that does not exist or is deleted, answers 'precondition-failed' in its place and changes
   * nothing; one that loses a race with another writer answers 'version-conflict'.
   */
  updateMany(type: string, updates: VersionUpdate[]): Promise<(StoredVersion | FhirError)[]>;
  /** The live resource holding each value of a unique token parameter (`system|code`), found by postings. */
  holders(type: string, param: string, values: string[]): Promise<Map<string, StoredVersion>>;
  /**
   * The ids the postings list under a unique token value, the likely holder last, without reading them: a
   * guess to start dependent reads with, that `holders` confirms (it then answers from memory).
   */
  holderCandidates(type: string, param: string, value: string): Promise<string[]>;
  /** Takes back a write (transaction rollback). */
  undo(receipt: WriteReceipt): Promise<void>;
  search(query: SearchQuery): Promise<SearchPage>;
  history(query: HistoryQuery): Promise<HistoryPage>;
}
