import { expect } from 'chai';
import { flatFileRow, PRODUCTS } from '../../fixtures/flat-file.js';
import { COLUMNS, readRow } from '../../src/batch/flat-file.js';
import { Validator } from '../../src/fhir/validation.js';
describe('the national flat file: reading a row', () => {
    const problem = (overrides) => {
        const row = readRow(flatFileRow(overrides));
        return row.ok ? undefined : [row.column, row.reason];
    };
    it('when a row is complete, then it builds an Immunization the profile accepts', () => {
        const row = readRow(flatFileRow());
        if (!row.ok)
            throw new Error(row.reason);
        expect(row.action).to.equal('new');
        expect(row.key).to.equal('https://supplier.example.org/vaccinations|row-1');
        expect(row.birthDate).to.equal('1965-02-28');
        const immunization = { ...row.immunization, patient: { reference: 'Patient/p1' } };
        expect(new Validator().problems(immunization).filter((p) => p.severity !== 'warning')).to.deep.equal([]);
        expect(immunization.occurrenceDateTime).to.equal('2026-10-15T10:30:00+00:00');
        expect(immunization.protocolApplied[0].doseNumberPositiveInt).to.equal(1);
    });
    it('when the time is given in British Summer Time or ISO 8601, then its offset is kept', () => {
        const bst = readRow(flatFileRow({ DATE_AND_TIME: '20260715T10300001' }));
        expect(bst.ok && bst.immunization.occurrenceDateTime).to.equal('2026-07-15T10:30:00+01:00');
        const iso = readRow(flatFileRow({ DATE_AND_TIME: '2026-07-15T10:30:00Z' }));
        expect(iso.ok && iso.immunization.occurrenceDateTime).to.equal('2026-07-15T10:30:00Z');
    });
    it("when a value is not of its column's kind, then the row names that column", () => {
        expect(problem({ NHS_NUMBER: '9000000001' })?.[0]).to.equal('NHS_NUMBER');
        expect(problem({ PERSON_DOB: '20260230' })?.[0]).to.equal('PERSON_DOB');
        expect(problem({ DATE_AND_TIME: '20261015T25000000' })?.[0]).to.equal('DATE_AND_TIME');
        expect(problem({ DATE_AND_TIME: '20261015T10300002' })?.[0]).to.equal('DATE_AND_TIME');
        expect(problem({ PRIMARY_SOURCE: 'yes' })?.[0]).to.equal('PRIMARY_SOURCE');
        expect(problem({ DOSE_SEQUENCE: '10' })?.[0]).to.equal('DOSE_SEQUENCE');
        expect(problem({ SITE_CODE: 'not an ods code!' })?.[0]).to.equal('SITE_CODE');
        expect(problem({ UNIQUE_ID_URI: 'supplier' })?.[0]).to.equal('UNIQUE_ID_URI');
        expect(problem({ VACCINE_PRODUCT_CODE: '123' })?.[0]).to.equal('VACCINE_PRODUCT_CODE');
    });
    it('when a column is missing, then it is needed only for the actions that use it', () => {
        expect(problem({ LOCATION_CODE: '' })).to.deep.equal(['LOCATION_CODE', 'LOCATION_CODE is missing']);
        expect(problem({ ACTION_FLAG: 'delete', LOCATION_CODE: '', PERSON_DOB: '', VACCINE_PRODUCT_CODE: '' })).to.equal(undefined);
        expect(problem({ ACTION_FLAG: '' })?.[0]).to.equal('ACTION_FLAG');
        expect(problem({ BATCH_NUMBER: '', DOSE_SEQUENCE: '' })).to.equal(undefined);
        const noDose = readRow(flatFileRow({ DOSE_SEQUENCE: '', VACCINE_PRODUCT_CODE: PRODUCTS.mmr }));
        expect(noDose.ok && noDose.immunization.protocolApplied[0].doseNumberString).to.equal('Not recorded');
    });
    it('when the columns are listed, then every one the fixture fills is known', () => {
        expect(Object.keys(flatFileRow()).sort()).to.deep.equal(COLUMNS.map((c) => c.name).sort());
    });
});
//# sourceMappingURL=flat-file.test.js.map