import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '../store/mongo-errors.js';

interface AnsweredMessage {
  /** The MessageHeader id of a message a GP system sent. */
  _id: string;
  practice: string;
  /** What the answer named. */
  focus: string;
}

interface SentVersion {
  /** `{Immunization id}/{version}`: a version a practice's own message made. */
  _id: string;
  practice: string;
}

/**
 * What nims keeps of the vaccination messages GP systems send it: each message's answer (a repeat is
 * answered the same, and changes nothing), and which practice made each version it stored, so that
 * version is not sent back to that practice.
 */
export class GpInbound {
  private readonly answers: Collection<AnsweredMessage>;
  private readonly versions: Collection<SentVersion>;

  constructor(db: Db) {
    this.answers = db.collection<AnsweredMessage>('gp_inbound_messages');
    this.versions = db.collection<SentVersion>('gp_inbound_versions');
  }

  /** The focus of the answer to a message taken before; undefined for a new one. */
  async answered(messageId: string): Promise<string | undefined> {
    return (await this.answers.findOne({ _id: messageId }))?.focus;
  }

  async record(
    messageId: string,
    practice: string,
    immunization: string,
    version: number,
    focus: string,
  ): Promise<void> {
    // the version first: a crash between the two leaves a message answered again, never one echoed back
    await this.versions.replaceOne({ _id: `${immunization}/${version}` }, { practice }, { upsert: true });
    try {
      await this.answers.insertOne({ _id: messageId, practice, focus });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /** The practice whose own message made this version of an Immunization, if one did. */
  async madeBy(immunization: string, version: number): Promise<string | undefined> {
    return (await this.versions.findOne({ _id: `${immunization}/${version}` }))?.practice;
  }
}
