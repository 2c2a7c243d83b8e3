import type { Patient } from 'fhir/r4';
import { fail } from '../fhir/errors.js';
import { ID_PATTERN, type FhirService } from '../fhir/service.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import type { StoredVersion } from '../store/repository.js';
import { input } from './parameters.js';

/** The two ways an operation's caller names one person on the register. */
export const PERSON_INPUTS = [
  input('patient', 'string', '1', 'The person on the register by id (or give nhs-number)'),
  input('nhs-number', 'string', '1', 'The person on the register by NHS number'),
];

/** How the caller named the person: by id or by NHS number; undefined unless exactly one is given. */
function namedBy(values: Map<string, unknown[]>): { id: string } | { nhsNumber: string } | undefined {
  const id = values.get('patient')?.[0] as string | undefined;
  const nhsNumber = values.get('nhs-number')?.[0] as string | undefined;
  if ((id === undefined) === (nhsNumber === undefined)) return undefined;
  return id !== undefined ? { id } : { nhsNumber: nhsNumber! };
}

/** The person an operation's `patient` (an id) or `nhs-number` names: exactly one must be given. */
export async function personNamed(service: FhirService, values: Map<string, unknown[]>): Promise<Patient> {
  const named = namedBy(values);
  if (!named)
    fail('invalid-request', 'Give the person by patient (id) or by nhs-number, one of them', ['patient']);
  const found =
    'id' in named
      ? await service.readIfExists('Patient', named.id)
      : await holderOfNhsNumber(service, named.nhsNumber);
  const patient = found?.resource as Patient | undefined;
  if (!patient) fail('not-found', 'No one on the register is known by that');
  return patient;
}

/**
 * The id of the person `patient` or `nhs-number` most likely names, without reading the person: reads that
 * depend on who it is can start beside personNamed, which confirms it (and answers from memory then).
 */
export async function likelyPersonId(
  service: FhirService,
  values: Map<string, unknown[]>,
): Promise<string | undefined> {
  const named = namedBy(values);
  // nothing to guess when the request is wrong: personNamed says how
  if (!named) return undefined;
  if ('id' in named) return ID_PATTERN.test(named.id) ? named.id : undefined;
  const candidates = await service.repository.holderCandidates(
    'Patient',
    'identifier',
    nhsKey(named.nhsNumber),
  );
  return candidates[candidates.length - 1];
}

const nhsKey = (nhsNumber: string) => `${NHS_NUMBER_SYSTEM}|${nhsNumber}`;

/** The register's record that holds `nhsNumber` (a number kept as `old` after a merge is not held). */
export async function holderOfNhsNumber(
  service: FhirService,
  nhsNumber: string,
): Promise<StoredVersion | undefined> {
  const holders = await service.repository.holders('Patient', 'identifier', [nhsKey(nhsNumber)]);
  return [...holders.values()][0];
}
