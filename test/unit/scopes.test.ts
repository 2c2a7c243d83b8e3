import { expect } from 'chai';
import { allows, formatGrant, intersect, parseScope, parseScopes } from '../../src/auth/scopes.js';

describe('SMART scopes', () => {
  it('when a v2 scope lists permissions in order, then each letter is a permission', () => {
    expect(parseScope('system/Immunization.cruds')).to.deep.equal({
      type: 'Immunization',
      permissions: ['c', 'r', 'u', 'd', 's'],
    });
    expect(parseScope('system/*.rs')).to.deep.equal({ type: '*', permissions: ['r', 's'] });
  });

  it('when a v1 scope is given, then read is rs, write is cud and * is everything', () => {
    expect(parseScope('system/Patient.read')!.permissions).to.deep.equal(['r', 's']);
    expect(parseScope('system/Patient.write')!.permissions).to.deep.equal(['c', 'u', 'd']);
    expect(parseScope('system/Patient.*')!.permissions).to.deep.equal(['c', 'r', 'u', 'd', 's']);
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
    const granted = (text: string) => intersect(parseScopes(text).grants, allowed).map(formatGrant);
    expect(granted('system/*.cruds')).to.deep.equal(['system/Patient.rs', 'system/Immunization.cruds']);
    expect(granted('system/Immunization.read')).to.deep.equal(['system/Immunization.rs']);
    expect(granted('system/Consent.rs')).to.deep.equal([]);
    const everything = parseScopes('system/*.cruds').grants;
    expect(intersect(parseScopes('system/Task.cu').grants, everything).map(formatGrant)).to.deep.equal([
      'system/Task.cu',
    ]);
  });
});
