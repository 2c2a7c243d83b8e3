import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fail } from '../fhir/errors.js';
import { postcodeDistrict } from '../cohort/index.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { RESOURCE_TYPES } from '../resources/registry.js';
import { nhsNumberOf } from '../shared/nhs-number.js';
import { patientIdOf } from '../shared/references.js';
export const PSEUDONYM_SYSTEM = `${NIMS_BASE}/Id/pseudonymised-nhs-number`;
export const DEFAULT_EXPORT_PROFILES = [
    {
        name: 'full',
        description: 'Everything the client may read, as stored (UKHSA, NHS England analysts)',
        types: ['Patient', 'Immunization', 'Observation', 'Consent', 'Organization', 'Location', 'Practitioner'],
        pseudonymise: false,
    },
    {
        name: 'research',
        description: 'Pseudonymised people and their vaccinations, for trusted research environments',
        types: ['Patient', 'Immunization'],
        elements: {
            Patient: [
                'identifier',
                'gender',
                'birthDate',
                'deceasedDateTime',
                'address',
                'extension',
                'generalPractitioner',
            ],
            Immunization: [
                'status',
                'statusReason',
                'vaccineCode',
                'patient',
                'occurrenceDateTime',
                'primarySource',
                'reportOrigin',
                'site',
                'route',
                'doseQuantity',
                'protocolApplied',
                'extension',
            ],
        },
        pseudonymise: true,
    },
];
/**
 * The export profiles in force: the built-in ones, or those of a JSON file (an array of profiles),
 * checked at start so that a wrong file stops the server rather than an export.
 */
export function exportProfiles(file) {
    if (!file)
        return DEFAULT_EXPORT_PROFILES;
    const read = JSON.parse(readFileSync(file, 'utf8'));
    const valid = (p) => typeof p.name === 'string' &&
        /^[a-z][a-z0-9-]{0,40}$/.test(p.name) &&
        Array.isArray(p.types) &&
        p.types.every((t) => RESOURCE_TYPES.includes(t)) &&
        typeof p.pseudonymise === 'boolean';
    if (!Array.isArray(read) || read.length === 0 || !read.every((p) => valid(p)))
        throw new Error(`EXPORT_PROFILES_FILE must hold an array of profiles: {name, description, types (stored types), elements?, pseudonymise}`);
    return read;
}
/** The scope that gives a client an export profile. */
export const exportScope = (profile) => `nims-export/${profile}`;
/** The export profile a client's token gives it (an unrestricted client: the first, full one). */
export function profileFor(access, profiles) {
    const named = profiles.filter((p) => access.grants.some((g) => g.type === `export:${p.name}` || g.type === '*'));
    const unrestricted = access.grants.some((g) => g.type === '*');
    if (named.length === 0)
        fail('forbidden', `Bulk export needs an export profile scope (${profiles.map((p) => exportScope(p.name)).join(', ')})`);
    if (named.length > 1 && !unrestricted)
        fail('forbidden', `This client holds several export profiles (${named.map((p) => p.name).join(', ')}); it must hold one`);
    return named[0];
}
/** Turns resources into what a profile lets out: pseudonymised when it says so, with its elements only. */
export class ExportShaper {
    profile;
    key;
    constructor(profile, 
    /** The secret of the keyed hashes: the same person has the same pseudonym in every export. */
    key) {
        this.profile = profile;
        this.key = key;
    }
    pseudonym(value) {
        return createHmac('sha256', this.key).update(value).digest('hex').slice(0, 40);
    }
    shape(resource) {
        let shaped = this.profile.pseudonymise ? this.pseudonymised(resource) : resource;
        const keep = this.profile.elements?.[resource.resourceType];
        if (keep) {
            const kept = {
                resourceType: shaped.resourceType,
                id: shaped.id,
                meta: shaped.meta,
            };
            for (const element of keep) {
                const value = shaped[element];
                if (value !== undefined)
                    kept[element] = value;
            }
            shaped = kept;
        }
        return shaped;
    }
    pseudonymised(resource) {
        // references to people become references to their pseudonyms, wherever they are
        const text = JSON.stringify({ ...resource, text: undefined }, (key, value) => {
            if (key === 'reference' && typeof value === 'string') {
                const patient = patientIdOf(value);
                return patient ? `Patient/${this.pseudonym(patient)}` : value;
            }
            return value;
        });
        const copy = JSON.parse(text);
        if (copy.resourceType !== 'Patient') {
            // a source system's identifiers lead back to the person
            delete copy.identifier;
            return copy;
        }
        const patient = copy;
        const nhsNumber = nhsNumberOf(patient);
        const home = patient.address?.find((a) => a.use === 'home') ?? patient.address?.[0];
        const district = postcodeDistrict(home?.postalCode);
        const { name: _name, telecom: _telecom, contact: _contact, photo: _photo, address: _address, identifier: _identifier, ...rest } = patient;
        return {
            ...rest,
            id: this.pseudonym(resource.id),
            ...(nhsNumber ? { identifier: [{ system: PSEUDONYM_SYSTEM, value: this.pseudonym(nhsNumber) }] } : {}),
            ...(district ? { address: [{ use: 'home', postalCode: district }] } : {}),
            ...(patient.birthDate ? { birthDate: patient.birthDate.slice(0, 4) } : {}),
            ...(patient.deceasedDateTime ? { deceasedDateTime: patient.deceasedDateTime.slice(0, 4) } : {}),
        };
    }
}
//# sourceMappingURL=profiles.js.map