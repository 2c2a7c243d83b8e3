import { randomBytes, randomUUID } from 'node:crypto';
import { Query } from 'mingo';
import { CohortMembers } from '../cohort/members.js';
import { fail } from '../fhir/errors.js';
import { compileCriteria } from '../search/criteria.js';
import { findParameter, parameterNodes } from '../search/parameters.js';
import { logger } from '../shared/logger.js';
import { patientIdOf } from '../shared/references.js';
import { Expiry } from '../store/expiry.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
import { postingKeysOf } from '../store/postings.js';
import { ExportShaper } from './profiles.js';
/** Resources a stored file chunk holds: files are read back chunk by chunk, never whole. */
const CHUNK = 1000;
/** A running job says it is alive this often; one silent for four times as long was cut off. */
const HEARTBEAT_MS = 15_000;
/** The types of the Patient compartment nims holds: what Patient and Group exports are made of. */
export const PATIENT_COMPARTMENT = [
    'Patient',
    'Immunization',
    'Observation',
    'Consent',
    'Communication',
    'Appointment',
    'Task',
];
const chunkId = (job, type, n) => `${job}/${type}/${String(n).padStart(6, '0')}`;
/** Whether a stored document meets compiled criteria: its filter, its postings and its ids. */
function meets(doc, criteria) {
    if (!new Query(criteria.filter).test(doc))
        return false;
    if (criteria.idGroups.some((ids) => !ids.includes(doc._id)))
        return false;
    if (criteria.postingGroups.length === 0)
        return true;
    const held = new Set(postingKeysOf(doc.res.resourceType, doc.idx).all);
    return criteria.postingGroups.every((keys) => keys.some((k) => held.has(k)));
}
/** The person a resource of the Patient compartment belongs to. */
function patientOf(resource) {
    if (resource.resourceType === 'Patient')
        return resource.id;
    const param = findParameter(resource.resourceType, 'patient');
    if (!param)
        return undefined;
    for (const node of parameterNodes(resource, param)) {
        const id = patientIdOf(node.reference);
        if (id)
            return id;
    }
    return undefined;
}
/**
 * FHIR Bulk Data exports: a job per kick-off, run in the background in this process, streaming each
 * type's collection in batches, shaping each resource by the client's export profile and storing NDJSON
 * in chunks of a thousand, so neither the export nor a file is ever held in memory. The client polls
 * the job, reads the files chunk by chunk, or deletes the job; jobs and files expire.
 */
export class ExportJobs {
    db;
    profiles;
    ttlMs;
    jobs;
    chunks;
    jobExpiry;
    chunkExpiry;
    members;
    running = new Map();
    key;
    constructor(db, profiles, ttlMs) {
        this.db = db;
        this.profiles = profiles;
        this.ttlMs = ttlMs;
        this.jobs = db.collection('export_jobs');
        this.chunks = db.collection('export_files');
        this.jobExpiry = new Expiry(this.jobs);
        this.chunkExpiry = new Expiry(this.chunks);
        this.members = new CohortMembers(db);
    }
    /** The pseudonym key: made once and kept in the database, so pseudonyms are stable across exports. */
    pseudonymKey() {
        this.key ??= (async () => {
            const keys = this.db.collection('export_keys');
            try {
                await keys.insertOne({ _id: 'pseudonym', key: randomBytes(32).toString('base64') });
            }
            catch (error) {
                if (!isDuplicateKey(error))
                    throw error;
            }
            return Buffer.from((await keys.findOne({ _id: 'pseudonym' })).key, 'base64');
        })().catch((error) => {
            // the database may be back for the next export
            this.key = undefined;
            throw error;
        });
        return this.key;
    }
    profile(name) {
        return this.profiles.find((p) => p.name === name);
    }
    /** Starts an export for a client; answers the job id at once. */
    async start(access, profile, request) {
        this.jobExpiry.touch();
        this.chunkExpiry.touch();
        const job = {
            ...request,
            _id: randomUUID(),
            client: access.clientId,
            profile: profile.name,
            state: 'in-progress',
            transactionTime: new Date().toISOString(),
            files: [],
            written: 0,
            heartbeat: new Date(),
            expires: new Date(Date.now() + this.ttlMs),
        };
        await this.jobs.insertOne(job);
        const run = this.run(job)
            .catch(async (error) => {
            logger.error('export failed', { job: job._id, error: String(error) });
            // with the database gone this cannot be written: the job is found cut off by its heartbeat instead
            await this.jobs
                .updateOne({ _id: job._id, state: 'in-progress' }, { $set: { state: 'failed', error: 'The export failed; start it again' } })
                .catch(() => undefined);
        })
            .finally(() => this.running.delete(job._id));
        this.running.set(job._id, run);
        return job._id;
    }
    /** A client's own job (another client's is as unknown as none); a job cut off by a restart has failed. */
    async get(access, id) {
        const job = await this.jobs.findOne({ _id: id });
        if (!job || job.client !== access.clientId || job.state === 'cancelled' || job.expires < new Date())
            fail('not-found', `No export ${id} is known to this client`);
        if (job.state === 'in-progress' &&
            !this.running.has(id) &&
            Date.now() - job.heartbeat.getTime() > 4 * HEARTBEAT_MS) {
            await this.jobs.updateOne({ _id: id, state: 'in-progress' }, { $set: { state: 'failed', error: 'The export was cut off (the server stopped); start it again' } });
            return {
                ...job,
                state: 'failed',
                error: 'The export was cut off (the server stopped); start it again',
            };
        }
        return job;
    }
    /** Cancels a job (or forgets a finished one) and removes its files. */
    async cancel(access, id) {
        await this.get(access, id);
        await this.jobs.updateOne({ _id: id }, { $set: { state: 'cancelled' } });
        await this.running.get(id);
        await this.chunks.deleteMany({ job: id });
    }
    /** A file of a completed job, as NDJSON pieces in order. */
    async *file(access, id, type) {
        const job = await this.get(access, id);
        const file = job.files.find((f) => f.type === type);
        if (job.state !== 'completed' || !file)
            fail('not-found', `Export ${id} has no file for ${type}`);
        for (let n = 0; n < file.chunks; n++) {
            const chunk = await this.chunks.findOne({ _id: chunkId(id, type, n) });
            if (!chunk)
                fail('not-found', `Export ${id} has expired`);
            yield chunk.ndjson;
        }
    }
    async stop() {
        for (const id of this.running.keys())
            await this.jobs.updateOne({ _id: id, state: 'in-progress' }, { $set: { state: 'failed', error: 'The server stopped; start the export again' } });
        await Promise.all(this.running.values());
    }
    async run(job) {
        const shaper = new ExportShaper(this.profile(job.profile), await this.pseudonymKey());
        const members = job.group ? new Set() : undefined;
        if (job.group && members)
            for await (const id of this.members.read(job.group))
                members.add(id);
        const filters = new Map();
        for (const [type, alternatives] of Object.entries(job.typeFilters))
            filters.set(type, await Promise.all(alternatives.map(async (query) => compileCriteria({
                type,
                params: [...new URLSearchParams(query)],
                baseUrl: '',
                now: Date.now(),
                resolveChain: () => fail('invalid-request', '_typeFilter does not take chained parameters', ['_typeFilter']),
            }))));
        const since = job.since;
        let written = 0;
        let lastBeat = Date.now();
        for (const type of job.types) {
            const file = { type, count: 0, chunks: 0 };
            let lines = [];
            const flush = async () => {
                if (lines.length === 0)
                    return;
                await this.chunks.insertOne({
                    _id: chunkId(job._id, type, file.chunks),
                    job: job._id,
                    ndjson: `${lines.join('\n')}\n`,
                    expires: job.expires,
                });
                file.chunks++;
                lines = [];
            };
            // the index values only when criteria need them: every byte read costs on a store that scans
            const cursor = this.db
                .collection(type)
                .find({}, { projection: { res: 1, del: 1, ...(filters.has(type) ? { idx: 1 } : {}) }, batchSize: CHUNK });
            for await (const doc of cursor) {
                if (doc.del || !doc.res)
                    continue;
                const resource = doc.res;
                if (since && (resource.meta?.lastUpdated ?? '') <= since)
                    continue;
                if (job.level !== 'system') {
                    const patient = patientOf(resource);
                    if (!patient || (members && !members.has(patient)))
                        continue;
                }
                const alternatives = filters.get(type);
                if (alternatives && !alternatives.some((c) => meets(doc, c)))
                    continue;
                lines.push(JSON.stringify(shaper.shape(resource)));
                file.count++;
                written++;
                if (lines.length >= CHUNK)
                    await flush();
                if (Date.now() - lastBeat > HEARTBEAT_MS) {
                    lastBeat = Date.now();
                    const beat = await this.jobs.findOneAndUpdate({ _id: job._id, state: 'in-progress' }, { $set: { heartbeat: new Date(), current: type, written } });
                    if (!beat)
                        return; // cancelled
                }
            }
            await flush();
            if (file.count > 0)
                job.files.push(file);
            const still = await this.jobs.findOneAndUpdate({ _id: job._id, state: 'in-progress' }, { $set: { files: job.files, written, current: type, heartbeat: new Date() } });
            if (!still)
                return;
        }
        await this.jobs.updateOne({ _id: job._id, state: 'in-progress' }, { $set: { state: 'completed', written } });
    }
}
//# sourceMappingURL=jobs.js.map