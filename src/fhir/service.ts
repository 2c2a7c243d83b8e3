import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, BundleLink, OperationOutcome, Resource } from 'fhir/r4';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import {
  authorize,
  canSee,
  isPartial,
  may,
  requireVisible,
  restrictionOf,
  UNRESTRICTED,
  type Access,
} from '../auth/access.js';
import type { Permission } from '../auth/scopes.js';
import { RESOURCE_TYPES, resourceDefinition } from '../resources/registry.js';
import {
  encodeCursor,
  isResultParameter,
  MAX_COUNT,
  parseControls,
  type SearchControls,
} from '../search/controls.js';
import { compileCriteria, type CompiledCriteria } from '../search/criteria.js';
import { valuesOf } from '../search/index-values.js';
import type { Repository, SearchMatch, StoredVersion, WriteReceipt } from '../store/repository.js';
import { historyBundle, searchEntry } from './bundles.js';
import { fail, FhirError, informational, operationOutcome, type Problem } from './errors.js';
import { subset } from './summary.js';
import { expectResource, Validator } from './validation.js';

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const WRITES: Permission[] = ['c', 'u', 'd'];
/** More matches than this for a chained parameter or a conditional interaction is refused. */
const MAX_CONDITIONAL_MATCHES = 1000;

export interface RequestContext {
  baseUrl: string;
  /** Prefer: handling=strict — unknown search parameters are errors instead of being ignored. */
  strict: boolean;
  /** Who is asking: decides what searches may see. */
  access: Access;
  /** The caller's IP address, for the audit trail. */
  address?: string;
}

export interface InteractionResult {
  status: number;
  stored?: StoredVersion;
  /** Set when the answer is not the stored resource (an OperationOutcome, a Bundle<Resource>). */
  body?: Resource;
  receipt?: WriteReceipt;
  /** Every resource the answer drew on, whole (a search may answer with subsets): for the audit trail. */
  sources?: Resource[];
  /** Headers beyond the version ones (Content-Location of an asynchronous request). */
  headers?: Record<string, string>;
}

export type SearchParams = [string, string][];

export interface WriteOptions {
  /** A write the server makes for itself (a workflow step) skips the rules that stop clients' writes. */
  byServer?: boolean;
  /** The client the write is for: a bound or programme-narrowed client may write only what it may touch. */
  access?: Access;
  /** The GP practice (ODS code) whose own message the write is: the version is not sent back to it. */
  origin?: string;
}

/**
 * What a client may set of `meta`: profile, security labels and tags (versionId and lastUpdated are the
 * server's). A `meta` that is no object is kept, for validation to refuse.
 */
function clientMetaOf(meta: unknown): { meta?: unknown } {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    return meta === undefined ? {} : { meta };
  const { versionId: _v, lastUpdated: _l, ...clientMeta } = meta as Record<string, unknown>;
  return Object.keys(clientMeta).length > 0 ? { meta: clientMeta } : {};
}

const originOf = (options?: WriteOptions) => (options?.origin ? { origin: options.origin } : {});

/** The server acting for itself (its own bookkeeping, not a client's request): everything allowed. */
export const SERVER_CONTEXT: RequestContext = { baseUrl: '', strict: true, access: UNRESTRICTED };

export function requireType(type: string): void {
  if (!RESOURCE_TYPES.includes(type))
    fail('unknown-resource-type', `Resource type '${type}' is not served here`);
}

export function requireId(id: string): void {
  if (!ID_PATTERN.test(id)) fail('invalid-id', `'${id}' is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`);
}

/** The FHIR interactions, independent of HTTP: used by the REST routes and by batch/transaction. */
export class FhirService {
  constructor(
    readonly repository: Repository,
    readonly validator: Validator,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async read(type: string, id: string): Promise<StoredVersion> {
    requireType(type);
    requireId(id);
    const stored = await this.repository.read(type, id);
    if (!stored) fail('not-found', `${type}/${id} is not known`);
    if (stored.deleted) {
      throw new FhirError([{ code: 'gone', diagnostics: `${type}/${id} was deleted` }], {
        ETag: `W/"${stored.versionId}"`,
      });
    }
    return stored;
  }

  /** The current version, deleted or not; undefined when the id was never used. */
  async readIfExists(type: string, id: string): Promise<StoredVersion | undefined> {
    requireType(type);
    requireId(id);
    return this.repository.read(type, id);
  }

  /** The current versions of these resources (deleted ones too), by id; ids never stored are left out. */
  async readMany(type: string, ids: string[]): Promise<Map<string, StoredVersion>> {
    requireType(type);
    ids.forEach(requireId);
    return this.repository.readMany(type, ids);
  }

  async vread(type: string, id: string, version: string): Promise<StoredVersion> {
    requireType(type);
    requireId(id);
    if (!/^[1-9]\d{0,8}$/.test(version))
      fail('not-found', `Version '${version}' of ${type}/${id} is not known`);
    const stored = await this.repository.vread(type, id, Number(version));
    if (!stored) fail('not-found', `Version ${version} of ${type}/${id} is not known`);
    if (stored.deleted) fail('gone', `Version ${version} of ${type}/${id} is a deletion`);
    return stored;
  }

  /** Every current resource of a type about one person (their Immunizations, Consents), by the patient posting. */
  async ofPatient<R extends Resource = Resource>(type: string, patientId: string): Promise<R[]> {
    const { sources } = await this.search(
      type,
      [
        ['patient', `Patient/${patientId}`],
        ['_count', String(MAX_COUNT)],
      ],
      SERVER_CONTEXT,
    );
    return sources as R[];
  }

  /** The current resource a reference (`Type/id`) names, if it exists and is not deleted. */
  async resolve(reference: string | undefined): Promise<Resource | undefined> {
    const [type, id, ...rest] = (reference ?? '').split('/');
    if (!type || !id || rest.length > 0 || !RESOURCE_TYPES.includes(type) || !ID_PATTERN.test(id))
      return undefined;
    return (await this.repository.read(type, id))?.resource;
  }

  /**
   * Checks a client's write: the client may touch what is stored now and what it would store (see
   * access.ts), and the type's rules allow it (see ResourceDefinition.clientWrites). `before` is what is
   * stored now (read here unless given), `after` what the write would store (undefined for a delete).
   */
  private async checkClientWrite(
    type: string,
    id: string | undefined,
    after: Resource | undefined,
    options: WriteOptions | undefined,
    before?: Resource,
  ): Promise<void> {
    if (options?.byServer) return;
    const rule = resourceDefinition(type)?.clientWrites;
    const access = options?.access;
    const permission: Permission = after === undefined ? 'd' : id === undefined ? 'c' : 'u';
    const checksAccess = access !== undefined && WRITES.some((p) => isPartial(access, type, p));
    if (!rule && !checksAccess) return;
    const stored =
      before ?? (id === undefined ? undefined : (await this.repository.read(type, id))?.resource);
    if (checksAccess) {
      requireVisible(access, stored, permission);
      requireVisible(access, after, stored ? permission : 'c');
    }
    if (rule) await rule({ before: stored, after }, (reference) => this.resolve(reference));
  }

  private prepare(type: string, body: unknown, id: string): Resource {
    const resource = expectResource(body, type);
    const { meta, ...rest } = resource;
    const prepared = { ...rest, id, ...clientMetaOf(meta) } as Resource;
    this.validator.check(prepared);
    return prepared;
  }

  async create(
    type: string,
    body: unknown,
    context: RequestContext,
    ifNoneExist?: string,
  ): Promise<InteractionResult> {
    requireType(type);
    if (ifNoneExist !== undefined) {
      expectResource(body, type);
      const ids = await this.matchIds(type, parseQuery(ifNoneExist), context);
      if (ids.length > 1) fail('multiple-matches', `If-None-Exist matches ${ids.length} ${type} resources`);
      if (ids[0] !== undefined) return { status: 200, stored: await this.read(type, ids[0]) };
    }
    return this.createWithId(type, body, randomUUID(), { access: context.access });
  }

  /** Create with an id the server chose earlier (a transaction resolving references first). */
  async createWithId(
    type: string,
    body: unknown,
    id: string,
    options?: WriteOptions,
  ): Promise<InteractionResult> {
    const resource = this.prepare(type, body, id);
    await this.checkClientWrite(type, undefined, resource, options);
    const result = await this.repository.write({
      type,
      id,
      resource,
      method: 'POST',
      expectedVersion: 0,
      ...originOf(options),
    });
    return { status: 201, stored: result.stored, ...(result.receipt ? { receipt: result.receipt } : {}) };
  }

  /** An update's body, checked as for a PUT to `{type}/{id}`: it must carry that id and be valid. */
  private prepareUpdate(type: string, id: string, body: unknown): Resource {
    requireType(type);
    requireId(id);
    const resource = expectResource(body, type);
    if (resource.id === undefined)
      fail('id-mismatch', 'An update must carry the resource id in its body', [`${type}.id`]);
    if (resource.id !== id)
      fail('id-mismatch', `The body's id '${resource.id}' differs from the URL's '${id}'`, [`${type}.id`]);
    return this.prepare(type, resource, id);
  }

  async update(
    type: string,
    id: string,
    body: unknown,
    ifMatch?: number,
    options?: WriteOptions,
  ): Promise<InteractionResult> {
    const prepared = this.prepareUpdate(type, id, body);
    await this.checkClientWrite(type, id, prepared, options);
    const result = await this.repository.write({
      type,
      id,
      resource: prepared,
      method: 'PUT',
      ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
      ...originOf(options),
    });
    return {
      status: result.created ? 201 : 200,
      stored: result.stored,
      ...(result.receipt ? { receipt: result.receipt } : {}),
    };
  }

  /**
   * Creates many of the server's own resources at once, each checked as `create` checks it. Any failure is
   * a defect of the server and throws: an invalid body before anything is stored, a unique value another
   * resource holds after the others are stored. Each gets a fresh id, or the one in `ids` at its place
   * (see Repository.createMany).
   */
  async createMany(type: string, bodies: unknown[], ids?: string[]): Promise<StoredVersion[]> {
    requireType(type);
    // without ids the store gives each its own; this one only lets validation see a whole resource
    const resources = bodies.map((body, i) => this.prepare(type, body, ids?.[i] ?? randomUUID()));
    const results = await this.repository.createMany(type, resources, ids);
    const refused = results.find((r) => r instanceof FhirError);
    if (refused) throw refused;
    return results as StoredVersion[];
  }

  /**
   * Stores the next version of many of the server's own resources at once, each checked as `update` checks
   * it (an invalid body throws before anything is stored) and written as a PUT with If-Match `ifMatch`.
   * Answers in the same order; an update whose resource is not at that version (or is deleted or absent)
   * answers 'precondition-failed' in its place and the others still happen.
   */
  async updateMany(
    type: string,
    updates: { id: string; body: unknown; ifMatch: number }[],
  ): Promise<(StoredVersion | FhirError)[]> {
    const prepared = updates.map(({ id, body, ifMatch }) => ({
      id,
      expectedVersion: ifMatch,
      resource: this.prepareUpdate(type, id, body),
    }));
    return this.repository.updateMany(type, prepared);
  }

  async conditionalUpdate(
    type: string,
    params: SearchParams,
    body: unknown,
    context: RequestContext,
    ifMatch?: number,
  ): Promise<InteractionResult> {
    requireType(type);
    const ids = await this.matchIds(type, params, context);
    if (ids.length > 1)
      fail('multiple-matches', `The conditional update matches ${ids.length} ${type} resources`);
    const resource = expectResource(body, type);
    const id = ids[0] ?? resource.id ?? randomUUID();
    if (resource.id !== undefined && resource.id !== id) {
      fail('id-mismatch', `The body's id '${resource.id}' differs from the matching resource's '${id}'`, [
        `${type}.id`,
      ]);
    }
    return this.update(type, id, { ...resource, id }, ifMatch, { access: context.access });
  }

  async patch(
    type: string,
    id: string,
    body: unknown,
    ifMatch?: number,
    options?: WriteOptions,
  ): Promise<InteractionResult> {
    requireType(type);
    requireId(id);
    if (!Array.isArray(body)) fail('invalid-patch', 'A JSON Patch body is an array of operations');
    const operations = body as Operation[];
    const validationError = fastJsonPatch.validate(operations);
    if (validationError) fail('invalid-patch', `Invalid JSON Patch: ${validationError.message}`);
    // a patch is applied to the version it was read from; a concurrent change makes it start again
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.read(type, id);
      if (ifMatch !== undefined && current.versionId !== ifMatch) {
        fail('precondition-failed', `Version ${ifMatch} is not the current version of ${type}/${id}`);
      }
      let patched: Resource;
      try {
        patched = fastJsonPatch.applyPatch(
          structuredClone(current.resource!),
          operations,
          true,
          false,
        ).newDocument;
      } catch (error) {
        fail(
          'invalid-patch',
          `The patch cannot be applied: ${(error as Error).name === 'TEST_OPERATION_FAILED' ? 'a test operation failed' : (error as Error).message.split('\n')[0]}`,
        );
      }
      if (patched.resourceType !== type || patched.id !== id)
        fail('invalid-patch', 'A patch may not change resourceType or id');
      const prepared = this.prepare(type, patched, id);
      await this.checkClientWrite(type, id, prepared, options, current.resource);
      try {
        const result = await this.repository.write({
          type,
          id,
          resource: prepared,
          method: 'PATCH',
          expectedVersion: current.versionId,
        });
        return { status: 200, stored: result.stored, ...(result.receipt ? { receipt: result.receipt } : {}) };
      } catch (error) {
        const lostRace =
          error instanceof FhirError &&
          ['precondition-failed', 'version-conflict'].includes(error.problems[0]!.code);
        if (!lostRace || ifMatch !== undefined) throw error;
      }
    }
    fail('version-conflict', `${type}/${id} is being changed by other requests; try again`);
  }

  async delete(
    type: string,
    id: string,
    ifMatch?: number,
    options?: WriteOptions,
  ): Promise<InteractionResult> {
    requireType(type);
    requireId(id);
    await this.checkClientWrite(type, id, undefined, options);
    const result = await this.repository.write({
      type,
      id,
      method: 'DELETE',
      ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
      ...originOf(options),
    });
    const what = result.receipt
      ? `Deleted ${type}/${id}`
      : `${type}/${id} did not exist or was already deleted`;
    return {
      status: 200,
      body: informational(what),
      ...(result.receipt ? { stored: result.stored, receipt: result.receipt } : {}),
    };
  }

  async conditionalDelete(
    type: string,
    params: SearchParams,
    context: RequestContext,
  ): Promise<InteractionResult> {
    requireType(type);
    const ids = await this.matchIds(type, params, context);
    if (ids.length > 1)
      fail('multiple-matches', `The conditional delete matches ${ids.length} ${type} resources`);
    if (ids[0] === undefined)
      return { status: 200, body: informational(`No ${type} matched; nothing was deleted`) };
    return this.delete(type, ids[0], undefined, { access: context.access });
  }

  /** `$validate`: both validation layers, nothing stored. */
  validate(type: string, body: unknown): OperationOutcome {
    requireType(type);
    let resource = body;
    // the operation may receive the resource bare or inside Parameters.parameter[name=resource]
    if (isParameters(body)) resource = body.parameter?.find((p) => p.name === 'resource')?.resource;
    const checked = expectResource(resource, type);
    const problems = this.validator.problems(checked);
    return problems.length > 0 ? operationOutcome(problems) : informational(`The ${type} is valid`);
  }

  private async compile(
    type: string,
    params: SearchParams,
    context: RequestContext,
  ): Promise<CompiledCriteria & { unknown: string[] }> {
    const compiled = await compileCriteria({
      type,
      params: [
        ...params.filter(([name]) => !isResultParameter(name)),
        ...restrictionOf(context.access, type),
      ],
      baseUrl: context.baseUrl,
      now: this.now().getTime(),
      resolveChain: (target, name, value) => {
        // a chain is a search of its target type
        authorize(context.access, target, 's');
        return this.matchIds(target, [[name, value]], context);
      },
    });
    if (compiled.unknown.length > 0 && context.strict) {
      fail(
        'unknown-search-parameter',
        `Unknown search parameter(s) for ${type}: ${compiled.unknown.join(', ')}`,
        compiled.unknown,
      );
    }
    return compiled;
  }

  /** Ids of the resources a conditional interaction or a chain matches (criteria only). */
  async matchIds(type: string, params: SearchParams, context: RequestContext): Promise<string[]> {
    const compiled = await this.compile(type, params, { ...context, strict: true });
    const page = await this.repository.search({
      type,
      ...compiled,
      sort: [{ path: '_id', descending: false }],
      count: MAX_CONDITIONAL_MATCHES,
      countTotal: false,
    });
    if (page.more)
      fail(
        'too-many-results',
        `More than ${MAX_CONDITIONAL_MATCHES} ${type} resources match ${describe(params)}`,
      );
    return page.matches.map((m) => m.stored.id);
  }

  /** A search's bundle, and the whole resources behind it (matches before _elements or _summary cut them). */
  async search(
    type: string,
    params: SearchParams,
    context: RequestContext,
  ): Promise<{ bundle: Bundle<Resource>; sources: Resource[] }> {
    requireType(type);
    const controls = parseControls(type, params);
    const compiled = await this.compile(type, params, context);
    const unknown = compiled.unknown;
    const countOnly = controls.summary === 'count';
    const page = await this.repository.search({
      type,
      ...compiled,
      sort: controls.sort,
      count: countOnly ? 0 : controls.count,
      ...(controls.cursor ? { cursor: controls.cursor } : {}),
      countTotal: countOnly || controls.total === 'accurate' || controls.total === 'estimate',
      carried: controls.include.map((include) => include.param),
    });
    const matches = page.matches.map((m) =>
      searchEntry(context.baseUrl, subset(m.stored.resource!, controls), 'match'),
    );
    const { included, withheld } = countOnly
      ? { included: [], withheld: [] }
      : await this.includes(type, page.matches, controls, context);
    const warnings: Problem[] = [];
    if (unknown.length > 0) {
      warnings.push(
        warning(
          'unknown-search-parameter',
          `Ignored unknown search parameter(s): ${unknown.join(', ')}`,
          unknown,
        ),
      );
    }
    if (withheld.length > 0) {
      warnings.push(
        warning('forbidden', `Left out included resources this client may not read: ${withheld.join(', ')}`),
      );
    }
    const outcome: BundleEntry<Resource>[] =
      warnings.length > 0 ? [searchEntry(context.baseUrl, operationOutcome(warnings), 'outcome')] : [];
    const bundle: Bundle<Resource> = {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.total !== undefined && controls.total !== 'none' ? { total: page.total } : {}),
      link: this.pageLinks(type, params, controls, page.matches, page.more, context),
      entry: [...matches, ...included, ...outcome],
    };
    const sources = [...page.matches.map((m) => m.stored.resource!), ...included.map((e) => e.resource!)];
    return { bundle, sources };
  }

  private pageLinks(
    type: string,
    params: SearchParams,
    controls: SearchControls,
    matches: SearchMatch[],
    more: boolean,
    context: RequestContext,
  ): BundleLink[] {
    const base = params.filter(([name]) => name !== '_page');
    const url = (extra: SearchParams) => `${context.baseUrl}/${type}${toQuery([...base, ...extra])}`;
    const links: BundleLink[] = [
      { relation: 'self', url: url(controls.cursor ? [['_page', encodeCursor(controls.cursor)]] : []) },
    ];
    const first = matches[0];
    const last = matches[matches.length - 1];
    const backwards = controls.cursor?.backwards ?? false;
    if (last && (backwards || more)) {
      links.push({
        relation: 'next',
        url: url([['_page', encodeCursor({ values: last.sortValues, backwards: false })]]),
      });
    }
    if (first && (backwards ? more : controls.cursor !== undefined)) {
      links.push({
        relation: 'previous',
        url: url([['_page', encodeCursor({ values: first.sortValues, backwards: true })]]),
      });
    }
    return links;
  }

  private async includes(
    type: string,
    matches: SearchMatch[],
    controls: SearchControls,
    context: RequestContext,
  ): Promise<{ included: BundleEntry<Resource>[]; withheld: string[] }> {
    const { access } = context;
    const seen = new Set(matches.map((m) => `${type}/${m.stored.id}`));
    const found: Resource[] = [];
    // what the client may not read is never included; the bundle says which types were left out
    const withheld = new Set<string>();
    const addUnique = (resource: Resource | undefined) => {
      const key = resource ? `${resource.resourceType}/${resource.id}` : '';
      if (!resource || seen.has(key)) return;
      if (!canSee(access, resource)) {
        withheld.add(resource.resourceType);
        return;
      }
      seen.add(key);
      found.push(resource);
    };
    for (const include of controls.include) {
      const refs = matches.flatMap((m) => valuesOf(m.index, include.param));
      const wanted = [...new Set(refs)].filter((r) => {
        const refType = r.split('/')[0]!;
        if (include.targetType && refType !== include.targetType) return false;
        const readable = !RESOURCE_TYPES.includes(refType) || may(access, refType, 'r');
        if (!readable) withheld.add(refType);
        return readable;
      });
      const resources = await Promise.all(
        wanted.map(async (ref) => {
          const [refType, refId] = ref.split('/') as [string, string];
          if (!RESOURCE_TYPES.includes(refType) || !refId || !ID_PATTERN.test(refId)) return undefined;
          const stored = await this.repository.read(refType, refId);
          return stored && !stored.deleted ? stored.resource : undefined;
        }),
      );
      resources.forEach(addUnique);
    }
    for (const include of controls.revinclude) {
      if (matches.length === 0) continue;
      if (!may(access, include.sourceType, 'r')) {
        withheld.add(include.sourceType);
        continue;
      }
      const refs = matches.map((m) => `${type}/${m.stored.id}`).join(',');
      const compiled = await this.compile(include.sourceType, [[include.param, refs]], context);
      const page = await this.repository.search({
        type: include.sourceType,
        ...compiled,
        sort: [{ path: '_id', descending: false }],
        count: MAX_CONDITIONAL_MATCHES,
        countTotal: false,
      });
      page.matches.forEach((m) => addUnique(m.stored.resource));
    }
    return {
      included: found.map((r) => searchEntry(context.baseUrl, r, 'include')),
      withheld: [...withheld],
    };
  }

  async history(
    params: SearchParams,
    context: RequestContext,
    type?: string,
    id?: string,
  ): Promise<Bundle<Resource>> {
    if (type) requireType(type);
    if (id) {
      requireId(id);
      await this.repository.read(type!, id).then((s) => s ?? fail('not-found', `${type}/${id} is not known`));
    }
    let count = 20;
    let since: number | undefined;
    let before: number | undefined;
    for (const [name, value] of params) {
      if (name === '_count') {
        if (!/^\d+$/.test(value))
          fail('invalid-search-parameter', '_count must be a whole number', ['_count']);
        count = Math.min(Number(value), 1000);
      } else if (name === '_since') {
        since = Date.parse(value);
        if (Number.isNaN(since) || !/^\d{4}-\d{2}-\d{2}T/.test(value))
          fail('invalid-search-parameter', '_since must be an instant', ['_since']);
      } else if (name === '_page') {
        if (!/^\d+$/.test(value))
          fail('invalid-search-parameter', '_page is not a page token issued by this server', ['_page']);
        before = Number(value);
      }
    }
    const page = await this.repository.history({
      ...(type ? { type } : {}),
      ...(id ? { id } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(before !== undefined ? { before } : {}),
      count,
    });
    const path = [context.baseUrl, type, id, '_history'].filter(Boolean).join('/');
    const base = params.filter(([name]) => name !== '_page');
    const links: BundleLink[] = [{ relation: 'self', url: `${path}${toQuery(params)}` }];
    if (page.next !== undefined)
      links.push({ relation: 'next', url: `${path}${toQuery([...base, ['_page', String(page.next)]])}` });
    // a version the client may not see (a record once of another programme) is left out
    const visible = page.versions.filter((v) => !v.resource || canSee(context.access, v.resource));
    return historyBundle(context.baseUrl, visible, links);
  }
}

function warning(code: Problem['code'], diagnostics: string, expression: string[] = []): Problem {
  return { code, diagnostics, severity: 'warning', ...(expression.length > 0 ? { expression } : {}) };
}

function isParameters(
  body: unknown,
): body is { resourceType: 'Parameters'; parameter?: { name: string; resource?: unknown }[] } {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { resourceType?: unknown }).resourceType === 'Parameters'
  );
}

function describe(params: SearchParams): string {
  return params.map(([n, v]) => `${n}=${v}`).join('&');
}

export function parseQuery(query: string): SearchParams {
  return [...new URLSearchParams(query.startsWith('?') ? query.slice(1) : query).entries()];
}

export function toQuery(params: SearchParams): string {
  if (params.length === 0) return '';
  return `?${params.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&')}`;
}
