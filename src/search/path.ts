/**
 * A small FHIRPath subset for search parameter expressions: `Type.a.b`, choice elements
 * (`Immunization.occurrence` finds `occurrenceDateTime`), `extension('url')`, and `|` unions.
 * Arrays are flattened at every step, as FHIRPath does.
 */
type Node = unknown;

const SEGMENT = /^(?:extension\('([^']+)'\)|([A-Za-z][A-Za-z0-9]*))$/;

function step(node: Node, segment: string): Node[] {
  if (node === null || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const match = SEGMENT.exec(segment);
  if (!match) throw new Error(`unsupported path segment ${segment}`);
  const [, extensionUrl, name] = match;
  if (extensionUrl !== undefined) {
    const extensions = Array.isArray(record.extension) ? (record.extension as Node[]) : [];
    return extensions.filter((e) => (e as { url?: unknown }).url === extensionUrl);
  }
  const key = name!;
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

export function evaluate(resource: object, expression: string): Node[] {
  return expression.split('|').flatMap((alternative) => {
    const segments = splitSegments(alternative.trim());
    // the first segment is the resource type
    return segments
      .slice(1)
      .reduce<Node[]>((nodes, segment) => nodes.flatMap((n) => step(n, segment)), [resource]);
  });
}
