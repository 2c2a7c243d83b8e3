import type { Resource } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import { Query } from 'mingo';
import { fail } from '../fhir/errors.js';
import { cursorFilter, type SortKey } from '../search/controls.js';
import { indexValues } from '../search/index-values.js';
import { ChangeLog } from './changelog.js';
import { isDuplicateKey } from './mongo-errors.js';
import { postingKeysOf, Postings, type Holding } from './postings.js';
import type {
  HistoryPage,
  HistoryQuery,
  Repository,
  SearchMatch,
  SearchPage,
  SearchQuery,
  StoredVersion,
  VersionDocument,
  WriteReceipt,
  WriteRequest,
  WriteResult,
} from './repository.js';
import type { SlotDocument } from './slots.js';

/** Searches with more posting candidates than this read the collection instead of key by key. */
const MAX_POSTING_CANDIDATES = 2000;
const WRITE_ATTEMPTS = 20;
const PROBE_BATCH = 4;
const MAX_VERSION_HINTS = 500_000;

const versionKey = (id: string, version: number) => `${id}/_history/${version}`;

function toStored(type: string, doc: VersionDocument): StoredVersion {
  return {
    type,
    id: doc.id,
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
 * The repository on MongoDB or FerretDB, written with inserts and finds by `_id` only: the two operations
 * FerretDB 1.24 answers without reading a whole collection (its updates and deletes by `_id` do read it).
 * - Every version of a resource is its own document, `_id` = `{id}/_history/{v}`, in the type's collection.
 *   Writing version n+1 is inserting that key: of two racing writers exactly one insert succeeds, and the
 *   insert is the single moment the write happens, so a crash never leaves half a write.
 * - The current version is the highest that exists, found by looking up the next numbers (starting from
 *   the last one this process saw).
 * - Postings for selective search parameters, and the change log for history, are insert-only too.
 */
export class MongoRepository implements Repository {
  private readonly postings: Postings;
  private readonly changes: ChangeLog;
  /** Highest version seen per `Type/id`: where to start looking, never trusted as the answer. */
  private readonly hints = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.postings = new Postings(db.collection<SlotDocument>('postings'), (key, holder) =>
      this.holds(key, holder),
    );
    this.changes = new ChangeLog(db);
  }

  private versions(type: string): Collection<VersionDocument> {
    return this.db.collection<VersionDocument>(type);
  }

  private remember(type: string, id: string, version: number): void {
    const key = `${type}/${id}`;
    if (this.hints.size >= MAX_VERSION_HINTS && !this.hints.has(key))
      this.hints.delete(this.hints.keys().next().value!);
    this.hints.set(key, version);
  }

  private fetchVersions(type: string, id: string, versions: number[]): Promise<(VersionDocument | null)[]> {
    return Promise.all(versions.map((v) => this.versions(type).findOne({ _id: versionKey(id, v) })));
  }

  /** The current version: the highest that exists (versions are numbered 1, 2, 3, ... without gaps). */
  private async latest(type: string, id: string): Promise<VersionDocument | null> {
    const hint = this.hints.get(`${type}/${id}`);
    let known: VersionDocument | null = null;
    let next = 1;
    if (hint !== undefined) {
      const [atHint, after] = await this.fetchVersions(type, id, [hint, hint + 1]);
      if (atHint && !after) return atHint;
      if (atHint && after) {
        known = after;
        next = hint + 2;
      }
    }
    for (;;) {
      const batch = Array.from({ length: PROBE_BATCH }, (_, i) => next + i);
      const docs = await this.fetchVersions(type, id, batch);
      const missing = docs.indexOf(null);
      const found = missing < 0 ? docs : docs.slice(0, missing);
      known = (found[found.length - 1] as VersionDocument | undefined) ?? known;
      if (missing >= 0) break;
      next += PROBE_BATCH;
    }
    if (known) this.remember(type, id, known.v);
    return known;
  }

  private async isLatest(type: string, doc: VersionDocument): Promise<boolean> {
    const hint = this.hints.get(`${type}/${doc.id}`);
    if (hint !== undefined && hint > doc.v) return false;
    const after = await this.versions(type).findOne(
      { _id: versionKey(doc.id, doc.v + 1) },
      { projection: { _id: 1 } },
    );
    return after === null;
  }

  async read(type: string, id: string): Promise<StoredVersion | undefined> {
    const doc = await this.latest(type, id);
    return doc ? toStored(type, doc) : undefined;
  }

  async vread(type: string, id: string, version: number): Promise<StoredVersion | undefined> {
    const doc = await this.versions(type).findOne({ _id: versionKey(id, version) });
    return doc ? toStored(type, doc) : undefined;
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    const { type, id, expectedVersion } = request;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      // a create under a fresh server-made id has nothing to look up; its insert still proves it is new
      const latest = request.method === 'POST' && attempt === 0 ? null : await this.latest(type, id);
      if (expectedVersion !== undefined && (latest?.v ?? 0) !== expectedVersion) {
        fail(
          'precondition-failed',
          `Version ${expectedVersion} is not the current version of ${type}/${id}` +
            (latest ? ` (${latest.v} is)` : ' (it does not exist)'),
        );
      }
      if (!request.resource && (!latest || latest.del)) {
        return { stored: latest ? toStored(type, latest) : this.absent(type, id), created: false };
      }
      const won = await this.tryWrite(request, latest);
      if (won) return won;
      if (expectedVersion !== undefined) {
        fail('version-conflict', `${type}/${id} was changed by another request at the same time`);
      }
      await sleep(2 + Math.random() * 10 * (attempt + 1));
    }
    fail('version-conflict', `${type}/${id} is being changed by other requests; try again`);
  }

  private absent(type: string, id: string): StoredVersion {
    return { type, id, versionId: 0, lastUpdated: this.now().toISOString(), deleted: true, method: 'DELETE' };
  }

  /** One attempt at inserting the next version; undefined when another writer took that number first. */
  private async tryWrite(
    request: WriteRequest,
    latest: VersionDocument | null,
  ): Promise<WriteResult | undefined> {
    const { type, id, method } = request;
    const version = (latest?.v ?? 0) + 1;
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
    const live = latest && !latest.del ? latest : undefined;
    const before = postingKeysOf(type, live?.idx ?? {});
    const after = postingKeysOf(type, idx);
    // postings first: a crash after this leaves an extra entry (searches re-check), never a missing one
    const postings = await this.postings.add(
      after.all.filter((k) => !before.all.includes(k)),
      after.unique,
      id,
    );
    const document: VersionDocument = {
      _id: versionKey(id, version),
      id,
      v: version,
      ts,
      del: !resource,
      method,
      idx,
      srt,
      ...(resource ? { res: resource } : {}),
    };
    try {
      await this.versions(type).insertOne(document);
    } catch (error) {
      if (isDuplicateKey(error)) return undefined;
      throw error;
    }
    this.remember(type, id, version);
    const sequence = await this.changes.append({ type, id, v: version, ts });
    const receipt: WriteReceipt = { type, id, version, postings, sequence };
    return { stored: toStored(type, document), created: !live && !!resource, receipt };
  }

  /** Removes exactly what a write added; the version before it becomes current again. */
  async undo(receipt: WriteReceipt): Promise<void> {
    const { type, id, version } = receipt;
    const [later] = await this.fetchVersions(type, id, [version + 1]);
    if (later) return; // someone wrote after us; their version stands
    await this.versions(type).deleteOne({ _id: versionKey(id, version) });
    this.hints.delete(`${type}/${id}`);
    await Promise.all([this.postings.remove(receipt.postings), this.changes.remove(receipt.sequence)]);
  }

  /** Whether `holder` (of the posting's type) currently carries the value of `key`. */
  private async holds(key: string, holder: string): Promise<Holding> {
    const [type, param] = key.split('|') as [string, string];
    const value = key.slice(type.length + param.length + 2);
    const doc = await this.latest(type, holder);
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

  /** Ids that can match, from postings and `_id` values; undefined when neither narrows the search. */
  private async candidates(query: SearchQuery): Promise<string[] | undefined> {
    const groups = [...query.idGroups];
    if (query.postingGroups.length > 0) {
      const postings = await this.postings.get([...new Set(query.postingGroups.flat())]);
      for (const keys of query.postingGroups) {
        const lists = keys.map((key) => postings.get(key));
        // a key too common to list narrows nothing
        if (lists.every((list) => list !== undefined)) groups.push(lists.flat());
      }
    }
    if (groups.length === 0) return undefined;
    const [first, ...rest] = groups.map((g) => new Set(g));
    return [...first!].filter((id) => rest.every((g) => g.has(id)));
  }

  private mongoSort(sort: SortKey[], backwards: boolean): Record<string, 1 | -1> {
    return Object.fromEntries(sort.map((s) => [s.path, s.descending !== backwards ? -1 : 1]));
  }

  private pageFilter(query: SearchQuery, cursor = query.cursor): Record<string, unknown> {
    return cursor ? { $and: [query.filter, cursorFilter(query.sort, cursor)] } : query.filter;
  }

  private sortValues(query: SearchQuery, doc: VersionDocument): string[] {
    return query.sort.map((s) => (s.path === '_id' ? doc._id : (doc.srt[s.path.slice(4)] ?? '')));
  }

  private toMatches(query: SearchQuery, docs: VersionDocument[]): SearchPage {
    const more = docs.length > query.count;
    const page = docs.slice(0, query.count);
    if (query.cursor?.backwards) page.reverse();
    const matches: SearchMatch[] = page.map((doc) => ({
      stored: toStored(query.type, doc),
      sortValues: this.sortValues(query, doc),
      index: doc.idx,
    }));
    return { matches, more };
  }

  private async searchCandidates(query: SearchQuery, ids: string[]): Promise<SearchPage> {
    const docs = (await Promise.all(ids.map((id) => this.latest(query.type, id)))).filter(
      (d): d is VersionDocument => d !== null,
    );
    // the filter the database would run, checked on each candidate's current version
    const matching = new Query(query.filter).find<VersionDocument>(docs).all();
    const page = new Query(this.pageFilter(query))
      .find<VersionDocument>(matching)
      .sort(this.mongoSort(query.sort, query.cursor?.backwards ?? false))
      .limit(query.count + 1)
      .all();
    return { ...this.toMatches(query, page), total: matching.length };
  }

  /** Reads matching versions in sort order, keeping current ones, until the page is full. */
  private async searchCollection(query: SearchQuery): Promise<SearchPage> {
    const wanted = query.count + 1;
    const chunk = Math.max(2 * wanted, 20);
    const sort = this.mongoSort(query.sort, query.cursor?.backwards ?? false);
    const kept: VersionDocument[] = [];
    let cursor = query.cursor;
    let exhausted = false;
    while (kept.length < wanted && !exhausted) {
      const docs = await this.versions(query.type)
        .find(this.pageFilter(query, cursor))
        .sort(sort)
        .limit(chunk)
        .toArray();
      exhausted = docs.length < chunk;
      const current = await Promise.all(docs.map((d) => this.isLatest(query.type, d)));
      kept.push(...docs.filter((_, i) => current[i]));
      const last = docs[docs.length - 1];
      if (last)
        cursor = { values: this.sortValues(query, last), backwards: query.cursor?.backwards ?? false };
    }
    const page = this.toMatches(query, kept.slice(0, wanted));
    const total = query.countTotal
      ? await this.countCurrent(query)
      : !query.cursor && !page.more
        ? page.matches.length // a first page that holds everything knows its total
        : undefined;
    return { ...page, ...(total !== undefined ? { total } : {}) };
  }

  private async countCurrent(query: SearchQuery): Promise<number> {
    const docs = await this.versions(query.type)
      .find(query.filter, { projection: { id: 1, v: 1 } })
      .toArray();
    let count = 0;
    for (let i = 0; i < docs.length; i += 64) {
      const flags = await Promise.all(docs.slice(i, i + 64).map((d) => this.isLatest(query.type, d)));
      count += flags.filter(Boolean).length;
    }
    return count;
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    return query.id && query.type
      ? this.instanceHistory(query.type, query.id, query)
      : this.logHistory(query);
  }

  private async instanceHistory(type: string, id: string, query: HistoryQuery): Promise<HistoryPage> {
    const latest = await this.latest(type, id);
    if (!latest) return { versions: [] };
    const top = Math.min(latest.v, (query.before ?? Infinity) - 1);
    const wanted = Array.from({ length: Math.max(0, Math.min(query.count, top)) }, (_, i) => top - i);
    const docs = (await this.fetchVersions(type, id, wanted)).filter((d): d is VersionDocument => d !== null);
    const versions = docs
      .filter((d) => query.since === undefined || Date.parse(d.ts) >= query.since)
      .map((d) => toStored(type, d));
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
        next = change.seq;
        break;
      }
    }
    const docs = await Promise.all(
      picked.map((c) => this.versions(c.type).findOne({ _id: versionKey(c.id, c.v) })),
    );
    const versions = docs.flatMap((d, i) => (d ? [toStored(picked[i]!.type, d)] : []));
    return { versions, ...(next !== undefined && next > 1 ? { next } : {}) };
  }
}
