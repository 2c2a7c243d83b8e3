import type {
  Immunization,
  ImmunizationRecommendation,
  Observation,
  Parameters,
  ParametersParameter,
  Patient,
  Resource,
} from 'fhir/r4';
import { canSee, type Access } from '../auth/access.js';
import { programmesAllowed, type Permission } from '../auth/scopes.js';
import { PROGRAMMES, programmesOf, programmesRefusedBy, type Programme } from '../cohort/programmes.js';
import { fail } from '../fhir/errors.js';
import type { FhirService } from '../fhir/service.js';
import { forecast, type Forecast } from '../forecast/forecast.js';
import { isCalendarDate } from '../preferences/matching.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { patientIdOf } from '../shared/references.js';
import { SNOMED_SYSTEM } from '../shared/snomed.js';
import { ukClock } from '../shared/clock.js';
import { input, parametersOf, readParameters } from './parameters.js';
import { countryOf, givenAbroad } from '../resources/immunization.js';
import { likelyPersonId, PERSON_INPUTS, personNamed } from './person.js';
import { operationDefinition, registerOperation } from './registry.js';

/** Forecast statuses FHIR names (due, overdue, complete); the others are nims's own. */
const FHIR_FORECAST_STATUS = 'http://terminology.hl7.org/CodeSystem/immunization-recommendation-status';
export const FORECAST_STATUS_SYSTEM = `${NIMS_BASE}/CodeSystem/forecast-status`;
const LOINC = 'http://loinc.org';

/** A person's vaccination record as the point of care needs it, as much as the client may see. */
interface VaccinationRecord {
  patient: Patient;
  /** The programmes the client may see records of. */
  programmes: Programme[];
  immunizations: Immunization[];
  reactions: Observation[];
}

/**
 * The person named by `patient` (an id) or `nhs-number`, with their vaccinations and reactions: of a
 * client narrowed to some programmes, only those programmes' records and the reactions to them.
 */
async function recordOf(
  service: FhirService,
  values: Map<string, unknown[]>,
  access: Access,
): Promise<VaccinationRecord> {
  const recordsOf = (id: string) =>
    Promise.all([
      service.ofPatient<Immunization>('Immunization', id),
      service.ofPatient<Observation>('Observation', id),
    ]);
  // the records of the likely person are read while the person is, and read again if it was someone else
  const guess = await likelyPersonId(service, values);
  const [patient, guessed] = await Promise.all([
    personNamed(service, values),
    guess === undefined ? undefined : recordsOf(guess),
  ]);
  const [all, observations] = patient.id === guess && guessed ? guessed : await recordsOf(patient.id!);
  const immunizations = all.filter((i) => canSee(access, i, 's'));
  const hidden = new Set(all.filter((i) => !immunizations.includes(i)).map((i) => `Immunization/${i.id}`));
  const allowed = programmesAllowed(access.grants, 'Immunization', 's');
  return {
    patient,
    programmes: PROGRAMMES.filter((p) => !allowed || allowed.includes(p.code)),
    immunizations,
    // reactions: observations that say so, or that belong to a vaccination the client may see
    reactions: observations.filter((o) => {
      const to = (o.partOf ?? []).flatMap((p) =>
        p.reference?.startsWith('Immunization/') ? [p.reference] : [],
      );
      if (to.some((reference) => hidden.has(reference))) return false;
      return (
        to.length > 0 ||
        (o.code.coding ?? []).some((c) => c.system === SNOMED_SYSTEM && c.code === '281647001')
      );
    }),
  };
}

const dateOf = (immunization: Immunization) =>
  immunization.occurrenceDateTime ?? immunization.occurrenceString ?? immunization.recorded ?? '';

/** Each programme's forecast for a person on a day, from their completed doses. */
export function forecasts(
  patient: Patient,
  immunizations: Immunization[],
  on: string,
  programmes = PROGRAMMES,
): Forecast[] {
  if (!patient.birthDate || !isCalendarDate(patient.birthDate.slice(0, 10)))
    fail('invalid-request', 'The person has no full date of birth to forecast from', ['Patient.birthDate']);
  return programmes.map((programme) =>
    forecast(
      programme.code,
      patient.birthDate!.slice(0, 10),
      immunizations
        .filter((i) => programmesOf(i).includes(programme))
        .map(dateOf)
        .filter(Boolean),
      on,
    ),
  );
}

function forecastParameter(f: Forecast): ParametersParameter {
  return {
    name: 'forecast',
    part: [
      { name: 'status', valueCode: f.status },
      { name: 'dose-number', valueInteger: f.doseNumber },
      ...(f.earliest ? [{ name: 'earliest', valueDate: f.earliest }] : []),
      ...(f.overdueFrom ? [{ name: 'overdue-from', valueDate: f.overdueFrom }] : []),
      { name: 'reason', valueString: f.reason },
    ],
  };
}

function programmeParameter(
  programme: Programme,
  record: VaccinationRecord,
  f: Forecast,
): ParametersParameter {
  const doses = record.immunizations
    .filter((i) => programmesOf(i).includes(programme))
    .sort((a, b) => dateOf(a).localeCompare(dateOf(b)));
  const refusals = record.immunizations.filter((i) => programmesRefusedBy(i).includes(programme));
  return {
    name: 'programme',
    part: [
      { name: 'code', valueCode: programme.code },
      { name: 'display', valueString: programme.display },
      ...doses.map((dose, i) => ({
        name: 'dose',
        part: [
          { name: 'immunization', valueReference: { reference: `Immunization/${dose.id}` } },
          { name: 'date', valueDateTime: dateOf(dose) },
          {
            name: 'dose-number',
            valueInteger: dose.protocolApplied?.[0]?.doseNumberPositiveInt ?? i + 1,
          },
          { name: 'product', valueCodeableConcept: dose.vaccineCode },
          ...(dose.lotNumber ? [{ name: 'batch', valueString: dose.lotNumber }] : []),
          // given abroad: where, as reported (not recorded at the point of care)
          ...(givenAbroad(dose) ? [{ name: 'given-abroad', valueCode: countryOf(dose)! }] : []),
          ...reactionsTo(dose, record.reactions).map((o) => ({
            name: 'reaction',
            valueReference: { reference: `Observation/${o.id}` },
          })),
        ],
      })),
      ...refusals.map((refusal) => ({
        name: 'refusal',
        part: [
          { name: 'immunization', valueReference: { reference: `Immunization/${refusal.id}` } },
          { name: 'date', valueDateTime: dateOf(refusal) },
          ...(refusal.statusReason ? [{ name: 'reason', valueCodeableConcept: refusal.statusReason }] : []),
        ],
      })),
      forecastParameter(f),
    ],
  };
}

/** The reactions recorded against one vaccination (by Immunization.reaction or Observation.partOf). */
function reactionsTo(dose: Immunization, reactions: Observation[]): Observation[] {
  const named = new Set((dose.reaction ?? []).map((r) => r.detail?.reference));
  return reactions.filter(
    (o) =>
      named.has(`Observation/${o.id}`) ||
      (o.partOf ?? []).some((p) => p.reference === `Immunization/${dose.id}`),
  );
}

const today = () => ukClock(new Date()).date;

const STATUS_INPUTS = [
  ...PERSON_INPUTS,
  input('date', 'date', '1', 'The day to forecast for (default today, UK)'),
];
const NEEDS: [string, Permission][] = [
  ['Patient', 'r'],
  ['Immunization', 's'],
  ['Observation', 's'],
];

function dayFrom(values: Map<string, unknown[]>, name: string): string {
  const date = (values.get(name)?.[0] as string | undefined) ?? today();
  if (!isCalendarDate(date)) fail('invalid-request', `${name} must be a date (YYYY-MM-DD)`, [name]);
  return date;
}

registerOperation({
  definition: {
    ...operationDefinition(
      'immunization-status',
      'ImmunizationStatus',
      ['Patient'],
      "A person's vaccinations per programme, for the immuniser deciding whether it is safe to vaccinate today: each dose (date, product, dose number, batch, reactions recorded against it), refusals, reactions, and the forecast of the next dose (due, overdue, complete, too-young, too-soon, not-eligible, out-of-season, with the earliest day and why). By NHS number or patient id; GET or POST.",
      [
        ...STATUS_INPUTS,
        { name: 'patient', use: 'out', min: 1, max: '1', type: 'Reference', documentation: 'The person' },
        {
          name: 'programme',
          use: 'out',
          min: 0,
          max: '*',
          documentation:
            'Per programme: code, display, dose (immunization, date, dose-number, product, batch, given-abroad country, reaction), refusal, forecast',
        },
        {
          name: 'reaction',
          use: 'out',
          min: 0,
          max: '*',
          type: 'Reference',
          documentation: 'Every reaction on record',
        },
      ],
    ),
    affectsState: false,
  },
  needs: () => NEEDS,
  handle: async (request, { service }) => {
    const values = readParameters(parametersOf(request), STATUS_INPUTS);
    const on = dayFrom(values, 'date');
    const record = await recordOf(service, values, request.context.access);
    const byProgramme = forecasts(record.patient, record.immunizations, on, record.programmes);
    return {
      status: 200,
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'patient', valueReference: { reference: `Patient/${record.patient.id}` } },
          ...record.programmes.map((p, i) => programmeParameter(p, record, byProgramme[i]!)),
          ...record.reactions.map((o) => ({
            name: 'reaction',
            valueReference: { reference: `Observation/${o.id}` },
          })),
        ],
      },
    };
  },
});

/** The forecast as an ImmunizationRecommendation (one recommendation a programme). */
export function recommendation(
  patient: Patient,
  on: string,
  byProgramme: Forecast[],
): ImmunizationRecommendation {
  return {
    resourceType: 'ImmunizationRecommendation',
    ...(patient.id
      ? { patient: { reference: `Patient/${patient.id}` } }
      : { patient: { display: 'the person given' } }),
    date: on,
    recommendation: byProgramme.map((f) => {
      const programme = PROGRAMMES.find((p) => p.code === f.programme)!;
      const fhir = ['due', 'overdue', 'complete'].includes(f.status);
      return {
        targetDisease: {
          coding: programme.targetDiseases.map((code) => ({ system: SNOMED_SYSTEM, code })),
          text: programme.display,
        },
        forecastStatus: {
          coding: [{ system: fhir ? FHIR_FORECAST_STATUS : FORECAST_STATUS_SYSTEM, code: f.status }],
        },
        forecastReason: [{ text: f.reason }],
        ...(f.earliest
          ? {
              dateCriterion: [
                {
                  code: { coding: [{ system: LOINC, code: '30981-5', display: 'Earliest date to give' }] },
                  value: f.earliest,
                },
                ...(f.overdueFrom
                  ? [
                      {
                        code: {
                          coding: [
                            { system: LOINC, code: '59778-1', display: 'Date when overdue for immunization' },
                          ],
                        },
                        value: f.overdueFrom,
                      },
                    ]
                  : []),
              ],
            }
          : {}),
        doseNumberPositiveInt: f.doseNumber,
        seriesDosesPositiveInt: f.seriesDoses,
        series: programme.code,
      };
    }),
  };
}

/**
 * The inputs of `$immds-forecast`: the HL7 Immunization Decision Support form (a Patient resource and
 * Immunization resources) or nims's own (the person on the register, by id or NHS number).
 */
function forecastInputs(body: unknown): {
  values: Map<string, unknown[]>;
  patient?: Patient;
  immunizations: Immunization[];
} {
  const parameters = (body ?? { resourceType: 'Parameters' }) as Parameters;
  if (typeof parameters !== 'object' || parameters.resourceType !== 'Parameters')
    fail('invalid-request', 'The body must be a Parameters resource');
  const resources = (name: string, type: string): Resource[] =>
    (parameters.parameter ?? [])
      .filter((p) => p.name === name)
      .map((p, i) => {
        if (p.resource?.resourceType !== type)
          fail('invalid-request', `Parameter '${name}' needs a ${type} resource`, [
            `Parameters.parameter[${i}]`,
          ]);
        return p.resource;
      });
  const patients = resources('patient', 'Patient') as Patient[];
  if (patients.length > 1) fail('invalid-request', "Parameter 'patient' may be given once", ['patient']);
  // the resources are read here; the rest as any operation's parameters
  const rest = {
    ...parameters,
    parameter: (parameters.parameter ?? []).filter((p) => p.name !== 'immunization' && !p.resource),
  };
  return {
    values: readParameters(rest, FORECAST_INPUTS),
    ...(patients[0] ? { patient: patients[0] } : {}),
    immunizations: resources('immunization', 'Immunization') as Immunization[],
  };
}

const FORECAST_INPUTS = [
  input('assessmentDate', 'date', '1', 'The day to forecast for (default today, UK)'),
  input('patient', 'string', '1', 'The person on the register by id; or a Patient resource (HL7 IDS form)'),
  input('nhs-number', 'string', '1', 'The person on the register by NHS number'),
];

registerOperation({
  definition: {
    ...operationDefinition(
      'immds-forecast',
      'ImmdsForecast',
      [],
      'Immunization decision support (the HL7 Immunization Decision Support Forecast form): which dose of MMR, COVID-19 and flu is due, from when, and why not (too young, too soon since the last dose, not eligible this season, out of season, complete), as an ImmunizationRecommendation. Give a Patient resource and its Immunization resources, or a person on the register (patient id or nhs-number). The rules are data (src/forecast/rules.ts).',
      [
        ...FORECAST_INPUTS,
        {
          name: 'immunization',
          use: 'in',
          min: 0,
          max: '*',
          type: 'Immunization',
          documentation: 'With a Patient resource: the doses given',
        },
        {
          name: 'recommendation',
          use: 'out',
          min: 1,
          max: '1',
          type: 'ImmunizationRecommendation',
          documentation: 'One recommendation a programme',
        },
      ],
      'system',
    ),
    affectsState: false,
  },
  needs: (request) =>
    (request.body as Parameters | undefined)?.parameter?.some((p) => p.resource?.resourceType === 'Patient')
      ? []
      : NEEDS,
  handle: async (request, { service }) => {
    const { values, patient, immunizations } = forecastInputs(parametersOf(request));
    const on = dayFrom(values, 'assessmentDate');
    const record = patient
      ? { patient, immunizations, programmes: PROGRAMMES }
      : await recordOf(service, values, request.context.access);
    const strangers = record.immunizations.filter(
      (i) =>
        patient?.id && patientIdOf(i.patient.reference) && patientIdOf(i.patient.reference) !== patient.id,
    );
    if (strangers.length > 0)
      fail('invalid-request', 'Every immunization given must be for the patient given', ['immunization']);
    return {
      status: 200,
      body: {
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'recommendation',
            resource: recommendation(
              record.patient,
              on,
              forecasts(record.patient, record.immunizations, on, record.programmes),
            ),
          },
        ],
      },
    };
  },
});
