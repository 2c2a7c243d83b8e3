import type { Patient } from 'fhir/r4';
import { CODE_SYSTEMS, EXTENSIONS } from '../resources/extensions.js';
import { NHS_NUMBER_SYSTEM, withCheckDigit } from '../shared/nhs-number.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { REGIONS } from './geography.js';

/** A small seeded generator (mulberry32): the same seed always gives the same sequence. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks a key with probability proportional to its weight. */
function weighted<T extends string>(rnd: () => number, weights: Record<T, number>): T {
  const entries = Object.entries(weights) as [T, number][];
  let left = rnd() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [key, weight] of entries) {
    left -= weight;
    if (left < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

/** Letters of the inward part of a postcode. */
const INWARD_LETTERS = [...'ABDEFGHJLNPQRSTUWXYZ'];

export interface LocalAuthority {
  code: string;
  name: string;
  icb: string;
  region: string;
  postcodeDistricts: string[];
}

export interface Practice {
  code: string;
  name: string;
  localAuthority: string;
  icb: string;
  region: string;
  postcodeDistrict: string;
}

export interface Geography {
  localAuthorities: LocalAuthority[];
  practices: Practice[];
}

/** People per GP practice on average (about 58 million in these ICBs, with about 6,300 practices). */
const LIST_SIZE = 9_200;
/** People per local authority on average, for how many each ICB gets. */
const LA_SIZE = 200_000;
/** The first letter of practice codes in each region, as ODS practice codes begin with a letter. */
const PRACTICE_LETTER: Record<string, string> = {
  Y63: 'B',
  Y62: 'P',
  Y60: 'M',
  Y61: 'D',
  Y56: 'E',
  Y59: 'H',
  Y58: 'L',
};

/**
 * The synthetic areas below the real ICBs: local authorities (GSS-shaped codes), their postcode
 * districts (in the ICB's real postcode areas) and GP practices (ODS-shaped codes), as many as the ICB's
 * population calls for. Deterministic: it depends on nothing but the table in geography.ts.
 */
export function syntheticGeography(): Geography {
  const localAuthorities: LocalAuthority[] = [];
  const practices: Practice[] = [];
  const districtNumbers = new Map<string, number>();
  const practiceNumbers = new Map<string, number>();
  for (const region of REGIONS) {
    for (const icb of region.icbs) {
      const rnd = seeded([...icb.code].reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
      const short = icb.name.replace(/^NHS /, '').replace(/ Integrated Care Board$/, '');
      const laCount = Math.max(2, Math.round((icb.millions * 1e6) / LA_SIZE));
      const own: LocalAuthority[] = [];
      for (let k = 0; k < laCount; k++) {
        const districts = Array.from({ length: 4 }, (_, d) => {
          const area = icb.postcodeAreas[(k * 4 + d) % icb.postcodeAreas.length]!;
          const next = (districtNumbers.get(area) ?? 0) + 1;
          districtNumbers.set(area, next);
          return `${area}${next}`;
        });
        const code = `E0${6 + (localAuthorities.length % 4)}${String(localAuthorities.length + 1).padStart(6, '0')}`;
        const la = {
          code,
          name: `${short} area ${k + 1}`,
          icb: icb.code,
          region: region.code,
          postcodeDistricts: districts,
        };
        own.push(la);
        localAuthorities.push(la);
      }
      const practiceCount = Math.max(1, Math.round((icb.millions * 1e6) / LIST_SIZE));
      const letter = PRACTICE_LETTER[region.code]!;
      for (let p = 0; p < practiceCount; p++) {
        const la = own[p % own.length]!;
        const serial = (practiceNumbers.get(letter) ?? 81000) + 1;
        practiceNumbers.set(letter, serial);
        practices.push({
          code: `${letter}${serial}`,
          name: `${la.name} surgery ${p + 1}`,
          localAuthority: la.code,
          icb: icb.code,
          region: region.code,
          postcodeDistrict: pick(rnd, la.postcodeDistricts),
        });
      }
    }
  }
  return { localAuthorities, practices };
}

/** England's population by five-year age band (per cent, ONS mid-2021 estimates, rounded). */
// prettier-ignore
const AGE_BANDS: Record<string, number> = {
  '0': 5.4, '5': 6.0, '10': 6.0, '15': 5.7, '20': 6.0, '25': 6.7, '30': 6.9, '35': 6.6, '40': 6.3,
  '45': 6.3, '50': 6.9, '55': 6.8, '60': 5.9, '65': 5.0, '70': 5.0, '75': 3.6, '80': 2.5, '85': 1.5, '90': 0.8,
};

/**
 * Ethnic category (NHS Data Dictionary codes, as in the UK Core extension) per cent: England (Census
 * 2021) and London, of people with a recorded category.
 */
// prettier-ignore
const ETHNICITY = {
  england: { A: 73.5, B: 0.9, C: 6.3, D: 0.9, E: 0.5, F: 0.8, G: 0.7, H: 3.3, J: 2.8, K: 1.1, L: 1.6, M: 1.1, N: 2.6, P: 0.5, R: 0.8, S: 2.2 },
  london: { A: 36.8, B: 1.7, C: 14.7, D: 1.5, E: 0.9, F: 1.4, G: 1.9, H: 7.5, J: 3.3, K: 3.7, L: 4.6, M: 3.9, N: 7.9, P: 1.7, R: 1.7, S: 6.3 },
};
/** Share of records with no category: not stated (Z) and not known (99). */
const NOT_STATED = 0.06;
const NOT_KNOWN = 0.04;

// prettier-ignore
const FAMILY = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Khan', 'Robinson', 'Wright', 'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Ahmed', 'Begum', 'Okafor', 'Nowak', 'Murphy'];
// prettier-ignore
const GIVEN = {
  female: ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Freya', 'Sophia', 'Grace', 'Aisha', 'Zara', 'Margaret', 'Susan', 'Patricia', 'Fatima', 'Chloé'],
  male: ['Oliver', 'George', 'Noah', 'Arthur', 'Muhammad', 'Leo', 'Harry', 'Jack', 'David', 'John', 'Michael', 'Peter', 'Ibrahim', 'Kwame', 'José'],
};

/** The 9 digits behind person `index`: of two neighbouring numbers at least one has a valid check digit. */
export function syntheticNhsNumber(index: number): string {
  // NHS numbers beginning with 9 are never issued to people, so synthetic ones cannot be anyone's
  const base = 900_000_000 + index * 10;
  return withCheckDigit(String(base)) ?? withCheckDigit(String(base + 1))!;
}

export interface PersonOptions {
  seed: number;
  /** The date the population is as of (ages, deaths in the year before it). */
  today: Date;
  geography: Geography;
}

/** A day in the year before `today`, and not before the birth. */
function deathDate(rnd: () => number, birth: Date, today: Date): string {
  const from = Math.max(birth.getTime(), today.getTime() - 365 * 86_400_000);
  return new Date(from + rnd() * (today.getTime() - from)).toISOString().slice(0, 10);
}

/** Person `index` of the population for `seed`: the same arguments always give the same person. */
export function syntheticPerson(index: number, options: PersonOptions): Patient {
  const rnd = seeded(options.seed * 1_000_003 + index);
  const practice = pick(rnd, options.geography.practices);
  const band = Number(weighted(rnd, AGE_BANDS));
  const age = band + Math.floor(rnd() * (band === 90 ? 12 : 5));
  const birth = new Date(options.today.getTime() - (age * 365.25 + rnd() * 365) * 86_400_000);
  // women outlive men: from about half at birth to two thirds among the oldest
  const gender = rnd() < 0.49 + Math.max(0, age - 60) * 0.005 ? 'female' : 'male';
  const london = practice.region === 'Y56';
  const roll = rnd();
  const ethnicCode =
    roll < NOT_STATED
      ? 'Z'
      : roll < NOT_STATED + NOT_KNOWN
        ? '99'
        : weighted(rnd, london ? ETHNICITY.london : ETHNICITY.england);
  const adult = age >= 16;
  const postcode = `${practice.postcodeDistrict} ${Math.floor(rnd() * 10)}${pick(rnd, INWARD_LETTERS)}${pick(rnd, INWARD_LETTERS)}`;
  const nhsNumber = syntheticNhsNumber(index);
  const telecom: Patient['telecom'] = [];
  if (adult && rnd() < 0.88)
    telecom.push({
      system: 'phone',
      use: 'mobile',
      value: `07700 ${String(index % 1_000_000).padStart(6, '0')}`,
    });
  if (adult && rnd() < 0.62) telecom.push({ system: 'email', value: `person${index}@example.org` });
  // about 1% of the register died in the past year, nearly all of them old
  const died = rnd() < (age >= 75 ? 0.06 : age >= 50 ? 0.006 : 0.0005);
  const left = !died && rnd() < 0.006;
  return {
    resourceType: 'Patient',
    extension: [
      {
        url: EXTENSIONS.ethnicCategory,
        valueCodeableConcept: { coding: [{ system: CODE_SYSTEMS.ethnicCategory, code: ethnicCode }] },
      },
    ],
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
    ...(left ? { active: false } : {}),
    name: [{ use: 'official', family: pick(rnd, FAMILY), given: [pick(rnd, GIVEN[gender])] }],
    ...(telecom.length > 0 ? { telecom } : {}),
    gender,
    birthDate: birth.toISOString().slice(0, 10),
    ...(died ? { deceasedDateTime: deathDate(rnd, birth, options.today) } : {}),
    address: [{ use: 'home', postalCode: postcode }],
    generalPractitioner: [
      { identifier: { system: ODS_CODE_SYSTEM, value: practice.code }, display: practice.name },
    ],
  };
}
