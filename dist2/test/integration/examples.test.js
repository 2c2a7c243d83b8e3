import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { RESOURCE_TYPES, resourceDefinition } from '../../src/resources/registry.js';
import { errorCode, http, ruleKeys } from './harness.js';
const require = createRequire(import.meta.url);
const examplesDir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
/** Types clients may write. */
const WRITABLE = RESOURCE_TYPES.filter((type) => !resourceDefinition(type)?.readOnly);
/** The official FHIR R4 examples of the types nims serves. */
function examples() {
    return readdirSync(examplesDir)
        .filter((file) => WRITABLE.some((type) => file.startsWith(`${type}-`)) && file.endsWith('.json'))
        .map((file) => JSON.parse(readFileSync(join(examplesDir, file), 'utf8')))
        .filter((resource) => WRITABLE.includes(resource.resourceType));
}
function withoutMeta(resource) {
    const { meta: _meta, ...rest } = resource;
    return rest;
}
describe('official FHIR R4 examples', function () {
    this.timeout(300_000);
    it('when each example is stored, then it is read back unchanged apart from meta, or refused naming the rule', async () => {
        const report = [];
        let accepted = 0;
        const all = examples();
        expect(all.length).to.be.greaterThan(50);
        for (const example of all) {
            const path = `/${example.resourceType}/${example.id}`;
            const response = await http('PUT', path, { body: example });
            if (response.status === 200 || response.status === 201) {
                const read = await http('GET', path);
                expect(withoutMeta(read.body), path).to.deep.equal(withoutMeta(example));
                accepted++;
            }
            else {
                expect(response.status, `${path}: ${JSON.stringify(response.body)}`).to.equal(422);
                expect(errorCode(response.body), path).to.equal('profile-violation');
                const rules = ruleKeys(response.body);
                expect(rules, path).to.not.be.empty;
                report.push(`${path}: refused by ${rules.join(', ')}`);
            }
        }
        console.log(`      ${accepted} of ${all.length} examples accepted unchanged; refused:\n      ${report.join('\n      ')}`);
    });
});
//# sourceMappingURL=examples.test.js.map