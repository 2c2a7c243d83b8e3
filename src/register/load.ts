import { isDeepStrictEqual } from 'node:util';
import type { Patient, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/errors.js';
import { jsonShapeProblem } from '../fhir/json-shape.js';
import type { Validator } from '../fhir/validation.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import type { Repository, StoredVersion } from '../store/repository.js';
import type { Line } from './ndjson.js';

/** Lines checked and written together: one lookup round and one bulk insert each. */
const BATCH = 1000;
/** Updates written at once within a batch. */
const PARALLEL_UPDATES = 16;
/** Rejected lines listed in the answer; beyond this they are only counted. */
const MAX_LISTED = 1000;

export interface LoadReport {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The first MAX_LISTED rejected lines and why. */
  problems: { line: number; reason: string }[];
}

interface Candidate {
  line: number;
  nhsNumber: string;
  resource: Patient;
}

/** A resource's content for comparison: without id and meta, which the server sets. */
function content(resource: Resource): Omit<Resource, 'id' | 'meta'> {
  const { id: _id, meta: _meta, ...rest } = resource;
  return rest;
}

/**
 * Upserts people by NHS number from NDJSON lines: new NHS numbers are created, changed people get a new
 * version, unchanged ones are left alone, so loading the same file twice changes nothing. Bad lines are
 * rejected with their number and the reason; the rest still load. A line's `id` and `meta` are ignored:
 * the NHS number decides who it is.
 */
export class RegisterLoader {
  private readonly report: LoadReport = { created: 0, updated: 0, unchanged: 0, rejected: 0, problems: [] };

  constructor(
    private readonly repository: Repository,
    private readonly validator: Validator,
  ) {}

  private reject(line: number, reason: string): void {
    this.report.rejected++;
    if (this.report.problems.length < MAX_LISTED) this.report.problems.push({ line, reason });
  }

  /** A line as a Patient to load, or undefined when it was rejected. */
  private parse(line: Line): Candidate | undefined {
    if (line.text === undefined) return void this.reject(line.number, 'the line is too long');
    const shape = jsonShapeProblem(line.text);
    if (shape) return void this.reject(line.number, `the line ${shape.text}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.text);
    } catch {
      return void this.reject(line.number, 'the line is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as Resource).resourceType !== 'Patient')
      return void this.reject(line.number, 'the line is not a Patient');
    const resource = content(parsed as Patient) as Patient;
    const problems = this.validator.problems(resource).filter((p) => (p.severity ?? 'error') === 'error');
    if (problems.length > 0)
      return void this.reject(line.number, problems.map((p) => p.diagnostics).join('; '));
    const nhsNumber = resource.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value;
    if (!nhsNumber) return void this.reject(line.number, 'the Patient has no NHS number');
    return { line: line.number, nhsNumber, resource };
  }

  async load(lines: AsyncIterable<Line>): Promise<LoadReport> {
    let batch = new Map<string, Candidate>();
    for await (const line of lines) {
      const candidate = this.parse(line);
      if (!candidate) continue;
      // a person twice in a batch: the earlier lines are written first, so the later one wins
      if (batch.has(candidate.nhsNumber) || batch.size >= BATCH) {
        await this.write([...batch.values()]);
        batch = new Map();
      }
      batch.set(candidate.nhsNumber, candidate);
    }
    await this.write([...batch.values()]);
    return this.report;
  }

  private async write(batch: Candidate[]): Promise<void> {
    if (batch.length === 0) return;
    const holders = await this.repository.holders(
      'Patient',
      'identifier',
      batch.map((c) => `${NHS_NUMBER_SYSTEM}|${c.nhsNumber}`),
    );
    const creates: Candidate[] = [];
    const updates: [Candidate, StoredVersion][] = [];
    for (const candidate of batch) {
      const existing = holders.get(`${NHS_NUMBER_SYSTEM}|${candidate.nhsNumber}`);
      if (!existing) creates.push(candidate);
      else if (isDeepStrictEqual(content(existing.resource!), candidate.resource)) this.report.unchanged++;
      else updates.push([candidate, existing]);
    }
    const created = await this.repository.createMany(
      'Patient',
      creates.map((c) => c.resource),
    );
    created.forEach((result, i) => {
      if (result instanceof FhirError) this.reject(creates[i]!.line, result.message);
      else this.report.created++;
    });
    for (let start = 0; start < updates.length; start += PARALLEL_UPDATES) {
      await Promise.all(
        updates.slice(start, start + PARALLEL_UPDATES).map(async ([candidate, existing]) => {
          try {
            await this.repository.write({
              type: 'Patient',
              id: existing.id,
              resource: candidate.resource,
              method: 'PUT',
              expectedVersion: existing.versionId,
            });
            this.report.updated++;
          } catch (error) {
            if (!(error instanceof FhirError)) throw error;
            this.reject(
              candidate.line,
              `${error.message} (the person changed during the load; load the line again)`,
            );
          }
        }),
      );
    }
  }
}
