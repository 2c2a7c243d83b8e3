import { NIMS_BASE } from './extensions.js';

/** A vaccine product by its SNOMED CT / dm+d code, what it protects against, and whether the UK approves it. */
export interface VaccineProduct {
  code: string;
  display: string;
  /** SNOMED CT target diseases. */
  protectsAgainst: string[];
  /** Approved for use in the UK: a vaccination given abroad with it counts here. */
  approvedInUk: boolean;
}

export const UK_APPROVED_VACCINES_VALUE_SET = `${NIMS_BASE}/ValueSet/uk-approved-vaccines`;

const COVID = ['840539006'];
const FLU = ['6142004'];
const MMR = ['14189004', '36989005', '36653000'];

/** The products nims knows; the approved ones are published as the ValueSet in profiles/. */
export const VACCINE_PRODUCTS: VaccineProduct[] = [
  {
    code: '39115611000001103',
    display: 'Comirnaty COVID-19 mRNA vaccine',
    protectsAgainst: COVID,
    approvedInUk: true,
  },
  {
    code: '39114911000001105',
    display: 'COVID-19 Vaccine Vaxzevria',
    protectsAgainst: COVID,
    approvedInUk: true,
  },
  { code: '46233009', display: 'Influenza virus vaccine', protectsAgainst: FLU, approvedInUk: true },
  {
    code: '61153008',
    display: 'Measles, mumps and rubella vaccine',
    protectsAgainst: MMR,
    approvedInUk: true,
  },
];

const BY_CODE = new Map(VACCINE_PRODUCTS.map((p) => [p.code, p]));

export function productOf(code: string): VaccineProduct | undefined {
  return BY_CODE.get(code);
}
