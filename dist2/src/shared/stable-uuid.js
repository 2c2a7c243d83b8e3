import { createHash } from 'node:crypto';
/** A UUID made from a key (SHA-256, shaped as a version 4 UUID): the same key, the same UUID. */
export function stableUuid(key) {
    const hex = createHash('sha256').update(key).digest('hex');
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
//# sourceMappingURL=stable-uuid.js.map