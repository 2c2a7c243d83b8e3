import { expect } from 'chai';
import { patient } from '../../fixtures/records.js';
import { create, errorCode, http } from './harness.js';
describe('bad requests', () => {
    let existingId;
    before(async () => {
        existingId = (await create(patient(401))).id;
    });
    const table = () => [
        {
            what: 'malformed JSON',
            method: 'POST',
            path: '/Patient',
            raw: '{"resourceType": "Patient",',
            headers: { 'content-type': 'application/fhir+json' },
            status: 400,
            code: 'malformed-json',
        },
        {
            what: 'a JSON array as a resource',
            method: 'POST',
            path: '/Patient',
            body: [1, 2],
            status: 400,
            code: 'invalid-request',
        },
        {
            what: 'a JSON string as a resource',
            method: 'POST',
            path: '/Patient',
            raw: '"Patient"',
            headers: { 'content-type': 'application/json' },
            status: 400,
            code: 'invalid-request',
        },
        {
            what: 'the wrong resourceType',
            method: 'POST',
            path: '/Patient',
            body: { resourceType: 'Immunization' },
            status: 400,
            code: 'invalid-request',
        },
        { what: 'no body on create', method: 'POST', path: '/Patient', status: 400, code: 'invalid-request' },
        {
            what: 'an unknown resource type',
            method: 'GET',
            path: '/Spaceship/1',
            status: 404,
            code: 'unknown-resource-type',
        },
        {
            what: 'an id longer than 64 characters',
            method: 'GET',
            path: `/Patient/${'x'.repeat(65)}`,
            status: 400,
            code: 'invalid-id',
        },
        {
            what: 'a text/plain body',
            method: 'POST',
            path: '/Patient',
            raw: 'hello',
            headers: { 'content-type': 'text/plain' },
            status: 415,
            code: 'unsupported-media-type',
        },
        {
            what: 'an XML body',
            method: 'POST',
            path: '/Patient',
            raw: '<Patient/>',
            headers: { 'content-type': 'application/fhir+xml' },
            status: 415,
            code: 'unsupported-media-type',
        },
        {
            what: 'a request for XML',
            method: 'GET',
            path: '/Patient',
            headers: { accept: 'application/fhir+xml' },
            status: 406,
            code: 'not-acceptable',
        },
        { what: '_format=xml', method: 'GET', path: '/Patient?_format=xml', status: 406, code: 'not-acceptable' },
        {
            what: 'a malformed If-Match',
            method: 'PUT',
            path: '/Patient/abc',
            body: { resourceType: 'Patient', id: 'abc' },
            headers: { 'if-match': 'version one' },
            status: 400,
            code: 'invalid-precondition',
        },
        {
            what: 'a conditional delete without criteria',
            method: 'DELETE',
            path: '/Patient',
            status: 400,
            code: 'invalid-request',
        },
        {
            what: 'PATCH on a type',
            method: 'PATCH',
            path: '/Patient',
            raw: '[]',
            headers: { 'content-type': 'application/json-patch+json' },
            status: 405,
            code: 'method-not-allowed',
        },
        {
            what: 'a JSON Patch that is not an array',
            method: 'PATCH',
            path: '/Patient/abc',
            body: { op: 'remove' },
            status: 400,
            code: 'invalid-patch',
        },
        {
            what: 'a version that is not a number',
            method: 'GET',
            path: '/Patient/abc/_history/first',
            status: 404,
            code: 'not-found',
        },
        {
            what: 'an unknown sub-path',
            method: 'GET',
            path: '/Patient/abc/photos',
            status: 404,
            code: 'unknown-route',
        },
        {
            what: 'an unknown operation',
            method: 'POST',
            path: '/Patient/$teleport',
            body: {},
            status: 404,
            code: 'unknown-route',
        },
        {
            what: '_count that is not a number',
            method: 'GET',
            path: '/Patient?_count=lots',
            status: 400,
            code: 'invalid-search-parameter',
        },
        {
            what: '_sort by an unknown parameter',
            method: 'GET',
            path: '/Patient?_sort=shoe-size',
            status: 400,
            code: 'invalid-search-parameter',
        },
        {
            what: '_include of a non-reference',
            method: 'GET',
            path: '/Patient?_include=Patient:gender',
            status: 400,
            code: 'invalid-search-parameter',
        },
        {
            what: ':missing with a non-boolean',
            method: 'GET',
            path: '/Patient?gender:missing=maybe',
            status: 400,
            code: 'invalid-search-parameter',
        },
        {
            what: '_since that is not an instant',
            method: 'GET',
            path: '/Patient/_history?_since=yesterday',
            status: 400,
            code: 'invalid-search-parameter',
        },
        {
            what: 'a transaction that is not a Bundle',
            method: 'POST',
            path: '/',
            body: { resourceType: 'Patient' },
            status: 400,
            code: 'invalid-bundle',
        },
        {
            what: 'a transaction entry without a method',
            method: 'POST',
            path: '/',
            body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { url: 'Patient' } }] },
            status: 400,
            code: 'invalid-bundle',
        },
        {
            what: 'DELETE on metadata',
            method: 'DELETE',
            path: '/metadata',
            status: 405,
            code: 'method-not-allowed',
        },
    ];
    for (const request of table()) {
        it(`when the request has ${request.what}, then it answers ${request.status} ${request.code}`, async () => {
            const response = await http(request.method, request.path, {
                ...(request.body !== undefined ? { body: request.body } : {}),
                ...(request.raw !== undefined ? { raw: request.raw } : {}),
                ...(request.headers ? { headers: request.headers } : {}),
            });
            expect(response.status, JSON.stringify(response.body)).to.equal(request.status);
            expect(response.body.resourceType).to.equal('OperationOutcome');
            expect(errorCode(response.body)).to.equal(request.code);
            const issue = response.body.issue[0];
            expect(issue.diagnostics)
                .to.be.a('string')
                .and.not.match(/node_modules|at \w+ \(|Mongo/);
        });
    }
    it('when the body nests thousands of levels deep, then it answers 400 and the server stays up', async () => {
        const deep = `{"resourceType":"Patient","extension":${'[{"url":"x","extension":'.repeat(5000)}[]${'}]'.repeat(5000)}}`;
        const response = await http('POST', '/Patient', {
            raw: deep,
            headers: { 'content-type': 'application/fhir+json' },
        });
        expect(response.status).to.equal(400);
        expect(errorCode(response.body)).to.equal('invalid-request');
        expect((await http('GET', '/metadata')).status).to.equal(200);
    });
    it('when a history page position lies far beyond the log, then history starts from the newest entry', async () => {
        const response = await http('GET', '/_history?_page=99999999999&_count=1');
        expect(response.status).to.equal(200);
        expect(response.body.entry).to.have.length(1);
    });
    it('when the body is larger than the limit, then it answers 413', async () => {
        const huge = {
            ...patient(402),
            text: {
                status: 'generated',
                div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(11 * 1024 * 1024)}</div>`,
            },
        };
        const response = await http('POST', '/Patient', { body: huge });
        expect(response.status).to.equal(413);
        expect(errorCode(response.body)).to.equal('too-large');
    });
    it('when search values carry MongoDB operators or patterns, then they are plain text and match nothing', async () => {
        for (const query of [
            'identifier={"$gt":""}',
            'family=.*',
            'name=%5E',
            '_id={"$ne":null}',
            'gender={"$exists":true}',
        ]) {
            const response = await http('GET', `/Patient?${query}`);
            expect(response.status, query).to.equal(200);
            expect(response.body.entry?.filter((e) => e.search?.mode === 'match') ?? [], query).to.have.length(0);
        }
    });
    it('when parameter names carry operators, then they are unknown parameters, refused under strict handling', async () => {
        for (const query of ['family[$ne]=x', '_id[$gt]=', '$where=1']) {
            const response = await http('GET', `/Patient?${query}`, { headers: { prefer: 'handling=strict' } });
            expect(response.status, query).to.equal(400);
            expect(errorCode(response.body)).to.equal('unknown-search-parameter');
        }
    });
    it('when a resource body has operator keys, then it is refused and nothing is stored', async () => {
        const response = await http('PUT', `/Patient/${existingId}`, {
            body: { resourceType: 'Patient', id: existingId, $set: { gender: 'other' } },
        });
        expect(response.status).to.equal(422);
        const current = await http('GET', `/Patient/${existingId}`);
        expect(current.body.meta.versionId).to.equal('1');
    });
    it('when a path outside /fhir is asked, then it answers 404 with an OperationOutcome', async () => {
        const base = (await http('GET', '/metadata')).body;
        const root = base.implementation.url.replace(/\/fhir$/, '');
        const response = await fetch(`${root}/admin`);
        expect(response.status).to.equal(404);
        expect((await response.json()).resourceType).to.equal('OperationOutcome');
    });
    it('when X-Request-Id is sent, then it is echoed; when not, one is made', async () => {
        expect((await http('GET', '/metadata', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).to.equal('abc-123');
        expect((await http('GET', '/metadata')).headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
});
//# sourceMappingURL=errors.test.js.map