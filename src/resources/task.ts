import type { Immunization, Resource, Task } from 'fhir/r4';
import { fail } from '../fhir/errors.js';
import { onlyWhen, type Finding, type Profile } from '../profiles/rules.js';
import { isOverride } from '../preferences/override-task.js';
import {
  correctionOf,
  isAnomaly,
  isCorrection,
  isResolutionTask,
  NEEDS_REASON,
  proposedRecord,
} from '../resolution/tasks.js';
import { referenceKey } from '../search/index-values.js';
import { NIMS_BASE } from './extensions.js';
import { immunizationProfile } from './immunization.js';

const problem = (diagnostics: string, expression: string): Finding[] => [
  { diagnostics, expression: [expression] },
];

/**
 * The Tasks nims acts on by itself. A correction (add, amend or delete a vaccination record) names the
 * person, the record (amend, delete) and the record as it should be (add, amend: a contained Immunization
 * that must itself be valid), the team that owns it and why. A preference override (code preference-override) sets people's
 * COVID-19 invitation preferences aside: it must say why, from when until when, and for which programme.
 */
export const taskProfile: Profile<Task> = {
  type: 'Task',
  url: `${NIMS_BASE}/StructureDefinition/nims-task`,
  rules: [
    {
      key: 'override-reason',
      description: 'A preference override gives its reason (reasonCode.text): the compelling grounds',
      check: onlyWhen(isOverride, (t) =>
        t.reasonCode?.text?.trim()
          ? []
          : [
              {
                diagnostics: 'A preference override needs its reason in Task.reasonCode.text',
                expression: ['Task.reasonCode'],
              },
            ],
      ),
    },
    {
      key: 'override-period',
      description: 'A preference override is dated: executionPeriod with a start and a later end',
      check: onlyWhen(isOverride, (t) => {
        const { start, end } = t.executionPeriod ?? {};
        return start && end && Date.parse(start) < Date.parse(end)
          ? []
          : [
              {
                diagnostics: 'A preference override needs executionPeriod.start and a later end',
                expression: ['Task.executionPeriod'],
              },
            ];
      }),
    },
    {
      key: 'override-programme',
      description: 'A preference override names the programme whose preferences it sets aside: covid-19',
      check: onlyWhen(isOverride, (t) =>
        (t.input ?? []).some((i) => i.valueCode === 'covid-19')
          ? []
          : [
              {
                diagnostics: 'A preference override needs an input with valueCode covid-19',
                expression: ['Task.input'],
              },
            ],
      ),
    },
    {
      key: 'correction-patient',
      description: 'A correction is for one person: Task.for references a Patient',
      check: onlyWhen(isCorrection, (t) =>
        referenceKey(t.for?.reference ?? '').startsWith('Patient/')
          ? []
          : problem('A correction needs Task.for referencing the Patient', 'Task.for'),
      ),
    },
    {
      key: 'correction-focus',
      description:
        'An amendment or deletion names the record (Task.focus, an Immunization); an addition has none',
      check: onlyWhen(isCorrection, (t) => {
        const onRecord = referenceKey(t.focus?.reference ?? '').startsWith('Immunization/');
        if (correctionOf(t) === 'add-vaccination')
          return t.focus ? problem('An added record has no Task.focus yet', 'Task.focus') : [];
        return onRecord
          ? []
          : problem('An amendment or deletion needs Task.focus referencing the Immunization', 'Task.focus');
      }),
    },
    {
      key: 'correction-proposed-record',
      description:
        'An addition or amendment carries the record as it should be: a contained Immunization for the same person, referenced from the proposed-record input, valid by the nims-immunization rules',
      check: onlyWhen(isCorrection, (t, context) => {
        if (correctionOf(t) === 'delete-vaccination') return [];
        const proposed = proposedRecord(t);
        if (!proposed)
          return problem(
            'An addition or amendment needs a proposed-record input referencing a contained Immunization',
            'Task.input',
          );
        const at = `Task.contained[${(t.contained ?? []).indexOf(proposed)}]`;
        const samePerson =
          referenceKey(proposed.patient?.reference ?? '') === referenceKey(t.for?.reference ?? '');
        return [
          ...(samePerson
            ? []
            : problem('The proposed record must be for the Patient in Task.for', `${at}.patient`)),
          ...immunizationProfile.rules.flatMap((rule) =>
            rule.check(proposed, context).map((f) => ({
              ...f,
              diagnostics: `Proposed record: ${f.diagnostics}`,
              expression: (f.expression ?? []).map((e) => e.replace(/^Immunization/, at)),
            })),
          ),
        ];
      }),
    },
    {
      key: 'correction-reason',
      description: 'A correction says why the record is missing or wrong (reasonCode.text)',
      check: onlyWhen(isCorrection, (t) =>
        t.reasonCode?.text?.trim()
          ? []
          : problem('A correction needs the reason in Task.reasonCode.text', 'Task.reasonCode'),
      ),
    },
    {
      key: 'resolution-owner',
      description: 'A correction or anomaly is owned by a team (Task.owner)',
      check: onlyWhen(
        (t: Task) => isResolutionTask(t),
        (t) =>
          t.owner ? [] : problem('A correction or anomaly needs the owning team in Task.owner', 'Task.owner'),
      ),
    },
    {
      key: 'resolution-closed-reason',
      description: 'A correction or anomaly rejected or cancelled says why (statusReason.text)',
      check: onlyWhen(
        (t: Task) => isResolutionTask(t),
        (t) =>
          NEEDS_REASON.includes(t.status) && !t.statusReason?.text?.trim()
            ? problem(`A ${t.status} Task needs the reason in Task.statusReason.text`, 'Task.statusReason')
            : [],
      ),
    },
  ],
};

/**
 * What clients may write of data-resolution Tasks: they open a correction (status requested, for a
 * Patient that exists, about an Immunization of that person) and from then on it moves only through
 * `Task/{id}/$transition`; anomalies are opened by nims alone.
 */
export async function taskClientWrites(
  { before, after }: { before?: Resource; after?: Resource },
  resolve: (reference: string | undefined) => Promise<Resource | undefined>,
): Promise<void> {
  const was = before as Task | undefined;
  const next = after as Task | undefined;
  if (isResolutionTask(was))
    fail(
      'workflow-managed',
      `Task/${was!.id} is a data-resolution Task: it changes only through Task/${was!.id}/$transition`,
    );
  if (!next || !isResolutionTask(next)) return;
  if (isAnomaly(next))
    fail('workflow-managed', 'Anomaly Tasks are opened by nims ($anomalies), not by clients');
  if (before) fail('workflow-managed', 'A correction is opened as a new Task, not by changing another Task');
  if (next.status !== 'requested' || next.output)
    fail('workflow-managed', 'A correction is opened with status requested and no output', ['Task.status']);
  const patient = await resolve(next.for?.reference);
  if (patient?.resourceType !== 'Patient')
    fail('unknown-patient', `${next.for?.reference ?? 'Task.for'} is not a known Patient`, ['Task.for']);
  if (next.focus) {
    const record = (await resolve(next.focus.reference)) as Immunization | undefined;
    if (!record || referenceKey(record.patient.reference ?? '') !== `Patient/${patient.id}`)
      fail(
        'not-found',
        `${next.focus.reference ?? 'Task.focus'} is not a known Immunization of ${next.for!.reference}`,
        ['Task.focus'],
      );
  }
}
