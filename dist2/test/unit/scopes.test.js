import { expect } from 'chai';
import { allows, formatGrant, intersect, parseScope, parseScopes, programmesAllowed, } from '../../src/auth/scopes.js';
describe('SMART scopes', () => {
    it('when a v2 scope lists permissions in order, then each letter is a permission', () => {
        expect(parseScope('system/Immunization.cruds')).to.deep.equal({
            type: 'Immunization',
            permissions: ['c', 'r', 'u', 'd', 's'],
        });
        expect(parseScope('system/*.rs')).to.deep.equal({ type: '*', permissions: ['r', 's'] });
    });
    it('when a v1 scope is given, then read is rs, write is cud and * is everything', () => {
        expect(parseScope('system/Patient.read').permissions).to.deep.equal(['r', 's']);
        expect(parseScope('system/Patient.write').permissions).to.deep.equal(['c', 'u', 'd']);
        expect(parseScope('system/Patient.*').permissions).to.deep.equal(['c', 'r', 'u', 'd', 's']);
    });
    it('when a scope is malformed, out of order, repeated, granular or not a system scope, then it is invalid', () => {
        for (const scope of [
            'system/Patient.sr',
            'system/Patient.rr',
            'system/Patient.x',
            'patient/Patient.rs',
            'user/*.read',
            'system/Observation.rs?category=laboratory',
            'openid',
            'system/patient.rs',
        ]) {
            expect(parseScope(scope), scope).to.equal(undefined);
        }
        expect(parseScopes('system/Patient.rs launch').invalid).to.deep.equal(['launch']);
    });
    it('when checking a permission, then the type or * must grant it', () => {
        const { grants } = parseScopes('system/Patient.rs system/*.c');
        expect(allows(grants, 'Patient', 'r')).to.equal(true);
        expect(allows(grants, 'Immunization', 'c')).to.equal(true);
        expect(allows(grants, 'Immunization', 'r')).to.equal(false);
        expect(allows(grants, 'Patient', 'd')).to.equal(false);
    });
    it('when a client asks for more than it is registered for, then it gets the overlap only', () => {
        const allowed = parseScopes('system/Patient.rs system/Immunization.cruds').grants;
        const granted = (text) => intersect(parseScopes(text).grants, allowed).map(formatGrant);
        expect(granted('system/*.cruds')).to.deep.equal(['system/Patient.rs', 'system/Immunization.cruds']);
        expect(granted('system/Immunization.read')).to.deep.equal(['system/Immunization.rs']);
        expect(granted('system/Consent.rs')).to.deep.equal([]);
        const everything = parseScopes('system/*.cruds').grants;
        expect(intersect(parseScopes('system/Task.cu').grants, everything).map(formatGrant)).to.deep.equal([
            'system/Task.cu',
        ]);
    });
    it('when an Immunization scope names a programme, then the grant is narrowed to it', () => {
        expect(parseScope('system/Immunization.crs?programme=flu')).to.deep.equal({
            type: 'Immunization',
            permissions: ['c', 'r', 's'],
            programme: 'flu',
        });
        expect(formatGrant(parseScope('system/Immunization.rs?programme=covid-19'))).to.equal('system/Immunization.rs?programme=covid-19');
        for (const scope of [
            'system/Immunization.rs?programme=hepatitis',
            'system/Patient.rs?programme=flu',
            'system/*.rs?programme=flu',
            'system/Immunization.read?programme=flu',
            'system/Immunization.rs?vaccine-code=flu',
        ]) {
            expect(parseScope(scope), scope).to.equal(undefined);
        }
    });
    it('when grants are narrowed to programmes, then a permission covers the union of their programmes', () => {
        const { grants } = parseScopes('system/Immunization.cruds?programme=flu system/Immunization.rs?programme=mmr system/Patient.rs');
        expect(programmesAllowed(grants, 'Immunization', 'r')).to.deep.equal(['flu', 'mmr']);
        expect(programmesAllowed(grants, 'Immunization', 'c')).to.deep.equal(['flu']);
        expect(programmesAllowed(grants, 'Immunization', 'd')).to.deep.equal(['flu']);
        // not narrowed: another type, or a grant for all programmes beside the narrowed ones
        expect(programmesAllowed(grants, 'Patient', 'r')).to.equal(undefined);
        const wide = parseScopes('system/Immunization.rs?programme=flu system/*.rs').grants;
        expect(programmesAllowed(wide, 'Immunization', 'r')).to.equal(undefined);
        expect(programmesAllowed(parseScopes('system/Patient.rs').grants, 'Immunization', 'r')).to.deep.equal([]);
    });
    it('when a narrowed registration meets a request, then the token keeps the narrower programme', () => {
        const allowed = parseScopes('system/Immunization.cruds?programme=flu system/Patient.rs').grants;
        const granted = (text) => intersect(parseScopes(text).grants, allowed).map(formatGrant);
        expect(granted('system/*.rs')).to.deep.equal([
            'system/Immunization.rs?programme=flu',
            'system/Patient.rs',
        ]);
        expect(granted('system/Immunization.c?programme=flu')).to.deep.equal([
            'system/Immunization.c?programme=flu',
        ]);
        expect(granted('system/Immunization.c?programme=mmr')).to.deep.equal([]);
        const wide = parseScopes('system/Immunization.rs').grants;
        expect(intersect(parseScopes('system/Immunization.rs?programme=mmr').grants, wide).map(formatGrant)).to.deep.equal(['system/Immunization.rs?programme=mmr']);
    });
});
//# sourceMappingURL=scopes.test.js.map