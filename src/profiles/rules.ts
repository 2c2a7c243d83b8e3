import type { Resource } from 'fhir/r4';
import type { Problem } from '../fhir/errors.js';
import { SNOMED_SYSTEM, isSnomedConceptId } from '../shared/snomed.js';

/** What a rule sees besides the resource. */
export interface RuleContext {
  now: Date;
}

/**
 * One business rule of a nims profile. The key is stable: clients and tests rely on it, and it names the
 * rule in every refusal.
 */
export interface ProfileRule<R extends Resource = Resource> {
  key: string;
  description: string;
  check(resource: R, context: RuleContext): Finding[];
}

export interface Profile<R extends Resource = Resource> {
  type: R['resourceType'];
  /** Canonical URL of the StructureDefinition in profiles/. */
  url: string;
  /** What the profile is for, when it is not a stored type's rules. */
  description?: string;
  rules: ProfileRule<R>[];
}

/** What a rule's check finds wrong: the words and where. */
export type Finding = Omit<Problem, 'code' | 'rule'>;

/** A check that looks only at the resources `applies` picks (one kind of Consent, of Task). */
export function onlyWhen<R extends Resource>(
  applies: (resource: R) => boolean,
  check: (resource: R, context: RuleContext) => Finding[],
): (resource: R, context: RuleContext) => Finding[] {
  return (resource, context) => (applies(resource) ? check(resource, context) : []);
}

export function runProfile<R extends Resource>(
  profile: Profile<R>,
  resource: R,
  context: RuleContext,
): Problem[] {
  return profile.rules.flatMap((rule) =>
    rule.check(resource, context).map((p) => ({
      ...p,
      code: 'profile-violation' as const,
      rule: { key: rule.key, profile: profile.url },
    })),
  );
}

interface Coded {
  coding?: { system?: string; code?: string }[];
}

/** Problems when a CodeableConcept has no well-formed SNOMED CT coding. */
export function requireSnomed(
  concept: Coded | undefined,
  expression: string,
  what: string,
): { diagnostics: string; expression: string[] }[] {
  if (!concept) return [];
  const snomed = (concept.coding ?? []).filter((c) => c.system === SNOMED_SYSTEM);
  if (snomed.length === 0) {
    return [
      { diagnostics: `${what} must be coded with SNOMED CT (${SNOMED_SYSTEM})`, expression: [expression] },
    ];
  }
  return snomed
    .filter((c) => !c.code || !isSnomedConceptId(c.code))
    .map((c) => ({
      diagnostics: `${what} code '${c.code ?? ''}' is not a valid SNOMED CT concept id`,
      expression: [`${expression}.coding`],
    }));
}

/** Clock skew allowed between a point-of-care device and the server. */
const SKEW_MS = 5 * 60_000;

export function notInFuture(value: string | undefined, expression: string, context: RuleContext) {
  if (!value) return [];
  const time = Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value);
  return time > context.now.getTime() + SKEW_MS
    ? [{ diagnostics: `${expression} is in the future`, expression: [expression] }]
    : [];
}
