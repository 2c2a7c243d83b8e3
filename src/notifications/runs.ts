import type { Task, TaskInput } from 'fhir/r4';
import type { ProgrammeCode } from '../cohort/programmes.js';
import { NIMS_BASE } from '../resources/extensions.js';
import type { ChannelName } from './channel.js';

/** Kinds of Task nims works with. */
export const TASK_TYPE_SYSTEM = `${NIMS_BASE}/CodeSystem/task-type`;
/** The settings and progress counts of an invitation run, as Task input and output types. */
export const RUN_FIELD_SYSTEM = `${NIMS_BASE}/CodeSystem/invitation-run-field`;
/** Identifies each message attempt (`{run}/{patient}/{step}`): the provider's reference too. */
export const MESSAGE_REFERENCE_SYSTEM = `${NIMS_BASE}/Id/invitation-message`;
/** The channel of a Communication (its medium). */
export const CHANNEL_SYSTEM = `${NIMS_BASE}/CodeSystem/channel`;

export interface RunSettings {
  programme: ProgrammeCode;
  /** Channels allowed, in the order to try them. */
  channels: ChannelName[];
  /** The provider's template for each channel; a channel without one is not used. */
  templates: Partial<Record<ChannelName, string>>;
  /** Hours (UK time, HH:MM) between which messages go out; absent: any time. */
  window?: { from: string; to: string };
  /** People handled before progress is saved and the run looks again at its Task (paused, cancelled). */
  batchSize: number;
  /** A reminder run: only people invited at least `afterDays` ago, and reminded fewer than `most` times this season. */
  recall?: { afterDays: number; most: number };
}

/** What a run has done so far (the Task's output). */
export interface RunCounts {
  considered: number;
  /** Messages a provider accepted, and of those, delivered. */
  sent: number;
  delivered: number;
  /** People whose every channel failed, and people none could reach. */
  failed: number;
  unreachable: number;
  /** Failed messages that fell back to the next channel. */
  fellBack: number;
  /** Messages a stopped process was handing over when it stopped: maybe sent, never sent again. */
  unknown: number;
  /** People skipped at send time, by reason (deceased, left, vaccinated, opted-out, not-registered). */
  skipped: Record<string, number>;
}

export const emptyCounts = (): RunCounts => ({
  considered: 0,
  sent: 0,
  delivered: 0,
  failed: 0,
  unreachable: 0,
  fellBack: 0,
  unknown: 0,
  skipped: {},
});

const field = (code: string) => ({ coding: [{ system: RUN_FIELD_SYSTEM, code }] });
const fieldOf = (input: { type: { coding?: { system?: string; code?: string }[] } }) =>
  input.type.coding?.find((c) => c.system === RUN_FIELD_SYSTEM)?.code;

/** A new run of `groupId`'s invitations as a Task. */
export function runTask(groupId: string, settings: RunSettings, requester?: string): Task {
  const input: TaskInput[] = [
    { type: field('programme'), valueCode: settings.programme },
    ...settings.channels.map((c) => ({ type: field('channel'), valueCode: c })),
    ...Object.entries(settings.templates).map(([c, t]) => ({ type: field(`template-${c}`), valueString: t })),
    ...(settings.window
      ? [
          { type: field('window-start'), valueTime: `${settings.window.from}:00` },
          { type: field('window-end'), valueTime: `${settings.window.to}:00` },
        ]
      : []),
    { type: field('batch-size'), valuePositiveInt: settings.batchSize },
    ...(settings.recall
      ? [
          { type: field('after-days'), valueUnsignedInt: settings.recall.afterDays },
          { type: field('max-reminders'), valuePositiveInt: settings.recall.most },
        ]
      : []),
  ];
  const kind = settings.recall ? 'reminder-run' : 'invitation-run';
  return {
    resourceType: 'Task',
    status: 'in-progress',
    intent: 'order',
    code: {
      coding: [
        {
          system: TASK_TYPE_SYSTEM,
          code: kind,
          display: settings.recall ? 'Reminder run' : 'Invitation run',
        },
      ],
    },
    focus: { reference: `Group/${groupId}` },
    authoredOn: new Date().toISOString(),
    ...(requester
      ? { requester: { identifier: { system: `${NIMS_BASE}/Id/client`, value: requester } } }
      : {}),
    input,
    output: outputOf(emptyCounts()),
  };
}

/** The settings a run's Task holds. */
export function settingsOf(task: Task): RunSettings {
  const inputs = task.input ?? [];
  const values = (code: string) => inputs.filter((i) => fieldOf(i) === code);
  const templates: Partial<Record<ChannelName, string>> = {};
  for (const i of inputs) {
    const code = fieldOf(i);
    if (code?.startsWith('template-') && i.valueString)
      templates[code.slice(9) as ChannelName] = i.valueString;
  }
  const afterDays = values('after-days')[0]?.valueUnsignedInt;
  const most = values('max-reminders')[0]?.valuePositiveInt;
  const from = values('window-start')[0]?.valueTime?.slice(0, 5);
  const to = values('window-end')[0]?.valueTime?.slice(0, 5);
  return {
    programme: values('programme')[0]?.valueCode as ProgrammeCode,
    channels: values('channel').map((i) => i.valueCode as ChannelName),
    templates,
    ...(from && to ? { window: { from, to } } : {}),
    batchSize: values('batch-size')[0]?.valuePositiveInt ?? 500,
    ...(afterDays !== undefined && most !== undefined ? { recall: { afterDays, most } } : {}),
  };
}

/** The counts as Task outputs. */
export function outputOf(counts: RunCounts): NonNullable<Task['output']> {
  const { skipped, ...rest } = counts;
  return [
    ...Object.entries(rest).map(([code, value]) => ({ type: field(code), valueInteger: value })),
    ...Object.entries(skipped).map(([reason, value]) => ({
      type: field(`skipped-${reason}`),
      valueInteger: value,
    })),
  ];
}

/** Whether `now` falls within a daily window of UK time (which may cross midnight). */
export function withinWindow(window: RunSettings['window'], now: Date): boolean {
  if (!window) return true;
  const uk = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(now);
  return window.from <= window.to ? uk >= window.from && uk < window.to : uk >= window.from || uk < window.to;
}
