import { randomBytes, randomUUID } from 'node:crypto';
import type { Resource } from 'fhir/r4';
import type { Db } from 'mongodb';
import type { Access } from '../auth/access.js';
import { CohortMembers } from '../cohort/members.js';
import { fail } from '../fhir/errors.js';
import { compileCriteria, type CompiledCriteria } from '../search/criteria.js';
import { matcher } from '../search/in-memory.js';
import { findParameter, parameterNodes } from '../search/parameters.js';
import { logger } from '../shared/logger.js';
import { patientIdOf } from '../shared/references.js';
import { Expiry } from '../store/expiry.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
import { postingKeysOf } from '../store/postings.js';
import type { CurrentDocument } from '../store/repository.js';
import { resourceOf, type Kept } from '../store/kept-documents.js';
import { ExportShaper, type ExportProfile } from './profiles.js';

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

export interface ExportRequest {
  level: 'system' | 'patient' | 'group';
  group?: string;
  types: string[];
  since?: string;
  /** Per type, the search criteria a resource must meet (any of them), as query strings (FerretDB keeps no nested arrays). */
  typeFilters: Record<string, string[]>;
  /** The kick-off URL, as the manifest repeats it. */
  request: string;
}

export interface ExportJob extends ExportRequest {
  _id: string;
  client: string;
  profile: string;
  state: 'in-progress' | 'completed' | 'failed' | 'cancelled';
  transactionTime: string;
  /** Per type: resources written and chunks stored. */
  files: { type: string; count: number; chunks: number }[];
  current?: string;
  written: number;
  error?: string;
  heartbeat: Date;
  expires: Date;
}

interface FileChunk {
  _id: string;
  job: string;
  ndjson: string;
  expires: Date;
}

const chunkId = (job: string, type: string, n: number) => `${job}/${type}/${String(n).padStart(6, '0')}`;

/** A `_typeFilter` query compiled, with its filter's test made once for every document. */
type TypeFilter = CompiledCriteria & { test: (doc: object) => boolean };

/** Whether a stored document meets compiled criteria: its filter, its postings and its ids. */
function meets(type: string, doc: Kept<CurrentDocument>, criteria: TypeFilter): boolean {
  if (!criteria.test(doc)) return false;
  if (criteria.idGroups.some((ids) => !ids.includes(doc._id))) return false;
  if (criteria.postingGroups.length === 0) return true;
  const held = new Set(postingKeysOf(type, doc.idx).all);
  return criteria.postingGroups.every((keys) => keys.some((k) => held.has(k)));
}

/** The person a resource of the Patient compartment belongs to. */
function patientOf(resource: Resource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  const param = findParameter(resource.resourceType, 'patient');
  if (!param) return undefined;
  for (const node of parameterNodes(resource, param)) {
    const id = patientIdOf((node as { reference?: string }).reference);
    if (id) return id;
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
  private readonly jobs;
  private readonly chunks;
  private readonly jobExpiry;
  private readonly chunkExpiry;
  private readonly members;
  private readonly running = new Map<string, Promise<void>>();
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly db: Db,
    readonly profiles: ExportProfile[],
    private readonly ttlMs: number,
  ) {
    this.jobs = db.collection<ExportJob>('export_jobs');
    this.chunks = db.collection<FileChunk>('export_files');
    this.jobExpiry = new Expiry(this.jobs);
    this.chunkExpiry = new Expiry(this.chunks);
    this.members = new CohortMembers(db);
  }

  /** The pseudonym key: made once and kept in the database, so pseudonyms are stable across exports. */
  private pseudonymKey(): Promise<Buffer> {
    this.key ??= (async () => {
      const keys = this.db.collection<{ _id: string; key: string }>('export_keys');
      try {
        await keys.insertOne({ _id: 'pseudonym', key: randomBytes(32).toString('base64') });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      return Buffer.from((await keys.findOne({ _id: 'pseudonym' }))!.key, 'base64');
    })().catch((error: unknown) => {
      // the database may be back for the next export
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  profile(name: string): ExportProfile {
    return this.profiles.find((p) => p.name === name)!;
  }

  /** Starts an export for a client; answers the job id at once. */
  async start(access: Access, profile: ExportProfile, request: ExportRequest): Promise<string> {
    this.jobExpiry.touch();
    this.chunkExpiry.touch();
    const job: ExportJob = {
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
      .catch(async (error: unknown) => {
        logger.error('export failed', { job: job._id, error: String(error) });
        // with the database gone this cannot be written: the job is found cut off by its heartbeat instead
        await this.jobs
          .updateOne(
            { _id: job._id, state: 'in-progress' },
            { $set: { state: 'failed', error: 'The export failed; start it again' } },
          )
          .catch(() => undefined);
      })
      .finally(() => this.running.delete(job._id));
    this.running.set(job._id, run);
    return job._id;
  }

  /** A client's own job (another client's is as unknown as none); a job cut off by a restart has failed. */
  async get(access: Access, id: string): Promise<ExportJob> {
    const job = await this.jobs.findOne({ _id: id });
    if (!job || job.client !== access.clientId || job.state === 'cancelled' || job.expires < new Date())
      fail('not-found', `No export ${id} is known to this client`);
    if (
      job.state === 'in-progress' &&
      !this.running.has(id) &&
      Date.now() - job.heartbeat.getTime() > 4 * HEARTBEAT_MS
    ) {
      await this.jobs.updateOne(
        { _id: id, state: 'in-progress' },
        { $set: { state: 'failed', error: 'The export was cut off (the server stopped); start it again' } },
      );
      return {
        ...job,
        state: 'failed',
        error: 'The export was cut off (the server stopped); start it again',
      };
    }
    return job;
  }

  /** Cancels a job (or forgets a finished one) and removes its files. */
  async cancel(access: Access, id: string): Promise<void> {
    await this.get(access, id);
    await this.jobs.updateOne({ _id: id }, { $set: { state: 'cancelled' } });
    await this.running.get(id);
    await this.chunks.deleteMany({ job: id });
  }

  /** A file of a completed job, as NDJSON pieces in order. */
  async *file(access: Access, id: string, type: string): AsyncGenerator<string> {
    const job = await this.get(access, id);
    const file = job.files.find((f) => f.type === type);
    if (job.state !== 'completed' || !file) fail('not-found', `Export ${id} has no file for ${type}`);
    for (let n = 0; n < file.chunks; n++) {
      const chunk = await this.chunks.findOne({ _id: chunkId(id, type, n) });
      if (!chunk) fail('not-found', `Export ${id} has expired`);
      yield chunk.ndjson;
    }
  }

  async stop(): Promise<void> {
    for (const id of this.running.keys())
      await this.jobs.updateOne(
        { _id: id, state: 'in-progress' },
        { $set: { state: 'failed', error: 'The server stopped; start the export again' } },
      );
    await Promise.all(this.running.values());
  }

  private async run(job: ExportJob): Promise<void> {
    const shaper = new ExportShaper(this.profile(job.profile), await this.pseudonymKey());
    const members = job.group ? new Set<string>() : undefined;
    if (job.group && members) for await (const id of this.members.read(job.group)) members.add(id);
    const filters = new Map<string, TypeFilter[]>();
    for (const [type, alternatives] of Object.entries(job.typeFilters))
      filters.set(
        type,
        await Promise.all(
          alternatives.map(async (query) => {
            const criteria = await compileCriteria({
              type,
              params: [...new URLSearchParams(query)],
              baseUrl: '',
              now: Date.now(),
              resolveChain: () =>
                fail('invalid-request', '_typeFilter does not take chained parameters', ['_typeFilter']),
            });
            return { ...criteria, test: matcher(criteria.filter) };
          }),
        ),
      );
    const since = job.since;
    let written = 0;
    let lastBeat = Date.now();
    for (const type of job.types) {
      const file = { type, count: 0, chunks: 0 };
      let lines: string[] = [];
      const flush = async () => {
        if (lines.length === 0) return;
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
        .collection<Kept<CurrentDocument>>(type)
        .find(
          {},
          { projection: { res: 1, del: 1, ...(filters.has(type) ? { idx: 1 } : {}) }, batchSize: CHUNK },
        );
      for await (const doc of cursor) {
        const resource = doc.del ? undefined : resourceOf(doc.res);
        if (!resource) continue;
        if (since && (resource.meta?.lastUpdated ?? '') <= since) continue;
        if (job.level !== 'system') {
          const patient = patientOf(resource);
          if (!patient || (members && !members.has(patient))) continue;
        }
        const alternatives = filters.get(type);
        if (alternatives && !alternatives.some((c) => meets(type, doc, c))) continue;
        lines.push(JSON.stringify(shaper.shape(resource)));
        file.count++;
        written++;
        if (lines.length >= CHUNK) await flush();
        if (Date.now() - lastBeat > HEARTBEAT_MS) {
          lastBeat = Date.now();
          const beat = await this.jobs.findOneAndUpdate(
            { _id: job._id, state: 'in-progress' },
            { $set: { heartbeat: new Date(), current: type, written } },
          );
          if (!beat) return; // cancelled
        }
      }
      await flush();
      if (file.count > 0) job.files.push(file);
      const still = await this.jobs.findOneAndUpdate(
        { _id: job._id, state: 'in-progress' },
        { $set: { files: job.files, written, current: type, heartbeat: new Date() } },
      );
      if (!still) return;
    }
    await this.jobs.updateOne(
      { _id: job._id, state: 'in-progress' },
      { $set: { state: 'completed', written } },
    );
  }
}
