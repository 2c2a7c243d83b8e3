import type { Resource } from 'fhir/r4';
import summaryElements from './summary-elements.json' with { type: 'json' };

export interface Subsetting {
  summary?: 'true' | 'false' | 'count' | 'data' | 'text';
  elements?: string[];
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = ['resourceType', 'id', 'meta'];

/** Whether a JSON key (`occurrenceDateTime`, `_birthDate`) belongs to one of the named elements. */
function keyIn(key: string, names: Set<string>): boolean {
  const bare = key.startsWith('_') ? key.slice(1) : key;
  if (names.has(bare)) return true;
  for (const name of names) if (bare.startsWith(name) && /^[A-Z]/.test(bare.slice(name.length))) return true;
  return false;
}

function keep(resource: Resource, names: Set<string>): Resource {
  const subset = Object.fromEntries(
    Object.entries(resource).filter(([key]) => keyIn(key, names) || ALWAYS.includes(key)),
  );
  const meta = { ...(resource.meta ?? {}), tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  return { ...subset, meta } as Resource;
}

/** The resource as `_summary` and `_elements` ask for it; untouched when they ask for everything. */
export function subset(resource: Resource, { summary, elements }: Subsetting): Resource {
  if (elements && elements.length > 0) return keep(resource, new Set(elements));
  switch (summary) {
    case 'true':
      return keep(
        resource,
        new Set((summaryElements as Record<string, string[]>)[resource.resourceType] ?? []),
      );
    case 'text':
      return keep(resource, new Set(['text']));
    case 'data': {
      const { text: _text, ...rest } = resource as Resource & { text?: unknown };
      return keep(rest as Resource, new Set(Object.keys(rest)));
    }
    default:
      return resource;
  }
}
