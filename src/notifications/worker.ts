import { randomUUID } from 'node:crypto';
import type { Communication, Patient, Task } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import type { CohortKeeper } from '../cohort/keeper.js';
import { programme as programmeOf, seasonStartDay, type ProgrammeCode } from '../cohort/programmes.js';
import { CODE_SYSTEMS } from '../resources/extensions.js';
import { FhirError } from '../fhir/errors.js';
import type { FhirService } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { messagesSent } from '../shared/metrics.js';
import { bulkUpdate, findByIds, insertAllNew, isDuplicateKey } from '../store/mongo-errors.js';
import {
  PermanentFailure,
  settled,
  TemporaryFailure,
  type Accepted,
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
import { groupBy } from '../shared/group.js';
import type { LiveProcesses } from '../store/processes.js';

/**
 * Where a person is in a run. `prepared` is claimed with a Communication in preparation and nothing
 * sent: safe to send, by the process that prepared it or, once that one stopped, by any. `sending` is
 * written before a provider is called, so a message a crash cut off is never sent again (it becomes
 * `unknown`), unless its Communication, made before the call, was never made; `waiting` has a
 * provider's id to ask about.
 */
type SendState =
  | 'new'
  | 'prepared'
  | 'sending'
  | 'waiting'
  | 'retry'
  | 'delivered'
  | 'failed'
  | 'skipped'
  | 'unknown';

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
  /**
   * The version of the current Communication nims last wrote. A claim says 1 before the Communication
   * is made: one a crash left unmade is then made by its next update.
   */
  version?: number;
  reason?: string;
  /** The process that prepared it, which alone sends it while it is alive. */
  preparedBy?: string;
}

/** A run's people prepared in this process and not yet handed to a provider, in cohort order. */
interface PreparedQueue {
  sends: SendDocument[];
  /** Whether more may come: the run's preparing has not ended. */
  preparing: boolean;
  /** Set when the run's loop stops early: what is queued is left for follow-ups. */
  stop: boolean;
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
/** Messages handed to providers at once (each provider's rate limit paces them further). */
const PARALLEL_SENDS = 64;
/** Messages marked as being sent ahead of their calls, at most (see markAndCall). */
const MARKED_AT_ONCE = 4 * PARALLEL_SENDS;
/** Follow-ups (polls, retries) taken up at once. */
const FOLLOW_UP_BATCH = 2000;
const IDLE_MS = 1000;
/**
 * A claim or a send mark this old at start was left by a process that stopped (a live one moves on in
 * milliseconds); also longer than the store takes to repair a write a stopped process left half done.
 */
const CLAIM_PATIENCE_MS = 15_000;
/**
 * People a run prepares ahead of its sending, at most: enough that preparing is never what a run waits
 * on, few enough that the queue stays small in memory (a send document each) and few are prepared and
 * then skipped at send time (those who died or were vaccinated meanwhile).
 */
const PREPARE_AHEAD = 100_000;
/**
 * Batches of people prepared at once, each a few bulk writes one after the other. With two, preparing
 * waited on its round trips (39,487 people, gateway held to 20 texts a second: 3,700 to 3,900 a second,
 * nims 52–55% busy, the embedded FerretDB 76–79%); with four, 4,400 (59% and 88%); six gave no more.
 */
const PREPARING_BATCHES = 4;
/** How often an empty or full queue is looked at again. */
const QUEUE_WAIT_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A batch's turn with the providers: its messages go once `ready` resolves, and it calls `done` when
 * they have gone (or it has none), so the next batch's go while its answers are written.
 */
interface Turn {
  ready: Promise<void>;
  done: () => void;
}

/**
 * Batches of a run being sent at once: one having its people's records read, one with the providers,
 * one having its answers written.
 */
const SENDING_BATCHES = 3;

/** What a provider said to a message: took it, refused it (for good or for now), or failed unexpectedly. */
type CallOutcome = Accepted | { failure: PermanentFailure | TemporaryFailure } | { unexpected: unknown };

/** A person about to be sent their message at their step. */
interface Pending {
  send: SendDocument;
  patient: Patient;
}

/**
 * Sends a run's invitations. People are prepared batch by batch, ahead of the sending: each claimed once
 * (by inserting their send document), checked (died, left, vaccinated, opted out), and given a
 * Communication in preparation. They are checked again at send time and sent down their channel chain
 * with one Communication per attempt, falling back when a channel fails for good and retrying when it
 * fails for now. Progress and counts are saved after every batch, and the run's Task says whether to go
 * on (in-progress), wait (on-hold) or stop (cancelled: whoever is prepared and not sent is skipped).
 */
export class InvitationWorker {
  private readonly sends: Collection<SendDocument>;
  private readonly progress: Collection<ProgressDocument>;
  /** Messages to ask about or try again (send ids), with when. */
  private readonly due = new Map<string, number>();
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
    /** The server processes alive: people prepared by a stopped one are sent by another. */
    private readonly processes?: Pick<LiveProcesses, 'self' | 'alive'>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.sends = db.collection<SendDocument>('invitation_sends');
    this.progress = db.collection<ProgressDocument>('invitation_progress');
  }

  /** Picks up the runs and messages a previous process left (one scan of each at start). */
  async start(): Promise<void> {
    for await (const send of this.sends.find({
      state: { $in: ['prepared', 'sending', 'waiting', 'retry', 'new'] },
    })) {
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

  /**
   * Prepares the run batch by batch (PREPARING_BATCHES under way) while what is prepared is sent, up
   * to PREPARE_AHEAD people ahead of the sending, so the database and the providers are busy at once and a
   * run waits on its providers' pace. A batch's progress is saved only after the one before it, so a
   * restart goes on from a point before which everyone was prepared; whoever was prepared and not sent
   * is then sent by follow-ups.
   */
  private async loop(runId: string): Promise<void> {
    if (!this.counts.has(runId))
      this.counts.set(runId, (await this.progress.findOne({ _id: runId }))?.counts ?? emptyCounts());
    const queue: PreparedQueue = { sends: [], preparing: true, stop: false };
    const sending = this.sendQueued(runId, queue);
    let underWay: Promise<void> = Promise.resolve();
    // the batches being prepared, oldest first: each ends after the one before it
    const preparing: Promise<void>[] = [];
    // where the last batch under way ends: the saved progress lags behind it
    let cursor: Pick<ProgressDocument, 'chunk' | 'offset'> | undefined;
    const finishUnderWay = async () => {
      await underWay;
      preparing.length = 0;
      cursor = undefined;
    };
    const finishPreparing = async () => {
      await finishUnderWay();
      queue.preparing = false;
      await sending;
    };
    try {
      while (!this.stopped) {
        const task = await this.task(runId);
        const progress = (await this.progress.findOne({ _id: runId }))!;
        if (this.sending(task) === 'stopped' || progress.done) {
          await finishPreparing();
          await this.progress.updateOne({ _id: runId }, { $set: { done: true } });
          // the Task counts whom the stop ended (each skipped, their Communication not-done)
          if (!progress.done) await this.saveCounts(runId);
          return;
        }
        const settings = settingsOf(task);
        if (this.sending(task) === 'waits') {
          await finishUnderWay();
          await sleep(IDLE_MS);
          continue;
        }
        if (queue.sends.length >= PREPARE_AHEAD) {
          await sleep(QUEUE_WAIT_MS);
          continue;
        }
        const batch = await this.nextMembers({ ...progress, ...cursor }, settings.batchSize);
        if (batch.ids.length === 0) {
          await finishPreparing();
          if (this.outstanding(runId)) {
            await sleep(IDLE_MS);
            continue;
          }
          await this.saveCounts(runId, true);
          return;
        }
        cursor = { chunk: batch.chunk, offset: batch.offset };
        const previous = underWay;
        underWay = this.prepare(runId, settings, batch.ids).then(async (prepared) => {
          await previous;
          queue.sends.push(...prepared);
          await this.progress.updateOne(
            { _id: runId },
            { $set: { chunk: batch.chunk, offset: batch.offset } },
          );
          await this.saveCounts(runId);
        });
        // a failure is the loop's to report, when it next waits for this batch
        underWay.catch(() => undefined);
        preparing.push(underWay);
        if (preparing.length >= PREPARING_BATCHES) await preparing.shift();
      }
    } finally {
      // nothing of this loop goes on after it: a loop started again begins from the saved progress, and
      // the people it prepared and did not send are the follow-ups' to send
      await underWay.catch(() => undefined);
      queue.stop = true;
      await sending.catch(() => undefined);
      for (const send of queue.sends) this.schedule(send._id, 0);
    }
  }

  /**
   * Hands the run's prepared people to their providers as the loop prepares them, while the run is in
   * progress and within its window, in batches that take turns with the providers: while one batch's
   * messages go, the next has its people's records read and the one before has its answers written, so the
   * providers are seldom kept waiting on the database. A cancelled run's people still queued are skipped.
   */
  private async sendQueued(runId: string, queue: PreparedQueue): Promise<void> {
    const underWay: Promise<void>[] = [];
    // the end of the turn of the last batch started: the next one's messages go after it
    let calling: Promise<void> = Promise.resolve();
    try {
      while (!queue.stop && !this.stopped) {
        if (queue.sends.length === 0) {
          if (!queue.preparing) return;
          await sleep(QUEUE_WAIT_MS);
          continue;
        }
        // the loop reads the Task at every batch; one that cannot be read now is asked for again
        const task = await this.task(runId, IDLE_MS).catch((error: unknown) => {
          logger.warn('invitation run unreadable; sending waits', { run: runId, error: String(error) });
        });
        if (!task) {
          await sleep(IDLE_MS);
          continue;
        }
        const settings = settingsOf(task);
        if (this.sending(task) === 'stopped') {
          await Promise.all(underWay);
          const left = queue.sends.splice(0);
          await this.end(
            left.map((send) => ({ ...send, reason: 'cancelled' })),
            settings,
          ).catch((error: unknown) => this.followUp(runId, left, error));
          continue;
        }
        if (this.sending(task) === 'waits') {
          await sleep(IDLE_MS);
          continue;
        }
        const batch = queue.sends.splice(0, settings.batchSize);
        let endTurn!: () => void;
        const turn: Turn = { ready: calling, done: () => endTurn() };
        calling = new Promise<void>((resolve) => (endTurn = resolve));
        underWay.push(
          this.sendPrepared(batch, settings, turn)
            .catch((error: unknown) => this.followUp(runId, batch, error))
            .finally(turn.done),
        );
        if (underWay.length >= SENDING_BATCHES) await underWay.shift();
      }
    } finally {
      await Promise.all(underWay);
    }
  }

  /**
   * Whether a run's messages go now: `stopped` for good (cancelled, or completed by staff), `waits` while
   * it is on hold or outside its send window, `goes` otherwise.
   */
  private sending(task: Task): 'stopped' | 'waits' | 'goes' {
    if (task.status === 'cancelled' || task.status === 'completed') return 'stopped';
    return task.status === 'in-progress' && withinWindow(settingsOf(task).window, this.now())
      ? 'goes'
      : 'waits';
  }

  /**
   * Leaves people whose sending failed half way (the database, most likely) to the follow-ups, which
   * take each up from its send record: a message marked as being sent is never sent twice.
   */
  private followUp(runId: string, sends: SendDocument[], error: unknown): void {
    logger.error('invitation batch not handed over; following up', { run: runId, error: String(error) });
    for (const send of sends) this.schedule(send._id, CHECK_AFTER_MS);
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
  private count(runId: string, field: keyof Omit<RunCounts, 'skipped'> | `skipped.${string}`, by = 1): void {
    const counts = this.counts.get(runId);
    if (!counts) return;
    if (field.startsWith('skipped.')) {
      const reason = field.slice('skipped.'.length);
      counts.skipped[reason] = (counts.skipped[reason] ?? 0) + by;
    } else counts[field as keyof Omit<RunCounts, 'skipped'>] += by;
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
    const prefix = `${runId}/`;
    return [...this.due.keys()].some((id) => id.startsWith(prefix)) || (this.following.get(runId) ?? 0) > 0;
  }

  /**
   * Prepares a batch of members for the run: claims each person once (by inserting their send document),
   * having decided from the cohort index whether to skip them and why, and makes a Communication in
   * preparation for each of the others, under the id and version their claim names. Their channel is
   * chosen when their message goes, from their record as it is then. Everything is written in bulk: the
   * claims, the Communications, the marks of those skipped. Answers the people prepared, to be sent.
   */
  private async prepare(runId: string, settings: RunSettings, patientIds: string[]): Promise<SendDocument[]> {
    const reasons = await this.skipReasons(patientIds, settings, runId);
    const claimedAt = Date.now();
    const decided = patientIds.map((patientId, i): SendDocument => {
      const send: SendDocument = {
        _id: `${runId}/${patientId}`,
        run: runId,
        patient: patientId,
        state: 'new',
        step: 0,
        chain: [],
        attempts: 0,
        claimedAt,
      };
      const reason = reasons[i];
      if (reason) return { ...send, reason };
      return {
        ...send,
        state: 'prepared',
        communication: randomUUID(),
        version: 1,
        ...(this.processes ? { preparedBy: this.processes.self } : {}),
      };
    });
    // a person claimed before (an earlier pass, another process) is not this pass's to send
    const taken = new Set(await insertAllNew(this.sends, decided));
    const claimed = decided.filter((_, i) => !taken.has(i));
    if (claimed.length === 0) return [];
    this.count(runId, 'considered', claimed.length);
    const prepared = claimed.filter((send) => send.state === 'prepared');
    await this.createCommunications(
      prepared.map((send) => ({ send, status: 'preparation' as const })),
      settings,
    );
    await this.end(
      claimed.filter((send) => send.state !== 'prepared'),
      settings,
    );
    return prepared;
  }

  /**
   * Why each person is not to be contacted by the run now, if they are not: the cohort index's reasons
   * (died, left, vaccinated, opted out) and, for a reminder being prepared, not due one yet.
   */
  private async skipReasons(
    patientIds: string[],
    settings: RunSettings,
    preparingFor?: string,
  ): Promise<(string | undefined)[]> {
    // who may be skipped is the index's to say: not before it knows everyone
    await this.cohorts.whenReady();
    const now = this.now();
    const preferencesApply = !(await this.cohorts.preferencesSetAside(settings.programme, now));
    return Promise.all(
      patientIds.map(
        async (patientId) =>
          this.cohorts.index.reasonToSkip(patientId, settings.programme, now, preferencesApply) ??
          (preparingFor && settings.recall && !(await this.reminderDue(preparingFor, settings, patientId))
            ? 'not-due'
            : undefined),
      ),
    );
  }

  /**
   * Sends people prepared earlier: those no longer reachable end with the reason, the others are handed
   * to the first channel that reaches them as their record is today (and checked once more as they go).
   */
  private async sendPrepared(sends: SendDocument[], settings: RunSettings, turn?: Turn): Promise<void> {
    if (sends.length === 0) return;
    const patients = await this.patients(sends.map((s) => s.patient));
    const ended: SendDocument[] = [];
    const items: Pending[] = [];
    sends.forEach((send, i) => {
      const patient = patients[i];
      const chain = patient ? this.chainOf(settings, patient) : [];
      if (!patient || chain.length === 0) ended.push({ ...send, reason: 'unreachable' });
      else items.push({ send: { ...send, chain }, patient });
    });
    await this.end(ended, settings);
    await this.attempt(items, settings, turn);
  }

  /**
   * Records people who are not to be sent anything (their send documents carry the reason): skipped,
   * or unreachable (no channel, or no longer on the register), each with a `not-done` Communication
   * saying why (the one made when they were prepared, or a new one), except those a reminder is not yet
   * due for, who were never to be contacted.
   */
  private async end(sends: SendDocument[], settings: RunSettings): Promise<void> {
    for (const send of sends) {
      // nothing went on any channel
      send.chain = [];
      if (send.reason === 'unreachable') {
        send.state = 'failed';
        this.count(send.run, 'unreachable');
      } else {
        send.state = 'skipped';
        this.count(send.run, `skipped.${send.reason}`);
      }
    }
    const ending = sends
      .filter((send) => send.reason !== 'not-due')
      .map((send) => ({
        send,
        status: 'not-done' as const,
        reason: send.reason === 'unreachable' ? 'no channel reaches this person' : `skipped: ${send.reason}`,
      }));
    await this.createCommunications(
      ending.filter(({ send }) => send.version === undefined),
      settings,
    );
    await this.updateCommunications(
      ending.filter(({ send }) => send.version !== undefined),
      settings.programme,
    );
    await this.saveSends(sends, ['state', 'reason', 'communication', 'version']);
  }

  /** The channels to try for a person, in order, by the run's settings. */
  private chainOf(settings: RunSettings, patient: Patient): ChannelName[] {
    // people the programme reached before get its follow-up channels (a letter, say)
    const followUp =
      settings.followUpChannels && this.cohorts.index.contactedOn(patient.id!, settings.programme) > 0;
    const allowed = (followUp ? settings.followUpChannels! : settings.channels).filter(
      (c) => settings.templates[c],
    );
    return chainFor(recipientOf(patient, this.now()), allowed, this.channels).map((c) => c.name);
  }

  /** A person's Patient as it is now; undefined when it is gone. */
  private async patient(id: string): Promise<Patient | undefined> {
    return (await this.service.readIfExists('Patient', id))?.resource as Patient | undefined;
  }

  /** People's Patients as they are now, read together, in their order; undefined for those gone. */
  private async patients(ids: string[]): Promise<(Patient | undefined)[]> {
    const found = await this.service.readMany('Patient', ids);
    return ids.map((id) => found.get(id)?.resource as Patient | undefined);
  }

  /** Writes these fields of each send document (absent ones removed), in one bulk write. */
  private async saveSends(sends: SendDocument[], fields: (keyof SendDocument)[]): Promise<void> {
    if (sends.length === 0) return;
    await bulkUpdate(
      this.sends,
      sends.map((send) => {
        const $set: Record<string, unknown> = {};
        const $unset: Record<string, ''> = {};
        for (const field of fields) {
          if (send[field] === undefined) $unset[field] = '';
          else $set[field] = send[field];
        }
        const update = Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
        return { updateOne: { filter: { _id: send._id }, update } };
      }),
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
    this.due.delete(id);
    await this.settle([{ send, status }], settingsOf(await this.task(send.run, 5000)));
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
    await this.updateCommunications(
      [{ send, status: 'not-done', reason: `letter returned: ${reason}` }],
      settings.programme,
    );
    Object.assign(send, { state: 'failed', reason: 'returned-mail' });
    await this.saveSends([send], ['state', 'reason', 'version']);
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
    const now = this.now();
    const preferencesApply = !(await this.cohorts.preferencesSetAside(settings.programme, now));
    try {
      for await (const patientId of this.cohorts.members.read(groupId)) {
        if (this.cohorts.index.reasonToSkip(patientId, settings.programme, now, preferencesApply)) continue;
        if (await this.reminderDue(probe, settings, patientId)) due++;
      }
    } finally {
      this.earlier.delete(probe);
    }
    return due;
  }

  /**
   * A person's Communication for their current attempt as it is now: skipped or unreachable (no
   * channel), or the message on the channel at their step, with the provider's id once it took it.
   */
  private communicationOf(
    send: SendDocument,
    programme: ProgrammeCode,
    status: Communication['status'],
    reason?: string,
  ): Communication {
    const time = this.now().toISOString();
    // skipped and unreachable people have no channel
    const channel = send.chain[send.step];
    const reference = `${send._id}/${send.step}`;
    return {
      resourceType: 'Communication',
      ...(send.communication ? { id: send.communication } : {}),
      status,
      basedOn: [{ reference: `Task/${send.run}` }],
      // what it is about: the cohort index counts a message a provider accepted as a contact
      category: [{ coding: [{ system: CODE_SYSTEMS.programme, code: programme }] }],
      subject: { reference: `Patient/${send.patient}` },
      recipient: [{ reference: `Patient/${send.patient}` }],
      ...(channel
        ? {
            identifier: [
              { system: MESSAGE_REFERENCE_SYSTEM, value: reference },
              ...(send.providerId
                ? [{ system: `${CHANNEL_SYSTEM}/${channel}`, value: send.providerId }]
                : []),
            ],
            medium: [{ coding: [{ system: CHANNEL_SYSTEM, code: channel }] }],
          }
        : {}),
      // a message a provider took keeps when it went, however it ended
      ...(send.sentAt || status === 'in-progress' || status === 'completed'
        ? { sent: send.sentAt ?? time }
        : {}),
      ...(status === 'completed' ? { received: time } : {}),
      ...(reason ? { statusReason: { text: reason } } : {}),
    };
  }

  /** Creates the Communications of these sends (one each, in bulk) and notes their ids and versions. */
  private async createCommunications(
    items: { send: SendDocument; status: Communication['status']; reason?: string }[],
    settings: RunSettings,
  ): Promise<void> {
    if (items.length === 0) return;
    for (const { send } of items) send.communication ??= randomUUID();
    await this.service.createMany(
      'Communication',
      items.map(({ send, status, reason }) => this.communicationOf(send, settings.programme, status, reason)),
      items.map(({ send }) => send.communication!),
    );
    for (const { send } of items) send.version = 1;
  }

  /**
   * Moves the Communications of these sends to a new status, in bulk, on the version nims last wrote;
   * one someone else changed meanwhile is written over on its current version (nims keeps this record).
   */
  private async updateCommunications(
    items: { send: SendDocument; status: Communication['status']; reason?: string }[],
    programme: ProgrammeCode,
  ): Promise<void> {
    if (items.length === 0) return;
    const bodies = items.map(({ send, status, reason }) =>
      this.communicationOf(send, programme, status, reason),
    );
    const results = await this.service.updateMany(
      'Communication',
      items.map(({ send }, i) => ({ id: send.communication!, body: bodies[i]!, ifMatch: send.version ?? 1 })),
    );
    await Promise.all(
      results.map(async (result, i) => {
        const { send } = items[i]!;
        if (!(result instanceof FhirError)) return (send.version = result.versionId);
        const again = await this.service.update('Communication', send.communication!, bodies[i]);
        send.version = again.stored!.versionId;
      }),
    );
  }

  /**
   * Sends each person's message on the channel at their step again, or on a new step: their
   * Communication for it (made if this step has none yet) and the `sending` mark, written before any
   * provider is called (so a crash during a call is never sent again); then the calls.
   */
  private async attempt(items: Pending[], settings: RunSettings, turn?: Turn): Promise<void> {
    if (items.length === 0) return;
    await this.createCommunications(
      items
        .filter((i) => i.send.version === undefined)
        .map(({ send }) => ({ send, status: 'preparation' as const })),
      settings,
    );
    for (const { send } of items)
      Object.assign(send, { state: 'sending', attempts: send.attempts + 1, providerId: undefined });
    await this.hand(items, settings, turn);
  }

  /**
   * Hands messages, their Communications made, to their providers (in the batch's turn, when it takes
   * turns with others), each checked at that moment and marked `sending` first, and writes what each
   * provider said, in bulk. Those who are no longer to be contacted (died, left, vaccinated, opted out
   * since) are skipped with the reason.
   */
  private async hand(pending: Pending[], settings: RunSettings, turn?: Turn): Promise<void> {
    if (pending.length === 0) return;
    await turn?.ready;
    // the index as of now, with the changes this process wrote a moment ago (a death recorded, say)
    await this.cohorts.whenReady();
    await this.cohorts.current();
    const reasons = await this.skipReasons(
      pending.map((p) => p.send.patient),
      settings,
    );
    const items = pending.filter((_, i) => !reasons[i]);
    const outcomes = await this.markAndCall(items, settings);
    turn?.done();
    await this.end(
      pending.flatMap(({ send }, i) => (reasons[i] ? [{ ...send, reason: reasons[i] }] : [])),
      settings,
    );
    const accepted: { send: SendDocument; status?: DeliveryStatus }[] = [];
    const retry: SendDocument[] = [];
    const failed: { send: SendDocument; status: Communication['status']; reason: string }[] = [];
    const unknown: SendDocument[] = [];
    items.forEach(({ send }, i) => {
      const outcome = outcomes[i]!;
      if ('unexpected' in outcome) unknown.push(send);
      else if ('providerId' in outcome) {
        Object.assign(send, {
          state: 'waiting',
          providerId: outcome.providerId,
          accepted: (send.accepted ?? 0) + 1,
          sentAt: this.now().toISOString(),
        });
        this.count(send.run, 'sent');
        accepted.push({ send, ...(outcome.status ? { status: outcome.status } : {}) });
      } else if (outcome.failure instanceof TemporaryFailure && send.attempts < MAX_TRIES) {
        send.state = 'retry';
        retry.push(send);
      } else failed.push({ send, status: 'not-done', reason: outcome.failure.message });
    });
    const recipients = new Map(
      items.map(({ send, patient }) => [send._id, recipientOf(patient, this.now())]),
    );
    await this.handOff(
      accepted.filter((a) => a.send.accepted === 1).map((a) => a.send),
      settings,
      (send) => recipients.get(send._id)!.nhsNumber,
    );
    await this.updateCommunications(
      accepted.map(({ send }) => ({ send, status: 'in-progress' as const })),
      settings.programme,
    );
    await this.saveSends(
      accepted.map((a) => a.send),
      ['state', 'providerId', 'accepted', 'sentAt', 'version'],
    );
    await this.saveSends(retry, ['state', 'version']);
    for (const send of retry) this.schedule(send._id, CHECK_AFTER_MS * 2 ** send.attempts);
    for (const { send, status } of accepted) if (!status) this.schedule(send._id, CHECK_AFTER_MS);
    await this.settle(
      accepted.flatMap(({ send, status }) => (status ? [{ send, status }] : [])),
      settings,
    );
    await this.updateCommunications(failed, settings.programme);
    await this.next(
      failed.map((f) => f.send),
      settings,
    );
    for (const send of unknown) await this.unknown(send);
  }

  /**
   * Marks messages as being sent and hands them to their providers, a slice at a time, the next slice
   * marked while this one's messages go: a crash leaves at most two slices marked and not sent (never
   * sent after it), and the first message goes once one slice is marked, not the whole batch.
   */
  private async markAndCall(items: Pending[], settings: RunSettings): Promise<CallOutcome[]> {
    const mark = (from: number) => {
      const marking = this.saveSends(
        items.slice(from, from + MARKED_AT_ONCE).map((i) => i.send),
        ['state', 'step', 'chain', 'communication', 'version', 'attempts', 'providerId', 'sentAt'],
      );
      // a failure is for the loop below to meet when it waits for these marks
      marking.catch(() => undefined);
      return marking;
    };
    const outcomes: CallOutcome[] = [];
    let marked = mark(0);
    for (let from = 0; from < items.length; from += MARKED_AT_ONCE) {
      await marked;
      if (from + MARKED_AT_ONCE < items.length) marked = mark(from + MARKED_AT_ONCE);
      outcomes.push(
        ...(await inBatches(items.slice(from, from + MARKED_AT_ONCE), PARALLEL_SENDS, ({ send, patient }) =>
          this.call(send, settings, patient),
        )),
      );
    }
    return outcomes;
  }

  /** Hands one message to its provider; answers what the provider took, or why it did not. */
  private async call(send: SendDocument, settings: RunSettings, patient: Patient): Promise<CallOutcome> {
    const channel = send.chain[send.step]!;
    const recipient = recipientOf(patient, this.now());
    try {
      const accepted = await this.channels.get(channel)!.send({
        reference: `${send._id}/${send.step}`,
        template: settings.templates[channel]!,
        recipient,
        personalisation: {
          name: recipient.onBehalfOf ?? recipient.name,
          ...(recipient.onBehalfOf ? { parent: recipient.name } : {}),
          programme: programmeOf(settings.programme).display,
        },
      });
      messagesSent.inc({ channel, outcome: 'accepted' });
      return accepted;
    } catch (error) {
      if (error instanceof PermanentFailure || error instanceof TemporaryFailure) {
        messagesSent.inc({ channel, outcome: 'refused' });
        return { failure: error };
      }
      // a channel that broke in a way it does not say: the message may have gone, so it is not sent again
      logger.error('invitation channel failed unexpectedly', { channel, error: String(error) });
      messagesSent.inc({ channel, outcome: 'unknown' });
      return { unexpected: error };
    }
  }

  /** After a failure: each person's next channel, or the end of their chain. */
  private async next(sends: SendDocument[], settings: RunSettings): Promise<void> {
    if (sends.length === 0) return;
    const onwards = sends.filter((s) => s.step + 1 < s.chain.length);
    const patients = await this.patients(onwards.map((s) => s.patient));
    const items: Pending[] = [];
    onwards.forEach((send, i) => {
      const patient = patients[i];
      if (!patient) return;
      this.count(send.run, 'fellBack');
      items.push({
        send: {
          ...send,
          state: 'new',
          step: send.step + 1,
          attempts: 0,
          communication: undefined,
          version: undefined,
          providerId: undefined,
          sentAt: undefined,
        },
        patient,
      });
    });
    // the end of the chain, or no longer on the register to try the next channel for
    const ended = sends.filter((s) => !items.some((i) => i.send._id === s._id));
    for (const send of ended) {
      Object.assign(send, { state: 'failed', reason: 'every channel failed' });
      this.count(send.run, 'failed');
    }
    await this.saveSends(ended, ['state', 'reason']);
    await this.attempt(items, settings);
  }

  /** Records how sent messages ended: delivered, or failed and on to the next channel. */
  private async settle(
    items: { send: SendDocument; status: DeliveryStatus }[],
    settings: RunSettings,
  ): Promise<void> {
    if (items.length === 0) return;
    const delivered: SendDocument[] = [];
    const failed: { send: SendDocument; status: Communication['status']; reason: string }[] = [];
    for (const { send, status } of items) {
      const outcome = settled(status);
      if (!outcome) {
        this.schedule(send._id, CHECK_AFTER_MS * 2 ** Math.min(send.attempts + 1, 8));
        continue;
      }
      messagesSent.inc({ channel: send.chain[send.step]!, outcome });
      if (outcome === 'delivered') delivered.push(send);
      else failed.push({ send, status: 'not-done', reason: `${send.chain[send.step]!}: ${status}` });
    }
    await this.updateCommunications(
      delivered.map((send) => ({ send, status: 'completed' as const })),
      settings.programme,
    );
    for (const send of delivered) {
      send.state = 'delivered';
      this.count(send.run, 'delivered');
    }
    await this.saveSends(delivered, ['state', 'version']);
    await this.updateCommunications(failed, settings.programme);
    await this.next(
      failed.map((f) => f.send),
      settings,
    );
  }

  /**
   * Tells the booking system that people were invited (their first message in a run a provider took),
   * for invitation runs of a programme people book.
   */
  private async handOff(
    sends: SendDocument[],
    settings: RunSettings,
    nhsNumberOf: (send: SendDocument) => string,
  ): Promise<void> {
    if (!this.booking || settings.recall || !programmeOf(settings.programme).bookable) return;
    await this.booking.add(
      sends.map((send) =>
        bookingInvitation(
          send.run,
          send.patient,
          nhsNumberOf(send),
          send.communication!,
          settings.programme,
          send.sentAt ?? this.now().toISOString(),
        ),
      ),
    );
  }

  private schedule(id: string, delayMs: number): void {
    this.due.set(id, Date.now() + delayMs);
  }

  /** How many of each run's messages are being followed up right now. */
  private readonly following = new Map<string, number>();
  private checking = false;

  /**
   * Asks about the messages that are due, tries again the ones that failed for now, and takes up what a
   * stopped process left; a run's follow-ups together, in bulk.
   */
  private async checkDue(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = Date.now();
      const ready: string[] = [];
      for (const [id, at] of this.due) if (at <= now && ready.length < FOLLOW_UP_BATCH) ready.push(id);
      for (const id of ready) this.due.delete(id);
      const byRun = groupBy(ready, (id) => id.split('/')[0]!);
      await Promise.all(
        [...byRun].map(async ([run, ids]) => {
          this.following.set(run, (this.following.get(run) ?? 0) + 1);
          try {
            await this.follow(run, ids);
          } catch (error) {
            logger.error('invitation follow-up failed', { run, error: String(error) });
            for (const id of ids) this.schedule(id, CHECK_AFTER_MS * 4);
          } finally {
            this.following.set(run, this.following.get(run)! - 1);
          }
        }),
      );
    } finally {
      this.checking = false;
    }
  }

  private async follow(runId: string, ids: string[]): Promise<void> {
    const sends = await findByIds(this.sends, ids);
    const task = await this.task(runId, 5000);
    const settings = settingsOf(task);
    // scheduled at start: a message a stopped process was sending may have gone, so it is never resent;
    // one whose Communication was never made cannot have gone (it is made before the provider is called)
    const neverSent: Pending[] = [];
    for (const send of sends.filter((s) => s.state === 'sending')) {
      const made =
        send.version !== undefined ||
        (await this.service.readIfExists('Communication', send.communication!)) !== undefined;
      if (made) await this.unknown(send);
      // a cancelled run's is left as it is, as are its retries
      else if (task.status !== 'cancelled') {
        const patient = await this.patient(send.patient);
        if (patient) neverSent.push({ send: { ...send, attempts: send.attempts - 1 }, patient });
        else await this.end([{ ...send, reason: 'unreachable' }], settings);
      }
    }
    await this.followPrepared(
      task,
      sends.filter((s) => s.state === 'prepared'),
    );
    if (task.status === 'cancelled') return;
    const unclaimed = sends.filter((s) => s.state === 'new');
    if (unclaimed.length > 0) {
      await Promise.all(unclaimed.map((s) => this.sends.deleteOne({ _id: s._id, state: 'new' })));
      await this.followPrepared(
        task,
        await this.prepare(
          runId,
          settings,
          unclaimed.map((s) => s.patient),
        ),
      );
    }
    const retries = sends.filter((s) => s.state === 'retry');
    const patients = await this.patients(retries.map((s) => s.patient));
    await this.attempt(
      [...neverSent, ...retries.flatMap((send, i) => (patients[i] ? [{ send, patient: patients[i] }] : []))],
      settings,
    );
    const waiting = sends.filter((s) => s.state === 'waiting');
    const statuses = await inBatches(waiting, PARALLEL_SENDS, async (send) => {
      try {
        return await this.channels.get(send.chain[send.step]!)!.status(send.providerId!);
      } catch (error) {
        if (error instanceof FhirError) throw error;
        return undefined;
      }
    });
    waiting.forEach((send, i) => {
      if (statuses[i] === undefined) this.schedule(send._id, CHECK_AFTER_MS * 4);
    });
    await this.settle(
      waiting.flatMap((send, i) => (statuses[i] ? [{ send, status: statuses[i] }] : [])),
      settings,
    );
  }

  /**
   * People prepared and not sent by a process that stopped, or by this one's run loop when it stopped
   * early: sent now if the run is going on (later if it is paused), skipped if it was cancelled. Those a
   * live process prepared are its own to send.
   */
  private async followPrepared(task: Task, sends: SendDocument[]): Promise<void> {
    const alive = new Map<string, Promise<boolean>>();
    const othersLive = await Promise.all(
      sends.map(async ({ preparedBy }) => {
        if (!preparedBy || !this.processes || preparedBy === this.processes.self) return false;
        if (!alive.has(preparedBy)) alive.set(preparedBy, this.processes.alive(preparedBy));
        return alive.get(preparedBy)!;
      }),
    );
    const ours = sends.filter((send, i) => {
      if (othersLive[i]) this.schedule(send._id, CLAIM_PATIENCE_MS);
      return !othersLive[i];
    });
    const settings = settingsOf(task);
    const state = this.sending(task);
    if (state === 'stopped')
      await this.end(
        ours.map((send) => ({ ...send, reason: 'cancelled' })),
        settings,
      );
    else if (state === 'waits') for (const send of ours) this.schedule(send._id, IDLE_MS);
    else await this.sendPrepared(ours, settings);
  }

  /**
   * A message whose sending a crash interrupted: it may have gone, so it is never sent again; the
   * person may have been invited, so the booking system hears of them.
   */
  private async unknown(send: SendDocument): Promise<void> {
    if (send.communication) {
      const settings = settingsOf(await this.task(send.run, 5000));
      if (!send.accepted) {
        const patient = await this.patient(send.patient);
        if (patient) await this.handOff([send], settings, () => recipientOf(patient).nhsNumber);
      }
      await this.updateCommunications([{ send, status: 'unknown' }], settings.programme);
    }
    send.state = 'unknown';
    await this.saveSends([send], ['state', 'version']);
    this.count(send.run, 'unknown');
  }
}

/** Runs `work` on every item, at most `parallel` at once; answers the results in the items' order. */
async function inBatches<T, R>(items: T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
  return results;
}
