import { expect } from 'chai';
import { isValidNhsNumber, withCheckDigit } from '../../src/shared/nhs-number.js';
import { isSnomedConceptId } from '../../src/shared/snomed.js';
describe('NHS number', () => {
    it('when the Modulus 11 check digit is right, then the number is valid', () => {
        expect(isValidNhsNumber('9434765919')).to.equal(true);
        expect(isValidNhsNumber('4010232137')).to.equal(true);
    });
    it('when the check digit, length or characters are wrong, then the number is invalid', () => {
        for (const value of ['9434765918', '943476591', '94347659190', '943476591X', '', ' 9434765919']) {
            expect(isValidNhsNumber(value), value).to.equal(false);
        }
    });
    it('when the check digit would be 10, then no number with those nine digits is valid', () => {
        // 1000000010: weighted sum 10+1*2=... gives remainder 1, so check 10
        expect(withCheckDigit('100000001')).to.equal(undefined);
        expect(withCheckDigit('943476591')).to.equal('9434765919');
    });
});
describe('SNOMED CT concept id', () => {
    it('when a real concept id is given, then it is well formed', () => {
        for (const code of [
            '840539006',
            '6142004',
            '39115611000001103',
            '368208006',
            '78421000',
            '1324681000000101',
            // these need the fifth row of the permutation table right (a common misprint gets them wrong)
            '138875005',
            '404684003',
            '14189004',
            '36989005',
            '195967001',
        ]) {
            expect(isSnomedConceptId(code), code).to.equal(true);
        }
    });
    it('when the check digit, partition or shape is wrong, then it is refused', () => {
        // 840539007: check digit; 840539016: description partition; others: shape
        for (const code of ['840539007', '840539016', '0840539006', '12345', 'abc', '84053900.6']) {
            expect(isSnomedConceptId(code), code).to.equal(false);
        }
    });
});
//# sourceMappingURL=identifiers.test.js.map