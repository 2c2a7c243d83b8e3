import type { Patient } from 'fhir/r4';
import { EXTENSIONS } from '../resources/extensions.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';

/** Ethnic category codes (NHS Data Dictionary), each stored as its position here; 0 is none recorded. */
export const ETHNIC_CODES = ['', ...'ABCDEFGHJKLMNPRSZ', '99'];
const SEXES = ['unknown', 'male', 'female', 'other'] as const;
export type Sex = (typeof SEXES)[number];

const DECEASED = 1;
const LEFT = 2;
const PRESENT = 4;
const DAY_MS = 86_400_000;
/** Rows are added in steps of this many. */
const GROWTH = 1 << 16;

export interface CohortCriteria {
  /** Whole years, inclusive, as of `ageOn`. */
  ageFrom?: number;
  ageTo?: number;
  ageOn: Date;
  sex?: Sex[];
  ethnicCategory?: string[];
  /** GP practice ODS codes; absent means everywhere. */
  practices?: string[];
  includeDeceased?: boolean;
  includeLeft?: boolean;
}

export interface CohortCount {
  total: number;
  /** Count per GP practice ODS code ('' for people with none), only practices with someone counted. */
  byPractice: Map<string, number>;
}

/** The day number (days since 1970-01-01) of a FHIR date; undefined when it has no day. */
function dayOf(date: string | undefined): number | undefined {
  if (!date || !/^\d{4}-\d{2}-\d{2}/.test(date)) return undefined;
  return Math.floor(Date.parse(date.slice(0, 10)) / DAY_MS);
}

/** The date `years` before `date`, on the same day of the month (29 February falls to the 28th). */
function yearsBefore(date: Date, years: number): number {
  const y = date.getUTCFullYear() - years;
  const m = date.getUTCMonth();
  const d = Math.min(date.getUTCDate(), new Date(Date.UTC(y, m + 1, 0)).getUTCDate());
  return Math.floor(Date.UTC(y, m, d) / DAY_MS);
}

/**
 * Open addressing from NHS number to row: the numbers as float64 keys (ten digits are exact), rows as
 * int32, so a person costs bytes, not a JavaScript object.
 */
class NhsNumberTable {
  private keys = new Float64Array(1 << 16);
  private rows = new Int32Array(1 << 16);
  private used = 0;

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    // multiplicative hash of the low and high halves
    let i = (Math.imul(key >>> 0, 0x9e3779b1) ^ Math.imul(Math.floor(key / 4294967296), 0x85ebca6b)) & mask;
    while (this.keys[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  get(key: number): number | undefined {
    const i = this.slot(key);
    return this.keys[i] === key ? this.rows[i] : undefined;
  }

  set(key: number, row: number): void {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const i = this.slot(key);
    if (this.keys[i] === 0) this.used++;
    this.keys[i] = key;
    this.rows[i] = row;
  }

  private grow(): void {
    const { keys, rows } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.rows = new Int32Array(keys.length * 2);
    this.used = 0;
    keys.forEach((key, i) => {
      if (key !== 0) this.set(key, rows[i]!);
    });
  }

  get bytes(): number {
    return this.keys.byteLength + this.rows.byteLength;
  }
}

/**
 * The population as columns in typed arrays, one row a person (keyed by NHS number), so a count over
 * tens of millions of people is one pass over a few bytes each. Rows are never reused: a person removed
 * from the register keeps a row without the PRESENT flag.
 */
export class CohortIndex {
  private size = 0;
  private birthDay = new Int32Array(GROWTH);
  private sex = new Uint8Array(GROWTH);
  private ethnic = new Uint8Array(GROWTH);
  private practice = new Uint16Array(GROWTH);
  private status = new Uint8Array(GROWTH);
  private readonly rows = new NhsNumberTable();
  /** Practice ODS codes by their number in the `practice` column; 0 is no practice. */
  private readonly practiceCodes: string[] = [''];
  private readonly practiceNumbers = new Map<string, number>([['', 0]]);

  get people(): number {
    return this.size;
  }

  /** Bytes held by the columns and the NHS number table. */
  get bytes(): number {
    return (
      this.birthDay.byteLength +
      this.sex.byteLength +
      this.ethnic.byteLength +
      this.practice.byteLength +
      this.status.byteLength +
      this.rows.bytes
    );
  }

  private grow(): void {
    const capacity = this.birthDay.length + GROWTH;
    const widen = <T extends Int32Array | Uint8Array | Uint16Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.birthDay = widen(this.birthDay, (n) => new Int32Array(n));
    this.sex = widen(this.sex, (n) => new Uint8Array(n));
    this.ethnic = widen(this.ethnic, (n) => new Uint8Array(n));
    this.practice = widen(this.practice, (n) => new Uint16Array(n));
    this.status = widen(this.status, (n) => new Uint8Array(n));
  }

  private practiceNumber(code: string): number {
    let n = this.practiceNumbers.get(code);
    if (n === undefined) {
      n = this.practiceCodes.length;
      if (n > 0xffff) throw new Error('more GP practices than the cohort index can number');
      this.practiceCodes.push(code);
      this.practiceNumbers.set(code, n);
    }
    return n;
  }

  /** Adds or replaces a person's row from their current Patient resource (no NHS number: not indexed). */
  upsert(patient: Patient): void {
    const nhsNumber = patient.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value;
    if (!nhsNumber || !/^\d{10}$/.test(nhsNumber)) return;
    const key = Number(nhsNumber) + 1; // 0 marks an empty slot
    let row = this.rows.get(key);
    if (row === undefined) {
      if (this.size === this.birthDay.length) this.grow();
      row = this.size++;
      this.rows.set(key, row);
    }
    this.birthDay[row] = dayOf(patient.birthDate) ?? 0x7fffffff;
    this.sex[row] = Math.max(0, SEXES.indexOf(patient.gender ?? 'unknown'));
    const ethnicCode = patient.extension?.find((e) => e.url === EXTENSIONS.ethnicCategory)
      ?.valueCodeableConcept?.coding?.[0]?.code;
    this.ethnic[row] = Math.max(0, ETHNIC_CODES.indexOf(ethnicCode ?? ''));
    const practiceCode =
      patient.generalPractitioner?.find((g) => g.identifier?.system === ODS_CODE_SYSTEM)?.identifier?.value ??
      '';
    this.practice[row] = this.practiceNumber(practiceCode);
    const deceased = patient.deceasedBoolean === true || patient.deceasedDateTime !== undefined;
    this.status[row] = PRESENT | (deceased ? DECEASED : 0) | (patient.active === false ? LEFT : 0);
  }

  /** Takes a person out of every count (their resource was deleted). */
  remove(nhsNumber: string): void {
    const row = this.rows.get(Number(nhsNumber) + 1);
    if (row !== undefined) this.status[row] = 0;
  }

  count(criteria: CohortCriteria): CohortCount {
    // born on or before `latest` and after `earliest` (day numbers), so whole-year ages fall in range;
    // without an age bound people with no birth date count too
    const byAge = criteria.ageFrom !== undefined || criteria.ageTo !== undefined;
    const latest =
      criteria.ageFrom !== undefined ? yearsBefore(criteria.ageOn, criteria.ageFrom) : 0x7ffffffe;
    const earliest =
      criteria.ageTo !== undefined ? yearsBefore(criteria.ageOn, criteria.ageTo + 1) : -0x80000000;
    const sexes = new Uint8Array(SEXES.length).fill(criteria.sex ? 0 : 1);
    for (const s of criteria.sex ?? []) sexes[SEXES.indexOf(s)] = 1;
    const ethnicities = new Uint8Array(ETHNIC_CODES.length).fill(criteria.ethnicCategory ? 0 : 1);
    for (const code of criteria.ethnicCategory ?? []) {
      const n = ETHNIC_CODES.indexOf(code);
      if (n > 0) ethnicities[n] = 1;
    }
    const practices = new Uint8Array(this.practiceCodes.length).fill(criteria.practices ? 0 : 1);
    for (const code of criteria.practices ?? []) {
      const n = this.practiceNumbers.get(code);
      if (n !== undefined) practices[n] = 1;
    }
    // a person must be present; deceased and left people only when asked for
    const excluded = (criteria.includeDeceased ? 0 : DECEASED) | (criteria.includeLeft ? 0 : LEFT);
    const perPractice = new Int32Array(this.practiceCodes.length);
    const { birthDay, sex, ethnic, practice, status } = this;
    let total = 0;
    for (let i = 0; i < this.size; i++) {
      const flags = status[i]!;
      if ((flags & PRESENT) === 0 || (flags & excluded) !== 0) continue;
      const born = birthDay[i]!;
      if (byAge && (born > latest || born <= earliest)) continue;
      if (sexes[sex[i]!] === 0 || ethnicities[ethnic[i]!] === 0) continue;
      const p = practice[i]!;
      if (practices[p] === 0) continue;
      perPractice[p]!++;
      total++;
    }
    const byPractice = new Map<string, number>();
    perPractice.forEach((n, p) => {
      if (n > 0) byPractice.set(this.practiceCodes[p]!, n);
    });
    return { total, byPractice };
  }
}
