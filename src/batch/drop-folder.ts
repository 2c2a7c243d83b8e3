import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { Access } from '../auth/access.js';
import type { ClientStore } from '../auth/clients.js';
import { parseScopes } from '../auth/scopes.js';
import { uploadReport } from '../operations/batch-upload.js';
import { logger } from '../shared/logger.js';
import type { SupplierUploads, UploadJob } from './uploads.js';

const POLL_MS = 5_000;
const FILE_NAME = /^[\w-][\w.-]{0,199}$/;

/**
 * Suppliers that send files rather than call the API put them in their own folder of the drop folder,
 * named by their client id: `{dir}/{client id}/{file}.csv`. Each file is moved to `processing/` (one
 * server takes it), applied as an upload with the permissions of the client's registration, and then
 * its acknowledgement (`ack/{file}.ack.csv`) and report (`ack/{file}.report.json`, always written last,
 * so its arrival means both are there) are written (under a temporary name, then renamed) and the file
 * moved to `done/`. A file left in `processing/` by a stopped server is taken up again at the next start:
 * the same file is the same upload, so nothing is applied twice.
 */
export class DropFolder {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly uploads: SupplierUploads,
    private readonly clients: ClientStore,
    private readonly baseUrl: () => string,
    private readonly pollMs = POLL_MS,
  ) {}

  start(): void {
    let first = true;
    const tick = () => {
      this.scanning = this.scan(first)
        .catch((error: unknown) => {
          logger.error('drop folder scan failed', { error: String(error) });
        })
        .finally(() => {
          first = false;
          if (this.timer) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.scanning;
  }

  /** One look at every supplier's folder; with `resume`, files a stopped server left in processing too. */
  async scan(resume = false): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const folder = join(this.dir, entry.name);
      const access = await this.accessOf(entry.name);
      if (!access) continue;
      if (resume) {
        const left = await readdir(join(folder, 'processing')).catch(() => [] as string[]);
        for (const file of left.filter((f) => FILE_NAME.test(f))) await this.apply(folder, file, access);
      }
      for (const file of await readdir(folder, { withFileTypes: true })) {
        if (!file.isFile() || !FILE_NAME.test(file.name)) continue;
        await mkdir(join(folder, 'processing'), { recursive: true });
        try {
          // the rename is the claim: of several servers, one moves the file
          await rename(join(folder, file.name), join(folder, 'processing', file.name));
        } catch {
          continue;
        }
        await this.apply(folder, file.name, access);
      }
    }
  }

  /** The client a folder belongs to, as its registration allows; undefined (and said once) if none. */
  private async accessOf(clientId: string): Promise<Access | undefined> {
    const record = /^[\w-]{1,64}$/.test(clientId) ? await this.clients.get(clientId) : null;
    if (!record || record.status !== 'active') {
      if (!this.warned.has(clientId))
        logger.warn('drop folder of no active client: left alone', { folder: clientId });
      this.warned.add(clientId);
      return undefined;
    }
    return {
      clientId: record._id,
      clientName: record.name,
      grants: parseScopes(record.scopes.join(' ')).grants,
    };
  }

  private async apply(folder: string, file: string, access: Access): Promise<void> {
    const path = join(folder, 'processing', file);
    const { job } = await this.uploads.receive(access, createReadStream(path), file);
    const done = await this.untilFinished(job);
    const ack = join(folder, 'ack');
    await mkdir(ack, { recursive: true });
    await mkdir(join(folder, 'done'), { recursive: true });
    if (done.state === 'completed')
      await writeAtomically(join(ack, `${file}.ack.csv`), this.uploads.acknowledgement(access, done._id));
    await writeAtomically(
      join(ack, `${file}.report.json`),
      JSON.stringify(
        done.state === 'completed'
          ? uploadReport(done, this.baseUrl())
          : { upload: done._id, state: done.state, error: done.error },
        null,
        2,
      ),
    );
    await rename(path, join(folder, 'done', file)).catch(() => undefined);
    logger.info('drop folder file applied', {
      client: access.clientId,
      file,
      upload: done._id,
      rows: done.rows,
    });
  }

  /** The upload once it has finished, here or in another server. */
  private async untilFinished(job: UploadJob): Promise<UploadJob> {
    for (;;) {
      const now = (await this.uploads.finished(job._id)) ?? job;
      if (now.state !== 'in-progress') return now;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Writes a file under a temporary name and renames it, so nobody reads it half written. */
async function writeAtomically(path: string, content: string | AsyncIterable<string>): Promise<void> {
  await pipeline(
    Readable.from(typeof content === 'string' ? [content] : content),
    createWriteStream(`${path}.tmp`),
  );
  await rename(`${path}.tmp`, path);
}
