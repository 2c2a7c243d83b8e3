import type { Communication, Patient, Task } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import type { CohortKeeper } from '../cohort/keeper.js';
import { programme as programmeOf, seasonStartDay, type ProgrammeCode } from '../cohort/programmes.js';
import { CODE_SYSTEMS } from '../resources/extensions.js';
import { FhirError } from '../fhir/errors.js';
import { SERVER_CONTEXT, type FhirService } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
import {
  PermanentFailure,
  settled,
  TemporaryFailure,
  type Channel,
  type ChannelName,
  type DeliveryStatus,
} from './channel.js';
import type { Outbox } from '../store/outbox.js';
import { bookingInvitation, type BookingInvitation } from './booking.js';
import { chainFor, recipientOf } from './recipient.js';
import {
  CHANNEL_SYSTEM,
  emptyCounts,
  MESSAGE_REFERENCE_SYSTEM,
  outputOf,
  settingsOf,
  withinWindow,
  type RunCounts,
  type RunSettings,
} from './runs.js';

/**
 * Where a person is in a run. `sending` is written before a provider is called, so a crash there is
 * never sent again (the message becomes `unknown`); `waiting` has a provider's id to ask about.
 */
type SendState = 'new' | 'sending' | 'waiting' | 'retry' | 'delivered' | 'failed' | 'skipped' | 'unknown';

interface SendDocument {
  /** `{run}/{patient}`: inserting it is what claims the person for the run, once. */
  _id: string;
  run: string;
  patient: string;
  state: SendState;
  /** Position in the person's channel chain. */
  step: number;
  chain: ChannelName[];
  communication?: string;
  providerId?: string;
  attempts: number;
  /** Messages a provider accepted for this person. */
  accepted?: number;
  /** When the person was claimed (epoch ms). */
  claimedAt?: number;
  /** When the provider accepted the current message: the Communication's `sent`. */
  sentAt?: string;
  reason?: string;
}

interface ProgressDocument {
  /** The run's Task id. */
  _id: string;
  group: string;
  kind: 'invitation' | 'reminder';
  /** The next member to reach: chunk of the members collection and position in it. */
  chunk: number;
  offset: number;
  counts: RunCounts;
  done: boolean;
}

/** Answers a provider may give before it knows; then ask again after this long, growing. */
const CHECK_AFTER_MS = 2000;
/** A temporary failure is tried again this many times before the next channel is tried. */
const MAX_TRIES = 5;
/** People handled at once within a batch. */
const PARALLEL_PEOPLE = 16;
const IDLE_MS = 1000;
/**
 * A claim or a send mark this old at start was left by a process that stopped (a live one moves on in
 * milliseconds); also longer than the store takes to repair a write a stopped process left half done.
 */
const CLAIM_PATIENCE_MS = 15_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a run's invitations: member by member, each person claimed once (by inserting their send
 * document), checked at send time (died, left, vaccinated, opted out), sent down their channel chain
 * with one Communication per attempt, falling back when a channel fails for good and retrying when it
 * fails for now. Progress and counts are saved after every batch, and the run's Task says whether to go
 * on (in-progress), wait (on-hold) or stop (cancelled).
 */
export class InvitationWorker {
  private readonly sends: Collection<SendDocument>;
  private readonly progress: Collection<ProgressDocument>;
  /** Messages to ask about or try again, by when. */
  private readonly due: { at: number; id: string }[] = [];
  private readonly running = new Map<string, Promise<void>>();
  /** Each running run's counts so far. */
  private readonly counts = new Map<string, RunCounts>();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    db: Db,
    private readonly service: FhirService,
    private readonly cohorts: CohortKeeper,
    private readonly channels: Map<ChannelName, Channel>,
    /** Where invited people go for the booking system (absent: no booking system). */
    private readonly booking?: Outbox<BookingInvitation>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.sends = db.collection<SendDocument>('invitation_sends');
    this.progress = db.collection<ProgressDocument>('invitation_progress');
  }

  /** Picks up the runs and messages a previous process left (one scan of each at start). */
  async start(): Promise<void> {
    for await (const send of this.sends.find({ state: { $in: ['sending', 'waiting', 'retry', 'new'] } })) {
      if (send.state === 'waiting' || send.state === 'retry') this.schedule(send._id, 0);
      // claimed, or cut off while a provider was called: looked at again once no other process can
      // still be on it (a write the stopped process left half done is repaired by then too)
      else this.schedule(send._id, CLAIM_PATIENCE_MS);
    }
    for await (const run of this.progress.find({ done: false })) this.run(run._id);
    this.timer = setInterval(() => void this.checkDue(), 250);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Starts (or resumes) sending a run whose Task exists, for the cohort `groupId`. */
  async begin(runId: string, groupId: string, kind: ProgressDocument['kind'] = 'invitation'): Promise<void> {
    try {
      await this.progress.insertOne({
        _id: runId,
        group: groupId,
        kind,
        chunk: 0,
        offset: 0,
        counts: emptyCounts(),
        done: false,
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    this.run(runId);
  }

  /** Resolves when the run's loop in this process ends (the run is done or stopped). */
  settled(runId: string): Promise<void> {
    return this.running.get(runId) ?? Promise.resolve();
  }

  private run(runId: string): void {
    if (this.running.has(runId)) return;
    const loop = (async () => {
      for (let failures = 0; !this.stopped; failures++) {
        try {
          return await this.loop(runId);
        } catch (error) {
          // the database or a defect: the run goes on from its saved progress after a pause
          logger.error('invitation run interrupted; resuming', { run: runId, error: String(error) });
          await sleep(Math.min(60_000, IDLE_MS * 2 ** failures));
        }
      }
    })().finally(() => this.running.delete(runId));
    this.running.set(runId, loop);
  }

  /** The run's Task; follow-ups may take one read in the last few seconds (the loop reads it each batch). */
  private async task(runId: string, recentMs = 0): Promise<Task> {
    const known = this.tasks.get(runId);
    if (known && Date.now() - known.at <= recentMs) return known.task;
    const task = (await this.service.read('Task', runId)).resource as Task;
    this.tasks.set(runId, { task, at: Date.now() });
    return task;
  }

  private readonly tasks = new Map<string, { task: Task; at: number }>();

  private async loop(runId: string): Promise<void> {
    if (!this.counts.has(runId))
      this.counts.set(runId, (await this.progress.findOne({ _id: runId }))?.counts ?? emptyCounts());
    while (!this.stopped) {
      const task = await this.task(runId);
      const progress = (await this.progress.findOne({ _id: runId }))!;
      if (task.status === 'cancelled' || task.status === 'completed' || progress.done) {
        await this.progress.updateOne({ _id: runId }, { $set: { done: true } });
        return;
      }
      const settings = settingsOf(task);
      if (task.status !== 'in-progress' || !withinWindow(settings.window, this.now())) {
        await sleep(IDLE_MS);
        continue;
      }
      const batch = await this.nextMembers(progress, settings.batchSize);
      if (batch.ids.length === 0) {
        if (this.outstanding(runId)) {
          await sleep(IDLE_MS);
          continue;
        }
        await this.saveCounts(runId, true);
        return;
      }
      for (let start = 0; start < batch.ids.length; start += PARALLEL_PEOPLE)
        await Promise.all(
          batch.ids.slice(start, start + PARALLEL_PEOPLE).map((p) => this.person(runId, settings, p)),
        );
      await this.progress.updateOne({ _id: runId }, { $set: { chunk: batch.chunk, offset: batch.offset } });
      await this.saveCounts(runId);
    }
  }

  /** The next members of the run's cohort after its cursor, and the cursor after them. */
  private async nextMembers(
    progress: ProgressDocument,
    size: number,
  ): Promise<{ ids: string[]; chunk: number; offset: number }> {
    const members = this.cohorts.database.collection<{ _id: string; patients: string[] }>('cohort_members');
    const ids: string[] = [];
    let { chunk, offset } = progress;
    while (ids.length < size) {
      const doc = await members.findOne({ _id: `${progress.group}/${chunk}` });
      if (!doc) break;
      const taken = doc.patients.slice(offset, offset + size - ids.length);
      ids.push(...taken);
      offset += taken.length;
      if (offset >= doc.patients.length) {
        chunk++;
        offset = 0;
      }
    }
    return { ids, chunk, offset };
  }

  /**
   * Adds one to a run's running count, in memory: people are handled at once, and the embedded database
   * does not make concurrent increments of one document safe. Saved after each batch; the final counts
   * are counted again from the people's send documents.
   */
  private count(runId: string, field: keyof Omit<RunCounts, 'skipped'> | `skipped.${string}`): void {
    const counts = this.counts.get(runId);
    if (!counts) return;
    if (field.startsWith('skipped.')) {
      const reason = field.slice('skipped.'.length);
      counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1;
    } else counts[field as keyof Omit<RunCounts, 'skipped'>]++;
  }

  /** A run's counts from its people's send documents (one read of them): exact, after any crash. */
  private async recount(runId: string): Promise<RunCounts> {
    const counts = emptyCounts();
    for await (const send of this.sends.find({ run: runId })) {
      counts.considered++;
      counts.sent += send.accepted ?? 0;
      if (send.state === 'skipped') counts.skipped[send.reason!] = (counts.skipped[send.reason!] ?? 0) + 1;
      else if (send.reason === 'unreachable') counts.unreachable++;
      else {
        counts.fellBack += send.step;
        if (send.state === 'delivered') counts.delivered++;
        if (send.state === 'failed') counts.failed++;
        if (send.reason === 'returned-mail') counts.returned++;
        if (send.state === 'unknown') counts.unknown++;
      }
    }
    return counts;
  }

  /**
   * Changes the run's Task on its current version: staff may pause or cancel it at the same moment, and
   * their change must not be written over.
   */
  private async changeTask(runId: string, change: (task: Task) => Task): Promise<void> {
    for (;;) {
      const stored = await this.service.read('Task', runId);
      const task = stored.resource as Task;
      try {
        await this.service.update('Task', runId, change(task), stored.versionId);
        return;
      } catch (error) {
        if (!(error instanceof FhirError) || error.status !== 412) throw error;
      }
    }
  }

  private async saveCounts(runId: string, finished = false): Promise<void> {
    const counts = finished ? await this.recount(runId) : this.counts.get(runId)!;
    await this.progress.updateOne({ _id: runId }, { $set: { counts } });
    await this.changeTask(runId, (task) => ({
      ...task,
      // a run paused or cancelled meanwhile keeps that status
      ...(finished && task.status === 'in-progress' ? { status: 'completed' as const } : {}),
      lastModified: this.now().toISOString(),
      output: outputOf(counts),
    }));
    if (finished) {
      await this.progress.updateOne({ _id: runId }, { $set: { done: true } });
      this.counts.delete(runId);
      this.earlier.delete(runId);
      this.tasks.delete(runId);
    }
  }

  /** Whether any of the run's messages are still waiting for an answer or a retry. */
  private outstanding(runId: string): boolean {
    return this.due.some((d) => d.id.startsWith(`${runId}/`)) || (this.following.get(runId) ?? 0) > 0;
  }

  private async person(runId: string, settings: RunSettings, patientId: string): Promise<void> {
    const id = `${runId}/${patientId}`;
    try {
      await this.sends.insertOne({
        claimedAt: Date.now(),
        _id: id,
        run: runId,
        patient: patientId,
        state: 'new',
        step: 0,
        chain: [],
        attempts: 0,
      });
    } catch (error) {
      if (isDuplicateKey(error)) return; // claimed before: by an earlier pass or another process
      throw error;
    }
    this.count(runId, 'considered');
    // who may be skipped is the index's to say: not before it knows everyone
    await this.cohorts.whenReady();
    const reason =
      this.cohorts.index.reasonToSkip(patientId, settings.programme, this.now()) ??
      (settings.recall && !(await this.reminderDue(runId, settings, patientId)) ? 'not-due' : undefined);
    if (reason) {
      // people a reminder is not yet due for were never to be contacted: no Communication for them
      if (reason !== 'not-due')
        await this.record(runId, settings.programme, patientId, undefined, 'not-done', `skipped: ${reason}`);
      await this.sends.updateOne({ _id: id }, { $set: { state: 'skipped', reason } });
      this.count(runId, `skipped.${reason}`);
      return;
    }
    const patient = (await this.service.read('Patient', patientId)).resource as Patient;
    // people the programme reached before get its follow-up channels (a letter, say)
    const followUp =
      settings.followUpChannels && this.cohorts.index.contactedOn(patientId, settings.programme) > 0;
    const allowed = (followUp ? settings.followUpChannels! : settings.channels).filter(
      (c) => settings.templates[c],
    );
    const chain = chainFor(recipientOf(patient, this.now()), allowed, this.channels).map((c) => c.name);
    if (chain.length === 0) {
      await this.record(
        runId,
        settings.programme,
        patientId,
        undefined,
        'not-done',
        'no channel reaches this person',
      );
      await this.sends.updateOne({ _id: id }, { $set: { state: 'failed', reason: 'unreachable' } });
      this.count(runId, 'unreachable');
      return;
    }
    await this.attempt(
      { _id: id, run: runId, patient: patientId, state: 'new', step: 0, chain, attempts: 0 },
      settings,
      patient,
    );
  }

  /**
   * A provider's word on a message (a delivery callback): settles it if it is the message the person is
   * waiting on. Answers whether it was.
   */
  async reported(reference: string, providerId: string, status: DeliveryStatus): Promise<boolean> {
    const id = reference.split('/').slice(0, 2).join('/');
    const send = await this.sends.findOne({ _id: id });
    if (!send || send.state !== 'waiting' || send.providerId !== providerId) return false;
    if (`${send._id}/${send.step}` !== reference) return false;
    // the poll that was due for it is not needed any more
    for (let i = this.due.length - 1; i >= 0; i--) if (this.due[i]!.id === id) this.due.splice(i, 1);
    await this.settle(send, settingsOf(await this.task(send.run, 5000)), status);
    return true;
  }

  /** The other runs for a run's cohort (its invitations and earlier reminders), read once a run. */
  private readonly earlier = new Map<string, Promise<ProgressDocument[]>>();

  private async earlierRuns(runId: string): Promise<ProgressDocument[]> {
    let runs = this.earlier.get(runId);
    if (!runs) {
      runs = (async () => {
        const group = (await this.progress.findOne({ _id: runId }))?.group;
        return group ? (await this.progress.find({ group }).toArray()).filter((r) => r._id !== runId) : [];
      })();
      this.earlier.set(runId, runs);
    }
    return runs;
  }

  /**
   * Whether a reminder is due: an earlier run of the cohort invited the person (a provider accepted it)
   * at least `afterDays` ago, and they have had fewer than `most` reminders this season.
   */
  async reminderDue(runId: string, settings: RunSettings, patientId: string): Promise<boolean> {
    const { afterDays, most } = settings.recall!;
    const earlier = await this.earlierRuns(runId);
    const sends = await Promise.all(earlier.map((r) => this.sends.findOne({ _id: `${r._id}/${patientId}` })));
    const now = this.now().getTime();
    const programme = programmeOf(settings.programme);
    const seasonStart = programme.seasonStart ? seasonStartDay(programme, this.now()) * 86_400_000 : 0;
    const reached = (i: number) => (sends[i]?.accepted ?? 0) > 0;
    const claimed = (i: number) => sends[i]?.claimedAt ?? 0;
    const invited = earlier.some(
      (r, i) => r.kind === 'invitation' && reached(i) && claimed(i) <= now - afterDays * 86_400_000,
    );
    const reminders = earlier.filter(
      (r, i) => r.kind === 'reminder' && reached(i) && claimed(i) >= seasonStart,
    );
    return invited && reminders.length < most;
  }

  /**
   * A letter the mailing house got back (moved away, no such address): its Communication becomes
   * not-done with the reason, the person's send failed, and a finished run's counts are counted again.
   */
  async returned(
    reference: string,
    reason: string,
  ): Promise<'marked' | 'already' | 'unknown' | 'not-a-letter'> {
    const [run, patient, stepText] = reference.split('/');
    const send = await this.sends.findOne({ _id: `${run}/${patient}` });
    const step = Number(stepText);
    // only the last message a person was sent is on record with its Communication; a letter is last
    if (!send?.communication || send.step !== step || send.accepted === undefined) return 'unknown';
    if (send.chain[step] !== 'letter') return 'not-a-letter';
    if (send.reason === 'returned-mail') return 'already';
    const settings = settingsOf(await this.task(send.run));
    const attempt = {
      reference: `${send._id}/${send.step}`,
      channel: 'letter' as const,
      communication: send.communication,
      ...(send.providerId ? { providerId: send.providerId } : {}),
      ...(send.sentAt ? { sent: send.sentAt } : {}),
    };
    await this.record(
      send.run,
      settings.programme,
      send.patient,
      attempt,
      'not-done',
      `letter returned: ${reason}`,
    );
    await this.sends.updateOne({ _id: send._id }, { $set: { state: 'failed', reason: 'returned-mail' } });
    const progress = await this.progress.findOne({ _id: send.run });
    if (progress?.done) {
      const counts = await this.recount(send.run);
      await this.progress.updateOne({ _id: send.run }, { $set: { counts } });
      await this.changeTask(send.run, (task) => ({ ...task, output: outputOf(counts) }));
    }
    return 'marked';
  }

  /** How many members of a cohort a reminder run would reach now (none is contacted). */
  async recallCount(groupId: string, settings: RunSettings): Promise<number> {
    const probe = `count-${groupId}`;
    this.earlier.set(probe, this.progress.find({ group: groupId }).toArray());
    let due = 0;
    try {
      for await (const patientId of this.cohorts.members.read(groupId)) {
        if (this.cohorts.index.reasonToSkip(patientId, settings.programme, this.now())) continue;
        if (await this.reminderDue(probe, settings, patientId)) due++;
      }
    } finally {
      this.earlier.delete(probe);
    }
    return due;
  }

  /** Writes a Communication for an attempt (or a skip), or updates the attempt's one. */
  private async record(
    runId: string,
    programme: ProgrammeCode,
    patientId: string,
    attempt:
      | {
          reference: string;
          channel: ChannelName;
          communication?: string;
          providerId?: string;
          sent?: string;
        }
      | undefined,
    status: Communication['status'],
    reason?: string,
  ): Promise<string> {
    const time = this.now().toISOString();
    const communication: Communication = {
      resourceType: 'Communication',
      status,
      basedOn: [{ reference: `Task/${runId}` }],
      // what it is about: the cohort index counts a message a provider accepted as a contact
      category: [{ coding: [{ system: CODE_SYSTEMS.programme, code: programme }] }],
      subject: { reference: `Patient/${patientId}` },
      recipient: [{ reference: `Patient/${patientId}` }],
      ...(attempt
        ? {
            identifier: [
              { system: MESSAGE_REFERENCE_SYSTEM, value: attempt.reference },
              ...(attempt.providerId
                ? [{ system: `${CHANNEL_SYSTEM}/${attempt.channel}`, value: attempt.providerId }]
                : []),
            ],
            medium: [{ coding: [{ system: CHANNEL_SYSTEM, code: attempt.channel }] }],
          }
        : {}),
      // a message a provider took keeps when it went, however it ended
      ...(attempt?.sent || status === 'in-progress' || status === 'completed'
        ? { sent: attempt?.sent ?? time }
        : {}),
      ...(status === 'completed' ? { received: time } : {}),
      ...(reason ? { statusReason: { text: reason } } : {}),
    };
    if (attempt?.communication) {
      await this.service.update('Communication', attempt.communication, {
        ...communication,
        id: attempt.communication,
      });
      return attempt.communication;
    }
    const created = await this.service.create('Communication', communication, SERVER_CONTEXT);
    return created.stored!.id;
  }

  /** Sends a person's message on the channel at their step; falls back or retries as the answer says. */
  private async attempt(send: SendDocument, settings: RunSettings, patient: Patient): Promise<void> {
    const channel = send.chain[send.step]!;
    const reference = `${send._id}/${send.step}`;
    const communication =
      send.communication ??
      (await this.record(send.run, settings.programme, send.patient, { reference, channel }, 'preparation'));
    const attempts = send.attempts + 1;
    // written before the provider is called: a crash during the call leaves `sending`, never sent twice
    await this.sends.updateOne(
      { _id: send._id },
      {
        $set: { state: 'sending', step: send.step, chain: send.chain, communication, attempts },
        $unset: { providerId: '' },
      },
    );
    const current: SendDocument = { ...send, state: 'sending', communication, attempts };
    const recipient = recipientOf(patient, this.now());
    try {
      const accepted = await this.channels.get(channel)!.send({
        reference,
        template: settings.templates[channel]!,
        recipient,
        personalisation: {
          name: recipient.onBehalfOf ?? recipient.name,
          ...(recipient.onBehalfOf ? { parent: recipient.name } : {}),
          programme: programmeOf(settings.programme).display,
        },
      });
      const sent = this.now().toISOString();
      const attempt = { reference, channel, communication, providerId: accepted.providerId, sent };
      const acceptedSoFar = (send.accepted ?? 0) + 1;
      if (acceptedSoFar === 1) await this.handOff(send, settings, recipient.nhsNumber, communication, sent);
      await this.record(send.run, settings.programme, send.patient, attempt, 'in-progress');
      await this.sends.updateOne(
        { _id: send._id },
        {
          $set: { state: 'waiting', providerId: accepted.providerId, accepted: acceptedSoFar, sentAt: sent },
        },
      );
      this.count(send.run, 'sent');
      const waiting: SendDocument = {
        ...current,
        state: 'waiting',
        providerId: accepted.providerId,
        accepted: acceptedSoFar,
        sentAt: sent,
      };
      if (accepted.status) await this.settle(waiting, settings, accepted.status);
      else this.schedule(send._id, CHECK_AFTER_MS);
    } catch (error) {
      if (!(error instanceof PermanentFailure || error instanceof TemporaryFailure)) throw error;
      if (error instanceof TemporaryFailure && attempts < MAX_TRIES) {
        await this.sends.updateOne({ _id: send._id }, { $set: { state: 'retry' } });
        this.schedule(send._id, CHECK_AFTER_MS * 2 ** attempts);
        return;
      }
      await this.record(
        send.run,
        settings.programme,
        send.patient,
        { reference, channel, communication },
        'not-done',
        error.message,
      );
      await this.next(current, settings);
    }
  }

  /** The person's next channel after a failure, or the end of their chain. */
  private async next(send: SendDocument, settings: RunSettings): Promise<void> {
    if (send.step + 1 >= send.chain.length) {
      await this.sends.updateOne(
        { _id: send._id },
        { $set: { state: 'failed', reason: 'every channel failed' } },
      );
      this.count(send.run, 'failed');
      return;
    }
    this.count(send.run, 'fellBack');
    const patient = (await this.service.read('Patient', send.patient)).resource as Patient;
    const { communication: _c, providerId: _p, ...rest } = send;
    await this.attempt({ ...rest, state: 'new', step: send.step + 1, attempts: 0 }, settings, patient);
  }

  /** Records how a sent message ended: delivered, or failed and on to the next channel. */
  private async settle(send: SendDocument, settings: RunSettings, status: DeliveryStatus): Promise<void> {
    const outcome = settled(status);
    if (!outcome) return this.schedule(send._id, CHECK_AFTER_MS * 2 ** Math.min(send.attempts + 1, 8));
    const channel = send.chain[send.step]!;
    const attempt = {
      reference: `${send._id}/${send.step}`,
      channel,
      ...(send.communication ? { communication: send.communication } : {}),
      ...(send.providerId ? { providerId: send.providerId } : {}),
      ...(send.sentAt ? { sent: send.sentAt } : {}),
    };
    if (outcome === 'delivered') {
      await this.record(send.run, settings.programme, send.patient, attempt, 'completed');
      await this.sends.updateOne({ _id: send._id }, { $set: { state: 'delivered' } });
      this.count(send.run, 'delivered');
      return;
    }
    await this.record(
      send.run,
      settings.programme,
      send.patient,
      attempt,
      'not-done',
      `${channel}: ${status}`,
    );
    await this.next(send, settings);
  }

  private schedule(id: string, delayMs: number): void {
    this.due.push({ at: Date.now() + delayMs, id });
  }

  /** How many of each run's messages are being followed up right now. */
  private readonly following = new Map<string, number>();

  /** Asks about the messages that are due, and tries again the ones that failed for now. */
  private async checkDue(): Promise<void> {
    const now = Date.now();
    const ready = this.due.filter((d) => d.at <= now);
    if (ready.length === 0) return;
    for (const item of ready) this.due.splice(this.due.indexOf(item), 1);
    await Promise.all(
      ready.map(async ({ id }) => {
        const run = id.split('/')[0]!;
        this.following.set(run, (this.following.get(run) ?? 0) + 1);
        try {
          await this.follow(id);
        } catch (error) {
          logger.error('invitation follow-up failed', { run, error: String(error) });
          this.schedule(id, CHECK_AFTER_MS * 4);
        } finally {
          this.following.set(run, this.following.get(run)! - 1);
        }
      }),
    );
  }

  private async follow(id: string): Promise<void> {
    const send = await this.sends.findOne({ _id: id });
    if (!send || !['waiting', 'retry', 'new', 'sending'].includes(send.state)) return;
    // scheduled at start: a message a stopped process was sending may have gone, so it is never resent
    if (send.state === 'sending') return this.unknown(send);
    const task = await this.task(send.run, 5000);
    if (task.status === 'cancelled') return;
    const settings = settingsOf(task);
    if (send.state === 'new') {
      await this.sends.deleteOne({ _id: id, state: 'new' });
      return this.person(send.run, settings, send.patient);
    }
    if (send.state === 'retry') {
      const patient = (await this.service.read('Patient', send.patient)).resource as Patient;
      return this.attempt(send, settings, patient);
    }
    let status: DeliveryStatus;
    try {
      status = await this.channels.get(send.chain[send.step]!)!.status(send.providerId!);
    } catch (error) {
      if (error instanceof FhirError) throw error;
      return this.schedule(id, CHECK_AFTER_MS * 4);
    }
    await this.settle(send, settings, status);
  }

  /**
   * Tells the booking system that a person was invited (their first message in a run a provider took),
   * for invitation runs of a programme people book.
   */
  private async handOff(
    send: SendDocument,
    settings: RunSettings,
    nhsNumber: string,
    communication: string,
    at: string,
  ): Promise<void> {
    if (!this.booking || settings.recall || !programmeOf(settings.programme).bookable) return;
    await this.booking.add([
      bookingInvitation(send.run, send.patient, nhsNumber, communication, settings.programme, at),
    ]);
  }

  /**
   * A message whose sending a crash interrupted: it may have gone, so it is never sent again; the
   * person may have been invited, so the booking system hears of them.
   */
  private async unknown(send: SendDocument): Promise<void> {
    if (send.communication) {
      const settings = settingsOf(await this.task(send.run, 5000));
      if (!send.accepted) {
        const patient = (await this.service.readIfExists('Patient', send.patient))?.resource as
          | Patient
          | undefined;
        const at = this.now().toISOString();
        if (patient)
          await this.handOff(send, settings, recipientOf(patient).nhsNumber, send.communication, at);
      }
      const channel = send.chain[send.step]!;
      const reference = `${send._id}/${send.step}`;
      await this.record(
        send.run,
        settings.programme,
        send.patient,
        { reference, channel, communication: send.communication },
        'unknown',
      );
    }
    await this.sends.updateOne({ _id: send._id }, { $set: { state: 'unknown' } });
    this.count(send.run, 'unknown');
  }
}
