// Writes src/fhir/summary-elements.json: for each resource type nims serves, the top-level elements the
// FHIR R4 specification marks as summary (isSummary), read from its StructureDefinitions.
// Run after changing the list of types: npm run build && node scripts/generate-summary-elements.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './ensure.mjs';

const { RESOURCE_TYPES: types } = await import(join(root, 'dist', 'src', 'resources', 'registry.js'));
const summary = {};
for (const type of types) {
  const path = join(root, 'node_modules', 'hl7.fhir.r4.examples', `StructureDefinition-${type}.json`);
  const definition = JSON.parse(readFileSync(path, 'utf8'));
  summary[type] = definition.snapshot.element
    .filter((e) => e.isSummary && e.path.split('.').length === 2)
    .map((e) => e.path.split('.')[1].replace('[x]', ''));
}
writeFileSync(join(root, 'src', 'fhir', 'summary-elements.json'), `${JSON.stringify(summary, null, 2)}\n`);
