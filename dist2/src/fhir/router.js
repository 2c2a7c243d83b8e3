import { authorize, isPartial, requireVisible } from '../auth/access.js';
import { touched } from '../auth/audit.js';
import { findOperation } from '../operations/registry.js';
import { RESOURCE_TYPES, resourceDefinition } from '../resources/registry.js';
import { fail, FhirError } from './errors.js';
import { etag } from './bundles.js';
import { capabilityStatement } from './capability.js';
const TYPE = /^[A-Z][A-Za-z]+$/;
function notAllowed(method, path) {
    fail('method-not-allowed', `${method} is not supported on /${path}`);
}
function notModified(request, version, lastUpdated) {
    if (request.ifNoneMatch !== undefined)
        return request.ifNoneMatch.split(',').some((t) => t.trim() === etag(version) || t.trim() === '*');
    if (request.ifModifiedSince !== undefined) {
        const since = Date.parse(request.ifModifiedSince);
        // HTTP dates have whole seconds
        return !Number.isNaN(since) && Math.floor(Date.parse(lastUpdated) / 1000) * 1000 <= since;
    }
    return false;
}
/** Resources an answer carries: a search's sources, the stored one, or a history bundle's entries. */
function resourcesOf(result) {
    if (result.sources)
        return result.sources;
    if (result.stored?.resource)
        return [result.stored.resource];
    const bundle = result.body;
    if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'history')
        return [];
    return (bundle.entry ?? []).flatMap((e) => e.resource && e.resource.resourceType !== 'OperationOutcome' ? [e.resource] : []);
}
/**
 * Runs one FHIR request: works out its interaction, checks the client's scopes, runs it and records it in
 * the audit trail (successes and refusals alike). The single entry for HTTP requests and bundle entries.
 */
export async function route(request, handlers) {
    const { access } = request.context;
    let interaction;
    try {
        interaction = plan(request, handlers);
        for (const [type, permission] of interaction.needs)
            authorize(access, type, permission);
        const run = () => interaction.run();
        const result = await (handlers.once ? handlers.once(run) : run());
        await audit(handlers, request, interaction, result.status, touched(resourcesOf(result)));
        return result;
    }
    catch (error) {
        if (interaction && error instanceof FhirError) {
            const failure = error.problems[0]?.code;
            await audit(handlers, request, interaction, error.status, { references: [], patients: [] }, failure);
        }
        throw error;
    }
}
/** Refuses (403) a request the client may not make, without running it: a transaction checks all first. */
export function authorizeRequest(request, handlers) {
    const interaction = plan(request, handlers);
    for (const [type, permission] of interaction.needs)
        authorize(request.context.access, type, permission);
}
async function audit(handlers, request, interaction, status, what, failure) {
    if (!handlers.audit || interaction.code === 'capabilities')
        return;
    const segments = request.path.split('/');
    // a single resource's interaction names it even when it failed
    const named = TYPE.test(segments[0] ?? '') &&
        segments[1] &&
        !segments[1].startsWith('_') &&
        !segments[1].startsWith('$');
    const references = what.references.length === 0 && named ? [`${segments[0]}/${segments[1]}`] : what.references;
    const { address } = request.context;
    const recordsQuery = ['search-type', 'history-type', 'history-system', 'operation'].includes(interaction.code);
    const query = recordsQuery ? new URLSearchParams(request.params).toString() : '';
    await handlers.audit.record({
        access: request.context.access,
        ...(address ? { address } : {}),
        interaction: interaction.code,
        action: interaction.action,
        ...(recordsQuery ? { query: `${request.path}${query ? `?${query}` : ''}` } : {}),
        references,
        patients: what.patients,
        status,
        ...(failure ? { failure } : {}),
    });
}
/** Types whose versions are in the change log, so in type and system history: all but the audit trail. */
const LOGGED_TYPES = RESOURCE_TYPES.filter((type) => !resourceDefinition(type)?.readOnly);
/** Every logged type's permission, for system history. */
function everyType(permission) {
    return LOGGED_TYPES.map((type) => [type, permission]);
}
/** Refuses history of types kept outside the change log (the audit trail, whose events never change). */
function withHistory(type) {
    if (!LOGGED_TYPES.includes(type) && RESOURCE_TYPES.includes(type))
        fail('method-not-allowed', `${type} has no history: each one never changes; search them by date`);
}
/** Refuses writes to types the server alone writes (the audit trail). */
function writable(type) {
    if (resourceDefinition(type)?.readOnly)
        fail('method-not-allowed', `${type} resources are written by the server only`);
}
/** Maps a request to its interaction. The single place that knows FHIR's URL grammar. */
function plan(request, handlers) {
    const { service, processBundle } = handlers;
    const { method, params, context } = request;
    const { access } = context;
    const segments = request.path.split('/').filter((s) => s !== '');
    const [first, second, third, fourth] = segments;
    if (segments.length > 4)
        fail('unknown-route', `/${request.path} is not a FHIR URL`);
    if (first === undefined) {
        if (method !== 'POST')
            notAllowed(method, request.path);
        const kind = request.body?.type === 'transaction' ? 'transaction' : 'batch';
        // each entry is checked and audited as a request of its own
        return {
            code: kind,
            action: 'E',
            needs: [],
            run: async () => ({ status: 200, body: await processBundle(request.body, context) }),
        };
    }
    if (first === 'metadata') {
        if (method !== 'GET' || segments.length > 1)
            notAllowed(method, request.path);
        return {
            code: 'capabilities',
            action: 'R',
            needs: [],
            run: () => Promise.resolve({ status: 200, body: capabilityStatement(context.baseUrl) }),
        };
    }
    if (first === '_history') {
        if (method !== 'GET' || segments.length > 1)
            notAllowed(method, request.path);
        if (RESOURCE_TYPES.some((t) => isPartial(access, t)))
            fail('forbidden', 'This client sees only part of some types, so it cannot read the whole history');
        return {
            code: 'history-system',
            action: 'R',
            needs: [...everyType('r'), ...everyType('s')],
            run: async () => ({ status: 200, body: await service.history(params, context) }),
        };
    }
    if (first.startsWith('$'))
        return operation(request, handlers, first.slice(1), 'system');
    if (!TYPE.test(first))
        fail('unknown-route', `/${request.path} is not a FHIR URL`);
    const type = first;
    if (second === undefined || (second === '_search' && third === undefined)) {
        if (second === '_search' && method !== 'POST')
            notAllowed(method, request.path);
        const search = () => ({
            code: 'search-type',
            action: 'E',
            needs: [[type, 's']],
            run: async () => {
                const { bundle, sources } = await service.search(type, params, context);
                return { status: 200, body: bundle, sources };
            },
        });
        if (second === '_search')
            return search();
        switch (method) {
            case 'GET':
                return search();
            case 'POST':
                writable(type);
                return {
                    code: 'create',
                    action: 'C',
                    needs: request.ifNoneExist !== undefined
                        ? [
                            [type, 'c'],
                            [type, 's'],
                        ]
                        : [[type, 'c']],
                    run: () => request.assignedId
                        ? service.createWithId(type, request.body, request.assignedId, { access })
                        : service.create(type, request.body, context, request.ifNoneExist),
                };
            case 'PUT':
                writable(type);
                if (params.length === 0)
                    fail('invalid-request', `A conditional update of ${type} needs search criteria`);
                return {
                    code: 'update',
                    action: 'U',
                    needs: [
                        [type, 's'],
                        [type, 'u'],
                    ],
                    run: () => service.conditionalUpdate(type, params, request.body, context, request.ifMatch),
                };
            case 'DELETE':
                writable(type);
                if (params.length === 0)
                    fail('invalid-request', `A conditional delete of ${type} needs search criteria`);
                return {
                    code: 'delete',
                    action: 'D',
                    needs: [
                        [type, 's'],
                        [type, 'd'],
                    ],
                    run: () => service.conditionalDelete(type, params, context),
                };
            default:
                notAllowed(method, request.path);
        }
    }
    if (second === '_history' && third === undefined) {
        if (method !== 'GET')
            notAllowed(method, request.path);
        withHistory(type);
        if (isPartial(access, type))
            fail('forbidden', `This client sees only some ${type} resources, so it cannot read their whole history`);
        return {
            code: 'history-type',
            action: 'R',
            needs: [
                [type, 'r'],
                [type, 's'],
            ],
            run: async () => ({ status: 200, body: await service.history(params, context, type) }),
        };
    }
    if (second.startsWith('$')) {
        if (third !== undefined)
            fail('unknown-route', `/${request.path} is not a FHIR URL`);
        return operation(request, handlers, second.slice(1), 'type', type);
    }
    const id = second;
    if (third === undefined) {
        switch (method) {
            case 'GET':
                return {
                    code: 'read',
                    action: 'R',
                    needs: [[type, 'r']],
                    run: async () => {
                        const stored = await service.read(type, id);
                        requireVisible(access, stored.resource);
                        return notModified(request, stored.versionId, stored.lastUpdated)
                            ? { status: 304, stored }
                            : { status: 200, stored };
                    },
                };
            case 'PUT':
                writable(type);
                return {
                    code: 'update',
                    action: 'U',
                    needs: [[type, 'u']],
                    run: () => service.update(type, id, request.body, request.ifMatch, { access }),
                };
            case 'PATCH':
                writable(type);
                return {
                    code: 'patch',
                    action: 'U',
                    needs: [[type, 'u']],
                    run: () => service.patch(type, id, request.body, request.ifMatch, { access }),
                };
            case 'DELETE':
                writable(type);
                return {
                    code: 'delete',
                    action: 'D',
                    needs: [[type, 'd']],
                    run: () => service.delete(type, id, request.ifMatch, { access }),
                };
            default:
                notAllowed(method, request.path);
        }
    }
    if (third === '_history') {
        if (method !== 'GET')
            notAllowed(method, request.path);
        if (fourth === undefined) {
            withHistory(type);
            return {
                code: 'history-instance',
                action: 'R',
                needs: [[type, 'r']],
                run: async () => {
                    // a bound or narrowed client reads the history of what it may see now
                    if (isPartial(access, type))
                        requireVisible(access, (await service.readIfExists(type, id))?.resource);
                    return { status: 200, body: await service.history(params, context, type, id) };
                },
            };
        }
        return {
            code: 'vread',
            action: 'R',
            needs: [[type, 'r']],
            run: async () => {
                const stored = await service.vread(type, id, fourth);
                requireVisible(access, stored.resource);
                return { status: 200, stored };
            },
        };
    }
    if (third.startsWith('$') && fourth === undefined)
        return operation(request, handlers, third.slice(1), 'instance', type, id);
    fail('unknown-route', `/${request.path} is not a FHIR URL`);
}
function operation(request, handlers, code, level, type, id) {
    const op = findOperation(code, level, type);
    if (!op)
        fail('unknown-route', `Operation $${code} is not supported at ${level} level${type ? ` on ${type}` : ''}`);
    if (request.method !== 'POST' && !(request.method === 'GET' && op.definition.affectsState === false)) {
        notAllowed(request.method, request.path);
    }
    const target = { ...request, ...(type ? { type } : {}), ...(id ? { id } : {}) };
    return {
        code: 'operation',
        action: 'E',
        needs: op.needs(target),
        run: async () => {
            if (id !== undefined && type !== undefined) {
                const stored = await handlers.service.read(type, id);
                requireVisible(request.context.access, stored.resource);
            }
            return op.handle(target, handlers);
        },
    };
}
//# sourceMappingURL=router.js.map