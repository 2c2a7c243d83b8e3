import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Resource } from 'fhir/r4';
import type { Db } from 'mongodb';
import { fail, FhirError } from '../fhir/errors.js';
import { postingKey } from '../search/criteria.js';
import { cursorFilter, type SortKey } from '../search/controls.js';
import { indexValues, valuesOf } from '../search/index-values.js';
import { inMemory, matching } from '../search/in-memory.js';
import { ChangeLog, type ChangeDocument } from './changelog.js';
import { factsOf } from './change-facts.js';
import { GroupCommit } from '../shared/group-commit.js';
import { groupBy } from '../shared/group.js';
import { logger } from '../shared/logger.js';
import { isDuplicateKey } from './mongo-errors.js';
import { VersionCollection } from './kept-documents.js';
import { postingKeysOf, Postings, type Holding, type PostingKeys } from './postings.js';
import { RecentVersions } from './recent-versions.js';
import {
  ABANDONED_WRITE_MS,
  type ChangeEvent,
  type CurrentDocument,
  type HistoryDocument,
  type HistoryPage,
  type HistoryQuery,
  type Repository,
  type SearchMatch,
  type SearchPage,
  type SearchQuery,
  type StoredVersion,
  type VersionUpdate,
  type WriteReceipt,
  type WriteRequest,
  type WriteResult,
  versionKey,
} from './repository.js';
import type { LiveProcesses } from './processes.js';
import type { SlotDocument } from './slots.js';

/** Searches with more posting candidates than this read the collection instead of key by key. */
const MAX_POSTING_CANDIDATES = 2000;
const WRITE_ATTEMPTS = 20;
const REINDEX_BATCH = 500;

function toStored(type: string, doc: CurrentDocument | HistoryDocument, id: string): StoredVersion {
  return {
    type,
    id,
    versionId: doc.v,
    lastUpdated: doc.ts,
    deleted: doc.del,
    method: doc.method,
    ...(doc.res ? { resource: doc.res } : {}),
  };
}

/**
 * What a search reads of each resource: the version and its sort values, and of its search values only
 * those its filter tests and those its caller wants back. The rest (some twenty for a Patient) are most of
 * what the database would decode and send, and the server decode, for each.
 */
function searchProjection(query: SearchQuery): Record<string, 1> {
  const fields = new Set((query.carried ?? []).map((name) => `idx.${name}`));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        // a whole search value, not a part of one: paths inside it would collide with it
        if (key.startsWith('idx.')) fields.add(key.split('.', 2).join('.'));
        visit(value);
      }
  };
  visit(query.filter);
  const version = { id: 1, v: 1, ts: 1, del: 1, method: 1, res: 1, origin: 1, srt: 1 } as const;
  return { ...version, ...Object.fromEntries([...fields].map((field) => [field, 1 as const])) };
}

/** The resource's content without resourceType, id and meta, which the store puts first. */
function withoutIdentity(resource: Resource): Omit<Resource, 'resourceType' | 'id' | 'meta'> {
  const { resourceType: _type, id: _id, meta: _meta, ...content } = resource;
  return content;
}

/** The history document of the version a current copy holds. */
function historyOf(doc: CurrentDocument): HistoryDocument {
  const { _id, idx: _idx, srt: _srt, alone: _alone, ...version } = doc;
  return { ...version, _id: versionKey(doc.id, doc.v) };
}

function currentOf(doc: HistoryDocument): CurrentDocument {
  const { idx, srt } = doc.res ? indexValues(doc.res) : { idx: {}, srt: {} };
  return {
    _id: doc.id,
    id: doc.id,
    v: doc.v,
    ts: doc.ts,
    del: doc.del,
    method: doc.method,
    idx,
    srt,
    ...(doc.res ? { res: doc.res } : {}),
    ...(doc.origin ? { origin: doc.origin } : {}),
  };
}

/**
 * The two documents of one version: its history entry and the current copy with its search values.
 * `resource` absent means a deletion. The only place where stored documents are shaped.
 */
export function versionDocuments(
  id: string,
  version: number,
  ts: string,
  method: StoredVersion['method'],
  content?: Resource,
  origin?: string,
): { history: HistoryDocument; current: CurrentDocument } {
  const resource = content
    ? ({
        resourceType: content.resourceType,
        id,
        meta: { ...content.meta, versionId: String(version), lastUpdated: ts },
        ...withoutIdentity(content),
      } as Resource)
    : undefined;
  const history: HistoryDocument = {
    _id: versionKey(id, version),
    id,
    v: version,
    ts,
    del: !resource,
    method,
    ...(resource ? { res: resource } : {}),
    ...(origin ? { origin } : {}),
  };
  return { history, current: currentOf(history) };
}

/** The posting keys a new version has that the live version it replaces had not. */
function addedPostingKeys(
  type: string,
  document: CurrentDocument,
  live: CurrentDocument | undefined,
): PostingKeys {
  const before = postingKeysOf(type, live?.idx ?? {}).all;
  const after = postingKeysOf(type, document.idx);
  const all = after.all.filter((key) => !before.includes(key));
  return { all, unique: new Set(all.filter((key) => after.unique.has(key))) };
}

/** The refusal of a write whose If-Match version is not the current one. */
function notCurrent(type: string, id: string, expected: number, current: CurrentDocument | null): FhirError {
  const actual = current ? ` (${current.v} is${current.del ? ', a deletion' : ''})` : ' (it does not exist)';
  return new FhirError([
    {
      code: 'precondition-failed',
      diagnostics: `Version ${expected} is not the current version of ${type}/${id}${actual}`,
    },
  ]);
}

/** The refusal of a conditional write that another writer overtook between its read and its write. */
const changedMeanwhile = (type: string, id: string) =>
  new FhirError([
    {
      code: 'version-conflict',
      diagnostics: `${type}/${id} was changed by another request at the same time`,
    },
  ]);

/** What listeners hear of a stored version; `live` is the version it replaced, unless that was a deletion. */
function changeEvent(
  type: string,
  sequence: number,
  document: CurrentDocument,
  live: CurrentDocument | undefined,
): ChangeEvent {
  return {
    type,
    id: document.id,
    sequence,
    ...(document.res ? { resource: document.res } : {}),
    ...(live?.res ? { previous: live.res } : {}),
  };
}

/** The change log entry of a stored version. */
function changeEntry(
  type: string,
  doc: HistoryDocument | CurrentDocument,
): Omit<ChangeDocument, '_id' | 'seq'> {
  return {
    type,
    id: doc.id,
    v: doc.v,
    ts: doc.ts,
    ...(doc.origin ? { origin: doc.origin } : {}),
    ...factsOf(type, doc.res),
  };
}

/**
 * Whether the write of a version stamped `ts` took so long that a repair may have completed it meanwhile
 * (and a later version followed), so its writer must settle which version is current. Repairs wait
 * ABANDONED_WRITE_MS from the version's time, which is taken before its postings are written; half of it
 * leaves room for clocks apart.
 */
const mayBeOvertaken = (ts: string, now: Date) => now.getTime() - Date.parse(ts) > ABANDONED_WRITE_MS / 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The repository on MongoDB or FerretDB. Every hot path is a lookup or write by `_id`:
 * - every version goes into `{type}_history` (`_id` = `{id}/_history/{v}`). Inserting version n+1 is what
 *   decides between racing writers: exactly one insert of a key succeeds. A first version under an id
 *   the server made has no racer and goes in only when a later version replaces it (see createTogether);
 * - the current version is then copied to the type's collection (`_id` = logical id), with its search
 *   and sort values, for reads and searches. A write that dies between the two steps is completed by the
 *   next writer of that resource;
 * - postings for selective search parameters and the change log for history (see postings.ts, changelog.ts).
 */
export class MongoRepository implements Repository {
  private readonly postings: Postings;
  private readonly changes: ChangeLog;
  private readonly listeners: ((event: ChangeEvent) => void)[] = [];
  /** Versions this process stored lately: read back without the database. */
  private readonly recent = new RecentVersions();
  // a create's id is one the server just made (see FhirService.create)
  private readonly creates = new GroupCommit((type: string, requests: WriteRequest[]) =>
    this.createTogether(type, requests, true),
  );

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
    /** The server processes alive: an identifier claimed by a write of a dead one is free at once. */
    processes?: LiveProcesses,
  ) {
    this.postings = new Postings(
      db.collection<SlotDocument>('postings'),
      (key, holder, writerGone) => this.holds(key, holder, writerGone),
      processes,
    );
    this.changes = ChangeLog.of(db);
  }

  onChange(listener: (event: ChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  private tell(event: ChangeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // a listener's defect must not fail a write that is already stored
        logger.error('change listener failed', { error: String(error), type: event.type });
      }
    }
  }

  /**
   * Tells listeners of a stored version, once it is current. Its change log entry is handed to the log's
   * followers in this process from then on, not before: a follower that met it earlier would read a
   * current copy not yet written.
   */
  private announce(
    type: string,
    sequence: number,
    document: CurrentDocument,
    live: CurrentDocument | undefined,
  ): void {
    this.recent.remember(toStored(type, document, document.id), document.alone === true);
    this.changes.remember({ _id: String(sequence), seq: sequence, ...changeEntry(type, document) });
    this.tell(changeEvent(type, sequence, document, live));
  }

  /** Each collection's own, so that lookups asked for at the same time go together. */
  private readonly collections = new Map<string, VersionCollection<CurrentDocument & HistoryDocument>>();

  private collection(name: string): VersionCollection<CurrentDocument & HistoryDocument> {
    let collection = this.collections.get(name);
    if (!collection) {
      collection = new VersionCollection(this.db.collection(name));
      this.collections.set(name, collection);
    }
    return collection;
  }

  private current(type: string): VersionCollection<CurrentDocument> {
    return this.collection(type);
  }

  private versions(type: string): VersionCollection<HistoryDocument> {
    return this.collection(`${type}_history`);
  }

  async read(type: string, id: string): Promise<StoredVersion | undefined> {
    const doc = await this.current(type).findById(id, { projection: { idx: 0, srt: 0 } });
    return doc ? toStored(type, doc, id) : undefined;
  }

  async readMany(type: string, ids: string[]): Promise<Map<string, StoredVersion>> {
    const docs = await this.current(type).findMany([...new Set(ids)], { projection: { idx: 0, srt: 0 } });
    return new Map(docs.map((doc) => [doc._id, toStored(type, doc, doc._id)]));
  }

  async vread(type: string, id: string, version: number): Promise<StoredVersion | undefined> {
    const recent = this.recent.get(type, id, version);
    if (recent) return recent;
    const doc = await this.versions(type).findById(versionKey(id, version));
    if (doc) return toStored(type, doc, id);
    // a first version not replaced yet (see createTogether), and resources stored by insertNew, are only
    // in the type's collection
    const current = await this.current(type).findById(id, { projection: { idx: 0, srt: 0 } });
    return current?.v === version ? toStored(type, current, id) : undefined;
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    // creates under fresh server-made ids have nothing to look up: those arriving together are stored together
    if (request.method === 'POST' && request.resource) {
      const committed = await this.creates.submit(request.type, request);
      if (committed) return committed;
    }
    return this.writeOne(request);
  }

  /** A write on its own: the create a group refused, or any other. */
  private async writeOne(request: WriteRequest): Promise<WriteResult> {
    const { type, id, expectedVersion } = request;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      // a create refused by the group commit still has nothing to look up: its insert proves it is new
      const current =
        request.method === 'POST' && attempt === 0 ? null : await this.current(type).findById(id);
      if (expectedVersion !== undefined && (current?.v ?? 0) !== expectedVersion)
        throw notCurrent(type, id, expectedVersion, current);
      if (!request.resource && (!current || current.del)) {
        return { stored: current ? toStored(type, current, id) : this.absent(type, id), created: false };
      }
      const won = await this.tryWrite(request, current);
      if (won) return won;
      if (expectedVersion !== undefined) throw changedMeanwhile(type, id);
      await sleep(2 + Math.random() * 10 * (attempt + 1));
    }
    fail('version-conflict', `${type}/${id} is being changed by other requests; try again`);
  }

  async createMany(
    type: string,
    resources: Resource[],
    ids?: string[],
  ): Promise<(StoredVersion | FhirError)[]> {
    const requests = resources.map((resource, i) => ({
      type,
      id: ids?.[i] ?? randomUUID(),
      resource,
      method: 'POST' as const,
    }));
    const committed = await this.createTogether(type, requests, ids === undefined);
    return Promise.all(
      requests.map(async (request, i) => {
        try {
          return (committed[i] ?? (await this.writeOne(request))).stored;
        } catch (error) {
          if (error instanceof FhirError) return error;
          throw error;
        }
      }),
    );
  }

  /**
   * The steps of `tryWrite` for many new resources at once, in the same order and so with the same crash
   * safety: postings, history, change log entries, current copies, each one command for all. A resource
   * with a unique value someone held before (its earlier holders must be checked), one sharing a unique
   * value with another of the group, or one whose id is taken is answered undefined: it takes the
   * one-by-one path. Under `serverIds` (made by the server for these creates) no other writer can take
   * the id, so there is nothing for a history insert to decide: the first version is kept as its current
   * copy alone until a later one replaces it (see insertVersions). A create cut off before its copy is then
   * not stored at all; its change log entry names nothing, and the log's followers wait for its copy for
   * ABANDONED_WRITE_MS, then pass over it.
   */
  private async createTogether(
    type: string,
    requests: WriteRequest[],
    serverIds: boolean,
  ): Promise<(WriteResult | undefined)[]> {
    const ts = this.now().toISOString();
    const docs = requests.map(({ id, resource, origin }) => {
      const documents = versionDocuments(id, 1, ts, 'POST', resource, origin);
      return { ...documents, keys: postingKeysOf(type, documents.current.idx) };
    });
    const { refused, slots } = await this.postings.addMany(
      docs.map(({ current, keys }) => ({ id: current.id, keys })),
    );
    const listed = docs.filter(({ current }) => !refused.has(current.id));
    const taken = new Set(
      serverIds
        ? []
        : (await this.versions(type).insertAllNew(listed.map((d) => d.history))).map(
            (i) => listed[i]!.current.id,
          ),
    );
    const fresh = listed.filter(({ current }) => !taken.has(current.id));
    if (serverIds) for (const { current } of fresh) current.alone = true;
    // entries before current copies, as in a single write
    const sequences = await this.changes.appendMany(fresh.map(({ current }) => changeEntry(type, current)));
    const copied = await this.current(type).insertAllNew(fresh.map((d) => d.current));
    // a repair copied some first (this writer stalled): keep whatever is newest. A copy inserted here
    // was first, however slow the group: a repair coming later finds it current
    await Promise.all(copied.map((i) => this.settle(type, fresh[i]!.current.id, 1)));
    const results = new Map(
      fresh.map(({ current }, i): [string, WriteResult] => {
        const sequence = sequences[i]!;
        this.announce(type, sequence, current, undefined);
        const receipt = { type, id: current.id, version: 1, postings: slots.get(current.id) ?? [], sequence };
        return [current.id, { stored: toStored(type, current, current.id), created: true, receipt }];
      }),
    );
    return requests.map(({ id }) => results.get(id));
  }

  /**
   * The steps of `tryWrite` for many resources at once, in the same order and so with the same crash
   * safety: postings, then the insert of each next version into history, which decides between racing
   * writers (exactly one insert of a version key succeeds) and is made only for updates whose expected
   * version was current when read, so a refused update leaves nothing behind; then the current copies and
   * the change log. A crash after the history insert leaves a version that the next writer of that
   * resource completes (`repairAbandoned`), as after a single write. Replacing the current copy first, on
   * `{_id, v: expected}`, would not do: single writers decide by the history insert, so one could still
   * take the same version and overwrite it, and on FerretDB that filter reads the whole collection.
   */
  async updateMany(type: string, updates: VersionUpdate[]): Promise<(StoredVersion | FhirError)[]> {
    const ts = this.now().toISOString();
    // a version this process stored lately is taken as current without a lookup: if another has followed
    // it, the history insert below is refused and says so. Others are looked up together
    const remembered = updates.map(({ id, expectedVersion }) =>
      this.recentCurrent(type, id, expectedVersion),
    );
    const looked = await this.current(type).findMany(
      updates.filter((_, i) => !remembered[i]).map((u) => u.id),
    );
    const lookedUp = new Map(looked.map((doc) => [doc._id, doc]));
    const currents = updates.map(({ id }, i) => remembered[i] ?? lookedUp.get(id));
    const results: (StoredVersion | FhirError)[] = [];
    const accepted = updates.flatMap(({ id, expectedVersion, resource }, index) => {
      const live = currents[index] ?? null;
      if (!live || live.del || live.v !== expectedVersion) {
        results[index] = notCurrent(type, id, expectedVersion, live);
        return [];
      }
      return [{ index, live, ...versionDocuments(id, expectedVersion + 1, ts, 'PUT', resource) }];
    });
    const { refused } = await this.postings.addMany(
      accepted.map(({ live, current }) => ({ id: current.id, keys: addedPostingKeys(type, current, live) })),
    );
    const listed = await Promise.all(
      accepted.map(async ({ index, live, current }) => {
        if (!refused.has(current.id)) return true;
        try {
          await this.addPostings(type, current, live);
          return true;
        } catch (error) {
          // a unique value another resource holds refuses this update only
          if (!(error instanceof FhirError)) throw error;
          results[index] = error;
          return false;
        }
      }),
    );
    const writes = accepted.filter((_, i) => listed[i]);
    const taken = new Set(
      await this.insertVersions(
        type,
        writes.map(({ history, live }) => ({ history, replaced: live })),
      ),
    );
    const won = writes.filter((_, i) => !taken.has(i));
    const lost = writes.filter((_, i) => taken.has(i));
    const [sequences] = await Promise.all([
      // entries before current copies, as in a single write
      this.changes.appendMany(won.map(({ current }) => changeEntry(type, current))).then(async (numbers) => {
        await this.replaceCurrent(type, won);
        return numbers;
      }),
      ...lost.map(async ({ index, current: c }) => {
        await this.repairAbandoned(type, c.id, c.v);
        // moved on before this call (its version was taken from memory), or under way beside it
        const now = await this.current(type).findById(c.id);
        results[index] =
          now && now.v !== c.v - 1 ? notCurrent(type, c.id, c.v - 1, now) : changedMeanwhile(type, c.id);
      }),
    ]);
    if (mayBeOvertaken(ts, this.now()))
      await this.settleAll(
        type,
        won.map((w) => w.current),
      );
    won.forEach(({ index, live, current }, i) => {
      this.announce(type, sequences[i]!, current, live);
      results[index] = toStored(type, current, current.id);
    });
    return results;
  }

  /**
   * Copies versions that won their history insert to the current collection. The filter is `_id` alone,
   * as in a single write: the insert already decided, and only a `_id` filter is a lookup on FerretDB.
   */
  private async replaceCurrent(type: string, writes: { current: CurrentDocument }[]): Promise<void> {
    await this.current(type).replaceAll(writes.map((w) => w.current));
  }

  async holderCandidates(type: string, param: string, value: string): Promise<string[]> {
    const key = postingKey(type, param, value);
    return (await this.postings.get([key], true)).lists.get(key) ?? [];
  }

  async holders(type: string, param: string, values: string[]): Promise<Map<string, StoredVersion>> {
    const found = new Map<string, StoredVersion>();
    const look = async (wanted: string[], useCache: boolean): Promise<boolean> => {
      const keys = wanted.map((v) => postingKey(type, param, v));
      const { lists, cached } = await this.postings.get(keys, useCache);
      const ids = [...new Set(keys.flatMap((k) => lists.get(k) ?? []))];
      const docs = new Map((await this.current(type).findMany(ids)).map((doc) => [doc._id, doc]));
      wanted.forEach((value, i) => {
        // the newest listed holder that still has the value
        for (const id of [...(lists.get(keys[i]!) ?? [])].reverse()) {
          const doc = docs.get(id);
          if (doc && !doc.del && valuesOf(doc.idx, param).includes(value)) {
            found.set(value, toStored(type, doc, id));
            return;
          }
        }
      });
      return cached;
    };
    // a remembered holder may have let its value go: those values are looked up again in the postings
    if (await look(values, true))
      await look(
        values.filter((v) => !found.has(v)),
        false,
      );
    return found;
  }

  async insertNew(type: string, resources: Resource[]): Promise<void> {
    const ts = this.now().toISOString();
    const docs = resources.map((r) => versionDocuments(randomUUID(), 1, ts, 'POST', r));
    // postings first, as in a single write: an extra entry is harmless, a missing one is not
    await this.postings.addNew(
      docs.flatMap(({ current }) =>
        postingKeysOf(type, current.idx).all.map((key) => ({ key, id: current.id })),
      ),
    );
    // only the current copy: such resources never change, so their first version is their only one
    // (vread finds it there), and they stay out of the change log, which is about the data's history
    await this.current(type).insertMany(docs.map((d) => d.current));
  }

  private absent(type: string, id: string): StoredVersion {
    return { type, id, versionId: 0, lastUpdated: this.now().toISOString(), deleted: true, method: 'DELETE' };
  }

  /** One attempt at writing the next version; undefined when another writer took that version first. */
  private async tryWrite(
    request: WriteRequest,
    current: CurrentDocument | null,
  ): Promise<WriteResult | undefined> {
    const { type, id, method } = request;
    const version = (current?.v ?? 0) + 1;
    const { history, current: document } = versionDocuments(
      id,
      version,
      this.now().toISOString(),
      method,
      request.resource,
      request.origin,
    );
    const live = current && !current.del ? current : undefined;
    const postings = await this.addPostings(type, document, live);
    if ((await this.insertVersions(type, [{ history, replaced: current }])).length > 0) {
      await this.repairAbandoned(type, id, version);
      return undefined;
    }
    // the change log entry before the current copy: a version that is current has its entry, and one
    // cut off before its copy is completed, entry and all, by repairAbandoned
    const sequence = await this.changes.append(changeEntry(type, history));
    // a first version has no current copy yet: an insert is cheaper than an upsert, and one that
    // succeeds was first, so only a refused one (a repair copied it first) needs settling
    if (version === 1)
      await this.current(type)
        .insertOne(document)
        .catch(async (error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
          await this.settle(type, id, version);
        });
    else {
      await this.current(type).replaceOne(document);
      // the replace may have put this version over a later one, written after a repair completed it
      if (mayBeOvertaken(history.ts, this.now())) await this.settle(type, id, version);
    }
    const receipt: WriteReceipt = {
      type,
      id,
      version,
      postings,
      sequence,
      ...(current ? { previous: current } : {}),
    };
    this.announce(type, sequence, document, live);
    return { stored: toStored(type, document, id), created: !live && !document.del, receipt };
  }

  /**
   * Inserts new versions into history, where exactly one insert of each version succeeds: that decides
   * between writers racing for it. A first version kept only as its current copy (see createTogether)
   * goes in with them, so that it can still be read once replaced. Answers the positions of the versions
   * another writer took first.
   */
  private async insertVersions(
    type: string,
    versions: { history: HistoryDocument; replaced: CurrentDocument | null | undefined }[],
  ): Promise<number[]> {
    const firsts = versions.flatMap(({ replaced }) => (replaced?.alone ? [historyOf(replaced)] : []));
    const taken = await this.versions(type).insertAllNew([...firsts, ...versions.map((v) => v.history)]);
    // a first version already in history is no refusal: only the new versions' inserts decide
    return taken.filter((i) => i >= firsts.length).map((i) => i - firsts.length);
  }

  /**
   * Lists a new version under the keys it has and the live version it replaces had not. Postings go first
   * in every write: a crash after this leaves an extra entry (searches re-check), never a missing one.
   */
  private addPostings(
    type: string,
    document: CurrentDocument,
    live: CurrentDocument | undefined,
  ): Promise<string[]> {
    const { all, unique } = addedPostingKeys(type, document, live);
    return this.postings.add(all, unique, document.id);
  }

  /** The current copy of a version this process stored lately, as the database would answer it. */
  private recentCurrent(type: string, id: string, version: number): CurrentDocument | undefined {
    const stored = this.recent.get(type, id, version);
    if (!stored?.resource) return undefined;
    const { lastUpdated: ts, method, resource: res } = stored;
    const current = currentOf({ _id: versionKey(id, version), id, v: version, ts, del: false, method, res });
    return this.recent.isAlone(type, id, version) ? { ...current, alone: true } : current;
  }

  /**
   * A writer that stalled between its two steps may have copied its version over a newer one that a
   * repair completed meanwhile: if history holds a later version, the latest is copied again.
   */
  private async settle(type: string, id: string, version: number): Promise<void> {
    let newest: HistoryDocument | null = null;
    for (let v = version + 1; ; v++) {
      const doc = await this.versions(type).findById(versionKey(id, v));
      if (!doc) break;
      newest = doc;
    }
    if (newest) await this.current(type).replaceOne(currentOf(newest));
  }

  /** `settle` for many versions: whether any has a later version is one lookup for all. */
  private async settleAll(type: string, written: { id: string; v: number }[]): Promise<void> {
    const later = await this.versions(type).findMany(written.map(({ id, v }) => versionKey(id, v + 1)));
    await Promise.all(later.map((doc) => this.settle(type, doc.id, doc.v - 1)));
  }

  /**
   * A history version with no current copy is a write that died between its steps: once old (or at
   * once when its writer is known to be gone), it is completed. Inserting the version was what made it stored, so its postings, change log entry (unless
   * the writer got that far) and copy follow.
   */
  private async repairAbandoned(
    type: string,
    id: string,
    version: number,
    writerGone = false,
  ): Promise<void> {
    const [doc, current] = await Promise.all([
      this.versions(type).findById(versionKey(id, version)),
      this.current(type).findById(id),
    ]);
    if (!doc || (current && current.v >= version)) return;
    if (!writerGone && this.now().getTime() - Date.parse(doc.ts) < ABANDONED_WRITE_MS) return;
    // the writer that died may not have got its replaced first version into history
    if (current?.alone) await this.versions(type).insertAllNew([historyOf(current)]);
    const repaired = currentOf(doc);
    const keys = postingKeysOf(type, repaired.idx);
    await this.postings.add(keys.all, keys.unique, id).catch(() => undefined);
    const entry = changeEntry(type, doc);
    const sequence = (await this.changes.find(entry)) ?? (await this.changes.append(entry));
    await this.current(type).replaceOne(repaired);
    logger.warn('completed a write cut off by a crash', { type, id, version });
    this.announce(type, sequence, repaired, current && !current.del ? current : undefined);
  }

  /** Whether anything of `type` was ever stored (a deletion too). */
  async holdsAny(type: string): Promise<boolean> {
    return (await this.current(type).findOne({}, { projection: { _id: 1 } })) !== null;
  }

  /**
   * Works out the search values of every current `type` resource again (after the type's search
   * parameters changed) and stores those that differ, in batches, calling `progress` with the count read.
   * A resource written meanwhile keeps its writer's values (the update is conditional on the version).
   * A posting a resource no longer has stays (searches re-check postings), a new one is added.
   */
  async reindex(type: string, progress: (read: number) => void): Promise<number> {
    let read = 0;
    let changed = 0;
    let batch: CurrentDocument[] = [];
    const store = async () => {
      const fresh = batch.flatMap((doc) => {
        const { idx, srt } = indexValues(doc.res!);
        // compared whatever the order of keys: only real differences are written
        return isDeepStrictEqual([idx, srt], [doc.idx, doc.srt]) ? [] : [{ doc, idx, srt }];
      });
      for (const { doc, idx } of fresh) {
        const keys = postingKeysOf(type, idx);
        const had = new Set(postingKeysOf(type, doc.idx).all);
        // a unique value another resource claims stays with that one; this resource is found by scan
        await this.postings
          .add(
            keys.all.filter((k) => !had.has(k)),
            keys.unique,
            doc._id,
          )
          .catch(() => undefined);
      }
      await this.current(type).setWhereVersion(
        fresh.map(({ doc, idx, srt }) => ({ _id: doc._id, v: doc.v, set: { idx, srt } })),
      );
      changed += fresh.length;
      batch = [];
    };
    for await (const doc of this.current(type).find({}, { batchSize: REINDEX_BATCH })) {
      if (doc.del || !doc.res) continue;
      batch.push(doc);
      read++;
      if (batch.length >= REINDEX_BATCH) {
        await store();
        progress(read);
      }
    }
    await store();
    progress(read);
    return changed;
  }

  /** Takes a write back: the previous current document returns, the version and its postings go. */
  async undo(receipt: WriteReceipt): Promise<void> {
    const { type, id, version, previous } = receipt;
    const written = await this.current(type).findById(id, { projection: { idx: 0, srt: 0 } });
    if (written && written.v !== version) return; // someone wrote after us; their version stands
    this.recent.forget(type, id, version);
    // a first version created under a server-made id is only its current copy
    const undone = (await this.versions(type).findById(versionKey(id, version))) ?? written;
    if (previous) await this.current(type).replaceOne(previous);
    else await this.current(type).deleteOne(id);
    await Promise.all([
      this.versions(type).deleteOne(versionKey(id, version)),
      this.postings.remove(receipt.postings),
      this.changes.remove(receipt.sequence),
    ]);
    this.tell({
      type,
      id,
      ...(previous && !previous.del && previous.res ? { resource: previous.res } : {}),
      ...(undone?.res ? { previous: undone.res } : {}),
    });
  }

  /** Whether `holder` (of the posting's type) currently carries the value of `key`. */
  private async holds(key: string, holder: string, writerGone: boolean): Promise<Holding> {
    const [type, param] = key.split('|') as [string, string];
    const value = key.slice(type.length + param.length + 2);
    const currentOfHolder = () => this.current(type).findById(holder, { projection: { idx: 1, del: 1 } });
    let doc = await currentOfHolder();
    if (!doc) {
      // a first version stored by a write that was cut off before its copy: completed, it holds the value
      await this.repairAbandoned(type, holder, 1, writerGone);
      doc = await currentOfHolder();
    }
    if (!doc) return 'absent';
    return !doc.del && valuesOf(doc.idx, param).includes(value) ? 'yes' : 'no';
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const fromCache = await this.candidates(query, true);
    if (fromCache && fromCache.ids.length <= MAX_POSTING_CANDIDATES) {
      const page = await this.searchCandidates(query, fromCache.ids);
      // a remembered holder of a unique value may have let it go: then read the postings themselves
      if (!fromCache.cached || page.total !== 0) return page;
      const fresh = await this.candidates(query, false);
      if (fresh && fresh.ids.length <= MAX_POSTING_CANDIDATES) return this.searchCandidates(query, fresh.ids);
    }
    return this.searchCollection(query);
  }

  /** Ids that can match, from postings and `_id` values; undefined when neither narrows the search. */
  private async candidates(
    query: SearchQuery,
    useCache: boolean,
  ): Promise<{ ids: string[]; cached: boolean } | undefined> {
    const groups = [...query.idGroups];
    let cached = false;
    if (query.postingGroups.length > 0) {
      const postings = await this.postings.get([...new Set(query.postingGroups.flat())], useCache);
      cached = postings.cached;
      for (const keys of query.postingGroups) {
        const lists = keys.map((key) => postings.lists.get(key));
        // a key too common to list narrows nothing
        if (lists.every((list) => list !== undefined)) groups.push(lists.flat());
      }
    }
    if (groups.length === 0) return undefined;
    const [first, ...rest] = groups.map((g) => new Set(g));
    return { ids: [...first!].filter((id) => rest.every((g) => g.has(id))), cached };
  }

  private mongoSort(sort: SortKey[], backwards: boolean): Record<string, 1 | -1> {
    return Object.fromEntries(sort.map((s) => [s.path, s.descending !== backwards ? -1 : 1]));
  }

  private pageFilter(query: SearchQuery): Record<string, unknown> {
    return query.cursor ? { $and: [query.filter, cursorFilter(query.sort, query.cursor)] } : query.filter;
  }

  private toMatches(query: SearchQuery, docs: CurrentDocument[]): SearchPage {
    const more = docs.length > query.count;
    const page = docs.slice(0, query.count);
    if (query.cursor?.backwards) page.reverse();
    const matches: SearchMatch[] = page.map((doc) => ({
      stored: toStored(query.type, doc, doc._id),
      sortValues: query.sort.map((s) => (s.path === '_id' ? doc._id : (doc.srt[s.path.slice(4)] ?? ''))),
      // absent when the search tested none and carries none back
      index: doc.idx ?? {},
    }));
    return { matches, more };
  }

  private async searchCandidates(query: SearchQuery, ids: string[]): Promise<SearchPage> {
    const docs = await this.current(query.type).findMany(ids, { projection: searchProjection(query) });
    // the filter the database would run, checked on each candidate's current version
    const matches = matching(query.filter, docs);
    const inPage = query.cursor ? matching(cursorFilter(query.sort, query.cursor), matches) : matches;
    // most searches by a selective value find one resource: nothing to order
    const page =
      inPage.length <= 1
        ? inPage
        : inMemory({})
            .find<CurrentDocument>(inPage)
            .sort(this.mongoSort(query.sort, query.cursor?.backwards ?? false))
            .limit(query.count + 1)
            .all();
    return { ...this.toMatches(query, page), total: matches.length };
  }

  private async searchCollection(query: SearchQuery): Promise<SearchPage> {
    const collection = this.current(query.type);
    const [docs, total] = await Promise.all([
      collection
        .find(this.pageFilter(query), {
          sort: this.mongoSort(query.sort, query.cursor?.backwards ?? false),
          limit: query.count + 1,
          projection: searchProjection(query),
        })
        .toArray(),
      query.countTotal ? collection.countDocuments(query.filter) : Promise.resolve(undefined),
    ]);
    const page = this.toMatches(query, docs);
    // a first page that holds everything knows its total without counting
    const known = total ?? (!query.cursor && !page.more ? page.matches.length : undefined);
    return { ...page, ...(known !== undefined ? { total: known } : {}) };
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    return query.id && query.type
      ? this.instanceHistory(query.type, query.id, query)
      : this.logHistory(query);
  }

  private async instanceHistory(type: string, id: string, query: HistoryQuery): Promise<HistoryPage> {
    const current = await this.current(type).findById(id, { projection: { idx: 0, srt: 0 } });
    if (!current) return { versions: [] };
    const top = Math.min(current.v, (query.before ?? Infinity) - 1);
    const wanted = Array.from({ length: Math.max(0, Math.min(query.count, top)) }, (_, i) => top - i);
    // the current version is read already; a first version not replaced yet is only there
    const older = wanted.filter((v) => v !== current.v);
    const found =
      older.length > 0 ? await this.versions(type).findMany(older.map((v) => versionKey(id, v))) : [];
    const byVersion = new Map<number, CurrentDocument | HistoryDocument>(found.map((doc) => [doc.v, doc]));
    if (wanted.includes(current.v)) byVersion.set(current.v, current);
    const docs = wanted.flatMap((v) => byVersion.get(v) ?? []);
    const versions = docs
      .filter((d) => query.since === undefined || Date.parse(d.ts) >= query.since)
      .map((d) => toStored(type, d, id));
    const last = wanted[wanted.length - 1];
    const reachedSince = versions.length < docs.length;
    return { versions, ...(last !== undefined && last > 1 && !reachedSince ? { next: last } : {}) };
  }

  /** Type or system history from the change log; one page reads at most `scanLimit` log numbers. */
  private async logHistory(query: HistoryQuery): Promise<HistoryPage> {
    const scanLimit = Math.max(10_000, query.count * 10);
    const end = (await this.changes.last()) + 1;
    // a position beyond the end (a forged or stale page link) starts at the end
    const start = Math.min(query.before ?? end, end);
    const floor = start - scanLimit;
    const picked: { type: string; id: string; v: number }[] = [];
    let next: number | undefined = floor > 1 ? floor : undefined;
    for await (const change of this.changes.backwards(start, floor)) {
      // the log is in storage order, and a version's time is taken just before it is logged, so once
      // entries are older than `since` by more than a write can take, everything further back is too
      const ts = Date.parse(change.ts);
      if (query.since !== undefined && ts < query.since - ABANDONED_WRITE_MS) {
        next = undefined;
        break;
      }
      if (query.since !== undefined && ts < query.since) continue;
      if (!query.type || change.type === query.type) picked.push(change);
      if (picked.length >= query.count) {
        next = change.seq;
        break;
      }
    }
    // each type's versions looked up together; two types may use the same ids
    const types = [...new Set(picked.map((c) => c.type))];
    const found = await Promise.all(
      types.map((type) =>
        this.versions(type).findMany(picked.filter((c) => c.type === type).map((c) => versionKey(c.id, c.v))),
      ),
    );
    const byKey = new Map<string, HistoryDocument | CurrentDocument>(
      types.flatMap((type, i) => found[i]!.map((doc) => [`${type}|${doc._id}`, doc])),
    );
    // first versions not replaced yet are only current copies (see createTogether)
    const unfound = picked.filter((c) => c.v === 1 && !byKey.has(`${c.type}|${versionKey(c.id, 1)}`));
    await Promise.all(
      [...groupBy(unfound, (c) => c.type)].map(async ([type, changes]) => {
        const currents = await this.current(type).findMany(
          changes.map((c) => c.id),
          { projection: { idx: 0, srt: 0 } },
        );
        for (const doc of currents) if (doc.v === 1) byKey.set(`${type}|${versionKey(doc.id, 1)}`, doc);
      }),
    );
    const versions = picked.flatMap((c) => {
      const doc = byKey.get(`${c.type}|${versionKey(c.id, c.v)}`);
      return doc ? [toStored(c.type, doc, c.id)] : [];
    });
    return { versions, ...(next !== undefined && next > 1 ? { next } : {}) };
  }
}
