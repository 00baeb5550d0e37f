/**
 * A fast non-cryptographic 128-bit hash (four FNV-1a lanes with different offsets), for
 * request ids and payload fingerprints on the sampling hot path, where a SHA-256 per request
 * was a measurable share of the server's CPU. Nothing here needs to resist an adversary.
 */
const OFFSETS = [0x811c9dc5, 0x050c5d1f, 0x6b43a9b5, 0x1b873593];

export function fastHash(text: string): string {
  let out = '';
  for (const offset of OFFSETS) {
    let h = offset;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}
