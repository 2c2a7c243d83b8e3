import { Context } from 'mingo/core';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import type { Filter } from './criteria.js';

/**
 * Search filters only use query operators. mingo's default `Query` copies every one of its operators
 * (expressions, pipeline stages and all) into each new query: with the query operators alone, making
 * one costs half as much.
 */
const QUERY_ONLY = Context.init({ query: queryOperators });

/** A search filter (the one the database would run) to run on documents in memory. */
export function inMemory(filter: Filter): Query {
  return new Query(filter, { context: QUERY_ONLY });
}

type Scalar = string | number | boolean;
type Document = Record<string, unknown>;
/** One field's test: its value, or any element of its array value, is one of `wanted`. */
interface FieldTest {
  path: string[];
  wanted: Set<Scalar>;
}

const isScalar = (value: unknown): value is Scalar =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** `{field: scalar}` or `{field: {$in: [scalars]}}`, as tests; undefined for anything else. */
function fieldTests(condition: unknown): FieldTest[] | undefined {
  if (!condition || typeof condition !== 'object' || Array.isArray(condition)) return undefined;
  const tests: FieldTest[] = [];
  for (const [field, value] of Object.entries(condition as Document)) {
    if (field.startsWith('$')) return undefined;
    const list = isScalar(value) ? [value] : inList(value);
    if (!list) return undefined;
    tests.push({ path: field.split('.'), wanted: new Set(list) });
  }
  return tests;
}

function inList(value: unknown): Scalar[] | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const list = (value as { $in?: unknown }).$in;
  return keys.length === 1 && Array.isArray(list) && list.every(isScalar) ? list : undefined;
}

/** Whether the document passes; undefined when its path goes through an array (mingo's to judge). */
function passes(doc: Document, { path, wanted }: FieldTest): boolean | undefined {
  let node: unknown = doc;
  for (const name of path) {
    if (Array.isArray(node)) return undefined;
    if (!node || typeof node !== 'object') return false;
    node = (node as Document)[name];
  }
  if (Array.isArray(node)) return node.some((item) => isScalar(item) && wanted.has(item));
  return isScalar(node) && wanted.has(node);
}

/**
 * The filter as a plain test, when it is what most searches compile to: a conjunction of fields equal to
 * one of some strings, numbers or booleans (`del: false` and a token or reference `$in`). Making a mingo
 * query costs more than all the rest of such a search's matching (it copies the filter and compiles its
 * operators), so anything else, and any document whose path goes through an array, is left to mingo.
 */
function simpleTest(filter: Filter): ((doc: Document) => boolean | undefined) | undefined {
  const conjuncts = Object.keys(filter).length === 1 && Array.isArray(filter.$and) ? filter.$and : [filter];
  const tests: FieldTest[] = [];
  for (const conjunct of conjuncts) {
    const found = fieldTests(conjunct);
    if (!found) return undefined;
    tests.push(...found);
  }
  return (doc) => {
    let verdict: boolean | undefined = true;
    for (const test of tests) {
      const passed = passes(doc, test);
      if (passed === false) return false;
      if (passed === undefined) verdict = undefined;
    }
    return verdict;
  };
}

/** A search filter as a test of one document at a time, made once for all the documents it sees. */
export function matcher(filter: Filter): (doc: object) => boolean {
  const test = simpleTest(filter);
  let query: Query | undefined;
  const byMingo = (doc: object) => (query ??= inMemory(filter)).test(doc as Document);
  return test ? (doc) => test(doc as Document) ?? byMingo(doc) : byMingo;
}

/** The documents a search filter matches, in their order: what the database would answer. */
export function matching<T extends object>(filter: Filter, docs: T[]): T[] {
  return docs.filter(matcher(filter));
}
