import { expect } from 'chai';
import { SchemaValidator } from '../../src/fhir/schema.js';
import { RESOURCE_TYPES } from '../../src/resources/registry.js';
import { parametersOf } from '../../src/search/parameters.js';
import { client } from './harness.js';
describe('metadata', () => {
    let statement;
    before(async () => {
        statement = (await (await client()).capabilityStatement());
    });
    it('when the CapabilityStatement is fetched, then it is valid FHIR R4', () => {
        const problems = new SchemaValidator(['CapabilityStatement']).validate('CapabilityStatement', statement);
        // the published R4 JSON schema predates the 4.0.1 technical correction and lists only 4.0.0
        const known = problems.filter((p) => p.expression?.[0] !== 'CapabilityStatement.fhirVersion');
        expect(known).to.deep.equal([]);
        expect(statement.fhirVersion).to.equal('4.0.1');
    });
    it('when it lists resources, then they are exactly the served types with their search parameters', () => {
        const rest = statement.rest[0];
        expect(rest.resource.map((r) => r.type)).to.deep.equal(RESOURCE_TYPES);
        for (const resource of rest.resource) {
            const declared = resource.searchParam.map((p) => p.name).sort();
            expect(declared).to.deep.equal(['_id', ...parametersOf(resource.type).map((p) => p.name)].sort());
            expect(resource.operation.map((o) => o.name)).to.include('validate');
        }
    });
    it('when it describes transactions, then it says how all-or-nothing is achieved', () => {
        const transaction = statement.rest[0].interaction.find((i) => i.code === 'transaction');
        expect(transaction?.documentation).to.match(/undone/);
    });
});
//# sourceMappingURL=metadata.test.js.map