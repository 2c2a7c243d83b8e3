import { expect } from 'chai';
import { RecentVersions } from '../../src/store/recent-versions.js';
const version = (id, versionId, family = 'Smith') => ({
    type: 'Patient',
    id,
    versionId,
    lastUpdated: '2026-12-02T10:00:00.000Z',
    deleted: false,
    method: 'PUT',
    resource: { resourceType: 'Patient', id, name: [{ family }] },
});
describe('versions a process stored lately', () => {
    it('when a version is read back, then it is the one stored, and changing either copy changes nothing kept', () => {
        const recent = new RecentVersions();
        const stored = version('a', 2);
        recent.remember(stored);
        stored.resource.name[0].family = 'changed by the writer';
        const read = recent.get('Patient', 'a', 2);
        expect(read.resource.name[0].family).to.equal('Smith');
        read.resource.name[0].family = 'changed by a reader';
        expect(recent.get('Patient', 'a', 2).resource.name[0].family).to.equal('Smith');
        expect(recent.get('Patient', 'a', 1)).to.equal(undefined);
        expect(recent.get('Immunization', 'a', 2)).to.equal(undefined);
    });
    it('when more are stored than it keeps, then the oldest go; a version taken back is forgotten', () => {
        const recent = new RecentVersions(2);
        recent.remember(version('a', 1));
        recent.remember(version('b', 1));
        recent.remember(version('c', 1));
        expect(recent.get('Patient', 'a', 1)).to.equal(undefined);
        expect(recent.get('Patient', 'b', 1)?.id).to.equal('b');
        recent.forget('Patient', 'b', 1);
        expect(recent.get('Patient', 'b', 1)).to.equal(undefined);
        expect(recent.get('Patient', 'c', 1)?.versionId).to.equal(1);
    });
});
//# sourceMappingURL=recent-versions.test.js.map