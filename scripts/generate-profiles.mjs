// Writes the StructureDefinitions of the nims profiles (profiles/StructureDefinition-nims-*.json) from
// the rules in src/resources/, so the published constraints are always the enforced ones.
// Run after changing a rule: npm run build && node scripts/generate-profiles.mjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './ensure.mjs';

const { profileDocument } = await import(join(root, 'dist', 'src', 'profiles', 'document.js'));
const { RESOURCE_TYPES, resourceDefinition } = await import(
  join(root, 'dist', 'src', 'resources', 'registry.js')
);
for (const type of RESOURCE_TYPES) {
  const profile = resourceDefinition(type)?.profile;
  if (!profile) continue;
  const document = profileDocument(profile);
  writeFileSync(
    join(root, 'profiles', `StructureDefinition-${document.id}.json`),
    `${JSON.stringify(document, null, 2)}\n`,
  );
}
