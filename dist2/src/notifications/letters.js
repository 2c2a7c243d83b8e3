import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Outbox } from '../store/outbox.js';
import { groupBy } from '../shared/group.js';
const TIMEOUT_MS = 60_000;
/** Hands one batch file to the mailing house; the file name makes a second hand-over replace the first. */
async function drop(target, manifest, data) {
    if ('folder' in target) {
        // each file under a temporary name and renamed, the manifest last: the mailing house never reads
        // half a batch, and finds a batch only once its manifest is there
        await mkdir(target.folder, { recursive: true });
        const atomically = async (file, content) => {
            await writeFile(join(target.folder, `.${file}.tmp`), content);
            await rename(join(target.folder, `.${file}.tmp`), join(target.folder, file));
        };
        await atomically(manifest.file, data);
        await atomically(manifest.file.replace(/\.jsonl$/, '.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        return;
    }
    const response = await fetch(`${target.url.replace(/\/+$/, '')}/${manifest.file}`, {
        method: 'PUT',
        headers: {
            'content-type': 'application/x-ndjson',
            'x-letter-count': String(manifest.letters),
            'content-digest': `sha-256=:${Buffer.from(manifest.sha256, 'hex').toString('base64')}:`,
            ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
        },
        body: data,
        signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok)
        throw new Error(`the mailing house answered ${response.status}`);
}
/**
 * Letters through a mailing house. A letter is stored in the `letters` outbox when it is sent (so a
 * crash loses none); every interval the letters due are written as batch files, one per run (JSON lines:
 * reference, template, name, address, personalisation, with a manifest: file name, count, SHA-256) to
 * the drop folder or the mailing house's HTTP endpoint, retried until taken. A letter counts as delivered
 * once its batch was taken, failed if the mailing house never took it; returned mail is reported back
 * separately (Communication/$returned-mail). Every letter keeps its reference, by which the mailing house
 * drops one it was handed twice (a batch handed over again after a crash).
 */
export class MailingHouse {
    name = 'letter';
    outbox;
    constructor(db, target, everyMs) {
        this.outbox = new Outbox(db, 'letters', (entries) => this.deliver(target, entries), {
            batchSize: 50_000,
            tickMs: everyMs,
            firstRetryMs: Math.max(everyMs, 2000),
        });
    }
    async send(message) {
        const { reference, template, recipient, personalisation } = message;
        const letter = {
            reference,
            template,
            name: recipient.name,
            ...(recipient.onBehalfOf ? { onBehalfOf: recipient.onBehalfOf } : {}),
            address: recipient.address ?? [],
            personalisation,
        };
        await this.outbox.add([{ id: reference, payload: letter }]);
        return { providerId: reference };
    }
    /** Writes the letters due as one batch file per run. */
    async deliver(target, entries) {
        const byRun = groupBy(entries, (entry) => entry._id.split('/')[0]);
        const failed = new Map();
        for (const [run, letters] of byRun) {
            const data = `${letters.map((l) => JSON.stringify(l.payload)).join('\n')}\n`;
            const sha256 = createHash('sha256').update(data).digest('hex');
            const day = new Date().toISOString().slice(0, 10);
            const manifest = {
                file: `nims-letters-${run.slice(0, 8)}-${day}-${sha256.slice(0, 12)}.jsonl`,
                letters: letters.length,
                sha256,
                createdAt: new Date().toISOString(),
            };
            try {
                await drop(target, manifest, data);
            }
            catch (error) {
                for (const letter of letters)
                    failed.set(letter._id, error instanceof Error ? error.message : String(error));
            }
        }
        return failed;
    }
    async status(providerId) {
        const state = await this.outbox.stateOf(providerId);
        return state === 'delivered' ? 'delivered' : state === 'dead' ? 'technical-failure' : 'sending';
    }
}
//# sourceMappingURL=letters.js.map