import { isDeepStrictEqual } from 'node:util';
import { FhirError } from '../fhir/errors.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { attributeProblem, attributesOf, withSourceAttributes } from './attributes.js';
import { groupBy } from '../shared/group.js';
/** Lines read, checked and written together. */
const BATCH = 1000;
const PARALLEL_UPDATES = 16;
const MAX_LISTED = 1000;
/** NHS numbers a membership document holds. */
const CHUNK = 20_000;
/** The columns of an attribute list, in CSV (with this header) and as the keys of NDJSON objects. */
export const ATTRIBUTE_COLUMNS = [
    'nhs_number',
    'attribute',
    'detail',
    'start',
    'end',
    'organisation',
    'source',
];
/**
 * Loads one source's attribute list (CSV or NDJSON of NHS number, attribute, period, detail, employer)
 * and makes it the whole of that source: each person named gets exactly the listed attributes from it,
 * and people the source named last time but not now lose theirs. Other sources' attributes are never
 * touched. A person whose line is refused keeps what the source gave before, and a list whose every
 * line is refused takes nothing from anyone. Who a source named is kept in `attribute_lists`, chunk by
 * chunk, addressed by `_id`.
 */
export class AttributeLoader {
    db;
    repository;
    source;
    report = {
        people: 0,
        changed: 0,
        unchanged: 0,
        removed: 0,
        rejected: 0,
        problems: [],
    };
    /** People named by this load: their attributes from this source are the ones this load wrote. */
    named = new Set();
    /** People whose lines were refused: they keep what the source gave them before. */
    kept = new Set();
    constructor(db, repository, source) {
        this.db = db;
        this.repository = repository;
        this.source = source;
    }
    reject(line, reason) {
        this.report.rejected++;
        if (this.report.problems.length < MAX_LISTED)
            this.report.problems.push({ line, reason });
    }
    entryOf(record) {
        if (!record.fields)
            return void this.reject(record.line, record.unreadable ?? 'the line cannot be read');
        const text = (name) => {
            const value = record.fields[name];
            return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
        };
        const unknown = Object.keys(record.fields).filter((k) => !ATTRIBUTE_COLUMNS.includes(k));
        if (unknown.length > 0)
            return void this.reject(record.line, `unknown column(s): ${unknown.join(', ')}`);
        const wrongType = Object.entries(record.fields).find(([, v]) => v !== null && typeof v !== 'string');
        if (wrongType)
            return void this.reject(record.line, `${wrongType[0]} must be text`);
        const nhsNumber = text('nhs_number')?.replace(/\s/g, '');
        if (!nhsNumber || !isValidNhsNumber(nhsNumber))
            return void this.reject(record.line, 'nhs_number is not a valid NHS number');
        const refuse = (reason) => {
            this.kept.add(nhsNumber);
            this.reject(record.line, reason);
        };
        const source = text('source') ?? this.source;
        if (source !== this.source)
            return void refuse(`the line is from source '${source}', not '${this.source}'`);
        const raw = {
            group: text('attribute'),
            source,
            ...(text('detail') ? { detail: text('detail') } : {}),
            ...(text('start') ? { start: text('start') } : {}),
            ...(text('end') ? { end: text('end') } : {}),
            ...(text('organisation') ? { organisation: text('organisation').toUpperCase() } : {}),
        };
        const problem = attributeProblem(raw);
        if (problem)
            return void refuse(problem);
        return { line: record.line, nhsNumber, attribute: raw };
    }
    async load(records) {
        let batch = [];
        for await (const record of records) {
            const entry = this.entryOf(record);
            if (!entry)
                continue;
            batch.push(entry);
            if (batch.length >= BATCH) {
                await this.write(batch);
                batch = [];
            }
        }
        await this.write(batch);
        // a list that is all errors is no list: nobody loses anything by it
        if (this.named.size > 0 || this.report.rejected === 0)
            await this.removeUnnamed();
        this.report.people = this.named.size;
        this.report.problems.sort((a, b) => a.line - b.line);
        return this.report;
    }
    async holders(nhsNumbers) {
        const found = await this.repository.holders('Patient', 'identifier', nhsNumbers.map((n) => `${NHS_NUMBER_SYSTEM}|${n}`));
        return new Map([...found].map(([key, stored]) => [key.slice(NHS_NUMBER_SYSTEM.length + 1), stored]));
    }
    async write(batch) {
        const byPerson = groupBy(batch, (entry) => entry.nhsNumber);
        const people = await this.holders([...byPerson.keys()]);
        const changes = [];
        for (const [nhsNumber, entries] of byPerson) {
            const stored = people.get(nhsNumber);
            if (!stored) {
                for (const e of entries)
                    this.reject(e.line, `no Patient has the NHS number ${nhsNumber}`);
                continue;
            }
            const patient = stored.resource;
            // named earlier in this load: what this load already gave them from the source stays
            const earlier = this.named.has(nhsNumber)
                ? attributesOf(patient).filter((a) => a.source === this.source)
                : [];
            const attributes = [...earlier, ...entries.map((e) => e.attribute)].filter((a, i, all) => all.findIndex((b) => isDeepStrictEqual(a, b)) === i);
            this.named.add(nhsNumber);
            const updated = withSourceAttributes(patient, this.source, attributes);
            if (isDeepStrictEqual(updated, patient))
                this.report.unchanged += entries.length;
            else
                changes.push([stored, updated, entries]);
        }
        await this.apply(changes, (entries) => {
            this.report.changed += entries.length;
        });
    }
    /** Writes new versions, a few at a time; a person changed meanwhile has their lines rejected. */
    async apply(changes, done) {
        for (let start = 0; start < changes.length; start += PARALLEL_UPDATES) {
            await Promise.all(changes.slice(start, start + PARALLEL_UPDATES).map(async ([stored, resource, entries]) => {
                try {
                    await this.repository.write({
                        type: 'Patient',
                        id: stored.id,
                        resource,
                        method: 'PUT',
                        expectedVersion: stored.versionId,
                    });
                    done(entries);
                }
                catch (error) {
                    if (!(error instanceof FhirError))
                        throw error;
                    const reason = `${error.message} (the person changed during the load; load the list again)`;
                    if (entries.length === 0)
                        this.reject(0, reason);
                    for (const e of entries)
                        this.reject(e.line, reason);
                }
            }));
        }
    }
    /** Takes this source's attributes from the people it named last time and not now; records who it names. */
    async removeUnnamed() {
        const lists = this.db.collection('attribute_lists');
        const head = (await lists.findOne({ _id: this.source }));
        const generation = (head?.generation ?? 0) + 1;
        const named = [...new Set([...this.named, ...this.kept])].sort();
        const chunks = Math.ceil(named.length / CHUNK);
        for (let k = 0; k < chunks; k++)
            await lists.replaceOne({ _id: `${this.source}/${generation}/${k}` }, { nhsNumbers: named.slice(k * CHUNK, (k + 1) * CHUNK) }, { upsert: true });
        for (let k = 0; k < (head?.chunks ?? 0); k++) {
            const chunk = (await lists.findOne({
                _id: `${this.source}/${head.generation}/${k}`,
            }));
            const gone = (chunk?.nhsNumbers ?? []).filter((n) => !this.named.has(n) && !this.kept.has(n));
            for (let start = 0; start < gone.length; start += BATCH) {
                const people = await this.holders(gone.slice(start, start + BATCH));
                const changes = [];
                for (const stored of people.values()) {
                    const patient = stored.resource;
                    const updated = withSourceAttributes(patient, this.source, []);
                    if (!isDeepStrictEqual(updated, patient))
                        changes.push([stored, updated, []]);
                }
                await this.apply(changes, () => {
                    this.report.removed++;
                });
            }
        }
        await lists.replaceOne({ _id: this.source }, { generation, chunks }, { upsert: true });
        for (let k = 0; k < (head?.chunks ?? 0); k++)
            await lists.deleteOne({ _id: `${this.source}/${head.generation}/${k}` });
    }
}
//# sourceMappingURL=attribute-load.js.map