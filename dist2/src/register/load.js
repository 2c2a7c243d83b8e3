import { isDeepStrictEqual } from 'node:util';
import { FhirError } from '../fhir/errors.js';
import { jsonShapeProblem } from '../fhir/json-shape.js';
import { IDENTIFIER_SYSTEMS } from '../resources/extensions.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
/** Lines checked and written together: one lookup round and one bulk insert each. */
const BATCH = 1000;
/** Updates written at once within a batch. */
const PARALLEL_UPDATES = 16;
/** Rejected lines listed in the answer; beyond this they are only counted. */
const MAX_LISTED = 1000;
/**
 * The types `$load` takes, each with the identifier systems that say which stored resource a line is
 * (any system when empty): people by NHS number, areas by ODS or GSS code, vaccinations by their own
 * identifier.
 */
export const LOAD_KEYS = {
    Patient: [NHS_NUMBER_SYSTEM],
    Organization: [ODS_CODE_SYSTEM, IDENTIFIER_SYSTEMS.gssCode],
    Immunization: [],
};
/** Whether a resource holds the identifier `system|value` only as `old` (superseded by a merge). */
function keptAsOld(resource, key) {
    const identifiers = resource
        .identifier;
    return (identifiers ?? []).some((i) => `${i.system}|${i.value}` === key && i.use === 'old');
}
/** A resource's content for comparison: without id and meta, which the server sets. */
function content(resource) {
    const { id: _id, meta: _meta, ...rest } = resource;
    return rest;
}
/**
 * Upserts resources of one type from NDJSON lines by their key identifier (LOAD_KEYS): new ones are
 * created, changed ones get a new version, unchanged ones are left alone, so loading the same file twice
 * changes nothing. Bad lines are rejected with their number and the reason; the rest still load. A
 * line's `id` and `meta` are ignored: the identifier decides which resource it is. A vaccination may name
 * its patient by NHS number alone; the reference to the Patient is filled in.
 */
export class ResourceLoader {
    repository;
    validator;
    type;
    report = { created: 0, updated: 0, unchanged: 0, rejected: 0, problems: [] };
    constructor(repository, validator, type) {
        this.repository = repository;
        this.validator = validator;
        this.type = type;
    }
    reject(line, reason) {
        this.report.rejected++;
        if (this.report.problems.length < MAX_LISTED)
            this.report.problems.push({ line, reason });
    }
    /** A line as a Patient to load, or undefined when it was rejected. */
    parse(line) {
        if (line.text === undefined)
            return void this.reject(line.number, 'the line is too long');
        const shape = jsonShapeProblem(line.text);
        if (shape)
            return void this.reject(line.number, `the line ${shape.text}`);
        let parsed;
        try {
            parsed = JSON.parse(line.text);
        }
        catch {
            return void this.reject(line.number, 'the line is not JSON');
        }
        if (typeof parsed !== 'object' || parsed === null || parsed.resourceType !== this.type)
            return void this.reject(line.number, `the line is not a ${this.type}`);
        const resource = content(parsed);
        const problems = this.validator.problems(resource).filter((p) => (p.severity ?? 'error') === 'error');
        if (problems.length > 0)
            return void this.reject(line.number, problems.map((p) => p.diagnostics).join('; '));
        const systems = LOAD_KEYS[this.type] ?? [];
        const identifier = (resource.identifier ?? []).find((i) => i.system && i.value && (systems.length === 0 || systems.includes(i.system)));
        if (!identifier)
            return void this.reject(line.number, `the ${this.type} has no identifier${systems.length > 0 ? ` of ${systems.join(' or ')}` : ''}`);
        return { line: line.number, key: `${identifier.system}|${identifier.value}`, resource };
    }
    async load(lines) {
        let batch = new Map();
        for await (const line of lines) {
            const candidate = this.parse(line);
            if (!candidate)
                continue;
            // the same key twice in a batch: the earlier lines are written first, so the later one wins
            if (batch.has(candidate.key) || batch.size >= BATCH) {
                await this.write([...batch.values()]);
                batch = new Map();
            }
            batch.set(candidate.key, candidate);
        }
        await this.write([...batch.values()]);
        return this.report;
    }
    /** Fills in the Patient reference of vaccinations that name their patient by NHS number only. */
    async resolvePatients(batch) {
        const byNumber = (c) => {
            const { reference, identifier } = c.resource.patient;
            return !reference && identifier?.system && identifier.value
                ? `${identifier.system}|${identifier.value}`
                : undefined;
        };
        const wanted = [...new Set(batch.flatMap((c) => byNumber(c) ?? []))];
        if (wanted.length === 0)
            return batch;
        const patients = await this.repository.holders('Patient', 'identifier', wanted);
        return batch.flatMap((candidate) => {
            const key = byNumber(candidate);
            if (!key)
                return [candidate];
            const patient = patients.get(key);
            if (!patient) {
                this.reject(candidate.line, `no Patient has the identifier ${key}`);
                return [];
            }
            const immunization = candidate.resource;
            return [
                {
                    ...candidate,
                    resource: {
                        ...immunization,
                        patient: { ...immunization.patient, reference: `Patient/${patient.id}` },
                    },
                },
            ];
        });
    }
    async write(candidates) {
        const batch = this.type === 'Immunization' ? await this.resolvePatients(candidates) : candidates;
        if (batch.length === 0)
            return;
        const holders = await this.repository.holders(this.type, 'identifier', batch.map((c) => c.key));
        const creates = [];
        const updates = [];
        for (const candidate of batch) {
            const existing = holders.get(candidate.key);
            if (existing && keptAsOld(existing.resource, candidate.key))
                this.reject(candidate.line, `${candidate.key} was superseded by a merge into ${this.type}/${existing.id}: load that record by its identifier now`);
            else if (!existing)
                creates.push(candidate);
            else if (isDeepStrictEqual(content(existing.resource), candidate.resource))
                this.report.unchanged++;
            else
                updates.push([candidate, existing]);
        }
        const created = await this.repository.createMany(this.type, creates.map((c) => c.resource));
        created.forEach((result, i) => {
            if (result instanceof FhirError)
                this.reject(creates[i].line, result.message);
            else
                this.report.created++;
        });
        for (let start = 0; start < updates.length; start += PARALLEL_UPDATES) {
            await Promise.all(updates.slice(start, start + PARALLEL_UPDATES).map(async ([candidate, existing]) => {
                try {
                    await this.repository.write({
                        type: this.type,
                        id: existing.id,
                        resource: candidate.resource,
                        method: 'PUT',
                        expectedVersion: existing.versionId,
                    });
                    this.report.updated++;
                }
                catch (error) {
                    if (!(error instanceof FhirError))
                        throw error;
                    this.reject(candidate.line, `${error.message} (it changed during the load; load the line again)`);
                }
            }));
        }
    }
}
//# sourceMappingURL=load.js.map