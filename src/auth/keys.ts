import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Collection, Db } from 'mongodb';
import { logger } from '../shared/logger.js';

/** The algorithm of the server's own access tokens: ECDSA P-256 signs fast and verifies fast. */
export const TOKEN_ALG = 'ES256';

interface KeyDocument {
  /** The key id (`kid`). */
  _id: string;
  created: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

interface LoadedKey {
  kid: string;
  created: number;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The keys that sign access tokens, shared by every server process through MongoDB (`auth_keys`). The
 * newest key signs; when it is older than the rotation period a process adds a new one. Older keys keep
 * verifying (and stay published) for another period, which outlives every token they signed.
 */
export class SigningKeys {
  private readonly keys: Collection<KeyDocument>;
  private loaded: LoadedKey[] = [];
  private lastLoad = 0;

  constructor(
    db: Db,
    private readonly rotationMs: number,
  ) {
    this.keys = db.collection<KeyDocument>('auth_keys');
  }

  private async load(): Promise<void> {
    const cutoff = Date.now() - 2 * this.rotationMs;
    const docs = await this.keys.find({}).toArray();
    const live = docs.filter((d) => Date.parse(d.created) > cutoff);
    this.loaded = await Promise.all(
      live.map(async (d) => ({
        kid: d._id,
        created: Date.parse(d.created),
        privateKey: (await importJWK(d.privateJwk, TOKEN_ALG)) as CryptoKey,
        publicKey: (await importJWK(d.publicJwk, TOKEN_ALG)) as CryptoKey,
        publicJwk: d.publicJwk,
      })),
    );
    this.loaded.sort((a, b) => b.created - a.created);
    this.lastLoad = Date.now();
    // keys no longer published can go; a failure here only delays it
    const old = docs.filter((d) => Date.parse(d.created) <= cutoff).map((d) => d._id);
    if (old.length > 0) await this.keys.deleteMany({ _id: { $in: old } }).catch(() => undefined);
  }

  private async rotate(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: 'sig' };
    await this.keys.insertOne({
      _id: kid,
      created: new Date().toISOString(),
      privateJwk: await exportJWK(privateKey),
      publicJwk,
    });
    logger.info('token signing key added', { kid });
  }

  /** The key to sign with now, rotating first when the newest is due. */
  async current(): Promise<LoadedKey> {
    if (Date.now() - this.lastLoad > 60_000 || this.loaded.length === 0) await this.load();
    const newest = this.loaded[0];
    if (!newest || Date.now() - newest.created > this.rotationMs) {
      await this.rotate();
      await this.load();
    }
    return this.loaded[0]!;
  }

  /** The public key with this id; an unknown id re-reads the store (another process may have rotated). */
  async verifier(kid: string): Promise<CryptoKey | undefined> {
    let key = this.loaded.find((k) => k.kid === kid);
    if (!key && Date.now() - this.lastLoad > 1000) {
      await this.load();
      key = this.loaded.find((k) => k.kid === kid);
    }
    return key?.publicKey;
  }

  /** The published key set (`/auth/jwks.json`). */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.current();
    return { keys: this.loaded.map((k) => k.publicJwk) };
  }
}
