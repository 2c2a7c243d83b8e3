import { expect } from 'chai';
import { immunization, patient } from '../../fixtures/records.js';
import { ROLES } from '../../src/auth/roles.js';
import { allows, parseScopes } from '../../src/auth/scopes.js';
import { isPartial, UNRESTRICTED } from '../../src/auth/access.js';
import '../../src/operations/index.js';
import { allOperations } from '../../src/operations/registry.js';
import { RESOURCE_TYPES, resourceDefinition } from '../../src/resources/registry.js';
import { caller, extraServer, tokenFor } from './harness.js';
/**
 * The authorisation matrix, generated: every role × every resource type × every interaction, and every
 * registered operation × every role. What a role's scopes allow (computed from the same grants and the
 * operations' declared needs) must not be refused; everything else must be 403. A new operation or type
 * joins the matrix by being registered.
 */
let server;
const tokens = new Map();
const PRACTICE = 'A81001';
const MISSING = '00000000-0000-4000-8000-000000000000';
let vaccinated = '';
/** The interactions on a type, each with the permissions it needs and how it is called. */
const INTERACTIONS = [
    { name: 'create', needs: ['c'], method: 'POST', path: (t) => `/${t}`, body: {} },
    { name: 'read', needs: ['r'], method: 'GET', path: (t) => `/${t}/${MISSING}` },
    { name: 'vread', needs: ['r'], method: 'GET', path: (t) => `/${t}/${MISSING}/_history/1` },
    { name: 'update', needs: ['u'], method: 'PUT', path: (t) => `/${t}/${MISSING}`, body: {} },
    { name: 'patch', needs: ['u'], method: 'PATCH', path: (t) => `/${t}/${MISSING}`, body: [] },
    { name: 'delete', needs: ['d'], method: 'DELETE', path: (t) => `/${t}/${MISSING}` },
    { name: 'search', needs: ['s'], method: 'GET', path: (t) => `/${t}?_count=1` },
    { name: 'search by POST', needs: ['s'], method: 'POST', path: (t) => `/${t}/_search` },
    { name: 'history of one', needs: ['r'], method: 'GET', path: (t) => `/${t}/${MISSING}/_history` },
    { name: 'history of the type', needs: ['r', 's'], method: 'GET', path: (t) => `/${t}/_history` },
];
/** Types nobody writes through the API and that keep no history (the audit trail): 405 for every role. */
const READ_ONLY = RESOURCE_TYPES.filter((t) => resourceDefinition(t)?.readOnly);
const grantsOf = (role) => parseScopes(ROLES[role].scopes).grants;
/** The role's client as the server sees it: a GP system is bound to its practice. */
const accessOf = (role) => ({
    clientId: role,
    clientName: role,
    grants: grantsOf(role),
    ...(role === 'gp-system' ? { practice: PRACTICE } : {}),
});
const allowed = (role, needs) => needs.every(([type, permission]) => allows(grantsOf(role), type, permission));
describe('authorisation matrix: every role × type × interaction, and every operation', function () {
    this.timeout(180_000);
    const roles = Object.keys(ROLES);
    before(async () => {
        server = await extraServer({ MONGODB_DB: 'nims_matrix_test' });
        for (const role of roles)
            tokens.set(role, await tokenFor(ROLES[role].scopes, role === 'gp-system' ? PRACTICE : undefined, server));
        // someone with a vaccination, for the includes
        const full = caller(() => server, () => everything);
        const everything = await tokenFor('system/*.cruds', undefined, server);
        const person = (await full('POST', '/Patient', patient(1, 64))).body;
        vaccinated = person.id;
        expect((await full('POST', '/Immunization', immunization(person.id))).status).to.equal(201);
    });
    after(() => server?.stop());
    const call = (role, method, path, body, type) => caller(() => server, () => tokens.get(role))(method, path, body, type);
    it('when each role uses each interaction on each type, then what its scopes allow is not refused and the rest is 403', async () => {
        const wrong = [];
        for (const role of roles)
            for (const type of RESOURCE_TYPES)
                for (const interaction of INTERACTIONS) {
                    const noHistory = interaction.name.startsWith('history');
                    const isWrite = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(interaction.method) &&
                        !interaction.name.startsWith('search');
                    const body = interaction.body === undefined
                        ? undefined
                        : Array.isArray(interaction.body)
                            ? []
                            : { resourceType: type };
                    const answer = await call(role, interaction.method, interaction.path(type), body, interaction.method === 'PATCH' ? 'application/json-patch+json' : undefined);
                    // a client bound to its practice sees only some of a type: its type history would show all
                    const bound = interaction.name === 'history of the type' && isPartial(accessOf(role), type);
                    const may = allowed(role, interaction.needs.map((p) => [type, p]));
                    const expected = READ_ONLY.includes(type) && (isWrite || noHistory) ? '405' : may && !bound ? 'not 403' : '403';
                    const ok = expected === 'not 403'
                        ? answer.status !== 403 && answer.status !== 401
                        : answer.status === Number(expected);
                    if (!ok)
                        wrong.push(`${role} ${interaction.name} ${type}: ${answer.status}, expected ${expected}`);
                }
        expect(wrong, wrong.join('\n')).to.deep.equal([]);
    });
    it('when each role calls each operation, then its declared needs decide: allowed is not refused, the rest is 403', async () => {
        const wrong = [];
        const calls = allOperations().flatMap((op) => {
            const { code } = op.definition;
            const types = op.definition.resource ?? [];
            return [
                ...(op.definition.system
                    ? [
                        {
                            op,
                            path: `/$${code}`,
                            type: undefined,
                            id: undefined,
                        },
                    ]
                    : []),
                ...(op.definition.type
                    ? types.map((type) => ({ op, path: `/${type}/$${code}`, type, id: undefined }))
                    : []),
                ...(op.definition.instance
                    ? types.map((type) => ({ op, path: `/${type}/${MISSING}/$${code}`, type, id: MISSING }))
                    : []),
            ];
        });
        expect(calls.length).to.be.greaterThan(20);
        for (const role of roles)
            for (const { op, path, type, id } of calls) {
                const body = { resourceType: 'Parameters' };
                const needs = op.needs({
                    method: 'POST',
                    path: path.slice(1),
                    params: [],
                    body,
                    context: { baseUrl: '', strict: true, access: UNRESTRICTED },
                    ...(type ? { type } : {}),
                    ...(id ? { id } : {}),
                });
                const answer = await call(role, 'POST', path, body);
                const may = allowed(role, needs);
                const ok = may ? answer.status !== 403 && answer.status !== 401 : answer.status === 403;
                if (!ok)
                    wrong.push(`${role} POST ${path}: ${answer.status}, expected ${may ? 'not 403' : '403'}`);
            }
        expect(wrong, wrong.join('\n')).to.deep.equal([]);
    });
    it('when a batch holds reads of every type, then each entry is allowed or refused by the role on its own', async () => {
        const wrong = [];
        for (const role of roles) {
            const answer = await call(role, 'POST', '/', {
                resourceType: 'Bundle',
                type: 'batch',
                entry: RESOURCE_TYPES.map((type) => ({ request: { method: 'GET', url: `${type}?_count=1` } })),
            });
            const statuses = (answer.body.entry ?? []).map((e) => e.response?.status?.slice(0, 3));
            RESOURCE_TYPES.forEach((type, i) => {
                const may = allows(grantsOf(role), type, 's');
                if ((statuses[i] === '403') === may)
                    wrong.push(`${role} batch search ${type}: ${statuses[i]}`);
            });
        }
        expect(wrong, wrong.join('\n')).to.deep.equal([]);
    });
    it('when a role without Immunization read includes Immunizations, then none come and the bundle says they were withheld', async () => {
        const role = 'consent-app';
        expect(allows(grantsOf(role), 'Immunization', 'r')).to.equal(false);
        const answer = await call(role, 'GET', `/Patient?_id=${vaccinated}&_revinclude=Immunization:patient`);
        expect(answer.status).to.equal(200);
        const resources = (answer.body.entry ?? []).map((e) => e.resource);
        expect(resources.filter((r) => r.resourceType === 'Immunization')).to.deep.equal([]);
        expect(resources.filter((r) => r.resourceType === 'Patient')).to.have.length(1);
        const outcome = resources.find((r) => r.resourceType === 'OperationOutcome');
        expect(JSON.stringify(outcome)).to.include('Immunization');
    });
});
//# sourceMappingURL=authz-matrix.test.js.map