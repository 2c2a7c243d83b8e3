import { expect } from 'chai';
import { DISEASES, immunization, patient, reaction, VACCINES } from '../../fixtures/records.js';
import { NHS_NUMBER_SYSTEM } from '../../src/shared/nhs-number.js';
import { authorizedFetch, create, errorCode, http } from './harness.js';
async function search(query, headers = {}) {
    const response = await http('GET', query, { headers });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body;
}
function ids(bundle, mode = 'match') {
    return (bundle.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => e.resource.id);
}
describe('search', () => {
    // a family name no other test uses keeps these searches to this suite's records
    const family = `Searchfamily${Date.now()}`;
    let ada;
    let bea;
    let cyd;
    let first;
    let second;
    before(async () => {
        ada = await create({
            ...patient(101),
            name: [{ family, given: ['Adélaïde'] }],
            gender: 'female',
            birthDate: '1950-03-04',
        });
        bea = await create({
            ...patient(102),
            name: [{ family, given: ['Beatrix'] }],
            gender: 'female',
            birthDate: '1960-07-15',
        });
        cyd = await create({
            ...patient(103),
            name: [{ family, given: ['Cyd'] }],
            gender: 'male',
            birthDate: '1970-12-31',
            telecom: undefined,
        });
        const observation = await create(reaction(ada.id));
        first = await create(immunization(ada.id, {
            occurrenceDateTime: '2026-01-10T09:00:00Z',
            lotNumber: 'LOT-ALPHA',
            reaction: [{ detail: { reference: `Observation/${observation.id}` } }],
        }));
        second = await create(immunization(ada.id, {
            occurrenceDateTime: '2026-03-20T09:00:00Z',
            vaccineCode: { coding: [VACCINES.covidAstraZeneca] },
            lotNumber: 'LOT-BETA',
            protocolApplied: [{ doseNumberPositiveInt: 2, targetDisease: [{ coding: [DISEASES.covid] }] }],
        }));
        await create(immunization(bea.id, {
            occurrenceDateTime: '2026-02-01T09:00:00Z',
            protocolApplied: [{ doseNumberPositiveInt: 1, targetDisease: [{ coding: [DISEASES.flu] }] }],
        }));
    });
    describe('token', () => {
        it('when searching by NHS number with its system, then exactly that patient is found', async () => {
            const nhs = ada.identifier[0].value;
            const bundle = await search(`/Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhs}`);
            expect(ids(bundle)).to.deep.equal([ada.id]);
            expect(bundle.total).to.equal(1);
        });
        it('when searching by code alone or by |code, then any (or no) system matches', async () => {
            const nhs = bea.identifier[0].value;
            expect(ids(await search(`/Patient?identifier=${nhs}`))).to.deep.equal([bea.id]);
            expect(ids(await search(`/Patient?identifier=|${nhs}`))).to.deep.equal([]);
        });
        it('when searching by system| only, then every code of that system matches', async () => {
            const bundle = await search(`/Patient?family=${family}&identifier=${NHS_NUMBER_SYSTEM}|`);
            expect(ids(bundle)).to.have.members([ada.id, bea.id, cyd.id]);
        });
        it('when :not is used, then resources without that code match', async () => {
            expect(ids(await search(`/Patient?family=${family}&gender:not=female`))).to.deep.equal([cyd.id]);
        });
        it('when :text is used, then the display text matches from its start, ignoring case', async () => {
            const bundle = await search(`/Immunization?patient=${ada.id}&vaccine-code:text=covid-19 vaccine vax`);
            expect(ids(bundle)).to.deep.equal([second.id]);
        });
        it('when several values are comma separated, then any of them matches (OR)', async () => {
            const bundle = await search(`/Patient?family=${family}&gender=male,female`);
            expect(ids(bundle)).to.have.members([ada.id, bea.id, cyd.id]);
        });
    });
    describe('string', () => {
        it('when searching by name, then it matches from the start, ignoring case and accents', async () => {
            expect(ids(await search(`/Patient?family=${family}&given=adelaide`))).to.deep.equal([ada.id]);
            expect(ids(await search(`/Patient?family=${family}&name=ADEL`))).to.deep.equal([ada.id]);
        });
        it('when :exact is used, then only the exact text matches', async () => {
            expect(ids(await search(`/Patient?family=${family}&given:exact=Adélaïde`))).to.deep.equal([ada.id]);
            expect(ids(await search(`/Patient?family=${family}&given:exact=adelaide`))).to.deep.equal([]);
        });
        it('when :contains is used, then text anywhere matches', async () => {
            expect(ids(await search(`/Patient?family=${family}&given:contains=atri`))).to.deep.equal([bea.id]);
        });
    });
    describe('date', () => {
        const cases = [
            ['1950', ['ada']],
            ['eq1960-07', ['bea']],
            ['ne1960-07-15', ['ada', 'cyd']],
            ['lt1960-07-15', ['ada']],
            ['le1960-07-15', ['ada', 'bea']],
            ['gt1960-07-15', ['cyd']],
            ['ge1960-07-15', ['bea', 'cyd']],
            ['sa1960', ['cyd']],
            ['eb1960', ['ada']],
            ['ap1960-07-20', ['bea']],
        ];
        for (const [value, expected] of cases) {
            it(`when birthdate=${value}, then ${expected.join(' and ')} match`, async () => {
                const byName = { ada: ada.id, bea: bea.id, cyd: cyd.id };
                const bundle = await search(`/Patient?family=${family}&birthdate=${value}`);
                expect(ids(bundle)).to.have.members(expected.map((n) => byName[n]));
            });
        }
        it('when two date parameters are given, then both must hold (AND)', async () => {
            const bundle = await search(`/Patient?family=${family}&birthdate=ge1955&birthdate=lt1965`);
            expect(ids(bundle)).to.deep.equal([bea.id]);
        });
        it('when the date is not a FHIR date, then the search answers 400', async () => {
            const response = await http('GET', '/Patient?birthdate=yesterday');
            expect(response.status).to.equal(400);
            expect(errorCode(response.body)).to.equal('invalid-search-parameter');
        });
    });
    describe('reference', () => {
        it('when searching by patient as Type/id or as id, then the same records match', async () => {
            const byRef = ids(await search(`/Immunization?patient=Patient/${ada.id}`));
            expect(byRef).to.have.members([first.id, second.id]);
            expect(ids(await search(`/Immunization?patient=${ada.id}`))).to.have.members(byRef);
        });
        it('when chaining patient.identifier with an NHS number, then that patient’s records match', async () => {
            const nhs = ada.identifier[0].value;
            const bundle = await search(`/Immunization?patient.identifier=${NHS_NUMBER_SYSTEM}|${nhs}`);
            expect(ids(bundle)).to.have.members([first.id, second.id]);
        });
        it('when :identifier is used on a logical reference, then the referenced identifier matches', async () => {
            const ods = ada.generalPractitioner[0].identifier.value;
            const bundle = await search(`/Patient?family=${family}&general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|${ods}`);
            expect(ids(bundle)).to.include(ada.id);
        });
        it('when searching by reaction, then the record with that adverse reaction matches', async () => {
            const bundle = await search(`/Immunization?reaction=${first.reaction[0].detail.reference}`);
            expect(ids(bundle)).to.deep.equal([first.id]);
        });
    });
    describe('other parameters', () => {
        it('when :missing is used, then presence decides', async () => {
            expect(ids(await search(`/Patient?family=${family}&telecom:missing=true`))).to.deep.equal([cyd.id]);
            expect(ids(await search(`/Patient?family=${family}&telecom:missing=false`))).to.have.members([
                ada.id,
                bea.id,
            ]);
        });
        it('when searching by target disease, vaccine code, status, lot number and date, then each narrows', async () => {
            expect(ids(await search(`/Immunization?patient=${ada.id}&target-disease=${DISEASES.covid.system}|${DISEASES.covid.code}`))).to.have.length(2);
            expect(ids(await search(`/Immunization?patient=${ada.id}&vaccine-code=${VACCINES.covidAstraZeneca.code}`))).to.deep.equal([second.id]);
            expect(ids(await search(`/Immunization?patient=${ada.id}&status=completed&lot-number=lot-alpha`))).to.deep.equal([first.id]);
            expect(ids(await search(`/Immunization?patient=${ada.id}&date=ge2026-03`))).to.deep.equal([second.id]);
        });
        it('when searching by _id, then those resources match', async () => {
            expect(ids(await search(`/Patient?_id=${ada.id},${cyd.id}`))).to.have.members([ada.id, cyd.id]);
        });
        it('when searching by _lastUpdated, then recent resources match', async () => {
            const bundle = await search(`/Patient?family=${family}&_lastUpdated=gt2000-01-01`);
            expect(ids(bundle)).to.have.length(3);
        });
        it('when searching with POST _search and a form body, then it answers like GET', async () => {
            const response = await http('POST', '/Patient/_search', {
                raw: `family=${family}&gender=male`,
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
            });
            expect(ids(response.body)).to.deep.equal([cyd.id]);
        });
    });
    describe('unknown parameters', () => {
        it('when a parameter is unknown, then it is ignored and reported in an outcome entry', async () => {
            const bundle = await search(`/Patient?family=${family}&colour=blue`);
            expect(ids(bundle)).to.have.length(3);
            const outcome = bundle.entry?.find((e) => e.search?.mode === 'outcome');
            expect(JSON.stringify(outcome)).to.contain('colour');
        });
        it('when Prefer: handling=strict, then an unknown parameter is a 400', async () => {
            const response = await http('GET', `/Patient?family=${family}&colour=blue`, {
                headers: { prefer: 'handling=strict' },
            });
            expect(response.status).to.equal(400);
            expect(errorCode(response.body)).to.equal('unknown-search-parameter');
        });
        it('when a modifier is not supported, then the search answers 400', async () => {
            const response = await http('GET', '/Patient?gender:above=female');
            expect(response.status).to.equal(400);
        });
    });
    describe('results', () => {
        it('when sorted by -birthdate, then the youngest comes first', async () => {
            const bundle = await search(`/Patient?family=${family}&_sort=-birthdate`);
            expect(ids(bundle)).to.deep.equal([cyd.id, bea.id, ada.id]);
        });
        it('when sorted by date, then immunizations come in time order', async () => {
            const bundle = await search(`/Immunization?patient=${ada.id}&_sort=date`);
            expect(ids(bundle)).to.deep.equal([first.id, second.id]);
        });
        it('when paging with _count, then next and previous links walk the results without gaps or repeats', async () => {
            const page1 = await search(`/Patient?family=${family}&_sort=birthdate&_count=2`);
            expect(ids(page1)).to.deep.equal([ada.id, bea.id]);
            const next = page1.link.find((l) => l.relation === 'next').url;
            const page2 = (await (await authorizedFetch(next)).json());
            expect(ids(page2)).to.deep.equal([cyd.id]);
            expect(page2.link.find((l) => l.relation === 'next')).to.equal(undefined);
            const previous = page2.link.find((l) => l.relation === 'previous').url;
            const back = (await (await authorizedFetch(previous)).json());
            expect(ids(back)).to.deep.equal([ada.id, bea.id]);
        });
        it('when a record is added before the current page while paging, then the next page neither repeats nor skips', async () => {
            const marker = `Pagingfamily${Date.now()}`;
            const made = [];
            for (let i = 0; i < 4; i++)
                made.push(await create({ ...patient(120 + i), name: [{ family: marker }], birthDate: `198${i}-01-01` }));
            const page1 = await search(`/Patient?family=${marker}&_sort=birthdate&_count=2`);
            await create({ ...patient(130), name: [{ family: marker }], birthDate: '1970-01-01' });
            const page2 = (await (await authorizedFetch(page1.link.find((l) => l.relation === 'next').url)).json());
            expect([...ids(page1), ...ids(page2)]).to.deep.equal(made.map((p) => p.id));
        });
        it('when _include names the patient, then the patient comes with the records', async () => {
            const bundle = await search(`/Immunization?patient=${ada.id}&_include=Immunization:patient`);
            expect(ids(bundle, 'include')).to.deep.equal([ada.id]);
        });
        it('when _revinclude names Immunization:patient, then the records come with the patient', async () => {
            const bundle = await search(`/Patient?_id=${ada.id}&_revinclude=Immunization:patient`);
            expect(ids(bundle, 'include')).to.have.members([first.id, second.id]);
        });
        it('when _summary=count, then only the total comes back', async () => {
            const bundle = await search(`/Patient?family=${family}&_summary=count`);
            expect(bundle.total).to.equal(3);
            expect(bundle.entry ?? []).to.have.length(0);
        });
        it('when _summary=true, then only summary elements come back, tagged SUBSETTED', async () => {
            const bundle = await search(`/Patient?_id=${ada.id}&_summary=true`);
            const resource = bundle.entry[0].resource;
            expect(resource.name).to.be.an('array');
            expect(resource.extension).to.equal(undefined);
            expect(resource.meta?.tag?.[0]?.code).to.equal('SUBSETTED');
        });
        it('when _elements lists elements, then only those come back', async () => {
            const bundle = await search(`/Patient?_id=${ada.id}&_elements=birthDate`);
            const resource = bundle.entry[0].resource;
            expect(Object.keys(resource).sort()).to.deep.equal(['birthDate', 'id', 'meta', 'resourceType']);
        });
        it('when _total=accurate on a scanning search, then the total is given', async () => {
            const bundle = await search(`/Patient?family=${family}&_total=accurate&_count=1`);
            expect(bundle.total).to.equal(3);
        });
        it('when a page token is forged, then the search answers 400', async () => {
            const response = await http('GET', `/Patient?family=${family}&_page=bm90LWEtdG9rZW4`);
            expect(response.status).to.equal(400);
        });
    });
});
//# sourceMappingURL=search.test.js.map