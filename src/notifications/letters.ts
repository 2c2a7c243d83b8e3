import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Accepted, Channel, DeliveryStatus, Message } from './channel.js';

/**
 * Letters through a mailing house: letters are gathered and written as one batch file (JSON lines:
 * reference, template, name, address, personalisation) with a manifest (file name, count, SHA-256) into a
 * drop folder, each file written under a temporary name and renamed, the manifest last, so the mailing
 * house never reads half a batch. A letter counts as delivered once its batch is dropped; returned mail
 * is reported back separately.
 */
export class MailingHouse implements Channel {
  readonly name = 'letter' as const;
  private pending: { reference: string; line: string }[] = [];
  private readonly dropped = new Set<string>();

  constructor(private readonly folder: string) {}

  send(message: Message): Promise<Accepted> {
    const { reference, template, recipient, personalisation } = message;
    this.pending.push({
      reference,
      line: JSON.stringify({
        reference,
        template,
        name: recipient.name,
        address: recipient.address,
        personalisation,
      }),
    });
    return Promise.resolve({ providerId: reference });
  }

  /** Writes what is gathered as one batch; answers its file name (undefined when there was nothing). */
  async flush(label: string): Promise<string | undefined> {
    if (this.pending.length === 0) return undefined;
    const batch = this.pending;
    this.pending = [];
    const name = `nims-letters-${label}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const data = `${batch.map((b) => b.line).join('\n')}\n`;
    const manifest = {
      file: `${name}.jsonl`,
      letters: batch.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      createdAt: new Date().toISOString(),
    };
    await mkdir(this.folder, { recursive: true });
    const atomically = async (file: string, content: string) => {
      await writeFile(join(this.folder, `.${file}.tmp`), content);
      await rename(join(this.folder, `.${file}.tmp`), join(this.folder, file));
    };
    await atomically(manifest.file, data);
    await atomically(`${name}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
    for (const { reference } of batch) this.dropped.add(reference);
    return manifest.file;
  }

  status(providerId: string): Promise<DeliveryStatus> {
    return Promise.resolve(this.dropped.delete(providerId) ? 'delivered' : 'sending');
  }
}
