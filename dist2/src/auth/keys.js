import { createCipheriv, createDecipheriv, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import { logger } from '../shared/logger.js';
/** The algorithm of the server's own access tokens: ECDSA P-256 signs fast and verifies fast. */
export const TOKEN_ALG = 'ES256';
/**
 * Seals and opens private keys with a key derived from a secret, so a copy of the database alone cannot
 * sign tokens. Sealed: base64 of IV (12 bytes), GCM tag (16 bytes), ciphertext.
 */
class Sealer {
    key;
    constructor(secret) {
        this.key = scryptSync(secret, 'nims token signing keys', 32);
    }
    seal(jwk) {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', this.key, iv);
        const data = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
        return { sealed: Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64') };
    }
    open(sealed) {
        const raw = Buffer.from(sealed, 'base64');
        const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
    }
}
/**
 * The keys that sign access tokens, shared by every server process through MongoDB (`auth_keys`). The
 * newest key signs; when it is older than the rotation period a process adds a new one. Older keys keep
 * verifying (and stay published) for another period, which outlives every token they signed.
 */
export class SigningKeys {
    rotationMs;
    keys;
    loaded = [];
    lastLoad = 0;
    sealer;
    constructor(db, rotationMs, 
    /** TOKEN_KEY_SECRET: private keys are sealed with it in the database. */
    secret) {
        this.rotationMs = rotationMs;
        this.keys = db.collection('auth_keys');
        this.sealer = secret ? new Sealer(secret) : undefined;
    }
    privateJwkOf(doc) {
        if (!('sealed' in doc.privateJwk))
            return doc.privateJwk;
        if (!this.sealer)
            throw new Error('the token signing keys are sealed: set TOKEN_KEY_SECRET');
        try {
            return this.sealer.open(doc.privateJwk.sealed);
        }
        catch {
            throw new Error('the token signing keys cannot be opened with this TOKEN_KEY_SECRET');
        }
    }
    async load() {
        const cutoff = Date.now() - 2 * this.rotationMs;
        const docs = await this.keys.find({}).toArray();
        const live = docs.filter((d) => Date.parse(d.created) > cutoff);
        this.loaded = await Promise.all(live.map(async (d) => ({
            kid: d._id,
            created: Date.parse(d.created),
            privateKey: (await importJWK(this.privateJwkOf(d), TOKEN_ALG)),
            publicKey: (await importJWK(d.publicJwk, TOKEN_ALG)),
            publicJwk: d.publicJwk,
        })));
        this.loaded.sort((a, b) => b.created - a.created);
        this.lastLoad = Date.now();
        // keys no longer published can go; a failure here only delays it
        const old = docs.filter((d) => Date.parse(d.created) <= cutoff).map((d) => d._id);
        if (old.length > 0)
            await this.keys.deleteMany({ _id: { $in: old } }).catch(() => undefined);
    }
    async rotate() {
        const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
        const kid = randomUUID();
        const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: 'sig' };
        await this.keys.insertOne({
            _id: kid,
            created: new Date().toISOString(),
            privateJwk: this.sealer ? this.sealer.seal(await exportJWK(privateKey)) : await exportJWK(privateKey),
            publicJwk,
        });
        logger.info('token signing key added', { kid });
    }
    /** The key to sign with now, rotating first when the newest is due. */
    async current() {
        if (Date.now() - this.lastLoad > 60_000 || this.loaded.length === 0)
            await this.load();
        const newest = this.loaded[0];
        if (!newest || Date.now() - newest.created > this.rotationMs) {
            await this.rotate();
            await this.load();
        }
        return this.loaded[0];
    }
    /** The public key with this id; an unknown id re-reads the store (another process may have rotated). */
    async verifier(kid) {
        let key = this.loaded.find((k) => k.kid === kid);
        if (!key && Date.now() - this.lastLoad > 1000) {
            await this.load();
            key = this.loaded.find((k) => k.kid === kid);
        }
        return key?.publicKey;
    }
    /** The published key set (`/auth/jwks.json`). */
    async jwks() {
        await this.current();
        return { keys: this.loaded.map((k) => k.publicJwk) };
    }
}
//# sourceMappingURL=keys.js.map