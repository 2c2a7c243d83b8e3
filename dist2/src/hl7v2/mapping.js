import { REFUSAL_REASONS } from '../cohort/programmes.js';
import { fail } from '../fhir/errors.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { SNOMED_SYSTEM } from '../shared/snomed.js';
/**
 * HL7 v2 and FHIR, field by field (the README's mapping table says the same):
 *
 * | v2 | FHIR |
 * |---|---|
 * | MSH-4.1 sending facility | the practice (ODS code) |
 * | MSH-7 date/time of message | Immunization.recorded |
 * | MSH-10 message control id | the message id (a repeat is answered as the first) |
 * | PID-3 (authority NHS or type NH) | Patient NHS number, matched on the register |
 * | ORC-3.1 filler order number (else ORC-2.1) | Immunization.identifier `{NIMS_BASE}/Id/hl7v2-order/{practice}` |
 * | RXA-3 date/time start of administration | Immunization.occurrenceDateTime |
 * | RXA-5 administered code (SCT) | Immunization.vaccineCode (SNOMED CT) |
 * | RXA-6 / RXA-7.1 amount and units | Immunization.doseQuantity |
 * | RXA-15 lot number | Immunization.lotNumber |
 * | RXA-17.2 manufacturer name | Immunization.manufacturer.display |
 * | RXA-20 completion status CP / RE / NA | status completed / not-done (refused: PATOBJ) / not-done |
 * | RXA-21 action code A / U / D | new / update / delete |
 * | RXR-1 route, RXR-2 site | Immunization.route, site: SNOMED CT (given as SCT, or HL7 tables 0162/0163 codes IM, SC, ID, NS, PO / LA, RA, LT, RT) |
 */
export const HL7_ORDER_SYSTEM = `${NIMS_BASE}/Id/hl7v2-order`;
/** A component's value as text ('' when empty): the parser gives strings, numbers or dates. */
export function valueText(value) {
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number')
        return String(value);
    return value instanceof Date ? hl7DateTime(value.toISOString()) : '';
}
/** A field's component as text ('' when empty). */
function text(segment, field, component = 1) {
    return valueText(segment?.field(field).component(component).getValue());
}
/** An HL7 v2 TS (YYYYMMDD[HHMM[SS]][+ZZZZ]) as a FHIR date or dateTime; times without a zone are UTC. */
export function fhirDateTime(value) {
    const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?(?:\.\d+)?)?([+-]\d{4})?$/.exec(value);
    if (!match)
        return undefined;
    const [, y, mo, d, h, mi, s, zone] = match;
    if (!h)
        return `${y}-${mo}-${d}`;
    const offset = zone ? `${zone.slice(0, 3)}:${zone.slice(3)}` : '+00:00';
    return `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${offset}`;
}
/** The same moment as an HL7 v2 TS (UTC, to the second). */
export function hl7DateTime(value) {
    if (!value)
        return '';
    if (/^\d{4}-\d{2}-\d{2}$/.test(value))
        return value.replaceAll('-', '');
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? '' : `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
}
/** SNOMED CT for the HL7 route (table 0162) and body site (table 0163) codes GP systems send. */
const SNOMED_OF = {
    HL70162: {
        IM: ['78421000', 'Intramuscular route'],
        SC: ['34206005', 'Subcutaneous route'],
        ID: ['372464004', 'Intradermal route'],
        NS: ['46713006', 'Nasal route'],
        PO: ['26643006', 'Oral route'],
    },
    HL70163: {
        LA: ['368208006', 'Left upper arm structure'],
        RA: ['368209003', 'Right upper arm structure'],
        LT: ['61396006', 'Left thigh structure'],
        RT: ['11207009', 'Right thigh structure'],
    },
};
/** A coded field as SNOMED CT: given so (system SCT), or an HL7 table code nims knows the concept of. */
function coded(segment, field, where) {
    const [code, display, system] = [1, 2, 3].map((c) => text(segment, field, c));
    if (!code)
        return undefined;
    const known = SNOMED_OF[system ?? '']?.[code];
    const [snomed, name] = system === 'SCT' ? [code, display] : (known ?? []);
    if (!snomed)
        fail('invalid-request', `${where} ${code} (${system || 'no system'}) has no SNOMED CT concept nims knows`, [where]);
    return { coding: [{ system: SNOMED_SYSTEM, code: snomed, ...(name ? { display: name } : {}) }] };
}
/** The NHS number among PID-3's identifiers (assigning authority NHS, or identifier type NH). */
export function nhsNumberOf(segment, field = 3) {
    const identifiers = segment?.field(field).repetitions ?? [];
    for (const repetition of identifiers) {
        const part = (c) => valueText(repetition.component(c).getValue()).toUpperCase();
        if (part(1) && (part(4) === 'NHS' || part(5) === 'NH'))
            return part(1);
    }
    return undefined;
}
const ACTIONS = { A: 'new', U: 'update', D: 'delete' };
/** A VXU^V04 as the vaccination a practice tells nims about; 400 naming the field when one is wrong. */
export function vxuRecord(message) {
    const msh = message.header;
    const practice = text(msh, 4);
    const controlId = text(msh, 10);
    if (!practice)
        fail('invalid-request', 'MSH-4 (sending facility) must give the practice ODS code', ['MSH-4']);
    if (!controlId)
        fail('invalid-request', 'MSH-10 (message control id) is required', ['MSH-10']);
    const pid = message.getSegment('PID');
    const nhsNumber = nhsNumberOf(pid);
    if (!nhsNumber)
        fail('invalid-request', 'PID-3 must carry the NHS number (authority NHS or type NH)', ['PID-3']);
    const orc = message.getSegment('ORC');
    const rxa = message.getSegment('RXA');
    if (!rxa)
        fail('invalid-request', 'An RXA segment is required', ['RXA']);
    const order = text(orc, 3) || text(orc, 2);
    if (!order)
        fail('invalid-request', 'ORC-3 (or ORC-2) must identify the vaccination record', ['ORC-3']);
    const occurrence = fhirDateTime(text(rxa, 3));
    if (!occurrence)
        fail('invalid-request', 'RXA-3 must be a date and time (YYYYMMDDHHMM)', ['RXA-3']);
    const vaccineCode = coded(rxa, 5, 'RXA-5');
    if (!vaccineCode)
        fail('invalid-request', 'RXA-5 must give the vaccine (a SNOMED CT code, system SCT)', ['RXA-5']);
    const action = ACTIONS[text(rxa, 21) || 'A'];
    if (!action)
        fail('invalid-request', 'RXA-21 must be A, U or D', ['RXA-21']);
    const completion = text(rxa, 20) || 'CP';
    const rxr = message.getSegment('RXR');
    const amount = Number(text(rxa, 6));
    const recorded = fhirDateTime(text(msh, 7));
    const [route, site] = [coded(rxr, 1, 'RXR-1'), coded(rxr, 2, 'RXR-2')];
    const immunization = {
        resourceType: 'Immunization',
        identifier: [{ system: `${HL7_ORDER_SYSTEM}/${practice}`, value: order }],
        status: completion === 'CP' || completion === 'PA' ? 'completed' : 'not-done',
        ...(completion === 'RE' ? { statusReason: { coding: REFUSAL_REASONS } } : {}),
        ...(completion === 'NA' ? { statusReason: { text: 'not administered' } } : {}),
        vaccineCode,
        // set to the person found on the register
        patient: { reference: 'Patient/unknown' },
        occurrenceDateTime: occurrence,
        ...(recorded ? { recorded } : {}),
        primarySource: true,
        ...(text(rxa, 15) ? { lotNumber: text(rxa, 15) } : {}),
        ...(text(rxa, 17, 2) ? { manufacturer: { display: text(rxa, 17, 2) } } : {}),
        ...(amount > 0
            ? { doseQuantity: { value: amount, ...(text(rxa, 7) ? { unit: text(rxa, 7) } : {}) } }
            : {}),
        ...(route ? { route } : {}),
        ...(site ? { site } : {}),
    };
    return { messageId: `hl7v2|${practice}|${controlId}`, practice, action, nhsNumber, immunization };
}
//# sourceMappingURL=mapping.js.map