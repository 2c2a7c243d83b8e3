import type { Immunization, MessageHeader, Organization, Patient, Resource } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import type { FhirService } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { patientIdOf } from '../shared/references.js';
import { ChangeLog, type ChangeDocument } from '../store/changelog.js';
import type { Leases } from '../store/leases.js';
import { insertAllNew } from '../store/mongo-errors.js';
import { LogReader } from '../store/log-reader.js';
import type { Outbox } from '../store/outbox.js';
import type { GpDailyOutbox } from './daily-outbox.js';
import { deliveryModeOf, type Endpoints } from './endpoints.js';
import {
  messageId,
  referencesOf,
  vaccinationMessage,
  type GpMessage,
  type VaccinationEvent,
} from './messages.js';

const LEASE = 'gp-dispatcher';
const LEASE_MS = 30_000;
/** Changes read and turned into messages at once. */
const PARALLEL = 64;
/** Daily messages held before they are stored, at most: packed well, and bounded (about 8 KB each in memory). */
const DAILY_PACK = 20_000;

interface CursorDocument {
  _id: string;
  seen: number;
  holes: number[];
}

/**
 * Turns every stored change of an Immunization into a message for the GP practice of the person it is
 * for, as the practice is at that moment, into the GP outbox. It follows the change log (written in the
 * same write path as the change) from a saved position, so no change is missed across a crash or restart
 * and a change read twice makes the same message id (the outbox keeps one). One process at a time does
 * this (a lease); the others stand by.
 */
export class GpDispatcher {
  private readonly cursor: Collection<CursorDocument>;
  private readonly log: ChangeLog;
  private reader: LogReader | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  /**
   * Messages for practices that take a daily batch, held until there are enough to pack well (or they
   * waited `packMs`); the saved position stays before them until they are stored, so a crash loses none.
   */
  private daily: GpMessage[] = [];
  /** The position as last saved by this process (or read at start), to save only a changed one. */
  private savedPosition: string | undefined;
  private dailySince = 0;

  constructor(
    db: Db,
    private readonly service: FhirService,
    /** Where messages go: as they happen, or for the practice's daily batch. */
    private readonly outboxes: { immediate: Outbox<GpMessage>; daily: GpDailyOutbox },
    private readonly leases: Leases,
    /** Practices' endpoints: which way each practice's messages go. */
    private readonly endpoints: Endpoints,
    /** This server's FHIR base URL, as messages name it. */
    private readonly base: () => string,
    /** How long messages for daily batches may be held before they are stored. */
    private readonly packMs = 300_000,
  ) {
    this.cursor = db.collection<CursorDocument>('gp_dispatch');
    this.log = ChangeLog.of(db);
  }

  /**
   * Starts following the log. On the very first start the position is the end of the log, taken before
   * the server serves anyone: every change from then on is sent, none from before.
   */
  async start(everyMs = 500): Promise<void> {
    const position = { seen: await this.log.last(), holes: [] };
    await insertAllNew(this.cursor, [{ _id: 'cursor', ...position }]);
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  /** Stops, and lets another process take over at once (or, with the database gone, once the lease runs out). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.leases.release(LEASE).catch(() => undefined);
  }

  /** One pass: the changes since the last, as messages in the outboxes (none while one is under way). */
  tick(): Promise<void> {
    // ticks do not queue up behind a slow pass (the database away, say): the next tick does its work
    return this.busy ?? this.exclusively(() => this.dispatch());
  }

  /** Stores at once the messages held for daily batches (before a daily run, at stop). */
  flush(): Promise<void> {
    return this.exclusively(() => this.storeDaily());
  }

  /** Runs one step at a time: a pass, or a flush. */
  private exclusively(step: () => Promise<void>): Promise<void> {
    const run = (this.busy ?? Promise.resolve())
      .then(step)
      .catch((error: unknown) => {
        // start again from the saved position: what was held is made again from the log
        this.forget();
        logger.error('GP message dispatch failed; trying again', { error: String(error) });
      })
      .finally(() => {
        if (this.busy === run) this.busy = undefined;
      });
    this.busy = run;
    return run;
  }

  private forget(): void {
    this.reader = undefined;
    this.savedPosition = undefined;
    this.daily = [];
  }

  /** Stores the held daily messages, then the position after them. */
  private async storeDaily(leaseJustHeld = false): Promise<void> {
    if (!this.reader) return;
    // another process took over meanwhile: its position counts, and it makes these messages itself
    if (!leaseJustHeld && !(await this.leases.hold(LEASE, LEASE_MS))) return this.forget();
    await this.outboxes.daily.add(this.daily);
    this.daily = [];
    // a pass that found nothing leaves the position as saved
    const position = JSON.stringify(this.reader.position);
    if (position === this.savedPosition) return;
    await this.cursor.replaceOne({ _id: 'cursor' }, this.reader.position, { upsert: true });
    this.savedPosition = position;
  }

  private async dispatch(): Promise<void> {
    if (!(await this.leases.hold(LEASE, LEASE_MS))) {
      // another process follows the log: its position is the one to start from if this one takes over
      this.forget();
      return;
    }
    if (!this.reader) {
      const saved = await this.cursor.findOne({ _id: 'cursor' });
      this.reader = new LogReader(this.log, saved ?? { seen: 0, holes: [] });
    }
    const changes = (await this.reader.next()).filter((c) => c.type === 'Immunization');
    const messages: GpMessage[] = [];
    // the places, people and practices many messages of a pass name are read once in it
    const read = memoised((reference: string) => {
      const [type, id] = reference.split('/') as [string, string];
      return this.service.readIfExists(type, id).then((stored) => stored?.resource);
    });
    for (let i = 0; i < changes.length; i += PARALLEL) {
      const built = await Promise.all(changes.slice(i, i + PARALLEL).map((c) => this.messageFor(c, read)));
      messages.push(...built.flatMap((m) => (m ? [m] : [])));
    }
    // each practice's messages go its way, as its endpoint says now
    const endpoints = await Promise.all(messages.map((m) => this.endpoints.of(m.event.practice)));
    const modes = endpoints.map(deliveryModeOf);
    await this.outboxes.immediate.add(
      messages.filter((_, i) => modes[i] === 'immediate').map((m) => ({ id: m.message.id!, payload: m })),
    );
    const daily = messages.filter((m, i) => {
      if (modes[i] !== 'daily') return false;
      // a daily batch is sent as stored: the message names the endpoint it is for now
      (m.message.entry![0]!.resource as MessageHeader).destination![0]!.endpoint = endpoints[i]!.address;
      return true;
    });
    if (this.daily.length === 0) this.dailySince = Date.now();
    this.daily.push(...daily);
    // nothing held: the position is saved at once
    if (
      this.daily.length === 0 ||
      this.daily.length >= DAILY_PACK ||
      Date.now() - this.dailySince >= this.packMs
    )
      await this.storeDaily(true);
  }

  /** The message a stored version of an Immunization makes for its person's practice, if there is one to tell. */
  private async messageFor(
    change: ChangeDocument,
    read: (reference: string) => Promise<Resource | undefined>,
  ): Promise<GpMessage | undefined> {
    const repository = this.service.repository;
    const stored = await repository.vread('Immunization', change.id, change.v);
    if (!stored && this.reader?.awaitVersion(change)) return undefined;
    const deleted = !stored?.resource;
    const immunization = (
      deleted ? (await repository.vread('Immunization', change.id, change.v - 1))?.resource : stored.resource
    ) as Immunization | undefined;
    if (!immunization) return undefined;
    const patientId = patientIdOf(immunization.patient.reference);
    const patient = patientId ? ((await read(`Patient/${patientId}`)) as Patient | undefined) : undefined;
    const practice = patient ? await this.practiceOf(patient, read) : undefined;
    if (!patient || !practice) return undefined;
    // the practice sent this version itself: it is not told its own news
    if (change.origin === practice) return undefined;
    const related = await Promise.all(
      referencesOf(immunization)
        .filter((r) => r !== `Patient/${patientId}`)
        .map(read),
    );
    const event: VaccinationEvent = {
      immunization: change.id,
      version: change.v,
      action: deleted ? 'delete' : change.v === 1 ? 'new' : 'update',
      practice,
      patient: patientId!,
      seq: change.seq,
      at: change.ts,
    };
    const message = vaccinationMessage(
      event,
      { ...immunization, id: change.id },
      [patient, ...related.filter((r): r is Resource => r !== undefined)],
      { base: this.base() },
      {},
    );
    return { event, message: { ...message, id: messageId(event) } };
  }

  /** The ODS code of a person's GP practice: on the reference, or on the Organization it points to. */
  private async practiceOf(
    patient: Patient,
    read: (reference: string) => Promise<Resource | undefined>,
  ): Promise<string | undefined> {
    for (const gp of patient.generalPractitioner ?? []) {
      if (gp.identifier?.system === ODS_CODE_SYSTEM && gp.identifier.value) return gp.identifier.value;
      const id = /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(gp.reference ?? '')?.[1];
      if (!id) continue;
      const organization = (await read(`Organization/${id}`)) as Organization | undefined;
      const ods = organization?.identifier?.find((i) => i.system === ODS_CODE_SYSTEM)?.value;
      if (ods) return ods;
    }
    return undefined;
  }
}

/** `load` answering each key once: later calls with the same key share the first one's answer. */
function memoised<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const answers = new Map<string, Promise<T>>();
  return (key) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = load(key);
      answers.set(key, answer);
    }
    return answer;
  };
}
