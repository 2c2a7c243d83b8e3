// `npm run generate -- --people N --seed S --out DIR [--date YYYY-MM-DD]`: writes a deterministic synthetic
// population into DIR: Patient.ndjson (one person a line) and geography.json (regions, care boards, local
// authorities and GP practices they are registered with). Load it with `npm run load -- DIR`.
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REGIONS } from '../register/geography.js';
import { syntheticGeography, syntheticPerson } from '../register/synthetic.js';
import { progress } from '../shared/progress.js';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      people: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' },
      date: { type: 'string' },
    },
  });
  const people = Number(values.people);
  const seed = Number(values.seed);
  const today = values.date ? new Date(`${values.date}T00:00:00Z`) : new Date();
  if (
    !values.out ||
    !Number.isInteger(people) ||
    people < 1 ||
    !Number.isInteger(seed) ||
    Number.isNaN(today.getTime())
  ) {
    console.error('usage: npm run generate -- --people N --seed S --out DIR [--date YYYY-MM-DD]');
    return 2;
  }
  mkdirSync(values.out, { recursive: true });
  const geography = syntheticGeography();
  writeFileSync(
    join(values.out, 'geography.json'),
    JSON.stringify({ regions: REGIONS, ...geography }, null, 1),
  );
  const file = createWriteStream(join(values.out, 'Patient.ndjson'));
  for (let i = 0; i < people; i++) {
    // respect the file's pace: without waiting, a large population would sit in memory
    if (!file.write(`${JSON.stringify(syntheticPerson(i, { seed, today, geography }))}\n`))
      await once(file, 'drain');
    if ((i + 1) % 10_000 === 0 || i + 1 === people) progress('generating people', i + 1, people);
  }
  file.end();
  await once(file, 'finish');
  console.log(
    `${people} people, ${geography.practices.length} practices, ${geography.localAuthorities.length} local authorities in ${values.out}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
