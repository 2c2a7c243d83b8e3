import { randomUUID } from 'node:crypto';
import { logger } from '../shared/logger.js';
import { etag, statusText } from './bundles.js';
import { FhirError, fail, operationOutcome } from './errors.js';
import { authorizeRequest, route } from './router.js';
import { parseQuery, requireType, } from './service.js';
const MAX_ENTRIES = 10_000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Transactions run their entries in this order of method (FHIR R4 §3.1.0.11.2). */
const ORDER = ['DELETE', 'POST', 'PUT', 'PATCH', 'GET'];
function plan(bundle) {
    const entries = bundle.entry ?? [];
    if (entries.length > MAX_ENTRIES)
        fail('too-large', `A bundle may hold at most ${MAX_ENTRIES} entries`);
    return entries.map((entry, index) => {
        const where = [`Bundle.entry[${index}].request`];
        const method = entry.request?.method;
        const url = entry.request?.url;
        if (!method || !METHODS.includes(method))
            fail('invalid-bundle', `Entry ${index} needs request.method`, where);
        if (!url)
            fail('invalid-bundle', `Entry ${index} needs request.url`, where);
        const relative = url.replace(/^https?:\/\/[^/]+\/(?:.*?\/)?(?=[A-Z][A-Za-z]+(?:[/?]|$))/, '');
        const [path = '', query = ''] = relative.split('?', 2);
        let body = entry.resource;
        if (method === 'PATCH')
            body = patchBody(entry, index);
        return {
            index,
            method: method,
            path: path.replace(/^\//, ''),
            query,
            entry,
            ...(body !== undefined ? { body } : {}),
        };
    });
}
/** A PATCH entry carries its JSON Patch in a Binary resource. */
function patchBody(entry, index) {
    const binary = entry.resource;
    if (binary?.resourceType !== 'Binary' ||
        binary.contentType !== 'application/json-patch+json' ||
        !binary.data) {
        fail('invalid-bundle', `Entry ${index}: a PATCH entry carries a Binary of application/json-patch+json`, [
            `Bundle.entry[${index}].resource`,
        ]);
    }
    try {
        return JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8'));
    }
    catch {
        fail('invalid-patch', `Entry ${index}: the Binary does not hold JSON`, [
            `Bundle.entry[${index}].resource.data`,
        ]);
    }
}
function toRequest(entry, context) {
    const request = entry.entry.request;
    const ifMatch = request.ifMatch ? /^W\/"(\d+)"$/.exec(request.ifMatch)?.[1] : undefined;
    if (request.ifMatch && ifMatch === undefined)
        fail('invalid-precondition', `Entry ${entry.index}: ifMatch must be W/"n"`);
    return {
        method: entry.method,
        path: entry.path,
        params: parseQuery(entry.query),
        ...(entry.body !== undefined ? { body: entry.body } : {}),
        ...(ifMatch !== undefined ? { ifMatch: Number(ifMatch) } : {}),
        ...(request.ifNoneExist ? { ifNoneExist: request.ifNoneExist } : {}),
        ...(request.ifNoneMatch ? { ifNoneMatch: request.ifNoneMatch } : {}),
        ...(request.ifModifiedSince ? { ifModifiedSince: request.ifModifiedSince } : {}),
        context,
    };
}
function responseOf(result, baseUrl) {
    const response = { status: statusText(result.status) };
    const stored = result.stored;
    if (stored) {
        response.etag = etag(stored.versionId);
        response.lastModified = stored.lastUpdated;
        if (result.status === 201)
            response.location = `${stored.type}/${stored.id}/_history/${stored.versionId}`;
    }
    if (result.body?.resourceType === 'OperationOutcome')
        response.outcome = result.body;
    const resource = result.body && result.body.resourceType !== 'OperationOutcome' ? result.body : stored?.resource;
    return {
        ...(stored ? { fullUrl: `${baseUrl}/${stored.type}/${stored.id}` } : {}),
        ...(resource ? { resource } : {}),
        response,
    };
}
function errorResponse(error) {
    if (error instanceof FhirError) {
        return { response: { status: statusText(error.status), outcome: operationOutcome(error.problems) } };
    }
    throw error;
}
/** Replaces every `reference` equal to a key of `map` (walks the whole resource). */
function rewriteReferences(value, map) {
    if (Array.isArray(value))
        return value.map((v) => rewriteReferences(v, map));
    if (typeof value !== 'object' || value === null)
        return value;
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [
        key,
        key === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewriteReferences(v, map),
    ]));
}
/** Batches and transactions (POST to the base URL). */
export class BundleProcessor {
    service;
    repo;
    constructor(service, repo, audit, workers = {}) {
        this.service = service;
        this.repo = repo;
        this.handlers = {
            service,
            processBundle: (bundle, context) => this.process(bundle, context),
            ...(audit ? { audit } : {}),
            ...workers,
        };
    }
    handlers;
    async process(body, context) {
        const bundle = body;
        if (bundle?.resourceType !== 'Bundle')
            fail('invalid-bundle', 'POST to the base URL takes a Bundle of type batch or transaction');
        if (bundle.type === 'batch')
            return this.batch(bundle, context);
        if (bundle.type === 'transaction')
            return this.transaction(bundle, context);
        fail('invalid-bundle', `Bundle.type must be batch or transaction, not ${String(bundle.type)}`, [
            'Bundle.type',
        ]);
    }
    run = (request) => route(request, this.handlers);
    async batch(bundle, context) {
        const entries = plan(bundle);
        const responses = [];
        for (const entry of entries) {
            try {
                if (entry.path === '')
                    fail('invalid-bundle', 'A batch entry cannot be another bundle');
                responses.push(responseOf(await this.run(toRequest(entry, context)), context.baseUrl));
            }
            catch (error) {
                responses.push(errorResponse(error));
            }
        }
        return { resourceType: 'Bundle', id: randomUUID(), type: 'batch-response', entry: responses };
    }
    /**
     * All or nothing, without database transactions: resolve and validate everything first, then write,
     * and undo what was written if a later write fails.
     */
    async transaction(bundle, context) {
        const entries = plan(bundle);
        const references = new Map();
        // resolve: give each created resource its id, so references between entries can be rewritten
        const presetIds = new Map();
        for (const entry of entries) {
            const fullUrl = entry.entry.fullUrl;
            const [type, id] = entry.path.split('/');
            if (entry.path === '')
                fail('invalid-bundle', `Entry ${entry.index}: a transaction cannot contain a bundle`);
            if (type)
                requireType(type);
            if (entry.method === 'POST' && type) {
                const existing = entry.entry.request?.ifNoneExist
                    ? await this.service.matchIds(type, parseQuery(entry.entry.request.ifNoneExist), context)
                    : [];
                if (existing.length > 1)
                    fail('multiple-matches', `Entry ${entry.index}: ifNoneExist matches ${existing.length} resources`);
                const newId = existing[0] ?? randomUUID();
                presetIds.set(entry.index, { id: newId, exists: existing[0] !== undefined });
                if (fullUrl)
                    references.set(fullUrl, `${type}/${newId}`);
            }
            else if (entry.method === 'PUT' && type && id && fullUrl) {
                references.set(fullUrl, `${type}/${id}`);
            }
        }
        for (const entry of entries) {
            if (entry.body !== undefined && entry.method !== 'PATCH')
                entry.body = rewriteReferences(entry.body, references);
        }
        // validate every resource before anything is written
        const invalid = entries.flatMap((entry) => {
            if (entry.method !== 'POST' && entry.method !== 'PUT')
                return [];
            const resource = entry.body;
            const problems = resource?.resourceType ? this.service.validator.problems(resource) : [];
            return problems.map((p) => ({
                ...p,
                diagnostics: `Entry ${entry.index}: ${p.diagnostics}`,
                expression: p.expression?.map((e) => e.replace(/^[A-Za-z]+/, `Bundle.entry[${entry.index}].resource`)),
            }));
        });
        if (invalid.length > 0)
            throw new FhirError(invalid);
        // and refuse the whole transaction before writing if the client may not make one of its entries
        for (const entry of entries)
            authorizeRequest(toRequest(entry, context), this.handlers);
        const receipts = [];
        const responses = new Map();
        const ordered = [...entries].sort((a, b) => ORDER.indexOf(a.method) - ORDER.indexOf(b.method));
        try {
            for (const entry of ordered) {
                const request = toRequest(entry, context);
                const preset = entry.method === 'POST' ? presetIds.get(entry.index) : undefined;
                // a conditional create that matched runs as itself (checked and audited), and must match the same
                // resource as when the transaction's references were resolved
                const result = await this.run(preset && !preset.exists ? { ...request, assignedId: preset.id } : request);
                if (preset?.exists && result.stored?.id !== preset.id) {
                    fail('version-conflict', `Entry ${entry.index}: what ifNoneExist matches changed during the transaction`);
                }
                if (result.receipt)
                    receipts.push(result.receipt);
                responses.set(entry.index, responseOf(result, context.baseUrl));
            }
        }
        catch (error) {
            await this.undo(receipts);
            if (error instanceof FhirError) {
                const failed = ordered.find((e) => !responses.has(e.index));
                throw new FhirError(error.problems.map((p) => ({
                    ...p,
                    diagnostics: `Transaction failed at entry ${failed?.index ?? '?'}, nothing was kept: ${p.diagnostics}`,
                })), error.headers);
            }
            throw error;
        }
        return {
            resourceType: 'Bundle',
            id: randomUUID(),
            type: 'transaction-response',
            entry: entries.map((e) => responses.get(e.index)),
        };
    }
    async undo(receipts) {
        for (const receipt of [...receipts].reverse()) {
            try {
                await this.repo.undo(receipt);
            }
            catch (error) {
                // keep undoing the rest; the write log names what could not be taken back
                logger.error('transaction undo failed', {
                    type: receipt.type,
                    id: receipt.id,
                    version: receipt.version,
                    error: error.name,
                });
            }
        }
    }
}
//# sourceMappingURL=transaction.js.map