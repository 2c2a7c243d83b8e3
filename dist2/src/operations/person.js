import { fail } from '../fhir/errors.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { input } from './parameters.js';
/** The two ways an operation's caller names one person on the register. */
export const PERSON_INPUTS = [
    input('patient', 'string', '1', 'The person on the register by id (or give nhs-number)'),
    input('nhs-number', 'string', '1', 'The person on the register by NHS number'),
];
/** The person an operation's `patient` (an id) or `nhs-number` names: exactly one must be given. */
export async function personNamed(service, values) {
    const id = values.get('patient')?.[0];
    const nhsNumber = values.get('nhs-number')?.[0];
    if ((id === undefined) === (nhsNumber === undefined))
        fail('invalid-request', 'Give the person by patient (id) or by nhs-number, one of them', ['patient']);
    let patient;
    if (id !== undefined)
        patient = (await service.readIfExists('Patient', id))?.resource;
    else
        patient = (await holderOfNhsNumber(service, nhsNumber))?.resource;
    if (!patient)
        fail('not-found', 'No one on the register is known by that');
    return patient;
}
/** The register's record that holds `nhsNumber` (a number kept as `old` after a merge is not held). */
export async function holderOfNhsNumber(service, nhsNumber) {
    const holders = await service.repository.holders('Patient', 'identifier', [
        `${NHS_NUMBER_SYSTEM}|${nhsNumber}`,
    ]);
    return [...holders.values()][0];
}
//# sourceMappingURL=person.js.map