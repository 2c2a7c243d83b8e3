import type { Appointment, Communication, Immunization, Patient } from 'fhir/r4';
import { CODE_SYSTEMS, EXTENSIONS } from '../resources/extensions.js';
import {
  attributesOf,
  CLINICAL_RISK_GROUPS,
  PRIORITY_GROUPS,
  type ClinicalRiskGroup,
  type PriorityGroup,
} from '../register/attributes.js';
import { doseOf, type Dose, type LifeDates } from '../resolution/anomalies.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { DoseLists } from './doses.js';
import {
  dayNumber,
  programme as programmeByCode,
  PROGRAMMES,
  programmesOf,
  programmesRefusedBy,
  seasonStartDay,
  type Programme,
  type ProgrammeCode,
} from './programmes.js';

/** Ethnic category codes (NHS Data Dictionary), each stored as its position here; 0 is none recorded. */
export const ETHNIC_CODES = ['', ...'ABCDEFGHJKLMNPRSZ', '99'];
const SEXES = ['unknown', 'male', 'female', 'other'] as const;
export type Sex = (typeof SEXES)[number];

const PRESENT = 1;
const DECEASED = 2;
const LEFT = 4;
/** Said no to central COVID-19 invitations. */
const OPTED_OUT = 8;
/** Has attributes with a period, kept apart (so a count looks them up only for these people). */
const DATED = 16;
/** Programmes with a dose schedule, and programmes people book: each has its own extra columns. */
const SCHEDULED = PROGRAMMES.filter((p) => p.schedule);
const BOOKABLE = PROGRAMMES.filter((p) => p.bookable);
/** Rows are added in steps of this many. */
const GROWTH = 1 << 16;
const NO_DATE = 0x7fffffff;

export interface CohortCriteria {
  /** Seasonal programmes leave out people vaccinated this season, MMR those with every dose. */
  programme?: ProgrammeCode;
  /** Ages as of `ageOn`, inclusive, in whole months (years are 12 months). */
  ageFromMonths?: number;
  ageToMonths?: number;
  ageOn: Date;
  sex?: Sex[];
  ethnicCategory?: string[];
  /** People in any of these priority groups (on the count's date). */
  priorityGroups?: PriorityGroup[];
  /** People in any of these clinical risk groups (on the count's date). */
  clinicalRiskGroups?: ClinicalRiskGroup[];
  /** Who lives or is registered in these areas: GP practice ODS codes or postcode districts. */
  area?: { practices: string[]; districts: string[] };
  includeVaccinated?: boolean;
  /** People who said no to central COVID-19 invitations; counted anyway for other programmes. */
  includeOptedOut?: boolean;
  includeDeceased?: boolean;
  includeLeft?: boolean;
  /** Lifelong programmes: only people due a dose on `ageOn` by the schedule who have not refused it. */
  dueOnly?: boolean;
  /** Only people registered with a GP practice. */
  registeredOnly?: boolean;
  /** Leave out people the programme contacted (a message a provider accepted) on or after this day. */
  contactedSince?: number;
}

/**
 * A person counted for uptake, as numbers (one object, reused from person to person): what breakdowns
 * need, and when they became vaccinated, if they did.
 */
export interface UptakePerson {
  /** Day number of birth (NO_BIRTH_DAY when unknown). */
  birthDay: number;
  /** Position in SEXES, ETHNIC_CODES and the index's practice codes (0: none recorded). */
  sex: number;
  ethnic: number;
  practice: number;
  /** The priority groups they are in on the day, as bits in PRIORITY_GROUPS order. */
  groups: number;
  /** The day they became vaccinated (the season's first dose, or MMR the schedule's last); -1: not. */
  vaccinatedDay: number;
}

/** The birth day of someone whose date of birth is not known. */
export const NO_BIRTH_DAY = NO_DATE;
export { SEXES };

export type SkipReason =
  | 'not-registered'
  | 'deceased'
  | 'left'
  | 'vaccinated'
  | 'opted-out'
  | 'booked'
  | 'refused'
  | 'not-due';

/** Appointment statuses that hold a place (the others were never booked, or are no longer). */
const BOOKED_STATUSES = new Set<Appointment['status']>([
  'booked',
  'pending',
  'arrived',
  'checked-in',
  'fulfilled',
]);

/** Whose an Appointment is, and for which programme it holds a place on which day (undefined: none). */
export function bookingOf(appointment: Appointment): { programme: ProgrammeCode; day: number } | undefined {
  if (!BOOKED_STATUSES.has(appointment.status)) return undefined;
  const code = (appointment.serviceType ?? [])
    .flatMap((t) => t.coding ?? [])
    .find((c) => c.system === CODE_SYSTEMS.programme)?.code;
  const programme = PROGRAMMES.find((p) => p.code === code && p.bookable);
  const day = dayNumber(appointment.start);
  return programme && day !== undefined ? { programme: programme.code, day } : undefined;
}

/** The programme a Communication was about and the day it reached its provider, if it did. */
export function contactOf(
  communication: Communication,
): { programme: ProgrammeCode; day: number } | undefined {
  if (communication.status !== 'in-progress' && communication.status !== 'completed') return undefined;
  const code = (communication.category ?? [])
    .flatMap((c) => c.coding ?? [])
    .find((c) => c.system === CODE_SYSTEMS.programme)?.code;
  const programme = PROGRAMMES.find((p) => p.code === code);
  const day = dayNumber(communication.sent);
  return programme && day !== undefined ? { programme: programme.code, day } : undefined;
}

export interface CohortCount {
  total: number;
  /** Count per GP practice ODS code ('' for people with none), only practices with someone counted. */
  byPractice: Map<string, number>;
}

/** The postcode district (outward code) of a UK postcode, upper case; '' when there is none. */
export function postcodeDistrict(postalCode: string | undefined): string {
  const compact = (postalCode ?? '').toUpperCase().replace(/\s+/g, '');
  return /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/.test(compact) ? compact.slice(0, -3) : '';
}

/** The day number `months` before `date`, on the same day of the month (or that month's last day). */
function monthsBefore(date: Date, months: number): number {
  const total = date.getUTCFullYear() * 12 + date.getUTCMonth() - months;
  const y = Math.floor(total / 12);
  const m = total - y * 12;
  const d = Math.min(date.getUTCDate(), new Date(Date.UTC(y, m + 1, 0)).getUTCDate());
  return Math.floor(Date.UTC(y, m, d) / 86_400_000);
}

/** A dated attribute, kept apart from the bit columns: its group's bit, its risk group's bit, its days. */
interface DatedAttribute {
  group: number;
  risk: number;
  from: number;
  until: number;
}

const bitsOf = <T extends string>(all: readonly T[], chosen: T[] | undefined): number =>
  (chosen ?? []).reduce((bits, code) => bits | (1 << all.indexOf(code)), 0);

type Column = Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer>;

/** A copy of a column with room for `capacity` rows. */
function widened<T extends Column>(old: T, capacity: number): T {
  const next = new (old.constructor as new (n: number) => T)(capacity);
  next.set(old.subarray(0, Math.min(old.length, capacity)));
  return next;
}

/** Changes whenever the columns or their meaning change: an older snapshot is then not used. */
const SNAPSHOT_VERSION = 4;

/** What a snapshot says besides its columns. */
export interface IndexMeta {
  version: number;
  size: number;
  practices: string[];
  districts: string[];
  /** Rows whose Patient id is not a UUID, with the id. */
  others: [number, string][];
  dated: [number, DatedAttribute[]][];
  /** Bytes of the dose lists, between the columns and the ids. */
  doseBytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A numbering of strings (practice codes, postcode districts) for a narrow column; 0 is ''. */
class Codes {
  readonly list: string[] = [''];
  private readonly numbers = new Map<string, number>([['', 0]]);

  constructor(private readonly max: number) {}

  number(code: string): number {
    let n = this.numbers.get(code);
    if (n === undefined) {
      n = this.list.length;
      if (n > this.max) throw new Error(`more than ${this.max} codes in a cohort index column`);
      this.list.push(code);
      this.numbers.set(code, n);
    }
    return n;
  }

  has(code: string): boolean {
    return this.numbers.has(code);
  }

  /** A 0/1 table over the numbers: 1 for the codes given, or for all when none are. */
  mask(codes: string[] | undefined): Uint8Array {
    const mask = new Uint8Array(this.list.length).fill(codes ? 0 : 1);
    for (const code of codes ?? []) {
      const n = this.numbers.get(code);
      if (n !== undefined) mask[n] = 1;
    }
    return mask;
  }
}

/**
 * Patient ids of the rows: server-made UUIDs packed in 16 bytes each, any other id kept as text, and an
 * open-addressing table from id to row (hashes only; the row's id confirms a match).
 */
class RowIds {
  private packed = new Uint8Array(GROWTH * 16);
  private readonly others = new Map<number, string>();
  private slots = new Int32Array(1 << 17);
  private used = 0;

  private static hash(id: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return h >>> 0;
  }

  idOf(row: number): string {
    const other = this.others.get(row);
    if (other !== undefined) return other;
    const hex = Buffer.from(this.packed.buffer, row * 16, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  private slotOf(id: string): number {
    const mask = this.slots.length - 1;
    let i = RowIds.hash(id) & mask;
    for (;;) {
      const entry = this.slots[i]!;
      if (entry === 0 || this.idOf(entry - 1) === id) return i;
      i = (i + 1) & mask;
    }
  }

  get(id: string): number | undefined {
    const entry = this.slots[this.slotOf(id)]!;
    return entry === 0 ? undefined : entry - 1;
  }

  add(id: string, row: number, capacity: number): void {
    if (this.packed.length < capacity * 16) {
      const wider = new Uint8Array(capacity * 16);
      wider.set(this.packed);
      this.packed = wider;
    }
    if (UUID.test(id)) this.packed.set(Buffer.from(id.replaceAll('-', ''), 'hex'), row * 16);
    else this.others.set(row, id);
    if ((this.used + 1) * 2 > this.slots.length) this.rehash();
    this.slots[this.slotOf(id)] = row + 1;
    this.used++;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (const entry of old) if (entry !== 0) this.slots[this.slotOf(this.idOf(entry - 1))] = entry;
  }

  get bytes(): number {
    return this.packed.byteLength + this.slots.byteLength;
  }

  nonUuid(): [number, string][] {
    return [...this.others];
  }

  packedBytes(rows: number): Buffer {
    return Buffer.from(this.packed.buffer, 0, rows * 16);
  }

  /** Takes the ids of a snapshot and hashes them again. */
  restore(packed: Uint8Array, rows: number, capacity: number, others: [number, string][]): void {
    this.packed = new Uint8Array(capacity * 16);
    this.packed.set(packed.subarray(0, rows * 16));
    for (const [row, id] of others) this.others.set(row, id);
    let slots = 1 << 17;
    while (slots < rows * 2) slots *= 2;
    this.slots = new Int32Array(slots);
    for (let row = 0; row < rows; row++) this.slots[this.slotOf(this.idOf(row))] = row + 1;
    this.used = rows;
  }
}

/**
 * The population as columns in typed arrays, one row per Patient resource, so a count over tens of
 * millions of people is one pass over a few bytes each. Rows are never reused: a deleted Patient keeps a
 * row without the PRESENT flag.
 */
export class CohortIndex {
  private size = 0;
  private birthDay = new Int32Array(GROWTH);
  /** The day of death when the register gives it, 0 when not (deaths before 1970 are kept as its 2 January). */
  private deathDay = new Uint16Array(GROWTH);
  private sex = new Uint8Array(GROWTH);
  private ethnic = new Uint8Array(GROWTH);
  private practice = new Uint16Array(GROWTH);
  private district = new Uint16Array(GROWTH);
  private status = new Uint8Array(GROWTH);
  /** Priority groups and clinical risk groups held without an end (bits by position in their lists). */
  private priority = new Uint16Array(GROWTH);
  private risk = new Uint16Array(GROWTH);
  /** Attributes with a period (pregnancies, mostly): fewer people have them, so they are not columns. */
  private readonly dated = new Map<number, DatedAttribute[]>();
  /** Per programme: seasonal, the day of the latest vaccination; lifelong, the doses given. */
  private vaccinations = PROGRAMMES.map(() => new Uint16Array(GROWTH));
  /** Per programme with a schedule: the day of the latest dose, and of the latest refusal (0: none). */
  private lastDose = SCHEDULED.map(() => new Uint16Array(GROWTH));
  private refused = SCHEDULED.map(() => new Uint16Array(GROWTH));
  /** Per programme: the day of the latest message about it a provider accepted. */
  private contacted = PROGRAMMES.map(() => new Uint16Array(GROWTH));
  /** Per programme people book: the day of their latest appointment for it. */
  private booked = BOOKABLE.map(() => new Uint16Array(GROWTH));
  /** Every vaccination given, as the anomaly rules need it. */
  private doses = new DoseLists();
  private readonly ids = new RowIds();
  readonly practices = new Codes(0xffff);
  readonly districts = new Codes(0xffff);

  get people(): number {
    return this.size;
  }

  /** The columns, in the one order that growing, counting bytes and snapshots share. */
  private get columns(): Column[] {
    return [
      this.birthDay,
      this.deathDay,
      this.sex,
      this.ethnic,
      this.practice,
      this.district,
      this.status,
      this.priority,
      this.risk,
      ...this.vaccinations,
      ...this.lastDose,
      ...this.refused,
      ...this.contacted,
      ...this.booked,
    ];
  }

  private set columns(columns: Column[]) {
    const [birthDay, deathDay, sex, ethnic, practice, district, status, priority, risk, ...perProgramme] =
      columns;
    this.birthDay = birthDay as Int32Array<ArrayBuffer>;
    this.deathDay = deathDay as Uint16Array<ArrayBuffer>;
    this.sex = sex as Uint8Array<ArrayBuffer>;
    this.ethnic = ethnic as Uint8Array<ArrayBuffer>;
    this.practice = practice as Uint16Array<ArrayBuffer>;
    this.district = district as Uint16Array<ArrayBuffer>;
    this.status = status as Uint8Array<ArrayBuffer>;
    this.priority = priority as Uint16Array<ArrayBuffer>;
    this.risk = risk as Uint16Array<ArrayBuffer>;
    const rest = perProgramme as Uint16Array<ArrayBuffer>[];
    const take = (n: number) => rest.splice(0, n);
    this.vaccinations = take(PROGRAMMES.length);
    this.lastDose = take(SCHEDULED.length);
    this.refused = take(SCHEDULED.length);
    this.contacted = take(PROGRAMMES.length);
    this.booked = take(BOOKABLE.length);
  }

  /** Bytes held by the columns and the id table. */
  get bytes(): number {
    // a dated attribute is a small object in a map entry: about 100 bytes, as V8 lays them out
    const dated = [...this.dated.values()].reduce((sum, list) => sum + 60 + 40 * list.length, 0);
    return this.columns.reduce((sum, c) => sum + c.byteLength, 0) + this.ids.bytes + dated + this.doses.bytes;
  }

  private grow(): void {
    this.columns = this.columns.map((old) => widened(old, old.length + GROWTH));
  }

  /**
   * The whole index as bytes, so that a server can start from it instead of reading every person: a
   * description (code lists, ids that are not UUIDs, dated attributes) and the columns' used parts.
   */
  snapshot(): { meta: IndexMeta; data: Buffer } {
    const columns = this.columns.map((c) => Buffer.from(c.buffer, 0, this.size * c.BYTES_PER_ELEMENT));
    const doses = this.doses.snapshot(this.size);
    const meta: IndexMeta = {
      version: SNAPSHOT_VERSION,
      size: this.size,
      practices: this.practices.list,
      districts: this.districts.list,
      others: this.ids.nonUuid(),
      dated: [...this.dated],
      doseBytes: doses.length,
    };
    return { meta, data: Buffer.concat([...columns, doses, this.ids.packedBytes(this.size)]) };
  }

  /** An index from a snapshot; undefined when it was made by another version of this code. */
  static restore(meta: IndexMeta, data: Buffer): CohortIndex | undefined {
    const index = new CohortIndex();
    if (meta.version !== SNAPSHOT_VERSION) return undefined;
    const capacity = Math.ceil(Math.max(meta.size, 1) / GROWTH) * GROWTH;
    let offset = 0;
    index.columns = index.columns.map((empty) => {
      const bytes = meta.size * empty.BYTES_PER_ELEMENT;
      const column = widened(empty, capacity);
      // copied out of the buffer, so each column starts aligned
      new Uint8Array(column.buffer).set(data.subarray(offset, offset + bytes));
      offset += bytes;
      return column;
    });
    index.size = meta.size;
    index.doses = DoseLists.restore(data.subarray(offset, offset + meta.doseBytes), meta.size);
    offset += meta.doseBytes;
    index.ids.restore(data.subarray(offset), meta.size, capacity, meta.others);
    meta.practices.forEach((code) => index.practices.number(code));
    meta.districts.forEach((code) => index.districts.number(code));
    for (const [row, attributes] of meta.dated) index.dated.set(row, attributes);
    return index;
  }

  private rowOf(id: string, create: boolean): number | undefined {
    let row = this.ids.get(id);
    if (row === undefined && create) {
      if (this.size === this.birthDay.length) this.grow();
      row = this.size++;
      this.ids.add(id, row, this.birthDay.length);
    }
    return row;
  }

  /** Adds or replaces a person's row from their current Patient resource. */
  upsertPatient(id: string, patient: Patient): void {
    const row = this.rowOf(id, true)!;
    this.birthDay[row] = dayNumber(patient.birthDate) ?? NO_DATE;
    const died = dayNumber(patient.deceasedDateTime);
    this.deathDay[row] = died === undefined ? 0 : Math.min(0xffff, Math.max(1, died));
    this.sex[row] = Math.max(0, SEXES.indexOf(patient.gender ?? 'unknown'));
    const ethnicCode = patient.extension?.find((e) => e.url === EXTENSIONS.ethnicCategory)
      ?.valueCodeableConcept?.coding?.[0]?.code;
    this.ethnic[row] = Math.max(0, ETHNIC_CODES.indexOf(ethnicCode ?? ''));
    const practiceCode =
      patient.generalPractitioner?.find((g) => g.identifier?.system === ODS_CODE_SYSTEM)?.identifier?.value ??
      '';
    this.practice[row] = this.practices.number(practiceCode);
    const home = patient.address?.find((a) => a.use === 'home') ?? patient.address?.[0];
    this.district[row] = this.districts.number(postcodeDistrict(home?.postalCode));
    const dated = this.setAttributes(row, patient);
    const deceased = patient.deceasedBoolean === true || patient.deceasedDateTime !== undefined;
    this.status[row] =
      PRESENT |
      (deceased ? DECEASED : 0) |
      (patient.active === false ? LEFT : 0) |
      (dated ? DATED : 0) |
      (this.status[row]! & OPTED_OUT);
  }

  /** Sets a person's priority and risk group bits and dated attributes; answers whether any are dated. */
  private setAttributes(row: number, patient: Patient): boolean {
    let priority = 0;
    let risk = 0;
    const dated: DatedAttribute[] = [];
    for (const a of attributesOf(patient)) {
      const group = 1 << PRIORITY_GROUPS.indexOf(a.group);
      const riskBit = a.detail ? 1 << CLINICAL_RISK_GROUPS.indexOf(a.detail) : 0;
      if (a.start === undefined && a.end === undefined) {
        priority |= group;
        risk |= riskBit;
      } else
        dated.push({
          group,
          risk: riskBit,
          from: dayNumber(a.start) ?? -0x80000000,
          until: dayNumber(a.end) ?? 0x7fffffff,
        });
    }
    this.priority[row] = priority;
    this.risk[row] = risk;
    if (dated.length > 0) this.dated.set(row, dated);
    else this.dated.delete(row);
    return dated.length > 0;
  }

  /** Whether a person's dated attributes include one of these groups (or risk groups) on `day`. */
  private datedHolds(row: number, groups: number, risks: number, day: number): boolean {
    return (this.dated.get(row) ?? []).some(
      (a) => ((a.group & groups) !== 0 || (a.risk & risks) !== 0) && a.from <= day && day <= a.until,
    );
  }

  /** A person's birth and death days (when known); undefined for someone not on the register. */
  lifeDatesOf(patientId: string): LifeDates | undefined {
    const row = this.rowOf(patientId, false);
    if (row === undefined || (this.status[row]! & PRESENT) === 0) return undefined;
    return this.lifeDatesAt(row);
  }

  private lifeDatesAt(row: number): LifeDates {
    const birthDay = this.birthDay[row]!;
    const deathDay = this.deathDay[row]!;
    return {
      ...(birthDay !== NO_DATE ? { birthDay } : {}),
      ...(deathDay !== 0 ? { deathDay } : {}),
    };
  }

  /** Everyone on the register with a vaccination given: their id, birth and death, and their doses. */
  *vaccinatedPeople(): Generator<{ id: string; life: LifeDates; doses: Dose[] }> {
    for (let row = 0; row < this.size; row++) {
      if ((this.status[row]! & PRESENT) === 0 || !this.doses.has(row)) continue;
      yield { id: this.ids.idOf(row), life: this.lifeDatesAt(row), doses: this.doses.of(row) };
    }
  }

  /** Takes a person out of every count (their Patient was deleted). */
  removePatient(id: string): void {
    const row = this.rowOf(id, false);
    if (row !== undefined) this.status[row]! &= ~PRESENT;
  }

  /** Replaces what the index knows of a person's vaccinations (and refusals) by these (all of theirs). */
  setVaccinations(patientId: string, immunizations: Immunization[]): void {
    const row = this.rowOf(patientId, false);
    if (row === undefined) return;
    for (const column of [...this.vaccinations, ...this.lastDose, ...this.refused]) column[row] = 0;
    this.doses.clear(row);
    for (const immunization of immunizations) this.addVaccination(row, immunization);
  }

  /** Counts one more vaccination of a person (while the index is built). */
  addVaccinationOf(patientId: string, immunization: Immunization): void {
    const row = this.rowOf(patientId, false);
    if (row !== undefined) this.addVaccination(row, immunization);
  }

  /** Reads only what vaccinationFacts names. */
  private addVaccination(row: number, immunization: Immunization): void {
    const dose = doseOf(immunization);
    if (dose) this.doses.add(row, dose);
    const day = dayNumber(immunization.occurrenceDateTime);
    const later = (column: Uint16Array | undefined) => {
      if (column && day !== undefined && day > column[row]!) column[row] = day;
    };
    for (const p of programmesOf(immunization)) {
      const n = PROGRAMMES.indexOf(p);
      if (p.doses !== undefined)
        this.vaccinations[n]![row] = Math.min(0xffff, this.vaccinations[n]![row]! + 1);
      else later(this.vaccinations[n]);
      later(this.lastDose[SCHEDULED.indexOf(p)]);
    }
    for (const p of programmesRefusedBy(immunization)) later(this.refused[SCHEDULED.indexOf(p)]);
  }

  /** Records that a message about a programme reached its provider for a person on `day`. */
  addContact(patientId: string, programme: ProgrammeCode, day: number): void {
    const row = this.rowOf(patientId, false);
    const column = this.contacted[PROGRAMMES.indexOf(programmeByCode(programme))]!;
    if (row !== undefined && day > column[row]!) column[row] = day;
  }

  /** Replaces what the index knows of a person's bookings by these Appointments (all of theirs). */
  setBookings(patientId: string, appointments: Appointment[]): void {
    const row = this.rowOf(patientId, false);
    if (row === undefined) return;
    for (const column of this.booked) column[row] = 0;
    for (const appointment of appointments) this.addBooking(row, appointment);
  }

  /** Counts one more Appointment of a person (while the index is built). */
  addBookingOf(patientId: string, appointment: Appointment): void {
    const row = this.rowOf(patientId, false);
    if (row !== undefined) this.addBooking(row, appointment);
  }

  private addBooking(row: number, appointment: Appointment): void {
    const booking = bookingOf(appointment);
    if (!booking) return;
    const column = this.booked[BOOKABLE.indexOf(programmeByCode(booking.programme))]!;
    if (booking.day > column[row]!) column[row] = booking.day;
  }

  setOptedOut(patientId: string, optedOut: boolean): void {
    const row = this.rowOf(patientId, false);
    if (row !== undefined) this.status[row] = (this.status[row]! & ~OPTED_OUT) | (optedOut ? OPTED_OUT : 0);
  }

  /**
   * Calls `each` once for every person on the register (alive, not left) who meets any of the clauses on
   * `on`, with the day they became vaccinated in `programme` by then: a seasonal programme's first dose
   * since its season began, or the day of the last dose of a schedule.
   */
  eachEligible(
    clauses: Omit<CohortCriteria, 'ageOn'>[],
    programme: Programme,
    on: Date,
    each: (person: UptakePerson) => void,
  ): void {
    const chosen = new Uint8Array(this.size);
    for (const clause of clauses)
      this.scan({ ...clause, ageOn: on, includeOptedOut: true }, (row) => (chosen[row] = 1));
    const day = Math.floor(on.getTime() / 86_400_000);
    const from = programme.doses === undefined ? seasonStartDay(programme, on) : -0x80000000;
    const nth = programme.doses ?? 1;
    const which = PROGRAMMES.indexOf(programme);
    const allGroups = (1 << PRIORITY_GROUPS.length) - 1;
    const person: UptakePerson = {
      birthDay: 0,
      sex: 0,
      ethnic: 0,
      practice: 0,
      groups: 0,
      vaccinatedDay: -1,
    };
    for (let row = 0; row < this.size; row++) {
      if (chosen[row] === 0) continue;
      let groups = this.priority[row]!;
      if ((this.status[row]! & DATED) !== 0)
        for (let bit = 1; bit <= allGroups; bit <<= 1) if (this.datedHolds(row, bit, 0, day)) groups |= bit;
      person.birthDay = this.birthDay[row]!;
      person.sex = this.sex[row]!;
      person.ethnic = this.ethnic[row]!;
      person.practice = this.practice[row]!;
      person.groups = groups;
      person.vaccinatedDay = this.doses.nthDay(row, which, from, day, nth) ?? -1;
      each(person);
    }
  }

  /** Calls `each` with the row of every person who meets the criteria. */
  private scan(criteria: CohortCriteria, each: (row: number) => void): void {
    // born on or before `latest` and after `earliest` (day numbers); without an age bound, people with
    // no birth date count too
    const byAge = criteria.ageFromMonths !== undefined || criteria.ageToMonths !== undefined;
    const latest =
      criteria.ageFromMonths !== undefined
        ? monthsBefore(criteria.ageOn, criteria.ageFromMonths)
        : 0x7ffffffe;
    const earliest =
      criteria.ageToMonths !== undefined
        ? monthsBefore(criteria.ageOn, criteria.ageToMonths + 1)
        : -0x80000000;
    const sexes = new Uint8Array(SEXES.length).fill(criteria.sex ? 0 : 1);
    for (const s of criteria.sex ?? []) sexes[SEXES.indexOf(s)] = 1;
    const ethnicities = new Uint8Array(ETHNIC_CODES.length).fill(criteria.ethnicCategory ? 0 : 1);
    for (const code of criteria.ethnicCategory ?? []) {
      const n = ETHNIC_CODES.indexOf(code);
      if (n >= 0) ethnicities[n] = 1;
    }
    const practices = this.practices.mask(criteria.area?.practices);
    // without areas every practice passes, so the district mask is never consulted
    const districts = this.districts.mask(criteria.area?.districts ?? []);
    const programme = PROGRAMMES.find((p) => p.code === criteria.programme);
    const notDue = criteria.dueOnly && programme ? this.scheduleTest(programme, criteria.ageOn) : undefined;
    const done = notDue ? (i: number) => notDue(i) !== undefined : this.vaccinatedTest(programme, criteria);
    const contacted =
      programme && criteria.contactedSince !== undefined
        ? this.contacted[PROGRAMMES.indexOf(programme)]!
        : undefined;
    const since = criteria.contactedSince ?? 0;
    const registeredOnly = criteria.registeredOnly === true;
    const excluded =
      (criteria.includeDeceased ? 0 : DECEASED) |
      (criteria.includeLeft ? 0 : LEFT) |
      (programme?.code === 'covid-19' && !criteria.includeOptedOut ? OPTED_OUT : 0);
    const groups = bitsOf(PRIORITY_GROUPS, criteria.priorityGroups);
    const risks = bitsOf(CLINICAL_RISK_GROUPS, criteria.clinicalRiskGroups);
    const byGroup = criteria.priorityGroups !== undefined;
    const byRisk = criteria.clinicalRiskGroups !== undefined;
    const day = Math.floor(criteria.ageOn.getTime() / 86_400_000);
    const { birthDay, sex, ethnic, practice, district, status, priority, risk } = this;
    for (let i = 0; i < this.size; i++) {
      const flags = status[i]!;
      if ((flags & PRESENT) === 0 || (flags & excluded) !== 0) continue;
      const born = birthDay[i]!;
      if (byAge && (born > latest || born <= earliest)) continue;
      if (sexes[sex[i]!] === 0 || ethnicities[ethnic[i]!] === 0) continue;
      // with areas, a person counts when their practice or their postcode district is one of them
      if (practices[practice[i]!] === 0 && districts[district[i]!] === 0) continue;
      if (registeredOnly && practice[i] === 0) continue;
      const dated = (flags & DATED) !== 0;
      if (byGroup && (priority[i]! & groups) === 0 && !(dated && this.datedHolds(i, groups, 0, day)))
        continue;
      if (byRisk && (risk[i]! & risks) === 0 && !(dated && this.datedHolds(i, 0, risks, day))) continue;
      if (done && done(i)) continue;
      if (contacted && contacted[i]! >= since) continue;
      each(i);
    }
  }

  /** Whether row `i` is already vaccinated in the programme; undefined when that does not exclude anyone. */
  private vaccinatedTest(
    programme: Programme | undefined,
    criteria: CohortCriteria,
  ): ((i: number) => boolean) | undefined {
    if (!programme || criteria.includeVaccinated) return undefined;
    const column = this.vaccinations[PROGRAMMES.indexOf(programme)]!;
    if (programme.doses !== undefined) {
      const doses = programme.doses;
      return (i) => column[i]! >= doses;
    }
    const from = seasonStartDay(programme, criteria.ageOn);
    return (i) => column[i]! >= from;
  }

  /**
   * For a programme with a dose schedule: why row `i` is not due a dose on `on` (every dose given,
   * refused since the last dose, too young or too soon after the last), or undefined when a dose is due.
   */
  private scheduleTest(programme: Programme, on: Date): ((i: number) => SkipReason | undefined) | undefined {
    const { schedule } = programme;
    if (!schedule) return undefined;
    const n = SCHEDULED.indexOf(programme);
    const doses = this.vaccinations[PROGRAMMES.indexOf(programme)]!;
    const [lastDose, refused] = [this.lastDose[n]!, this.refused[n]!];
    const day = Math.floor(on.getTime() / 86_400_000);
    // born on or before this day to be old enough for each dose
    const bornBy = schedule.map((dose) => monthsBefore(on, dose.fromMonths));
    const { birthDay } = this;
    return (i) => {
      const given = doses[i]!;
      if (given >= schedule.length) return 'vaccinated';
      if (refused[i]! > lastDose[i]!) return 'refused';
      const next = schedule[given]!;
      if (birthDay[i]! > bornBy[given]!) return 'not-due';
      if (next.afterPreviousDays !== undefined && given > 0 && lastDose[i]! + next.afterPreviousDays > day)
        return 'not-due';
      return undefined;
    };
  }

  /**
   * Why a person should not be invited for a programme now, by the same rules as counts: no longer on
   * the register (or never), died, left, already vaccinated, (COVID-19) opted out; for a programme with a
   * schedule, refused or not due a dose yet; for one people book, booked this season.
   */
  reasonToSkip(
    patientId: string,
    code: ProgrammeCode,
    on: Date,
    /** False while a staff override sets preferences aside. */
    preferencesApply = true,
  ): SkipReason | undefined {
    const row = this.rowOf(patientId, false);
    const flags = row === undefined ? 0 : this.status[row]!;
    if ((flags & PRESENT) === 0) return 'not-registered';
    if (flags & DECEASED) return 'deceased';
    if (flags & LEFT) return 'left';
    const programme = programmeByCode(code);
    if (this.vaccinatedTest(programme, { ageOn: on })?.(row!)) return 'vaccinated';
    if (code === 'covid-19' && preferencesApply && flags & OPTED_OUT) return 'opted-out';
    const notDue = this.scheduleTest(programme, on)?.(row!);
    if (notDue) return notDue;
    const booked = this.booked[BOOKABLE.indexOf(programme)];
    if (booked && booked[row!]! >= seasonStartDay(programme, on)) return 'booked';
    return undefined;
  }

  /** Doses of a lifelong programme a person has had (seasonal: 0, or the day of the latest). */
  dosesOf(patientId: string, code: ProgrammeCode): number {
    const row = this.rowOf(patientId, false);
    return row === undefined ? 0 : this.vaccinations[PROGRAMMES.indexOf(programmeByCode(code))]![row]!;
  }

  /** The day a person was last contacted about a programme (0: never). */
  contactedOn(patientId: string, code: ProgrammeCode): number {
    const row = this.rowOf(patientId, false);
    return row === undefined ? 0 : this.contacted[PROGRAMMES.indexOf(programmeByCode(code))]![row]!;
  }

  count(criteria: CohortCriteria): CohortCount {
    const perPractice = new Int32Array(this.practices.list.length);
    const { practice } = this;
    let total = 0;
    this.scan(criteria, (i) => {
      perPractice[practice[i]!]!++;
      total++;
    });
    const byPractice = new Map<string, number>();
    perPractice.forEach((n, p) => {
      if (n > 0) byPractice.set(this.practices.list[p]!, n);
    });
    return { total, byPractice };
  }

  /**
   * Everyone who meets the criteria, as a list of rows (four bytes each, so a national cohort fits) and
   * a way to turn a slice of it into Patient ids.
   */
  select(criteria: CohortCriteria): { size: number; ids(from: number, to: number): string[] } {
    let rows = new Int32Array(GROWTH);
    let size = 0;
    this.scan(criteria, (i) => {
      if (size === rows.length) {
        const wider = new Int32Array(rows.length * 2);
        wider.set(rows);
        rows = wider;
      }
      rows[size++] = i;
    });
    return {
      size,
      ids: (from, to) => Array.from(rows.subarray(from, Math.min(to, size)), (i) => this.ids.idOf(i)),
    };
  }
}

/**
 * What the index takes from a vaccination record (see addVaccination), as one comparable text: a change
 * that leaves it the same (a batch number, a site, a note) needs no recount of the person.
 */
export function vaccinationFacts(immunization: Immunization): string {
  return JSON.stringify([
    immunization.patient.reference,
    doseOf(immunization) ?? null,
    dayNumber(immunization.occurrenceDateTime) ?? null,
    programmesOf(immunization).map((p) => p.code),
    programmesRefusedBy(immunization).map((p) => p.code),
  ]);
}
