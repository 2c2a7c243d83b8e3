/**
 * A small FHIRPath subset for search parameter expressions: `Type.a.b`, choice elements
 * (`Immunization.occurrence` finds `occurrenceDateTime`), `extension('url')`, and `|` unions.
 * Arrays are flattened at every step, as FHIRPath does.
 */
type Node = unknown;

const SEGMENT = /^(?:extension\('([^']+)'\)|([A-Za-z][A-Za-z0-9]*))$/;

/** One step of a path: into an element by name, or into the extensions with a url. */
type Step = { extension: string } | { name: string };

function parseStep(segment: string): Step {
  const match = SEGMENT.exec(segment);
  if (!match) throw new Error(`unsupported path segment ${segment}`);
  const [, extension, name] = match;
  return extension !== undefined ? { extension } : { name: name! };
}

function step(node: Node, path: Step): Node[] {
  if (node === null || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  if ('extension' in path) {
    const extensions = Array.isArray(record.extension) ? (record.extension as Node[]) : [];
    return extensions.filter((e) => (e as { url?: unknown }).url === path.extension);
  }
  const key = path.name;
  if (key in record) return flatten(record[key]);
  // choice element: occurrence -> occurrenceDateTime, occurrenceString, ...
  const choices = Object.keys(record).filter((k) => k.startsWith(key) && /^[A-Z]/.test(k.slice(key.length)));
  return choices.flatMap((k) => flatten(record[k]));
}

function flatten(value: unknown): Node[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as Node[]) : [value];
}

function splitSegments(path: string): string[] {
  // dots inside extension('...') urls are not separators
  return path.match(/extension\('[^']*'\)|[^.]+/g) ?? [];
}

/** Expressions read once: each resource stored is indexed by every parameter of its type. */
const compiled = new Map<string, Step[][]>();

function compile(expression: string): Step[][] {
  let alternatives = compiled.get(expression);
  if (!alternatives) {
    // the first segment is the resource type
    alternatives = expression.split('|').map((a) => splitSegments(a.trim()).slice(1).map(parseStep));
    compiled.set(expression, alternatives);
  }
  return alternatives;
}

export function evaluate(resource: object, expression: string): Node[] {
  return compile(expression).flatMap((steps) =>
    steps.reduce<Node[]>((nodes, s) => nodes.flatMap((n) => step(n, s)), [resource]),
  );
}
