// `npm run load -- <file.ndjson | DIR | -> [--type TYPE] [--server URL] [--token TOKEN] [--lines N]`: loads
// NDJSON into a running server through {type}/$load, in requests of N lines (so no request runs for long),
// with a progress bar, and sums the server's answers. A file's type is --type, else its name
// (Patient.ndjson), else Patient. `npm run load -- list.csv --source NAME` loads a priority-group list
// through Patient/$load-attributes, whole in one streamed request (it replaces what that source gave
// before). A directory made by `npm run generate` is loaded file by file in the order references need:
// Organization, Patient, Immunization, then each attributes-{source}.csv. The token comes from --token or
// NIMS_TOKEN (none is needed against AUTH=off).
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { progress } from '../shared/progress.js';
/** Types a directory may hold, in load order (vaccinations name people, people name practices). */
const DIRECTORY_TYPES = ['Organization', 'Patient', 'Immunization'];
async function send(url, token, lines, firstLine, totals, problems) {
    const response = await fetch(url, {
        method: 'POST',
        headers: {
            'content-type': 'application/fhir+ndjson',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: `${lines.join('\n')}\n`,
    });
    const answer = (await response.json());
    if (!response.ok || answer.resourceType !== 'Parameters') {
        const issue = answer.issue?.[0]?.diagnostics ?? response.statusText;
        throw new Error(`the server answered ${response.status}: ${issue}`);
    }
    for (const parameter of answer.parameter ?? []) {
        if (parameter.name in totals)
            totals[parameter.name] += parameter.valueInteger ?? 0;
        if (parameter.name === 'outcome') {
            for (const issue of parameter.resource.issue) {
                // line numbers in the answer count from this request's first line
                problems.push(issue.diagnostics.replace(/^Line (\d+)/, (_, n) => `line ${Number(n) + firstLine - 1}`));
            }
        }
    }
}
/** Loads one NDJSON file (or stdin) into `{type}/$load`; answers the number of rejected lines. */
async function loadFile(path, loadUrl, token, perRequest) {
    const size = path === '-' ? 0 : statSync(path).size;
    const input = path === '-' ? process.stdin : createReadStream(path);
    const totals = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    const problems = [];
    const label = `loading ${basename(path) === '-' ? 'stdin' : basename(path)}`;
    let bytes = 0;
    let lineNumber = 0;
    let batch = [];
    let batchStart = 1;
    const report = () => size > 0
        ? progress(label, Math.min(bytes, size), size, 'bytes')
        : process.stdout.write(`\r${label}: ${lineNumber} lines`);
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNumber++;
        bytes += Buffer.byteLength(line) + 1;
        batch.push(line);
        if (batch.length >= perRequest) {
            await send(loadUrl, token, batch, batchStart, totals, problems);
            batch = [];
            batchStart = lineNumber + 1;
            report();
        }
    }
    if (batch.length > 0)
        await send(loadUrl, token, batch, batchStart, totals, problems);
    bytes = size;
    report();
    if (size === 0)
        process.stdout.write('\n');
    for (const problem of problems.slice(0, 20))
        console.log(`  rejected ${problem}`);
    if (problems.length > 20)
        console.log(`  … and ${totals.rejected - 20} more rejected lines`);
    console.log(`created ${totals.created}, updated ${totals.updated}, unchanged ${totals.unchanged}, rejected ${totals.rejected}`);
    return totals.rejected;
}
/** Streams a whole attribute list to Patient/$load-attributes, with progress by bytes sent. */
async function loadList(path, url, source, token) {
    const size = statSync(path).size;
    const label = `loading ${basename(path)}`;
    let sent = 0;
    const file = createReadStream(path).on('data', (chunk) => {
        sent += chunk.length;
        progress(label, sent, size, 'bytes');
    });
    const response = await fetch(`${url}/Patient/$load-attributes?source=${encodeURIComponent(source)}`, {
        method: 'POST',
        headers: {
            'content-type': path.endsWith('.csv') ? 'text/csv' : 'application/x-ndjson',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: Readable.toWeb(file),
        duplex: 'half',
    });
    const answer = (await response.json());
    if (!response.ok || answer.resourceType !== 'Parameters') {
        const issue = answer.issue?.[0]?.diagnostics ?? response.statusText;
        throw new Error(`the server answered ${response.status}: ${issue}`);
    }
    const counts = (answer.parameter ?? []).filter((p) => p.valueInteger !== undefined);
    const outcome = answer.parameter?.find((p) => p.name === 'outcome')?.resource;
    for (const issue of outcome?.issue.slice(0, 20) ?? [])
        console.log(`  rejected ${issue.diagnostics}`);
    console.log(counts.map((p) => `${p.name} ${p.valueInteger}`).join(', '));
}
async function main(argv) {
    const { positionals, values } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            server: { type: 'string', default: 'http://localhost:8080/fhir' },
            token: { type: 'string' },
            lines: { type: 'string', default: '20000' },
            type: { type: 'string' },
            source: { type: 'string' },
        },
    });
    const source = positionals[0];
    const perRequest = Number(values.lines);
    if (!source || !Number.isInteger(perRequest) || perRequest < 1) {
        console.error('usage: npm run load -- <file.ndjson | list.csv --source NAME | DIR | -> [--type TYPE] [--server URL] [--token TOKEN] [--lines N]');
        return 2;
    }
    const url = values.server.replace(/\/+$/, '');
    const token = values.token ?? process.env.NIMS_TOKEN;
    if (values.source !== undefined) {
        await loadList(source, url, values.source, token);
        return 0;
    }
    const directory = source !== '-' && statSync(source).isDirectory();
    const files = directory
        ? DIRECTORY_TYPES.map((type) => ({ type, path: join(source, `${type}.ndjson`) })).filter((f) => existsSync(f.path))
        : [
            {
                type: values.type ?? DIRECTORY_TYPES.find((t) => basename(source) === `${t}.ndjson`) ?? 'Patient',
                path: source,
            },
        ];
    const lists = directory
        ? readdirSync(source)
            .filter((name) => /^attributes-[A-Za-z0-9._-]+\.csv$/.test(name))
            .sort()
        : [];
    if (files.length === 0 && lists.length === 0) {
        console.error(`${source} holds none of ${DIRECTORY_TYPES.map((t) => `${t}.ndjson`).join(', ')}`);
        return 2;
    }
    for (const { type, path } of files)
        await loadFile(path, `${url}/${type}/$load`, token, perRequest);
    for (const name of lists)
        await loadList(join(source, name), url, name.replace(/^attributes-/, '').replace(/\.csv$/, ''), token);
    return 0;
}
main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
    console.error(`\nerror: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
});
//# sourceMappingURL=load.js.map