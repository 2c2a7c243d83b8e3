import { randomUUID } from 'node:crypto';
import { programme as programmeByCode } from '../cohort/programmes.js';
import { FhirError } from '../fhir/errors.js';
import { TASK_TYPE_SYSTEM } from '../notifications/runs.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { ukClock } from '../shared/clock.js';
import { logger } from '../shared/logger.js';
import { stableUuid } from '../shared/stable-uuid.js';
import { ANOMALY_RULES } from './anomaly-rules.js';
import { doseOf, findAnomalies, lifeDatesOf, } from './anomalies.js';
import { ANOMALY, RESOLUTION_INPUTS, typedInput } from './tasks.js';
/** The anomaly rules as a CodeSystem: the reasonCode of each anomaly Task. */
export const ANOMALY_SYSTEM = `${NIMS_BASE}/CodeSystem/vaccination-anomaly`;
/** The Task code of a whole-population scan (its progress and totals). */
export const ANOMALY_SCAN = 'anomaly-scan';
/** Who follows anomalies up, as Task.owner. */
export const DATA_RESOLUTION_TEAM = { display: 'Vaccine data resolution team' };
/** People whose current records are read again at once while opening their findings. */
const PARALLEL_PEOPLE = 16;
/** How long a process may take over a day's scheduled scan before another takes over. */
const LEASE_MS = 2 * 3_600_000;
/** How often a running scan writes its progress to its Task. */
const PROGRESS_EVERY_MS = 5000;
/**
 * The first stage of a whole-population scan: the rules on every vaccinated person's doses as the cohort
 * index keeps them (a few numbers a dose, birth and death), without reading the database. Answers the
 * people with something suspect.
 */
export function suspectsIn(people) {
    let count = 0;
    let doses = 0;
    const suspects = [];
    for (const person of people) {
        count++;
        doses += person.doses.length;
        if (findAnomalies(person.life, person.doses).length > 0)
            suspects.push(person.id);
    }
    return { people: count, doses, suspects };
}
/** What is suspect about a person, from their Patient and current records, each finding with its records. */
export function findingsOf(patient, records) {
    const doses = records.flatMap((record) => {
        const dose = doseOf(record);
        return dose ? [{ ...dose, record }] : [];
    });
    return findAnomalies(lifeDatesOf(patient), doses);
}
const dayOf = (dose) => dose.record.occurrenceDateTime.slice(0, 10);
/** A finding in words: the rule, the programme, the days. */
export function describe(finding) {
    const programme = finding.programme ? `${programmeByCode(finding.programme).display}: ` : '';
    return `${ANOMALY_RULES[finding.code]}. ${programme}${finding.doses.map(dayOf).join(', ')}`;
}
/** The same finding (rule and records) always has the same Task id: it is opened once, ever. */
export function anomalyTaskId(finding) {
    const records = finding.doses.map((d) => d.record.id).sort();
    return stableUuid(`anomaly|${finding.code}|${finding.programme ?? ''}|${records.join('|')}`);
}
function anomalyTask(patient, finding, at) {
    return {
        resourceType: 'Task',
        id: anomalyTaskId(finding),
        status: 'requested',
        intent: 'proposal',
        priority: 'routine',
        code: { coding: [{ system: TASK_TYPE_SYSTEM, code: ANOMALY }] },
        reasonCode: {
            coding: [{ system: ANOMALY_SYSTEM, code: finding.code, display: ANOMALY_RULES[finding.code] }],
            text: ANOMALY_RULES[finding.code],
        },
        description: describe(finding),
        for: { reference: `Patient/${patient.id}` },
        focus: { reference: `Immunization/${finding.doses[0].record.id}` },
        owner: DATA_RESOLUTION_TEAM,
        authoredOn: at.toISOString(),
        input: [
            typedInput(RESOLUTION_INPUTS.finding, { valueString: describe(finding) }),
            ...finding.doses.map((d) => typedInput(RESOLUTION_INPUTS.evidence, {
                valueReference: {
                    reference: `Immunization/${d.record.id}/_history/${d.record.meta?.versionId ?? '1'}`,
                },
            })),
        ],
    };
}
const count = (name, value) => ({
    type: { text: name },
    valueInteger: value,
});
/**
 * Finds suspect vaccination records (DOSE_LIMITS and the rules of anomalies.ts) and opens one `Task` per
 * finding for the data-resolution team, never two for the same finding. For one person it reads their
 * records; for the whole population it runs the rules on the cohort index's doses, then reads the current
 * records of the people with something suspect and judges those (the Task names the records as they are). A whole-population scan is a Task of its own (code
 * anomaly-scan) with its progress and totals; it runs every day at `at` (UK time) in one process.
 */
export class AnomalyScanner {
    service;
    keeper;
    leases;
    at;
    now;
    timer;
    running;
    stopped = false;
    constructor(service, keeper, leases, at, now = () => new Date()) {
        this.service = service;
        this.keeper = keeper;
        this.leases = leases;
        this.at = at;
        this.now = now;
    }
    start(everyMs = 60_000) {
        this.timer = setInterval(() => void this.scheduled(), everyMs);
        this.timer.unref();
    }
    async stop() {
        this.stopped = true;
        clearInterval(this.timer);
        await this.running;
    }
    /** One person's findings on their current records; a new one opens its Task. */
    async scanPatient(patientId) {
        const patient = (await this.service.read('Patient', patientId)).resource;
        const records = await this.service.ofPatient('Immunization', patientId);
        const findings = findingsOf(patient, records);
        const at = this.now();
        return Promise.all(findings.map(async (finding) => {
            const task = anomalyTask(patient, finding, at);
            return { finding, task: `Task/${task.id}`, opened: await this.open(task) };
        }));
    }
    /** Creates the Task unless it exists (from an earlier scan, whatever became of it since). */
    async open(task) {
        if (await this.service.readIfExists('Task', task.id))
            return false;
        try {
            await this.service.createWithId('Task', task, task.id, { byServer: true });
            return true;
        }
        catch (error) {
            // another process opened it a moment ago
            if (error instanceof FhirError &&
                ['already-exists', 'version-conflict', 'precondition-failed'].includes(error.problems[0].code))
                return false;
            throw error;
        }
    }
    /** Starts a whole-population scan in the background; answers its Task (in progress). */
    async startRun(requester) {
        const task = {
            resourceType: 'Task',
            status: 'in-progress',
            intent: 'order',
            code: { coding: [{ system: TASK_TYPE_SYSTEM, code: ANOMALY_SCAN }] },
            description: 'Anomaly scan of every vaccination record',
            authoredOn: this.now().toISOString(),
            ...(requester ? { requester: { display: requester } } : {}),
            owner: DATA_RESOLUTION_TEAM,
        };
        // refuses (503) while the index that gives birth and death is still being built
        await this.keeper.current();
        const created = (await this.service.createWithId('Task', task, randomUUID())).stored;
        const run = this.runAll(created.id).catch((error) => logger.error('anomaly scan failed', { error: String(error) }));
        this.running = run;
        return created;
    }
    /** The whole population, its progress and totals written to the scan's Task. */
    async runAll(taskId) {
        let lastWrite = Date.now();
        const report = async (status, outputs, reason) => {
            if (!taskId)
                return;
            const stored = await this.service.read('Task', taskId);
            const task = stored.resource;
            await this.service.update('Task', taskId, {
                ...task,
                status,
                lastModified: this.now().toISOString(),
                output: outputs,
                ...(reason ? { statusReason: { text: reason } } : {}),
            }, stored.versionId);
        };
        try {
            await this.keeper.current();
            const pass = suspectsIn(this.keeper.index.vaccinatedPeople());
            const totals = {
                ...pass,
                suspects: pass.suspects.length,
                findings: 0,
                opened: 0,
                byRule: {},
            };
            for (let i = 0; i < pass.suspects.length && !this.stopped; i += PARALLEL_PEOPLE) {
                const results = await Promise.all(pass.suspects.slice(i, i + PARALLEL_PEOPLE).map((id) => this.scanPatient(id).catch((error) => {
                    // a person deleted since the pass has nothing left to find
                    if (error instanceof FhirError && ['not-found', 'gone'].includes(error.problems[0].code))
                        return [];
                    throw error;
                })));
                for (const { finding, opened } of results.flat()) {
                    totals.findings++;
                    if (opened)
                        totals.opened++;
                    totals.byRule[finding.code] = (totals.byRule[finding.code] ?? 0) + 1;
                }
                if (Date.now() - lastWrite >= PROGRESS_EVERY_MS) {
                    lastWrite = Date.now();
                    await report('in-progress', [count('suspects', pass.suspects.length), count('suspects-read', i)]);
                }
            }
            await report('completed', [
                count('people', totals.people),
                count('doses', totals.doses),
                count('suspects', totals.suspects),
                count('findings', totals.findings),
                count('opened', totals.opened),
                ...Object.entries(totals.byRule).map(([rule, n]) => count(`rule:${rule}`, n)),
            ]);
            logger.info('anomaly scan done', { ...totals, byRule: undefined });
            return totals;
        }
        catch (error) {
            await report('failed', [], String(error)).catch(() => undefined);
            throw error;
        }
    }
    async scheduled() {
        const { date, time } = ukClock(this.now());
        if (time < this.at)
            return;
        const key = `anomaly-scan/${date}`;
        if (!(await this.leases.claim(key, LEASE_MS)))
            return;
        try {
            const task = await this.startRun('scheduled');
            await this.running;
            const done = (await this.service.read('Task', task.id)).resource;
            if (done.status !== 'completed')
                throw new Error(done.statusReason?.text ?? 'scan failed');
            await this.leases.finish(key);
        }
        catch (error) {
            await this.leases.release(key);
            logger.error('scheduled anomaly scan failed; trying again', { error: String(error) });
        }
    }
}
//# sourceMappingURL=anomaly-scan.js.map