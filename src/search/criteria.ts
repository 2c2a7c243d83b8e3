import { fail } from '../fhir/errors.js';
import { parseDateRange, type DateRange } from './dates.js';
import { normalise, referenceKey } from './index-values.js';
import { findParameter, parametersOf, type SearchParamDef } from './parameters.js';

/** A MongoDB filter document; the same filter runs on the database and (via mingo) in memory. */
export type Filter = Record<string, unknown>;

/** Finds ids of `type` matching one search parameter; used to resolve chained parameters. */
export type ChainResolver = (type: string, name: string, value: string) => Promise<string[]>;

export interface CompiledCriteria {
  filter: Filter;
  /** AND of ORs of posting keys: a candidate must be in one posting of every group. */
  postingGroups: string[][];
  /** `_id` values, when the search names them. */
  idGroups: string[][];
}

const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
type DatePrefix = (typeof DATE_PREFIXES)[number];

const MODIFIERS: Record<SearchParamDef['type'], string[]> = {
  token: ['missing', 'not', 'text'],
  string: ['missing', 'exact', 'contains'],
  date: ['missing'],
  reference: ['missing', 'identifier'],
};

export function postingKey(type: string, param: string, value: string): string {
  return `${type}|${postingParameter(type, param)}|${value}`;
}

const postingParameters = new Map<string, string>();

/**
 * The parameter whose postings list a parameter's values: the type's first posting parameter with the
 * same expression (a Communication's `patient` is its `subject` when that is a Patient, so one list
 * serves both and a Communication is listed once, not twice; candidates are checked against the
 * parameter asked in any case).
 */
function postingParameter(type: string, param: string): string {
  const known = postingParameters.get(`${type}|${param}`);
  if (known) return known;
  const asked = findParameter(type, param);
  const same = (p: SearchParamDef) =>
    p.posting && !p.derive && p.type === asked!.type && p.expression === asked!.expression;
  const name = asked && !asked.derive ? (parametersOf(type).find(same)?.name ?? param) : param;
  postingParameters.set(`${type}|${param}`, name);
  return name;
}

/** Splits a parameter value on unescaped commas and removes FHIR search escapes. */
export function splitValues(raw: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && i + 1 < raw.length) {
      current += raw[++i];
    } else if (ch === ',') {
      values.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  values.push(current);
  return values;
}

/** Splits `system|code` at the first unescaped bar. */
function splitToken(raw: string): { system?: string; code: string } {
  const bar = raw.search(/(?<!\\)\|/);
  const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
  if (bar < 0) return { code: unescape(raw) };
  return { system: unescape(raw.slice(0, bar)), code: unescape(raw.slice(bar + 1)) };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function badValue(name: string, value: string, why: string): never {
  fail('invalid-search-parameter', `Search parameter '${name}' value '${value}': ${why}`, [name]);
}

interface DateValue {
  prefix: DatePrefix;
  range: DateRange;
}

function parseDateValue(name: string, raw: string): DateValue {
  const prefix = DATE_PREFIXES.find((p) => raw.startsWith(p) && /^\d/.test(raw.slice(2)));
  const text = prefix ? raw.slice(2) : raw;
  const range = parseDateRange(text);
  if (!range) badValue(name, raw, 'not a FHIR date or dateTime');
  return { prefix: prefix ?? 'eq', range };
}

/** The date prefix semantics of FHIR search, as a condition on the stored span (`name:lo`, `name:hi`). */
function dateCondition(name: string, { prefix, range }: DateValue, now: number): Filter {
  const lo = field(`${name}:lo`);
  const hi = field(`${name}:hi`);
  const within = { [lo]: { $gte: range.lo }, [hi]: { $lte: range.hi } };
  switch (prefix) {
    case 'eq':
      return within;
    case 'ne':
      return { $or: [{ [lo]: { $lt: range.lo } }, { [hi]: { $gt: range.hi } }] };
    case 'gt':
      return { [hi]: { $gt: range.hi } };
    case 'lt':
      return { [lo]: { $lt: range.lo } };
    case 'ge':
      return { $or: [{ [hi]: { $gt: range.hi } }, within] };
    case 'le':
      return { $or: [{ [lo]: { $lt: range.lo } }, within] };
    case 'sa':
      return { [lo]: { $gt: range.hi } };
    case 'eb':
      return { [hi]: { $lt: range.lo } };
    case 'ap': {
      // approximately: within 10% of the distance to now, at least a day
      const slack = Math.max(0.1 * Math.abs(now - range.lo), 86_400_000);
      return { [lo]: { $lte: range.hi + slack }, [hi]: { $gte: range.lo - slack } };
    }
  }
}

function field(name: string): string {
  return `idx.${name}`;
}

/** Any of the patterns matches (as `$or` of `$regex`, which every store supports, unlike regexes in `$in`). */
function anyPattern(path: string, patterns: string[]): Filter {
  const conditions = patterns.map((pattern) => ({ [path]: { $regex: pattern } }));
  return conditions.length === 1 ? conditions[0]! : { $or: conditions };
}

interface Clause {
  param: SearchParamDef;
  modifier?: string;
  values: string[];
}

function tokenCondition(clause: Clause): { filter: Filter; postings?: string[] } {
  const { param, modifier, values } = clause;
  if (modifier === 'text') {
    return {
      filter: anyPattern(
        field(`${param.name}:text`),
        values.map((v) => `^${escapeRegex(normalise(v))}`),
      ),
    };
  }
  const exact: string[] = [];
  const conditions: Filter[] = [];
  for (const value of values) {
    const { system, code } = splitToken(value);
    if (system === undefined) conditions.push({ [field(`${param.name}:code`)]: code });
    else if (code === '') conditions.push(anyPattern(field(param.name), [`^${escapeRegex(system)}\\|`]));
    else exact.push(`${system}|${code}`);
  }
  if (exact.length > 0) conditions.push({ [field(param.name)]: { $in: exact } });
  const filter = conditions.length === 1 ? conditions[0]! : { $or: conditions };
  if (modifier === 'not') return { filter: { $nor: [filter] } };
  // postings hold only system|code values, so they answer only when every value has a system
  const usable = param.posting && exact.length === values.length && exact.every((v) => !v.startsWith('|'));
  return usable ? { filter, postings: exact } : { filter };
}

function stringCondition({ param, modifier, values }: Clause): Filter {
  if (modifier === 'exact') return { [field(`${param.name}:exact`)]: { $in: values } };
  const patterns = values.map((v) => {
    const text = escapeRegex(normalise(v));
    return modifier === 'contains' ? text : `^${text}`;
  });
  return anyPattern(field(param.name), patterns);
}

function referenceValues(clause: Clause, typeModifier: string | undefined, baseUrl: string): string[] {
  const targets = typeModifier ? [typeModifier] : (clause.param.targets ?? []);
  return clause.values.flatMap((value) => {
    const key = referenceKey(value, baseUrl);
    if (key.includes('/')) return [key];
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(key)) badValue(clause.param.name, value, 'not a reference or id');
    return targets.map((t) => `${t}/${key}`);
  });
}

export interface CriteriaInput {
  type: string;
  params: [string, string][];
  baseUrl: string;
  now: number;
  resolveChain: ChainResolver;
}

/** Parses one `name[:modifier]` (or chained `ref[:Type].param`) into its parts. */
function parseName(rawName: string): { name: string; modifier?: string; chain?: string } {
  const dot = rawName.indexOf('.');
  const head = dot < 0 ? rawName : rawName.slice(0, dot);
  const chain = dot < 0 ? undefined : rawName.slice(dot + 1);
  const [name, modifier] = head.split(':', 2) as [string, string | undefined];
  return { name, ...(modifier !== undefined ? { modifier } : {}), ...(chain !== undefined ? { chain } : {}) };
}

/**
 * Compiles the criteria (not the result controls) of a search into one filter over stored documents, plus
 * the posting keys that narrow the candidates. Unknown parameter names are returned, not compiled.
 */
export async function compileCriteria(
  input: CriteriaInput,
): Promise<CompiledCriteria & { unknown: string[] }> {
  const and: Filter[] = [{ del: false }];
  const postingGroups: string[][] = [];
  const idGroups: string[][] = [];
  const unknown: string[] = [];

  for (const [rawName, rawValue] of input.params) {
    const { name, modifier, chain } = parseName(rawName);
    if (name === '_id') {
      if (modifier !== undefined) badValue(rawName, rawValue, 'no modifier is supported on _id');
      const ids = splitValues(rawValue);
      and.push({ _id: { $in: ids } });
      idGroups.push(ids);
      continue;
    }
    const param = findParameter(input.type, name);
    if (!param) {
      unknown.push(rawName);
      continue;
    }
    const values = splitValues(rawValue);
    if (modifier === 'missing') {
      if (rawValue !== 'true' && rawValue !== 'false') badValue(rawName, rawValue, 'must be true or false');
      const present = param.type === 'date' ? `${param.name}:lo` : param.name;
      and.push({ [field(present)]: { $exists: rawValue === 'false' } });
      continue;
    }
    const isTypeModifier = param.type === 'reference' && modifier !== undefined && /^[A-Z]/.test(modifier);
    if (modifier !== undefined && !isTypeModifier && !MODIFIERS[param.type].includes(modifier)) {
      fail('invalid-search-parameter', `Modifier ':${modifier}' is not supported on '${name}'`, [rawName]);
    }
    if (chain !== undefined && param.type !== 'reference') {
      fail('invalid-search-parameter', `'${name}' is not a reference, so it cannot be chained`, [rawName]);
    }
    const clause: Clause = { param, ...(modifier !== undefined ? { modifier } : {}), values };
    switch (param.type) {
      case 'token': {
        const { filter, postings } = tokenCondition(clause);
        and.push(filter);
        if (postings) postingGroups.push(postings.map((v) => postingKey(input.type, param.name, v)));
        break;
      }
      case 'string':
        and.push(stringCondition(clause));
        break;
      case 'date': {
        const conditions = values.map((v) =>
          dateCondition(param.name, parseDateValue(rawName, v), input.now),
        );
        and.push(conditions.length === 1 ? conditions[0]! : { $or: conditions });
        break;
      }
      case 'reference': {
        if (modifier === 'identifier') {
          // a value without a system matches that identifier value in any system
          const path = field(`${param.name}:identifier`);
          const conditions = values.map((v) => {
            const { system, code } = splitToken(v);
            return system === undefined
              ? anyPattern(path, [`\\|${escapeRegex(code)}$`])
              : { [path]: `${system}|${code}` };
          });
          and.push(conditions.length === 1 ? conditions[0]! : { $or: conditions });
          break;
        }
        const typeModifier = isTypeModifier ? modifier : undefined;
        let refs: string[];
        if (chain !== undefined) {
          const targets = typeModifier ? [typeModifier] : (param.targets ?? []);
          if (targets.length !== 1) {
            fail(
              'invalid-search-parameter',
              `Chain '${rawName}' needs a single target type, as in ${name}:Patient.${chain}`,
              [rawName],
            );
          }
          const target = targets[0]!;
          const ids = (await Promise.all(values.map((v) => input.resolveChain(target, chain, v)))).flat();
          refs = ids.map((id) => `${target}/${id}`);
        } else {
          refs = referenceValues(clause, typeModifier, input.baseUrl);
        }
        and.push({ [field(param.name)]: { $in: refs } });
        if (param.posting) postingGroups.push(refs.map((r) => postingKey(input.type, param.name, r)));
        break;
      }
    }
  }
  return { filter: and.length === 1 ? and[0]! : { $and: and }, postingGroups, idGroups, unknown };
}
