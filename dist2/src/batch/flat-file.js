import { isCalendarDate } from '../preferences/matching.js';
import { VACCINATION_PROCEDURE_EXTENSION } from '../resources/immunization.js';
import { vaccineOf } from '../resources/vaccines.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { isOdsCode, ODS_CODE_SYSTEM } from '../shared/ods.js';
import { isSnomedConceptId, SNOMED_SYSTEM } from '../shared/snomed.js';
const ALL = ['new', 'update', 'delete'];
const WRITES = ['new', 'update'];
const col = (name, kind, requiredFor, description) => ({
    name,
    kind,
    requiredFor,
    description,
});
export const COLUMNS = [
    col('NHS_NUMBER', 'nhs-number', ALL, "The person's NHS number; they must be on the register"),
    col('PERSON_FORENAME', 'text', [], 'Given name, as the supplier holds it'),
    col('PERSON_SURNAME', 'text', [], 'Family name, as the supplier holds it'),
    col('PERSON_DOB', 'date', WRITES, "Date of birth (YYYYMMDD); must be the register's"),
    col('PERSON_GENDER_CODE', 'text', [], 'Gender code, as the supplier holds it'),
    col('PERSON_POSTCODE', 'text', [], 'Postcode, as the supplier holds it'),
    col('DATE_AND_TIME', 'date-time', WRITES, 'When it was given: YYYYMMDDThhmmss then 00 (UTC) or 01 (BST), or ISO 8601'),
    col('SITE_CODE', 'ods', WRITES, 'ODS code of the organisation responsible'),
    col('SITE_CODE_TYPE_URI', 'uri', [], `Its identifier system (default ${ODS_CODE_SYSTEM})`),
    col('UNIQUE_ID', 'text', ALL, "The supplier's own id for the event"),
    col('UNIQUE_ID_URI', 'uri', ALL, "The system of the supplier's ids"),
    col('ACTION_FLAG', 'action', ALL, 'new, update or delete'),
    col('PERFORMING_PROFESSIONAL_FORENAME', 'text', [], 'Who vaccinated: given name'),
    col('PERFORMING_PROFESSIONAL_SURNAME', 'text', [], 'Who vaccinated: family name'),
    col('RECORDED_DATE', 'date', WRITES, 'When it was recorded (YYYYMMDD)'),
    col('PRIMARY_SOURCE', 'boolean', WRITES, 'TRUE when recorded by whoever gave it'),
    col('VACCINATION_PROCEDURE_CODE', 'snomed', WRITES, 'SNOMED CT vaccination procedure'),
    col('VACCINATION_PROCEDURE_TERM', 'text', [], 'Its term'),
    col('DOSE_SEQUENCE', 'dose', [], 'Dose number, 1 to 9'),
    col('VACCINE_PRODUCT_CODE', 'snomed', WRITES, 'SNOMED CT (dm+d) product; decides the programme'),
    col('VACCINE_PRODUCT_TERM', 'text', [], 'Its term'),
    col('VACCINE_MANUFACTURER', 'text', [], 'Manufacturer'),
    col('BATCH_NUMBER', 'text', [], 'Batch'),
    col('EXPIRY_DATE', 'date', [], 'Batch expiry (YYYYMMDD)'),
    col('SITE_OF_VACCINATION_CODE', 'snomed', [], 'SNOMED CT body site'),
    col('SITE_OF_VACCINATION_TERM', 'text', [], 'Its term'),
    col('ROUTE_OF_VACCINATION_CODE', 'snomed', [], 'SNOMED CT route'),
    col('ROUTE_OF_VACCINATION_TERM', 'text', [], 'Its term'),
    col('DOSE_AMOUNT', 'decimal', [], 'Amount given'),
    col('DOSE_UNIT_CODE', 'snomed', [], 'SNOMED CT unit of the amount'),
    col('DOSE_UNIT_TERM', 'text', [], 'Its term'),
    col('INDICATION_CODE', 'snomed', [], 'SNOMED CT reason for vaccinating'),
    col('LOCATION_CODE', 'text', WRITES, 'Where it was given (by default an ODS code)'),
    col('LOCATION_CODE_TYPE_URI', 'uri', [], `Its identifier system (default ${ODS_CODE_SYSTEM})`),
];
const ACTIONS = ['new', 'update', 'delete'];
/** Why a value is not of its column's kind; undefined when it is. */
function kindProblem(kind, value) {
    switch (kind) {
        case 'text':
            return value.length > 1000 ? 'is longer than 1000 characters' : undefined;
        case 'nhs-number':
            return isValidNhsNumber(value) ? undefined : 'is not a valid NHS number (10 digits, check digit)';
        case 'date':
            return fhirDate(value) ? undefined : 'is not a date (YYYYMMDD)';
        case 'date-time':
            return fhirDateTime(value) ? undefined : 'is not a date and time (YYYYMMDDThhmmss00)';
        case 'snomed':
            return isSnomedConceptId(value) ? undefined : 'is not a SNOMED CT concept id';
        case 'ods':
            return isOdsCode(value) ? undefined : 'is not an ODS code';
        case 'uri':
            return /^(https?:\/\/|urn:)\S+$/.test(value) ? undefined : 'is not a URI';
        case 'boolean':
            return /^(true|false)$/i.test(value) ? undefined : 'is not TRUE or FALSE';
        case 'action':
            return ACTIONS.includes(value.toLowerCase()) ? undefined : 'is not new, update or delete';
        case 'dose':
            return /^[1-9]$/.test(value) ? undefined : 'is not a dose number from 1 to 9';
        case 'decimal':
            return /^\d{1,6}(\.\d{1,6})?$/.test(value) ? undefined : 'is not a decimal number';
    }
}
/** YYYYMMDD (or YYYY-MM-DD) as a FHIR date; undefined when it is not a calendar date. */
function fhirDate(value) {
    const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
    const date = match ? `${match[1]}-${match[2]}-${match[3]}` : '';
    return isCalendarDate(date) ? date : undefined;
}
/** The national form (YYYYMMDDThhmmss then 00 for UTC or 01 for BST) or ISO 8601, as a FHIR dateTime. */
function fhirDateTime(value) {
    const national = /^(\d{8})T(\d{2})(\d{2})(\d{2})(00|01)?$/.exec(value);
    if (national) {
        const [, day, hh, mm, ss, zone] = national;
        const date = fhirDate(day);
        if (!date || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59)
            return undefined;
        return `${date}T${hh}:${mm}:${ss}${zone === '01' ? '+01:00' : '+00:00'}`;
    }
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.exec(value);
    return iso && !Number.isNaN(Date.parse(value)) && fhirDate(value.slice(0, 10)) ? value : undefined;
}
const coded = (code, display) => ({
    coding: [{ system: SNOMED_SYSTEM, code, ...(display ? { display } : {}) }],
});
/** Checks one row's fields against the columns and builds the record it gives. */
export function readRow(fields) {
    const value = (name) => {
        const raw = fields[name];
        return typeof raw === 'string' ? raw.trim() : '';
    };
    const actionText = value('ACTION_FLAG').toLowerCase();
    const action = ACTIONS.includes(actionText) ? actionText : undefined;
    const identity = {
        ...(value('UNIQUE_ID') && value('UNIQUE_ID_URI')
            ? { key: `${value('UNIQUE_ID_URI')}|${value('UNIQUE_ID')}` }
            : {}),
        ...(actionText ? { action: actionText } : {}),
    };
    for (const column of COLUMNS) {
        const given = value(column.name);
        if (!given) {
            // without a valid action, every column an action may need is needed
            if (column.requiredFor.includes(action ?? 'new') || (!action && column.requiredFor.length > 0))
                return { ok: false, column: column.name, reason: `${column.name} is missing`, ...identity };
            continue;
        }
        const problem = kindProblem(column.kind, given);
        if (problem)
            return { ok: false, column: column.name, reason: `${column.name} ${problem}`, ...identity };
    }
    const key = identity.key;
    if (action === 'delete')
        return { ok: true, action: 'delete', key, nhsNumber: value('NHS_NUMBER') };
    const product = value('VACCINE_PRODUCT_CODE');
    const vaccine = vaccineOf(product);
    if (!vaccine)
        return {
            ok: false,
            column: 'VACCINE_PRODUCT_CODE',
            reason: `VACCINE_PRODUCT_CODE ${product} is not a vaccine product nims knows, so its programme cannot be told`,
            ...identity,
        };
    const optionalCoded = (code, term) => value(code) ? coded(value(code), value(term)) : undefined;
    const professional = [value('PERFORMING_PROFESSIONAL_FORENAME'), value('PERFORMING_PROFESSIONAL_SURNAME')]
        .filter(Boolean)
        .join(' ');
    const performer = [
        {
            actor: {
                type: 'Organization',
                identifier: { system: value('SITE_CODE_TYPE_URI') || ODS_CODE_SYSTEM, value: value('SITE_CODE') },
            },
        },
        ...(professional ? [{ actor: { type: 'Practitioner', display: professional } }] : []),
    ];
    const dose = value('DOSE_SEQUENCE');
    const site = optionalCoded('SITE_OF_VACCINATION_CODE', 'SITE_OF_VACCINATION_TERM');
    const route = optionalCoded('ROUTE_OF_VACCINATION_CODE', 'ROUTE_OF_VACCINATION_TERM');
    const immunization = {
        resourceType: 'Immunization',
        extension: [
            {
                url: VACCINATION_PROCEDURE_EXTENSION,
                valueCodeableConcept: coded(value('VACCINATION_PROCEDURE_CODE'), value('VACCINATION_PROCEDURE_TERM')),
            },
        ],
        identifier: [{ system: value('UNIQUE_ID_URI'), value: value('UNIQUE_ID') }],
        status: 'completed',
        vaccineCode: coded(product, value('VACCINE_PRODUCT_TERM')),
        patient: { type: 'Patient', identifier: { system: NHS_NUMBER_SYSTEM, value: value('NHS_NUMBER') } },
        occurrenceDateTime: fhirDateTime(value('DATE_AND_TIME')),
        recorded: fhirDate(value('RECORDED_DATE')),
        primarySource: value('PRIMARY_SOURCE').toLowerCase() === 'true',
        location: {
            type: 'Location',
            identifier: {
                system: value('LOCATION_CODE_TYPE_URI') || ODS_CODE_SYSTEM,
                value: value('LOCATION_CODE'),
            },
        },
        ...(value('VACCINE_MANUFACTURER') ? { manufacturer: { display: value('VACCINE_MANUFACTURER') } } : {}),
        ...(value('BATCH_NUMBER') ? { lotNumber: value('BATCH_NUMBER') } : {}),
        ...(value('EXPIRY_DATE') ? { expirationDate: fhirDate(value('EXPIRY_DATE')) } : {}),
        ...(site ? { site } : {}),
        ...(route ? { route } : {}),
        ...(value('DOSE_AMOUNT')
            ? {
                doseQuantity: {
                    value: Number(value('DOSE_AMOUNT')),
                    ...(value('DOSE_UNIT_CODE') ? { system: SNOMED_SYSTEM, code: value('DOSE_UNIT_CODE') } : {}),
                    ...(value('DOSE_UNIT_TERM') ? { unit: value('DOSE_UNIT_TERM') } : {}),
                },
            }
            : {}),
        performer,
        ...(value('INDICATION_CODE') ? { reasonCode: [coded(value('INDICATION_CODE'), '')] } : {}),
        protocolApplied: [
            {
                targetDisease: vaccine.protectsAgainst.map((code) => coded(code, '')),
                ...(dose ? { doseNumberPositiveInt: Number(dose) } : { doseNumberString: 'Not recorded' }),
            },
        ],
    };
    return {
        ok: true,
        action: action,
        key,
        nhsNumber: value('NHS_NUMBER'),
        birthDate: fhirDate(value('PERSON_DOB')),
        immunization,
    };
}
/** Which column a validation problem of the built record is about (the nearest the row has). */
const COLUMN_OF_PATH = [
    [/^Immunization\.vaccineCode/, 'VACCINE_PRODUCT_CODE'],
    [/^Immunization\.occurrence/, 'DATE_AND_TIME'],
    [/^Immunization\.recorded/, 'RECORDED_DATE'],
    [/^Immunization\.site/, 'SITE_OF_VACCINATION_CODE'],
    [/^Immunization\.route/, 'ROUTE_OF_VACCINATION_CODE'],
    [/^Immunization\.lotNumber/, 'BATCH_NUMBER'],
    [/^Immunization\.expirationDate/, 'EXPIRY_DATE'],
    [/^Immunization\.doseQuantity/, 'DOSE_AMOUNT'],
    [/^Immunization\.protocolApplied/, 'DOSE_SEQUENCE'],
    [/^Immunization\.extension/, 'VACCINATION_PROCEDURE_CODE'],
    [/^Immunization\.identifier/, 'UNIQUE_ID'],
    [/^Immunization\.location/, 'LOCATION_CODE'],
    [/^Immunization\.performer/, 'SITE_CODE'],
];
export function columnOf(expression) {
    return COLUMN_OF_PATH.find(([path]) => path.test(expression ?? ''))?.[1] ?? '';
}
//# sourceMappingURL=flat-file.js.map