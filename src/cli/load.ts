// `npm run load -- <file.ndjson | DIR | -> [--server URL] [--token TOKEN] [--lines N]`: loads people into a
// running server through Patient/$load, in requests of N lines (so no request runs for long), with a
// progress bar, and sums the server's answers. The token comes from --token or NIMS_TOKEN (none is
// needed against AUTH=off).
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { OperationOutcome, Parameters } from 'fhir/r4';
import { progress } from '../shared/progress.js';

interface Totals {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

async function send(
  url: string,
  token: string | undefined,
  lines: string[],
  firstLine: number,
  totals: Totals,
  problems: string[],
): Promise<void> {
  const response = await fetch(`${url}/Patient/$load`, {
    method: 'POST',
    headers: {
      'content-type': 'application/fhir+ndjson',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: `${lines.join('\n')}\n`,
  });
  const answer = (await response.json()) as Parameters | OperationOutcome;
  if (!response.ok || answer.resourceType !== 'Parameters') {
    const issue = (answer as OperationOutcome).issue?.[0]?.diagnostics ?? response.statusText;
    throw new Error(`the server answered ${response.status}: ${issue}`);
  }
  for (const parameter of answer.parameter ?? []) {
    if (parameter.name in totals) totals[parameter.name as keyof Totals] += parameter.valueInteger ?? 0;
    if (parameter.name === 'outcome') {
      for (const issue of (parameter.resource as OperationOutcome).issue) {
        // line numbers in the answer count from this request's first line
        problems.push(
          issue.diagnostics!.replace(/^Line (\d+)/, (_, n: string) => `line ${Number(n) + firstLine - 1}`),
        );
      }
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string', default: 'http://localhost:8080/fhir' },
      token: { type: 'string' },
      lines: { type: 'string', default: '20000' },
    },
  });
  const source = positionals[0];
  const perRequest = Number(values.lines);
  if (!source || !Number.isInteger(perRequest) || perRequest < 1) {
    console.error(
      'usage: npm run load -- <file.ndjson | DIR | -> [--server URL] [--token TOKEN] [--lines N]',
    );
    return 2;
  }
  const url = values.server.replace(/\/+$/, '');
  const token = values.token ?? process.env.NIMS_TOKEN;
  // a directory made by `npm run generate` holds its people in Patient.ndjson
  const path = source !== '-' && statSync(source).isDirectory() ? join(source, 'Patient.ndjson') : source;
  const size = path === '-' ? 0 : statSync(path).size;
  const input = path === '-' ? process.stdin : createReadStream(path);
  const totals: Totals = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const problems: string[] = [];
  let bytes = 0;
  let lineNumber = 0;
  let batch: string[] = [];
  let batchStart = 1;
  const report = () =>
    size > 0
      ? progress('loading', Math.min(bytes, size), size, 'bytes')
      : process.stdout.write(`\rloading: ${lineNumber} lines`);
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++;
    bytes += Buffer.byteLength(line) + 1;
    batch.push(line);
    if (batch.length >= perRequest) {
      await send(url, token, batch, batchStart, totals, problems);
      batch = [];
      batchStart = lineNumber + 1;
      report();
    }
  }
  if (batch.length > 0) await send(url, token, batch, batchStart, totals, problems);
  bytes = size;
  report();
  if (size === 0) process.stdout.write('\n');
  for (const problem of problems.slice(0, 20)) console.log(`  rejected ${problem}`);
  if (problems.length > 20) console.log(`  … and ${totals.rejected - 20} more rejected lines`);
  console.log(
    `created ${totals.created}, updated ${totals.updated}, unchanged ${totals.unchanged}, rejected ${totals.rejected}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nerror: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
