import type { Resource } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import { Query } from 'mingo';
import { fail } from '../fhir/errors.js';
import { cursorFilter, type SortKey } from '../search/controls.js';
import { indexValues } from '../search/index-values.js';
import { ChangeLog } from './changelog.js';
import { isDuplicateKey } from './mongo-errors.js';
import { postingKeysOf, Postings, type PostingDocument } from './postings.js';
import type {
  CurrentDocument,
  HistoryPage,
  HistoryQuery,
  Repository,
  SearchMatch,
  SearchPage,
  SearchQuery,
  StoredVersion,
  WriteReceipt,
  WriteRequest,
  WriteResult,
} from './repository.js';

/** One version of a resource in its type's history collection; `_id` is `{id}/_history/{version}`. */
interface VersionDocument {
  _id: string;
  id: string;
  v: number;
  ts: string;
  del: boolean;
  method: StoredVersion['method'];
  res?: Resource;
}

/** Searches with more posting candidates than this read the collection instead of key by key. */
const MAX_POSTING_CANDIDATES = 2000;
/** How long a version may sit in history ahead of the current document before it counts as abandoned. */
const ABANDONED_WRITE_MS = 10_000;
const WRITE_ATTEMPTS = 20;

const versionKey = (id: string, version: number) => `${id}/_history/${version}`;

function toStored(type: string, doc: CurrentDocument | VersionDocument, id: string): StoredVersion {
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

/** The resource's content without resourceType, id and meta, which the store puts first. */
function withoutIdentity(resource: Resource): Omit<Resource, 'resourceType' | 'id' | 'meta'> {
  const { resourceType: _type, id: _id, meta: _meta, ...content } = resource;
  return content;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The repository on MongoDB (or FerretDB). Every hot path is addressed by `_id`:
 * - current versions in a collection per type (`_id` = logical id);
 * - all versions, current included, in `{type}_history` (`_id` = `{id}/_history/{v}`). Inserting the next
 *   version's history document is what decides between racing writers: only one insert of a key succeeds;
 * - postings for selective search parameters (see postings.ts) and the change log for history.
 */
export class MongoRepository implements Repository {
  private readonly postings: Postings;
  private readonly changes: ChangeLog;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.postings = new Postings(db.collection<PostingDocument>('postings'), (key, holder) =>
      this.holds(key, holder),
    );
    this.changes = new ChangeLog(db);
  }

  private current(type: string): Collection<CurrentDocument> {
    return this.db.collection<CurrentDocument>(type);
  }

  private versions(type: string): Collection<VersionDocument> {
    return this.db.collection<VersionDocument>(`${type}_history`);
  }

  async read(type: string, id: string): Promise<StoredVersion | undefined> {
    const doc = await this.current(type).findOne({ _id: id }, { projection: { idx: 0, srt: 0 } });
    return doc ? toStored(type, doc, id) : undefined;
  }

  async vread(type: string, id: string, version: number): Promise<StoredVersion | undefined> {
    const doc = await this.versions(type).findOne({ _id: versionKey(id, version) });
    return doc ? toStored(type, doc, id) : undefined;
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    const { type, id, expectedVersion } = request;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const current = await this.current(type).findOne({ _id: id });
      if (expectedVersion !== undefined && (current?.v ?? 0) !== expectedVersion) {
        fail(
          'precondition-failed',
          `Version ${expectedVersion} is not the current version of ${type}/${id}` +
            (current ? ` (${current.v} is)` : ' (it does not exist)'),
        );
      }
      const live = current && !current.del ? current : undefined;
      if (!request.resource && !live) {
        return { stored: current ? toStored(type, current, id) : this.absent(type, id), created: false };
      }
      const won = await this.tryWrite(request, current);
      if (won) return won;
      if (expectedVersion !== undefined) {
        fail('version-conflict', `${type}/${id} was changed by another request at the same time`);
      }
      await sleep(5 + Math.random() * 20 * (attempt + 1));
    }
    fail('version-conflict', `${type}/${id} is being changed by other requests; try again`);
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
    const ts = this.now().toISOString();
    const resource = request.resource
      ? ({
          resourceType: request.resource.resourceType,
          id,
          meta: { ...request.resource.meta, versionId: String(version), lastUpdated: ts },
          ...withoutIdentity(request.resource),
        } as Resource)
      : undefined;
    const { idx, srt } = resource ? indexValues(resource) : { idx: {}, srt: {} };
    const live = current && !current.del ? current : undefined;
    const before = postingKeysOf(type, live?.idx ?? {});
    const after = postingKeysOf(type, idx);
    const added = after.all.filter((k) => !before.all.includes(k));

    // postings first: a crash after this leaves an extra posting (searches re-check), never a missing one
    await this.postings.add(added, after.unique, id);
    const versionDoc: VersionDocument = {
      _id: versionKey(id, version),
      id,
      v: version,
      ts,
      del: !resource,
      method,
      ...(resource ? { res: resource } : {}),
    };
    try {
      await this.versions(type).insertOne(versionDoc);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await this.postings.remove(added, id);
      await this.repairAbandoned(type, id, version);
      return undefined;
    }
    const document: CurrentDocument = {
      _id: id,
      v: version,
      ts,
      del: !resource,
      method,
      idx,
      srt,
      ...(resource ? { res: resource } : {}),
    };
    const [sequence] = await Promise.all([
      this.changes.append({ type, id, v: version, ts }),
      this.current(type).replaceOne({ _id: id }, document, { upsert: true }),
    ]);
    await this.postings.remove(
      before.all.filter((k) => !after.all.includes(k)),
      id,
    );
    const receipt: WriteReceipt = { type, id, version, sequence, ...(current ? { previous: current } : {}) };
    return { stored: toStored(type, document, id), created: !live && !!resource, receipt };
  }

  /**
   * A history version with no matching current document is a write that died between its two steps.
   * Once it is old enough that no live writer can still be finishing it, complete it.
   */
  private async repairAbandoned(type: string, id: string, version: number): Promise<void> {
    const [doc, current] = await Promise.all([
      this.versions(type).findOne({ _id: versionKey(id, version) }),
      this.current(type).findOne({ _id: id }, { projection: { v: 1 } }),
    ]);
    if (!doc || (current && current.v >= version)) return;
    if (this.now().getTime() - Date.parse(doc.ts) < ABANDONED_WRITE_MS) return;
    const resource = doc.res;
    const { idx, srt } = resource ? indexValues(resource) : { idx: {}, srt: {} };
    const after = postingKeysOf(type, idx);
    await this.postings.add(after.all, after.unique, id).catch(() => undefined);
    const repaired: CurrentDocument = {
      _id: id,
      v: version,
      ts: doc.ts,
      del: doc.del,
      method: doc.method,
      idx,
      srt,
      ...(resource ? { res: resource } : {}),
    };
    await this.current(type).replaceOne({ _id: id }, repaired, { upsert: true });
  }

  async undo(receipt: WriteReceipt): Promise<void> {
    const { type, id, version, previous } = receipt;
    const written = await this.current(type).findOne({ _id: id });
    if (written && written.v !== version) return; // someone wrote after us; their version stands
    if (previous) await this.current(type).replaceOne({ _id: id }, previous, { upsert: true });
    else await this.current(type).deleteOne({ _id: id });
    await Promise.all([
      this.versions(type).deleteOne({ _id: versionKey(id, version) }),
      this.changes.remove(receipt.sequence),
    ]);
    const restored = postingKeysOf(type, previous && !previous.del ? previous.idx : {});
    const removed = postingKeysOf(type, written && !written.del ? written.idx : {});
    await this.postings.remove(
      removed.all.filter((k) => !restored.all.includes(k)),
      id,
    );
    await this.postings.add(
      restored.all.filter((k) => !removed.all.includes(k)),
      restored.unique,
      id,
    );
  }

  /** Whether `holder` (of the posting's type) still carries the value of `key`. */
  private async holds(key: string, holder: string): Promise<'yes' | 'no' | 'absent'> {
    const [type, param] = key.split('|') as [string, string];
    const value = key.slice(type.length + param.length + 2);
    const doc = await this.current(type).findOne({ _id: holder }, { projection: { idx: 1, del: 1 } });
    if (!doc) return 'absent';
    const values = (doc.idx[param] as string[] | undefined) ?? [];
    return !doc.del && values.includes(value) ? 'yes' : 'no';
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const candidates = await this.candidates(query);
    if (candidates && candidates.length <= MAX_POSTING_CANDIDATES)
      return this.searchCandidates(query, candidates);
    return this.searchCollection(query);
  }

  /** Ids that can match, from postings and `_id` values; undefined when the search names neither. */
  private async candidates(query: SearchQuery): Promise<string[] | undefined> {
    const groups = [...query.idGroups];
    if (query.postingGroups.length > 0) {
      const postings = await this.postings.get([...new Set(query.postingGroups.flat())]);
      for (const keys of query.postingGroups) groups.push(keys.flatMap((key) => postings.get(key) ?? []));
    }
    if (groups.length === 0) return undefined;
    const [first, ...rest] = groups.map((g) => new Set(g));
    return [...first!].filter((id) => rest.every((g) => g.has(id)));
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
      index: doc.idx,
    }));
    return { matches, more };
  }

  private async searchCandidates(query: SearchQuery, ids: string[]): Promise<SearchPage> {
    const docs = (await Promise.all(ids.map((id) => this.current(query.type).findOne({ _id: id })))).filter(
      (d): d is CurrentDocument => d !== null,
    );
    // the same filter the database would run, re-checked on each candidate
    const matching = new Query(query.filter).find<CurrentDocument>(docs).all();
    const page = new Query(this.pageFilter(query))
      .find<CurrentDocument>(matching)
      .sort(this.mongoSort(query.sort, query.cursor?.backwards ?? false))
      .limit(query.count + 1)
      .all();
    return { ...this.toMatches(query, page), total: matching.length };
  }

  private async searchCollection(query: SearchQuery): Promise<SearchPage> {
    const collection = this.current(query.type);
    const [docs, total] = await Promise.all([
      collection
        .find(this.pageFilter(query))
        .sort(this.mongoSort(query.sort, query.cursor?.backwards ?? false))
        .limit(query.count + 1)
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
    const current = await this.current(type).findOne({ _id: id }, { projection: { v: 1 } });
    if (!current) return { versions: [] };
    const top = Math.min(current.v, (query.before ?? Infinity) - 1);
    const wanted = Array.from({ length: Math.max(0, Math.min(query.count, top)) }, (_, i) => top - i);
    const docs = await Promise.all(
      wanted.map((v) => this.versions(type).findOne({ _id: versionKey(id, v) })),
    );
    const versions = docs
      .filter((d): d is VersionDocument => d !== null)
      .filter((d) => query.since === undefined || Date.parse(d.ts) >= query.since)
      .map((d) => toStored(type, d, id));
    const last = wanted[wanted.length - 1];
    const reachedSince = versions.length < docs.length;
    return { versions, ...(last !== undefined && last > 1 && !reachedSince ? { next: last } : {}) };
  }

  /** Type or system history from the change log; one page reads at most `scanLimit` log entries. */
  private async logHistory(query: HistoryQuery): Promise<HistoryPage> {
    const scanLimit = Math.max(10_000, query.count * 10);
    const start = query.before ?? (await this.changes.last()) + 1;
    const picked: { type: string; id: string; v: number }[] = [];
    let scanned = 0;
    let next: number | undefined;
    for await (const change of this.changes.backwards(start)) {
      // the log is in storage order, so everything further back is older still
      if (query.since !== undefined && Date.parse(change.ts) < query.since) break;
      if (!query.type || change.type === query.type) picked.push(change);
      if (picked.length >= query.count || ++scanned >= scanLimit) {
        next = change._id;
        break;
      }
    }
    const docs = await Promise.all(
      picked.map((c) => this.versions(c.type).findOne({ _id: versionKey(c.id, c.v) })),
    );
    const versions = docs.flatMap((d, i) => (d ? [toStored(picked[i]!.type, d, picked[i]!.id)] : []));
    return { versions, ...(next !== undefined && next > 1 ? { next } : {}) };
  }
}
