import { isDeepStrictEqual } from 'node:util';
import { refusalOf } from '../auth/access.js';
import { FhirError } from '../fhir/errors.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { columnOf, readRow } from './flat-file.js';
/** Rows checked and written together: a lookup round, one bulk create, and a lookup round for the rest. */
export const ROWS_PER_BATCH = 1000;
/** Updates and deletions written at once within a batch. */
const PARALLEL_WRITES = 16;
/** A stored resource's content, as a row would give it: without id and meta, which the server sets. */
function content(resource) {
    if (!resource)
        return undefined;
    const { id: _id, meta: _meta, ...rest } = resource;
    return rest;
}
const ACCESS_OF = { new: 'c', update: 'u', delete: 'd' };
/**
 * Applies suppliers' vaccination event rows, each on its own: a row is checked (its columns, the person
 * on the register with the same date of birth, the record it builds against the nims-immunization
 * profile, the client's programmes) and then creates, updates or deletes the record its UNIQUE_ID
 * names. Sending a row again changes nothing: a row equal to the stored record is `unchanged`. Rows are
 * taken in batches; the same UNIQUE_ID twice in a file is applied in order.
 */
export class SupplierRows {
    repository;
    validator;
    access;
    constructor(repository, validator, access) {
        this.repository = repository;
        this.validator = validator;
        this.access = access;
    }
    /** The acknowledgements of the rows, a batch at a time, in row order. */
    async *apply(records) {
        let batch = [];
        const keys = new Set();
        for await (const record of records) {
            const read = {
                line: record.line,
                row: record.fields
                    ? readRow(record.fields)
                    : { ok: false, column: '', reason: record.unreadable ?? 'the row cannot be read' },
            };
            const key = read.row.key;
            if (batch.length >= ROWS_PER_BATCH || (key !== undefined && keys.has(key))) {
                yield await this.applyBatch(batch);
                batch = [];
                keys.clear();
            }
            batch.push(read);
            if (key !== undefined)
                keys.add(key);
        }
        if (batch.length > 0)
            yield await this.applyBatch(batch);
    }
    async applyBatch(batch) {
        const acks = new Map();
        const reject = (row, column, reason, key, action) => {
            acks.set(row, {
                row,
                result: 'rejected',
                column,
                reason,
                ...(key ? { key } : {}),
                ...(action ? { action } : {}),
            });
            return [];
        };
        const rows = batch.flatMap(({ line, row }) => row.ok ? [{ ...row, row: line }] : reject(line, row.column, row.reason, row.key, row.action));
        const people = await this.repository.holders('Patient', 'identifier', [
            ...new Set(rows.map((r) => `${NHS_NUMBER_SYSTEM}|${r.nhsNumber}`)),
        ]);
        const accepted = rows.flatMap((r) => {
            const person = people.get(`${NHS_NUMBER_SYSTEM}|${r.nhsNumber}`);
            const no = (column, reason) => reject(r.row, column, reason, r.key, r.action);
            if (!person)
                return no('NHS_NUMBER', `No one with NHS number ${r.nhsNumber} is on the register`);
            const registered = person.resource.birthDate;
            if (r.birthDate && registered !== r.birthDate)
                return no('PERSON_DOB', "PERSON_DOB is not the register's date of birth for this NHS number");
            if (!r.immunization)
                return [{ row: r.row, action: r.action, key: r.key, patient: person.id }];
            const immunization = {
                ...r.immunization,
                patient: { ...r.immunization.patient, reference: `Patient/${person.id}` },
            };
            const problem = this.validator.problems(immunization).find((p) => (p.severity ?? 'error') === 'error');
            if (problem)
                return no(columnOf(problem.expression?.[0]), problem.diagnostics);
            return [{ row: r.row, action: r.action, key: r.key, immunization, patient: person.id }];
        });
        // a new record's UNIQUE_ID is claimed by creating it; only the rows it was claimed for before (sent
        // before, or by another supplier) and the changes look up what is stored
        const fresh = accepted.filter((row) => row.action === 'new' && !this.problemOf(row, undefined));
        const created = await this.repository.createMany('Immunization', fresh.map((row) => row.immunization));
        created.forEach((result, i) => {
            const row = fresh[i];
            if (!(result instanceof FhirError))
                acks.set(row.row, { ...this.done(row, 'created'), id: result.id, version: result.versionId });
            // a UNIQUE_ID held already is looked up with the rest: the same row again is `unchanged`
            else if (result.problems[0]?.code !== 'duplicate-identifier')
                reject(row.row, 'UNIQUE_ID', result.message, row.key, row.action);
        });
        const rest = accepted.filter((row) => !acks.has(row.row));
        const existing = await this.repository.holders('Immunization', 'identifier', rest.map((a) => a.key));
        const changes = [];
        for (const row of rest) {
            const stored = existing.get(row.key);
            const problem = this.problemOf(row, stored) ??
                (stored
                    ? undefined
                    : ['UNIQUE_ID', 'The record with this UNIQUE_ID changed meanwhile; send the row again']);
            if (problem)
                reject(row.row, problem[0], problem[1], row.key, row.action);
            else if (row.action !== 'delete' && isDeepStrictEqual(content(stored.resource), row.immunization))
                acks.set(row.row, { ...this.done(row, 'unchanged'), id: stored.id, version: stored.versionId });
            else
                changes.push([row, stored]);
        }
        for (let start = 0; start < changes.length; start += PARALLEL_WRITES) {
            await Promise.all(changes.slice(start, start + PARALLEL_WRITES).map(async ([row, stored]) => {
                try {
                    const result = await this.repository.write({
                        type: 'Immunization',
                        id: stored.id,
                        method: row.action === 'delete' ? 'DELETE' : 'PUT',
                        expectedVersion: stored.versionId,
                        ...(row.immunization ? { resource: { ...row.immunization, id: stored.id } } : {}),
                    });
                    acks.set(row.row, {
                        ...this.done(row, row.action === 'delete' ? 'deleted' : 'updated'),
                        id: stored.id,
                        version: result.stored.versionId,
                    });
                }
                catch (error) {
                    if (!(error instanceof FhirError))
                        throw error;
                    reject(row.row, 'UNIQUE_ID', `${error.message} (the record changed meanwhile; send the row again)`, row.key, row.action);
                }
            }));
        }
        return batch.map((r) => acks.get(r.line));
    }
    /** Why an accepted row cannot be applied to what is stored: the column at fault and the reason. */
    problemOf(row, stored) {
        if (!stored && row.action !== 'new')
            return ['UNIQUE_ID', `No current record has this UNIQUE_ID to ${row.action} (never sent, or deleted)`];
        if (stored && row.action === 'new' && !isDeepStrictEqual(content(stored.resource), row.immunization))
            return ['UNIQUE_ID', 'A record with this UNIQUE_ID exists already: send changes to it as an update'];
        if (stored && stored.resource.patient.reference !== `Patient/${row.patient}`)
            return ['NHS_NUMBER', "The record with this UNIQUE_ID is another person's"];
        // the client must be allowed what is stored and what the row would store, by programme
        const permission = ACCESS_OF[row.action];
        const refusal = (stored && refusalOf(this.access, stored.resource, permission)) ||
            (row.immunization && refusalOf(this.access, row.immunization, stored ? permission : 'c'));
        return refusal ? ['VACCINE_PRODUCT_CODE', refusal] : undefined;
    }
    done(row, result) {
        return { row: row.row, key: row.key, action: row.action, result };
    }
}
//# sourceMappingURL=rows.js.map