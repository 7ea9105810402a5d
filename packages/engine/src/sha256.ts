/**
 * SHA-256 (FIPS 180-4) without allocation, for the short messages the engine hashes by the
 * hundred thousand (journal entries of about 100 bytes, 65-byte Merkle nodes). A general-purpose
 * library allocates a hasher, a buffer and two DataViews per call, which cost more than the
 * compression itself at these sizes (ADR 0002). Every test run checks this against the FIPS
 * vectors and against @noble/hashes on random inputs of every length up to several blocks.
 *
 * Only 32-bit integer operations: identical on every engine and CPU.
 */

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const IV = Uint32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const W = new Int32Array(64);
const H = new Int32Array(8);
const tail = new Uint8Array(128);

function compress(data: Uint8Array, off: number): void {
  const w = W;
  for (let t = 0; t < 16; t++) {
    const p = off + t * 4;
    w[t] =
      ((data[p] as number) << 24) |
      ((data[p + 1] as number) << 16) |
      ((data[p + 2] as number) << 8) |
      (data[p + 3] as number);
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = H[0] as number;
  let b = H[1] as number;
  let c = H[2] as number;
  let d = H[3] as number;
  let e = H[4] as number;
  let f = H[5] as number;
  let g = H[6] as number;
  let h = H[7] as number;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + (K[t] as number) + (w[t] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = ((H[0] as number) + a) | 0;
  H[1] = ((H[1] as number) + b) | 0;
  H[2] = ((H[2] as number) + c) | 0;
  H[3] = ((H[3] as number) + d) | 0;
  H[4] = ((H[4] as number) + e) | 0;
  H[5] = ((H[5] as number) + f) | 0;
  H[6] = ((H[6] as number) + g) | 0;
  H[7] = ((H[7] as number) + h) | 0;
}

/** SHA-256 of `message`, written into `out` (at least 32 bytes), which it returns. */
export function sha256Into(message: Uint8Array, out: Uint8Array): Uint8Array {
  H.set(IV);
  const length = message.length;
  const full = length - (length % 64);
  for (let off = 0; off < full; off += 64) compress(message, off);
  // The last partial block, the 0x80 marker and the 64-bit bit length: one or two blocks.
  const rest = length - full;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = message[full + i] as number;
  tail[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  const end = blocks * 64;
  const bitsHigh = Math.floor(length / 0x20000000); // length * 8 / 2^32, exact for lengths < 2^53
  const bitsLow = (length * 8) % 0x100000000;
  tail[end - 8] = bitsHigh >>> 24;
  tail[end - 7] = (bitsHigh >>> 16) & 255;
  tail[end - 6] = (bitsHigh >>> 8) & 255;
  tail[end - 5] = bitsHigh & 255;
  tail[end - 4] = bitsLow >>> 24;
  tail[end - 3] = (bitsLow >>> 16) & 255;
  tail[end - 2] = (bitsLow >>> 8) & 255;
  tail[end - 1] = bitsLow & 255;
  compress(tail, 0);
  if (blocks === 2) compress(tail, 64);
  for (let i = 0; i < 8; i++) {
    const v = H[i] as number;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 255;
    out[i * 4 + 2] = (v >>> 8) & 255;
    out[i * 4 + 3] = v & 255;
  }
  return out;
}
