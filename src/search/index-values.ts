import type { Resource } from 'fhir/r4';
import { parseDateRange, sortableTime, MAX_TIME, MIN_TIME, type DateRange } from './dates.js';
import { parameterNodes, parametersOf, type SearchParamDef } from './parameters.js';

/**
 * Search values stored beside each resource. Keys are parameter names, with `:modifier` suffixes for the
 * extra forms some modifiers need:
 * - token: `name` holds `system|code`, `name:code` bare codes, `name:text` normalised display text;
 * - string: `name` normalised (lower case, no accents), `name:exact` as written;
 * - date: `name:lo` and `name:hi`, the earliest start and latest end in epoch milliseconds (one span per
 *   resource: FerretDB cannot match fields inside array elements, so a multi-valued date matches by its
 *   overall span);
 * - reference: `name` relative references `Type/id`, `name:identifier` `system|value` of logical refs.
 * Only non-empty lists are stored, so `:missing` is a test for presence. A list of one value is stored as
 * that value: MongoDB and FerretDB match a value and a list holding it alike, and FerretDB reads and
 * writes a document faster the fewer elements it has (a Patient's current copy, inserted: 164 to 132 µs
 * of FerretDB time). Read them with valuesOf.
 */
export type IndexValues = Record<string, string | string[] | number>;

/** The values stored under `key`, as a list (a single value is stored as itself). */
export function valuesOf(idx: Record<string, unknown>, key: string): string[] {
  const stored = idx[key];
  if (typeof stored === 'string') return [stored];
  return Array.isArray(stored) ? (stored as string[]) : [];
}

/** Sort keys: one fixed-width string per parameter, so string order is the parameter's order. */
export type SortValues = Record<string, string>;

type Json = Record<string, unknown>;

export function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '') // combining marks only: accents go, symbols such as ^ stay
    .toLowerCase()
    .trim();
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

interface Token {
  system?: string;
  code: string;
  text?: string;
}

/** Tokens from any element shape a token parameter may point at. */
function tokensOf(node: unknown): Token[] {
  if (typeof node === 'string') return [{ code: node }];
  if (typeof node === 'boolean') return [{ code: String(node) }];
  if (!isObject(node)) return [];
  if (Array.isArray(node.coding) || 'text' in node) {
    const codings = Array.isArray(node.coding) ? (node.coding as unknown[]) : [];
    const tokens = codings.flatMap(tokensOf);
    const text = str(node.text);
    return text ? [...tokens, { code: '', text }] : tokens;
  }
  const code = str(node.code) ?? str(node.value);
  if (code === undefined) return [];
  const system = str(node.system);
  const text = str(node.display) ?? (isObject(node.type) ? str(node.type.text) : undefined);
  return [{ code, ...(system ? { system } : {}), ...(text ? { text } : {}) }];
}

const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'];
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'];

function stringsOf(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (!isObject(node)) return [];
  const parts = 'family' in node || 'given' in node ? NAME_PARTS : ADDRESS_PARTS;
  return parts.flatMap((p) => {
    const v = node[p];
    return Array.isArray(v)
      ? v.filter((x): x is string => typeof x === 'string')
      : str(v)
        ? [v as string]
        : [];
  });
}

function datesOf(node: unknown): DateRange[] {
  if (typeof node === 'string') {
    const range = parseDateRange(node);
    return range ? [range] : [];
  }
  if (isObject(node) && ('start' in node || 'end' in node)) {
    const start = str(node.start) ? parseDateRange(node.start as string) : undefined;
    const end = str(node.end) ? parseDateRange(node.end as string) : undefined;
    return [{ lo: start?.lo ?? MIN_TIME, hi: end?.hi ?? MAX_TIME }];
  }
  return [];
}

/** `Type/id` for a local reference; absolute URLs are kept as written. */
export function referenceKey(reference: string, baseUrl?: string): string {
  const relative =
    baseUrl && reference.startsWith(`${baseUrl}/`) ? reference.slice(baseUrl.length + 1) : reference;
  const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(relative);
  return match ? `${match[1]}/${match[2]}` : relative;
}

function add(values: IndexValues, key: string, items: string[]): void {
  if (items.length > 0) values[key] = items.length === 1 ? items[0]! : items;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function indexParameter(
  resource: Resource,
  param: SearchParamDef,
  values: IndexValues,
  sorts: SortValues,
): void {
  const nodes = parameterNodes(resource, param);
  switch (param.type) {
    case 'token': {
      const tokens = nodes.flatMap(tokensOf);
      const coded = tokens.filter((t) => t.code !== '');
      add(values, param.name, unique(coded.map((t) => `${t.system ?? ''}|${t.code}`)));
      add(values, `${param.name}:code`, unique(coded.map((t) => t.code)));
      add(values, `${param.name}:text`, unique(tokens.flatMap((t) => (t.text ? [normalise(t.text)] : []))));
      if (param.unique) {
        // an identifier kept as `old` (a superseded NHS number after a merge) is found, never claimed
        const current = nodes.filter((n) => !isObject(n) || n.use !== 'old').flatMap(tokensOf);
        add(
          values,
          `${param.name}:unique`,
          unique(current.filter((t) => t.code !== '').map((t) => `${t.system ?? ''}|${t.code}`)),
        );
      }
      sorts[param.name] = coded[0]?.code ?? '';
      break;
    }
    case 'string': {
      const strings = nodes.flatMap(stringsOf);
      add(values, param.name, unique(strings.map(normalise)));
      add(values, `${param.name}:exact`, unique(strings));
      sorts[param.name] = strings[0] === undefined ? '' : normalise(strings[0]);
      break;
    }
    case 'date': {
      const ranges = nodes.flatMap(datesOf);
      if (ranges.length > 0) {
        values[`${param.name}:lo`] = Math.min(...ranges.map((r) => r.lo));
        values[`${param.name}:hi`] = Math.max(...ranges.map((r) => r.hi));
      }
      // missing dates sort first, as empty text does
      sorts[param.name] = ranges.length > 0 ? sortableTime(Math.min(...ranges.map((r) => r.lo))) : '';
      break;
    }
    case 'reference': {
      const refs = nodes.filter(isObject);
      const keys = refs.flatMap((r) => (str(r.reference) ? [referenceKey(r.reference as string)] : []));
      // a parameter covers only references to its target types (AuditEvent's patient is entity.what's Patients)
      const targeted = keys.filter(
        (k) => !/^[A-Z]/.test(k) || param.targets?.includes(k.split('/')[0]!) !== false,
      );
      add(values, param.name, unique(targeted));
      const identifiers = refs.flatMap((r) => tokensOf(r.identifier));
      add(values, `${param.name}:identifier`, unique(identifiers.map((t) => `${t.system ?? ''}|${t.code}`)));
      break;
    }
  }
}

/** All search and sort values of a resource, computed from its type's parameter table. */
export function indexValues(resource: Resource): { idx: IndexValues; srt: SortValues } {
  const idx: IndexValues = {};
  const srt: SortValues = {};
  for (const param of parametersOf(resource.resourceType)) indexParameter(resource, param, idx, srt);
  return { idx, srt };
}
