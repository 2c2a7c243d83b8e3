import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { fail } from '../fhir/errors.js';
import { csvRecords } from '../register/records.js';
import { logger } from '../shared/logger.js';
import { Expiry } from '../store/expiry.js';
import { isUnavailable } from '../store/mongo-errors.js';
import { SupplierRows } from './rows.js';
/** The input is stored in pieces of about this many characters, and read back piece by piece. */
const INPUT_PIECE = 1 << 20;
/** Largest file taken: far beyond a million rows of the national flat file. */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** A running upload says it is alive this often; one silent for four times as long is taken up again. */
const HEARTBEAT_MS = 15_000;
export const RESULTS = ['created', 'updated', 'deleted', 'unchanged', 'rejected'];
export const ACK_COLUMNS = [
    'ROW',
    'UNIQUE_ID_URI',
    'UNIQUE_ID',
    'ACTION_FLAG',
    'RESULT',
    'IMMUNIZATION_ID',
    'VERSION',
    'COLUMN',
    'REASON',
];
const pieceId = (job, n) => `${job}/${String(n).padStart(7, '0')}`;
/** One CSV field, quoted when it holds the delimiter, a quote or a line break. */
function field(value, delimiter) {
    const text = value === undefined ? '' : String(value);
    return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
/** Acknowledgement lines, in the input's delimiter. */
export function ackLines(acks, delimiter) {
    return acks
        .map((a) => {
        const [uri, id] = a.key
            ? [a.key.slice(0, a.key.lastIndexOf('|')), a.key.slice(a.key.lastIndexOf('|') + 1)]
            : [];
        return [a.row, uri, id, a.action, a.result, a.id, a.version, a.column, a.reason]
            .map((v) => field(v, delimiter))
            .join(delimiter);
    })
        .map((line) => `${line}\n`)
        .join('');
}
/** Skips the first `count` records of a stream of them (rows applied before a restart). */
async function* skipFirst(records, count) {
    let seen = 0;
    for await (const record of records)
        if (seen++ >= count)
            yield record;
}
/**
 * Suppliers' vaccination event files, received whole and then applied in the background: the file is
 * stored in pieces as it arrives (never held in memory), rows are applied in batches by SupplierRows,
 * and each batch's acknowledgement lines are stored as one piece, with the job's counts, so a run cut off
 * by a restart is taken up where it stopped. The same file from the same client (by SHA-256) is the
 * same upload: sending it again answers the first upload and applies nothing. Jobs, their input and
 * their acknowledgements expire.
 */
export class SupplierUploads {
    repository;
    validator;
    ttlMs;
    jobs;
    input;
    acks;
    expiries;
    running = new Map();
    stopping = false;
    constructor(db, repository, validator, ttlMs) {
        this.repository = repository;
        this.validator = validator;
        this.ttlMs = ttlMs;
        this.jobs = db.collection('batch_uploads');
        this.input = db.collection('batch_upload_input');
        this.acks = db.collection('batch_upload_acks');
        this.expiries = [new Expiry(this.jobs), new Expiry(this.input), new Expiry(this.acks)];
    }
    /** Takes up uploads that were running when a server stopped. */
    async start() {
        await this.takeUpStalled();
    }
    /**
     * Stores a file as it arrives and starts applying it; answers its upload (the earlier one, when the
     * client sent this same file before).
     */
    async receive(access, body, file) {
        for (const expiry of this.expiries)
            expiry.touch();
        const id = randomUUID();
        const expires = new Date(Date.now() + this.ttlMs);
        const hash = createHash('sha256');
        let bytes = 0;
        let pieces = 0;
        let text = '';
        let delimiter;
        const store = async () => {
            await this.input.insertOne({ _id: pieceId(id, pieces), job: id, text, expires });
            pieces++;
            text = '';
        };
        body.setEncoding('utf8');
        for await (const chunk of body) {
            bytes += Buffer.byteLength(chunk);
            if (bytes > MAX_UPLOAD_BYTES) {
                await this.input.deleteMany({ job: id });
                fail('too-large', `A file may hold at most ${MAX_UPLOAD_BYTES} bytes`);
            }
            hash.update(chunk);
            text += chunk;
            // the header decides the delimiter: the national file's | or a plain CSV's comma
            if (delimiter === undefined && text.includes('\n'))
                delimiter = delimiterOf(text);
            if (text.length >= INPUT_PIECE)
                await store();
        }
        if (text.length > 0)
            await store();
        const sha256 = hash.digest('hex');
        const earlier = await this.jobs.findOne({ client: access.clientId, sha256, state: { $ne: 'failed' } });
        if (earlier) {
            await this.input.deleteMany({ job: id });
            return { job: earlier, received: 'before' };
        }
        if (bytes === 0)
            fail('invalid-request', 'The file is empty: send a header row and vaccination event rows');
        const job = {
            _id: id,
            client: access.clientId,
            grants: access.grants,
            ...(file ? { file } : {}),
            sha256,
            bytes,
            pieces,
            delimiter: delimiter ?? delimiterOf(text),
            state: 'in-progress',
            rows: 0,
            ackPieces: 0,
            totals: { created: 0, updated: 0, deleted: 0, unchanged: 0, rejected: 0 },
            created: new Date(),
            heartbeat: new Date(),
            expires,
        };
        await this.jobs.insertOne(job);
        this.run(job);
        return { job, received: 'new' };
    }
    /** A client's own upload (another client's is as unknown as none). */
    async get(access, id) {
        await this.takeUpStalled();
        const job = await this.jobs.findOne({ _id: id });
        if (!job || job.client !== access.clientId || job.expires < new Date())
            fail('not-found', `No upload ${id} is known to this client`);
        return job;
    }
    /** The acknowledgement file of a finished upload: the header, then its pieces in order. */
    async *acknowledgement(access, id) {
        const job = await this.get(access, id);
        if (job.state !== 'completed')
            fail('not-found', `Upload ${id} has not finished`);
        yield `${ACK_COLUMNS.join(job.delimiter)}\n`;
        for (let n = 0; n < job.ackPieces; n++) {
            const piece = await this.acks.findOne({ _id: pieceId(id, n) });
            if (!piece)
                fail('not-found', `Upload ${id} has expired`);
            yield piece.text;
        }
    }
    /** Waits for an upload run in this process to end (a drop folder waits for its file). */
    async finished(id) {
        await this.takeUpStalled();
        await this.running.get(id);
        return this.jobs.findOne({ _id: id });
    }
    /** Stops between two batches; the rest is taken up at the next start. */
    async stop() {
        this.stopping = true;
        await Promise.all(this.running.values());
    }
    /** Uploads in progress whose server stopped: claimed (one server wins each) and run again. */
    async takeUpStalled() {
        const stale = new Date(Date.now() - 4 * HEARTBEAT_MS);
        const stalled = await this.jobs
            .find({ state: 'in-progress', heartbeat: { $lt: stale } }, { projection: { _id: 1, heartbeat: 1 } })
            .toArray();
        for (const { _id, heartbeat } of stalled) {
            if (this.running.has(_id))
                continue;
            const claimed = await this.jobs.findOneAndUpdate({ _id, heartbeat }, { $set: { heartbeat: new Date() } }, { returnDocument: 'after' });
            if (claimed)
                this.run(claimed);
        }
    }
    run(job) {
        const running = this.apply(job)
            .catch(async (error) => {
            // the database gone or the server stopping: the upload stays in progress, for a server to take up
            if (this.stopping || isUnavailable(error))
                return;
            logger.error('supplier upload failed', { job: job._id, error: String(error) });
            await this.jobs
                .updateOne({ _id: job._id, state: 'in-progress' }, { $set: { state: 'failed', error: 'The upload could not be applied; send the file again' } })
                .catch(() => undefined);
        })
            .finally(() => this.running.delete(job._id));
        this.running.set(job._id, running);
    }
    async apply(job) {
        const access = { clientId: job.client, clientName: job.client, grants: job.grants };
        const rows = new SupplierRows(this.repository, this.validator, access);
        const records = skipFirst(csvRecords(Readable.from(this.inputText(job)), { delimiter: job.delimiter }), job.rows);
        let { rows: done, ackPieces } = job;
        for await (const acks of rows.apply(records)) {
            await this.acks.replaceOne({ _id: pieceId(job._id, ackPieces) }, { job: job._id, text: ackLines(acks, job.delimiter), expires: job.expires }, { upsert: true });
            done += acks.length;
            ackPieces++;
            const counted = Object.fromEntries(RESULTS.map((r) => [`totals.${r}`, acks.filter((a) => a.result === r).length]));
            await this.jobs.updateOne({ _id: job._id }, { $set: { rows: done, ackPieces, heartbeat: new Date() }, $inc: counted });
            if (this.stopping)
                return;
        }
        await this.jobs.updateOne({ _id: job._id }, { $set: { state: 'completed', heartbeat: new Date() } });
        // the input is of no more use once every row is acknowledged
        await this.input.deleteMany({ job: job._id });
    }
    async *inputText(job) {
        for (let n = 0; n < job.pieces; n++) {
            const piece = await this.input.findOne({ _id: pieceId(job._id, n) });
            if (!piece)
                throw new Error(`piece ${n} of upload ${job._id} is missing`);
            yield piece.text;
        }
    }
}
/** The national file's `|` when the header row has one, else a comma. */
function delimiterOf(text) {
    const end = text.indexOf('\n');
    const header = end < 0 ? text : text.slice(0, end);
    return header.includes('|') ? '|' : ',';
}
//# sourceMappingURL=uploads.js.map