import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { profileDocument } from '../../src/profiles/document.js';
import { EXTENSIONS, NIMS_BASE } from '../../src/resources/extensions.js';
import { RESOURCE_TYPES, resourceDefinition } from '../../src/resources/registry.js';
import { UK_APPROVED_VACCINES_VALUE_SET, VACCINES } from '../../src/resources/vaccines.js';
import { isSnomedConceptId } from '../../src/shared/snomed.js';
import { PROJECT_ROOT } from '../../src/server.js';
const dir = join(PROJECT_ROOT, 'profiles');
const published = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
describe('profiles/', () => {
    it('when a type has a nims profile, then profiles/ publishes exactly its rules', () => {
        for (const type of RESOURCE_TYPES) {
            const profile = resourceDefinition(type)?.profile;
            if (!profile)
                continue;
            expect(published.find((d) => d.url === profile.url), profile.url).to.deep.equal(profileDocument(profile));
        }
    });
    it('when nims defines an extension, then profiles/ has its StructureDefinition', () => {
        for (const url of Object.values(EXTENSIONS).filter((u) => u.startsWith(NIMS_BASE))) {
            expect(published.map((d) => d.url), url).to.include(url);
        }
    });
    it('when a vaccine is approved for use in the UK, then the published ValueSet lists it, and only those', () => {
        const valueSet = published.find((d) => d.url === UK_APPROVED_VACCINES_VALUE_SET);
        expect(valueSet.compose.include[0].concept.map((c) => c.code)).to.deep.equal(VACCINES.filter((v) => v.approvedInUk).map((v) => v.code));
        for (const vaccine of VACCINES)
            expect(isSnomedConceptId(vaccine.code), vaccine.code).to.equal(true);
    });
});
//# sourceMappingURL=profiles.test.js.map