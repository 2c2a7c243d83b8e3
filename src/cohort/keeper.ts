import type {
  Appointment,
  Communication,
  Consent,
  Immunization,
  Organization,
  Patient,
  Resource,
  Task,
} from 'fhir/r4';
import type { Db } from 'mongodb';
import { FhirError } from '../fhir/errors.js';
import { currentChoice } from '../preferences/consent.js';
import type { PreferenceOverrides } from '../preferences/override.js';
import { logger } from '../shared/logger.js';
import { cohortIndexBytes, cohortIndexLag, cohortIndexPeople } from '../shared/metrics.js';
import { patientIdOf } from '../shared/references.js';
import { ChangeLog, type ChangeDocument } from '../store/changelog.js';
import { LogReader } from '../store/log-reader.js';
import { describeChanges } from '../store/change-facts.js';
import {
  ABANDONED_WRITE_MS,
  type ChangeEvent,
  type CurrentDocument,
  type Repository,
  versionKey,
} from '../store/repository.js';
import { findByIds } from '../store/mongo-errors.js';
import { groupBy } from '../shared/group.js';
import { resourceOf, type Kept } from '../store/kept-documents.js';
import { AreaTree } from './areas.js';
import { CohortIndex, contactOf, vaccinationFacts } from './index.js';
import { CohortMembers } from './members.js';
import { CohortSnapshots } from './snapshots.js';
import { programmesOf, type ProgrammeCode } from './programmes.js';

/** The resource types the index is made of, in the order they are first read. */
const INDEXED_TYPES = [
  'Organization',
  'Patient',
  'Immunization',
  'Consent',
  'Appointment',
  'Communication',
] as const;
/** How often other processes' changes are looked for when nobody asks. */
const POLL_MS = 1000;
/** Changed resources applied at once while catching up (applying some reads the person's other records). */
const PARALLEL_APPLIES = 32;
/** A snapshot this many changes old (or as many as it holds people) is caught up rather than rebuilt. */
const CATCH_UP_AT_LEAST = 10_000;
/** How often a snapshot is saved while changes come in. */
const SNAPSHOT_EVERY_MS = 10 * 60_000;
/** How long after a failed build another is tried. */
const BUILD_RETRY_MS = 5000;
/** A build reads again at most this many change log entries from before it began (see build). */
const MAX_REREAD_ENTRIES = 100_000;

/** A resource other processes changed, from the first to the last version of it a catch-up found. */
interface Changed {
  type: string;
  id: string;
  firstVersion: number;
  lastVersion: number;
  /** The log entry of the last version. */
  last: ChangeDocument;
}

/** All of a person's resources of one type (their Immunizations, their Consents). */
export type ResourcesOfPatient = (
  type: 'Immunization' | 'Consent' | 'Appointment',
  patientId: string,
) => Promise<Resource[]>;

/**
 * Whether a person's Consents say no to central COVID-19 invitations: the newest active one under the
 * COVID-19 invitation policy decides.
 */
export function optedOutOfCovidInvitations(consents: Consent[]): boolean {
  return currentChoice(consents)?.provision?.type === 'deny';
}

/** The people a vaccination, consent, appointment or message is about. */
function patientsOf(resource: Resource | undefined): string[] {
  const references =
    resource?.resourceType === 'Immunization'
      ? [(resource as Immunization).patient.reference]
      : resource?.resourceType === 'Consent'
        ? [(resource as Consent).patient?.reference]
        : resource?.resourceType === 'Appointment'
          ? (resource as Appointment).participant.map((p) => p.actor?.reference)
          : resource?.resourceType === 'Communication'
            ? [(resource as Communication).subject?.reference]
            : [];
  return [...new Set(references.flatMap((r) => patientIdOf(r) ?? []))];
}

/** A contact a message made, as its change log entry carries it. */
interface ContactFact {
  programme: ProgrammeCode;
  day: number;
  patients: string[];
}

// every Communication's log entry says whether it was a contact, and whose: the index in other processes
// learns of it from the entry, without reading the message back
describeChanges('Communication', (resource) => {
  const contact = contactOf(resource as Communication);
  return contact ? { contact: { ...contact, patients: patientsOf(resource) } satisfies ContactFact } : {};
});

type RefreshedType = 'Immunization' | 'Consent' | 'Appointment';

/**
 * Builds the cohort index and the area tree from the database at start (in the background), then keeps
 * them current: this process's own changes as they are stored, other processes' by reading the change
 * log forward by `_id` from the last number seen.
 */
export class CohortKeeper {
  /** Made anew by each build (a failed build may have counted some vaccinations already). */
  index = new CohortIndex();
  areas = new AreaTree();
  readonly members: CohortMembers;
  private readonly log: ChangeLog;
  private building: Promise<void> | undefined;
  private ready = false;
  private progress = { type: '', read: 0 };
  /** Where the change log was read up to. */
  private reader: LogReader;
  /** Numbers of changes this process applied as they happened, skipped when the log brings them. */
  private appliedHere = new Set<number>();
  /** This process's own changes still being applied: a count waits for them (it sees its own writes). */
  private readonly applying = new Set<Promise<void>>();
  private catchingUp: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Where the index came from at start: a snapshot and the change log after it, or every document. */
  builtFrom: 'snapshot' | 'database' | undefined;
  private readonly snapshots: CohortSnapshots;
  private saving: Promise<void> | undefined;
  private snapshotAt = 0;
  private changesSinceSnapshot = 0;
  /** When the index last caught up with the change log (epoch ms): how stale it may be. */
  private caughtUpAt: number | undefined;
  private readonly unwatch: (() => void)[] = [];
  /** Re-reads of a person's records under way, and the one queued after each (see refresh). */
  private readonly refreshing = new Map<string, { settled: Promise<void>; again?: Promise<void> }>();

  constructor(
    /** The database it reads; also where population-wide lists (cohort members, attribute lists) live. */
    readonly database: Db,
    repository: Repository,
    private readonly resourcesOf: ResourcesOfPatient,
    /** Staff overrides that set people's COVID-19 invitation preferences aside for a while. */
    private readonly overrides?: PreferenceOverrides,
  ) {
    this.log = ChangeLog.of(database);
    this.reader = new LogReader(this.log);
    this.members = new CohortMembers(database);
    this.snapshots = new CohortSnapshots(database);
    // before the index is built, the change log brings these changes after the build (see build)
    repository.onChange((event) => {
      if (this.ready) this.applyHere(event);
    });
  }

  private applyHere(event: ChangeEvent): void {
    if (event.sequence !== undefined) this.appliedHere.add(event.sequence);
    const applied: Promise<void> = this.apply(event)
      .catch((error: unknown) => {
        // not applied after all: the change log brings it at the next catch-up
        if (event.sequence !== undefined) this.appliedHere.delete(event.sequence);
        logger.error('cohort index update failed', { error: String(error), type: event.type });
      })
      .finally(() => this.applying.delete(applied));
    this.applying.add(applied);
  }

  /** Starts building in the background; `current()` waits for it. */
  start(): void {
    if (this.unwatch.length === 0)
      this.unwatch.push(
        cohortIndexPeople.watch({}, () => (this.ready ? this.index.people : undefined)),
        cohortIndexBytes.watch({}, () => (this.ready ? this.index.bytes : undefined)),
        cohortIndexLag.watch({}, () =>
          this.caughtUpAt === undefined ? undefined : (Date.now() - this.caughtUpAt) / 1000,
        ),
      );
    this.building ??= this.build().then(
      () => {
        if (this.stopped) return;
        this.timer = setInterval(() => {
          void this.current().catch(() => undefined);
          if (this.changesSinceSnapshot > 0 && Date.now() - this.snapshotAt > SNAPSHOT_EVERY_MS)
            void this.saveSnapshot();
        }, POLL_MS);
        this.timer.unref();
      },
      (error: unknown) => {
        this.building = undefined;
        if (this.stopped) return;
        // the database may be back in a moment: build again rather than serve no cohorts until restart
        logger.error('cohort index build failed; trying again', { error: String(error) });
        setTimeout(() => this.start(), BUILD_RETRY_MS).unref();
      },
    );
  }

  /** Stops polling, and a build under way at its next document (the database is about to close). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const unwatch of this.unwatch.splice(0)) unwatch();
  }

  private async build(): Promise<void> {
    const started = Date.now();
    const last = await this.log.last();
    const snapshot = await this.snapshots.load().catch((error: unknown) => {
      logger.warn('cohort snapshot unreadable; building from the database', { error: String(error) });
      return undefined;
    });
    // catching up costs a read or two a change, building a read a document: the cheaper way is taken
    if (snapshot && last - snapshot.seen <= Math.max(CATCH_UP_AT_LEAST, snapshot.index.people)) {
      this.index = snapshot.index;
      this.areas = snapshot.areas;
      this.reader = new LogReader(this.log, snapshot);
      this.ready = true;
      this.builtFrom = 'snapshot';
      await this.current();
      this.markReady();
      logger.info('cohort index restored', {
        people: this.index.people,
        snapshotOf: snapshot.savedAt,
        changesSince: last - snapshot.seen,
        seconds: (Date.now() - started) / 1000,
      });
      return;
    }
    this.index = new CohortIndex();
    this.areas = new AreaTree();
    // changes from here on are read from the log afterwards, and so are those of writes that may still
    // have been storing their current copies (another process's, logged just before `last`, may store
    // its copy after the collection below is read): one read twice is applied twice, harmlessly
    const seen = await this.log.loggedBefore(started - ABANDONED_WRITE_MS, last + 1, MAX_REREAD_ENTRIES);
    this.reader = new LogReader(this.log, { seen, holes: [] });
    for (const type of INDEXED_TYPES) {
      this.progress = { type, read: 0 };
      const cursor = this.database
        .collection<Kept<CurrentDocument>>(type)
        .find({}, { projection: { res: 1, del: 1 }, batchSize: 5000 });
      for await (const doc of cursor) {
        if (this.stopped) return;
        this.progress.read++;
        const resource = doc.del ? undefined : resourceOf(doc.res);
        if (!resource) continue;
        if (type === 'Organization') this.areas.upsert(doc._id, resource as Organization);
        else if (type === 'Patient') this.index.upsertPatient(doc._id, resource as Patient);
        else if (type === 'Immunization') {
          const patient = patientIdOf((resource as Immunization).patient.reference);
          if (patient) this.index.addVaccinationOf(patient, resource as Immunization);
        } else if (type === 'Appointment') {
          for (const patient of patientsOf(resource))
            this.index.addBookingOf(patient, resource as Appointment);
        } else if (type === 'Communication') {
          this.applyContact(resource as Communication);
        } else {
          for (const patient of patientsOf(resource)) await this.refresh('Consent', patient);
        }
      }
    }
    this.ready = true;
    this.builtFrom = 'database';
    await this.current();
    this.markReady();
    logger.info('cohort index built', {
      people: this.index.people,
      areas: this.areas.size,
      megabytes: Math.round(this.index.bytes / 1e5) / 10,
      seconds: (Date.now() - started) / 1000,
    });
    await this.saveSnapshot();
  }

  /** Stores the index as it is now, for the next start; one save at a time. */
  async saveSnapshot(): Promise<void> {
    this.saving ??= (async () => {
      const state = {
        index: this.index,
        areas: this.areas,
        ...this.reader.position,
      };
      this.changesSinceSnapshot = 0;
      this.snapshotAt = Date.now();
      await this.snapshots.save(state);
    })()
      .catch((error: unknown) => {
        logger.warn('cohort snapshot not saved', { error: String(error) });
      })
      .finally(() => {
        this.saving = undefined;
      });
    await this.saving;
  }

  /** Resolves once the index has been built (or restored) and has caught up with the change log. */
  whenReady(): Promise<void> {
    return this.readyAt;
  }

  private markReady!: () => void;
  private readonly readyAt = new Promise<void>((resolve) => (this.markReady = resolve));

  /** Waits until the index is built and has every change stored before this call. */
  async current(): Promise<void> {
    if (!this.ready) {
      const state = this.building
        ? `is being built (${this.progress.type}: ${this.progress.read} read)`
        : 'could not be built yet (the server log says why) and is tried again';
      throw new FhirError(
        [{ code: 'not-ready', diagnostics: `The cohort index ${state}; try again shortly` }],
        { 'Retry-After': '10' },
      );
    }
    // the log's entries of this process's own changes are skipped: their updates must be done first
    await Promise.all(this.applying);
    // one catch-up at a time; a caller arriving during one waits for the next, which sees its writes
    const previous = this.catchingUp ?? Promise.resolve();
    const next = previous.then(() => this.catchUp());
    // the chain goes on whether or not this catch-up failed; only its own caller hears of a failure
    const settled = next.catch(() => undefined);
    this.catchingUp = settled;
    void settled.then(() => {
      if (this.catchingUp === settled) this.catchingUp = undefined;
    });
    await next;
  }

  private async catchUp(): Promise<void> {
    // the index holds every change stored before this moment once the catch-up is through
    const asOf = Date.now();
    // what counts is each resource as it is now, and whose it was before the first of these changes
    const changed = new Map<string, Changed>();
    // contacts the log's entries tell of, taken once the people they are about are read
    const contacts: ContactFact[] = [];
    for (const entry of await this.reader.next()) {
      if (this.appliedHere.delete(entry.seq)) continue;
      if (!(INDEXED_TYPES as readonly string[]).includes(entry.type)) continue;
      if (entry.type === 'Communication' && entry.facts) {
        this.changesSinceSnapshot++;
        const contact = entry.facts.contact as ContactFact | undefined;
        if (contact) contacts.push(contact);
        continue;
      }
      const key = `${entry.type}/${entry.id}`;
      const known = changed.get(key);
      if (known) {
        known.firstVersion = Math.min(known.firstVersion, entry.v);
        if (entry.v > known.lastVersion) Object.assign(known, { lastVersion: entry.v, last: entry });
      } else
        changed.set(key, {
          type: entry.type,
          id: entry.id,
          firstVersion: entry.v,
          lastVersion: entry.v,
          last: entry,
        });
    }
    await this.reread([...changed.values()]);
    for (const { patients, programme, day } of contacts)
      for (const patient of patients) this.index.addContact(patient, programme, day);
    // numbers applied here that the log has passed will not come again
    for (const seq of this.appliedHere) if (this.reader.passed(seq)) this.appliedHere.delete(seq);
    this.caughtUpAt = asOf;
  }

  /**
   * Applies resources other processes changed, each read as it is now (and as it was, when whose it was
   * matters): a type's current copies in one lookup, then the history versions some need in another.
   */
  private async reread(changes: Changed[]): Promise<void> {
    for (const [type, ofType] of groupBy(changes, (change) => change.type)) {
      const whose = type === 'Immunization' || type === 'Consent' || type === 'Appointment';
      const currents = new Map(
        (
          await findByIds(
            this.database.collection<Kept<CurrentDocument>>(type),
            ofType.map((change) => change.id),
            { projection: { res: 1, del: 1, v: 1 } },
          )
        ).map((doc) => [doc._id, doc]),
      );
      const isCurrent = ({ id, lastVersion }: Changed) => (currents.get(id)?.v ?? 0) >= lastVersion;
      const before = ({ id, firstVersion }: Changed) =>
        whose && firstVersion > 1 ? versionKey(id, firstVersion - 1) : undefined;
      // the log entry is written before the current copy: a copy not there yet is read from history
      const wanted = ofType.flatMap((change) => [
        ...(isCurrent(change) ? [] : [versionKey(change.id, change.lastVersion)]),
        ...(before(change) ? [before(change)!] : []),
      ]);
      const versions = new Map(
        (await findByIds(this.database.collection<Kept<CurrentDocument>>(`${type}_history`), wanted)).map(
          (doc) => [doc._id, doc],
        ),
      );
      const events = ofType.flatMap((change): ChangeEvent[] => {
        const current = currents.get(change.id);
        const version = isCurrent(change) ? current : versions.get(versionKey(change.id, change.lastVersion));
        if (!version && this.reader.awaitVersion(change.last)) return [];
        const now = version ?? current;
        const resource = now && !now.del ? resourceOf(now.res) : undefined;
        const previous = resourceOf(versions.get(before(change) ?? '')?.res);
        return [
          { type, id: change.id, ...(resource ? { resource } : {}), ...(previous ? { previous } : {}) },
        ];
      });
      for (let start = 0; start < events.length; start += PARALLEL_APPLIES)
        await Promise.all(events.slice(start, start + PARALLEL_APPLIES).map((event) => this.apply(event)));
    }
  }

  private async apply(event: ChangeEvent): Promise<void> {
    this.changesSinceSnapshot++;
    const { type, id, resource, previous } = event;
    if (type === 'Organization') {
      if (resource) this.areas.upsert(id, resource as Organization);
      else this.areas.remove(id);
    } else if (type === 'Patient') {
      if (resource) this.index.upsertPatient(id, resource as Patient);
      else this.index.removePatient(id);
    } else if (type === 'Immunization') {
      const immunization = resource as Immunization | undefined;
      // a change the index does not see (a batch number, a note) is nothing to recount
      if (
        immunization &&
        previous &&
        vaccinationFacts(immunization) === vaccinationFacts(previous as Immunization)
      )
        return;
      // a new seasonal vaccination only raises a latest date; anything else is recounted from the person's
      // records, so a change seen twice is never counted twice
      const simple =
        immunization && !previous && programmesOf(immunization).every((p) => p.doses === undefined);
      const patient = patientIdOf(immunization?.patient.reference);
      if (simple && patient) this.index.addVaccinationOf(patient, immunization);
      else
        for (const p of new Set([...patientsOf(resource), ...patientsOf(previous)]))
          await this.refresh('Immunization', p);
    } else if (type === 'Consent' || type === 'Appointment') {
      for (const p of new Set([...patientsOf(resource), ...patientsOf(previous)]))
        await this.refresh(type, p);
    } else if (type === 'Communication' && resource) {
      // a contact is a fact once it happened: a later change to the record does not take it back
      this.applyContact(resource as Communication);
    }
  }

  private applyContact(communication: Communication): void {
    const contact = contactOf(communication);
    if (contact)
      for (const patient of patientsOf(communication))
        this.index.addContact(patient, contact.programme, contact.day);
  }

  /**
   * Reads a person's records of a type again, one read at a time: changes that come while one runs share
   * the one read after it (it starts after them), so a burst of changes to a person with many records
   * does not become a burst of reads that holds every database connection.
   */
  private refresh(type: RefreshedType, patientId: string): Promise<void> {
    const key = `${type}/${patientId}`;
    const busy = this.refreshing.get(key);
    if (busy) return (busy.again ??= busy.settled.then(() => this.refresh(type, patientId)));
    const done = this.readRecords(type, patientId).finally(() => this.refreshing.delete(key));
    this.refreshing.set(key, { settled: done.catch(() => undefined) });
    return done;
  }

  private async readRecords(type: RefreshedType, patientId: string): Promise<void> {
    const resources = await this.resourcesOf(type, patientId);
    if (type === 'Immunization') this.index.setVaccinations(patientId, resources as Immunization[]);
    else if (type === 'Appointment') this.index.setBookings(patientId, resources as Appointment[]);
    else this.index.setOptedOut(patientId, optedOutOfCovidInvitations(resources as Consent[]));
  }

  /** The staff override that sets people's invitation preferences aside for a programme now, if any. */
  preferencesSetAside(programme: ProgrammeCode | undefined, at: Date): Promise<Task | undefined> {
    return programme && this.overrides ? this.overrides.inForce(programme, at) : Promise.resolve(undefined);
  }
}
