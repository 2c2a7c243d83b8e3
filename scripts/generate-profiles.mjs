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
const { gpMessageProfile } = await import(join(root, 'dist', 'src', 'messaging', 'profile.js'));
// the stored types' profiles, and those of what nims sends (GP messages)
const profiles = [...RESOURCE_TYPES.map((type) => resourceDefinition(type)?.profile), gpMessageProfile];
for (const profile of profiles) {
  if (!profile) continue;
  const document = profileDocument(profile);
  writeFileSync(
    join(root, 'profiles', `StructureDefinition-${document.id}.json`),
    `${JSON.stringify(document, null, 2)}\n`,
  );
}

// the code systems whose codes live in the source as lists: published from the same lists
const { CODE_SYSTEMS } = await import(join(root, 'dist', 'src', 'resources', 'extensions.js'));
const { PRIORITY_GROUPS, PRIORITY_GROUP_NAMES, CLINICAL_RISK_GROUPS } = await import(
  join(root, 'dist', 'src', 'register', 'attributes.js')
);
const { AREA_LEVELS } = await import(join(root, 'dist', 'src', 'cohort', 'areas.js'));
const { PROGRAMMES } = await import(join(root, 'dist', 'src', 'cohort', 'programmes.js'));
const codeSystems = [
  [
    CODE_SYSTEMS.priorityGroup,
    'Priority group',
    'Priority groups and attribute lists a person may be on, each loaded from its own source.',
    PRIORITY_GROUPS,
  ],
  [
    CODE_SYSTEMS.clinicalRiskGroup,
    'Clinical risk group',
    'Clinical risk groups of the flu programme (the Green Book, chapter 19), the detail of a clinical-risk priority group.',
    CLINICAL_RISK_GROUPS,
  ],
  [
    CODE_SYSTEMS.areaLevel,
    'Area level',
    'The level of an Organization in the reporting geography: NHS England region, integrated care board, local authority, GP practice.',
    AREA_LEVELS,
  ],
  [
    CODE_SYSTEMS.programme,
    'Programme',
    'The vaccination programmes nims selects for and invites to: what a Communication (category) or an Appointment (serviceType) is about.',
    PROGRAMMES.map((p) => p.code),
  ],
];
for (const [url, title, description, codes] of codeSystems) {
  const id = url.split('/').pop();
  const display = (code) =>
    (url === CODE_SYSTEMS.priorityGroup ? PRIORITY_GROUP_NAMES[code] : undefined) ??
    PROGRAMMES.find((p) => url === CODE_SYSTEMS.programme && p.code === code)?.display ??
    code.charAt(0).toUpperCase() + code.slice(1).replaceAll('-', ' ');
  const document = {
    resourceType: 'CodeSystem',
    id,
    url,
    name: title.replace(/ (\w)/g, (_, c) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
    title,
    status: 'active',
    content: 'complete',
    description,
    concept: codes.map((code) => ({ code, display: display(code) })),
  };
  writeFileSync(join(root, 'profiles', `CodeSystem-${id}.json`), `${JSON.stringify(document, null, 2)}\n`);
}

// the data-resolution code systems: the anomaly rules, and the kinds of a resolution Task's inputs
const { ANOMALY_RULES } = await import(join(root, 'dist', 'src', 'resolution', 'anomaly-rules.js'));
const { ANOMALY_SYSTEM } = await import(join(root, 'dist', 'src', 'resolution', 'anomaly-scan.js'));
const { RESOLUTION_INPUT_SYSTEM, RESOLUTION_INPUTS } = await import(
  join(root, 'dist', 'src', 'resolution', 'tasks.js')
);
const resolutionSystems = [
  [
    ANOMALY_SYSTEM,
    'VaccinationAnomaly',
    'Vaccination anomaly',
    'The rules $anomalies finds suspect vaccination records by: the reasonCode of each anomaly Task.',
    Object.entries(ANOMALY_RULES).map(([code, display]) => ({ code, display })),
  ],
  [
    RESOLUTION_INPUT_SYSTEM,
    'ResolutionInput',
    'Resolution input',
    'The kinds of input and output of a data-resolution Task (a correction or an anomaly).',
    Object.values(RESOLUTION_INPUTS).map((code) => ({ code, display: code.replaceAll('-', ' ') })),
  ],
];
for (const [url, name, title, description, concept] of resolutionSystems) {
  const id = url.split('/').pop();
  const document = {
    resourceType: 'CodeSystem',
    id,
    url,
    name,
    title,
    status: 'active',
    content: 'complete',
    description,
    concept,
  };
  writeFileSync(join(root, 'profiles', `CodeSystem-${id}.json`), `${JSON.stringify(document, null, 2)}\n`);
}

// the vaccines a vaccination given abroad may be recorded with, from the same table the rule reads
const { VACCINES, UK_APPROVED_VACCINES_VALUE_SET } = await import(
  join(root, 'dist', 'src', 'resources', 'vaccines.js')
);
const valueSet = {
  resourceType: 'ValueSet',
  id: UK_APPROVED_VACCINES_VALUE_SET.split('/').pop(),
  url: UK_APPROVED_VACCINES_VALUE_SET,
  name: 'UkApprovedVaccines',
  title: 'Vaccines approved for use in the UK',
  status: 'active',
  description:
    'The COVID-19, influenza and MMR vaccine products (SNOMED CT dm+d codes) approved for use in the UK: a vaccination given abroad is recorded only with one of these (rule abroad-approved-vaccine).',
  compose: {
    include: [
      {
        system: 'http://snomed.info/sct',
        concept: VACCINES.filter((v) => v.approvedInUk).map(({ code, display }) => ({ code, display })),
      },
    ],
  },
};
writeFileSync(
  join(root, 'profiles', `ValueSet-${valueSet.id}.json`),
  `${JSON.stringify(valueSet, null, 2)}\n`,
);
