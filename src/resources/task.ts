import type { Task } from 'fhir/r4';
import { onlyWhen, type Profile } from '../profiles/rules.js';
import { isOverride } from '../preferences/override.js';
import { NIMS_BASE } from './extensions.js';

/**
 * The Tasks nims acts on by itself. A preference override (code preference-override) sets people's
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
  ],
};
