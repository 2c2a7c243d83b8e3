import { NIMS_BASE } from './extensions.js';
/** The approved products, published as a ValueSet in profiles/. */
export const UK_APPROVED_VACCINES_VALUE_SET = `${NIMS_BASE}/ValueSet/uk-approved-vaccines`;
const COVID = ['840539006'];
const FLU = ['6142004'];
const MMR = ['14189004', '36989005', '36653000'];
const approved = (code, display, protectsAgainst) => ({
    code,
    display,
    protectsAgainst,
    approvedInUk: true,
});
const other = (code, display, protectsAgainst) => ({
    code,
    display,
    protectsAgainst,
    approvedInUk: false,
});
// dm+d codes as UK immunisation services use them (NHS England's own services and code sets)
export const VACCINES = [
    approved('39115611000001103', 'Comirnaty COVID-19 mRNA Vaccine 30micrograms/0.3ml (Pfizer)', COVID),
    approved('40384611000001108', 'Comirnaty Children 5-11 years COVID-19 mRNA Vaccine 10micrograms/0.2ml (Pfizer)', COVID),
    approved('41178911000001101', 'Comirnaty Children 6 months - 4 years COVID-19 mRNA Vaccine 3micrograms/0.2ml (Pfizer)', COVID),
    approved('41239511000001102', 'Comirnaty Original/Omicron BA.4-5 COVID-19 mRNA Vaccine (Pfizer)', COVID),
    approved('42020711000001107', 'Comirnaty Omicron XBB.1.5 COVID-19 mRNA Vaccine 30micrograms/0.3ml (Pfizer)', COVID),
    approved('43111411000001101', 'Comirnaty JN.1 COVID-19 mRNA Vaccine 30micrograms/0.3ml (Pfizer)', COVID),
    approved('39326911000001101', 'Spikevax COVID-19 mRNA Vaccine 0.1mg/0.5ml (Moderna)', COVID),
    approved('41343811000001106', 'Spikevax Original/Omicron BA.4/BA.5 COVID-19 Vaccine (Moderna)', COVID),
    approved('42023311000001102', 'Spikevax XBB.1.5 COVID-19 mRNA Vaccine (Moderna)', COVID),
    approved('42985911000001104', 'Spikevax JN.1 COVID-19 mRNA Vaccine (Moderna)', COVID),
    approved('39114911000001105', 'COVID-19 Vaccine Vaxzevria (AstraZeneca)', COVID),
    approved('39473011000001103', 'COVID-19 Vaccine Nuvaxovid 5micrograms/0.5ml (Novavax)', COVID),
    approved('40872011000001104', 'COVID-19 Vaccine VidPrevtyn Beta (Sanofi)', COVID),
    approved('27114211000001105', 'Fluenz Tetra vaccine nasal suspension (AstraZeneca) [LAIV]', FLU),
    approved('43208811000001106', 'Fluenz vaccine nasal suspension (AstraZeneca) [LAIV]', FLU),
    approved('36509011000001106', 'Flucelvax Tetra vaccine (Seqirus) [QIVc]', FLU),
    approved('43207411000001105', 'Cell-based trivalent influenza vaccine (Seqirus)', FLU),
    approved('38973211000001108', 'Fluad Tetra vaccine (Seqirus) [aQIV]', FLU),
    approved('39566211000001103', 'Supemtek Quadrivalent vaccine (recombinant) (Sanofi) [QIVr]', FLU),
    approved('34680411000001107', 'Quadrivalent influenza vaccine (split virion, inactivated) (Sanofi) [QIVe]', FLU),
    approved('35727111000001109', 'Influvac sub-unit Tetra vaccine (Viatris) [QIVe]', FLU),
    approved('45175511000001104', 'Vaxigrip Trivalent influenza vaccine (Sanofi)', FLU),
    approved('34925111000001104', 'Priorix vaccine (GlaxoSmithKline)', MMR),
    approved('13968211000001108', 'M-M-RVAXPRO vaccine (Merck Sharp & Dohme)', MMR),
    approved('34938511000001103', 'Measles, Mumps and Rubella vaccine (live) powder and solvent for solution', MMR),
    approved('14015211000001108', 'Measles, Mumps and Rubella vaccine (live) powder and solvent for suspension', MMR),
    other('40306411000001101', 'CoronaVac COVID-19 Vaccine (Sinovac): not approved in the UK', COVID),
    other('40331611000001100', 'COVID-19 Vaccine Sinopharm BIBP: not approved in the UK', COVID),
    other('40332311000001101', 'COVID-19 Vaccine Covaxin (Bharat Biotech): not approved in the UK', COVID),
    other('40387411000001100', 'COVID-19 Vaccine Sputnik V Component I (Gamaleya): not approved in the UK', COVID),
    other('46233009', 'Influenza virus vaccine (generic concept)', FLU),
    other('61153008', 'Measles, mumps and rubella vaccine (generic concept)', MMR),
];
const BY_CODE = new Map(VACCINES.map((v) => [v.code, v]));
export function vaccineOf(code) {
    return BY_CODE.get(code);
}
//# sourceMappingURL=vaccines.js.map