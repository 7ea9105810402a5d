import { SnapshotCorruptError } from "../errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Little-endian binary writer over a growing buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialBytes = 4096) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Unsigned LEB128, for integers up to 2^53. */
  varuint(v: number): void {
    this.reserve(8);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.pos++] = x;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    // ASCII (every id, unit and reason) is written directly: TextEncoder costs about a
    // microsecond a call, which would dominate hashing a journal entry.
    const n = s.length;
    if (n < 0x80) {
      this.reserve(n + 1);
      const start = this.pos;
      const buf = this.buf;
      buf[start] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + 1 + i] = c;
      }
      if (i === n) {
        this.pos = start + 1 + n;
        return;
      }
    }
    const b = encoder.encode(s);
    this.varuint(b.length);
    this.bytes(b);
  }

  /** The raw little-endian bytes of a typed array's elements at the given indexes. */
  column(
    values: ArrayLike<number> & { readonly BYTES_PER_ELEMENT: number },
    kind: string,
    indexes: Int32Array,
  ): void {
    const size = values.BYTES_PER_ELEMENT;
    this.reserve(indexes.length * size);
    const view = this.view;
    let p = this.pos;
    // One loop per element type rather than one loop over a setter picked per type: each loop
    // then calls one DataView method that V8 inlines, where a function value called per element
    // is not (snapshots write every column of every body this way). ByteReader.column mirrors it.
    // Kept apart because one shared definition measured far slower (15 columns of 10,000 elements,
    // Node 20): a gather into a scratch array of the field's type, then one block copy, 2.2 ms ->
    // 47 ms (the one loop's element accesses see every typed-array type and go megamorphic); a
    // byte-by-byte copy of each element, 0.4 ms -> 10.7 ms; reads alike (2.6 -> 51, 1.4 -> 11.5 ms).
    switch (kind) {
      case "f64":
      case "entity":
        for (let i = 0; i < indexes.length; i++, p += 8)
          view.setFloat64(p, values[indexes[i] as number] as number, true);
        break;
      case "f32":
        for (let i = 0; i < indexes.length; i++, p += 4)
          view.setFloat32(p, values[indexes[i] as number] as number, true);
        break;
      case "i32":
        for (let i = 0; i < indexes.length; i++, p += 4)
          view.setInt32(p, values[indexes[i] as number] as number, true);
        break;
      case "u32":
        for (let i = 0; i < indexes.length; i++, p += 4)
          view.setUint32(p, values[indexes[i] as number] as number, true);
        break;
      case "i16":
        for (let i = 0; i < indexes.length; i++, p += 2)
          view.setInt16(p, values[indexes[i] as number] as number, true);
        break;
      case "u16":
        for (let i = 0; i < indexes.length; i++, p += 2)
          view.setUint16(p, values[indexes[i] as number] as number, true);
        break;
      case "i8":
        for (let i = 0; i < indexes.length; i++, p += 1)
          view.setInt8(p, values[indexes[i] as number] as number);
        break;
      default:
        for (let i = 0; i < indexes.length; i++, p += 1)
          view.setUint8(p, values[indexes[i] as number] as number);
    }
    this.pos = p;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** The bytes written so far, without copying (valid until the next write or reset). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }
}

/** Bounds-checked little-endian reader: running off the end is a SnapshotCorruptError. */
export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new SnapshotCorruptError(`truncated while reading ${what} at byte ${this.pos}`);
    }
  }

  u8(what = "a byte"): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u16(what = "a u16"): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what = "a u32"): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(what = "an f64"): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  varuint(what = "a number"): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(what);
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 0x80;
    }
    throw new SnapshotCorruptError(`${what} at byte ${this.pos} is longer than 8 bytes`);
  }

  bytes(n: number, what = "bytes"): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(what = "a string"): string {
    const n = this.varuint(what);
    const b = this.bytes(n, what);
    try {
      return decoder.decode(b);
    } catch (cause) {
      throw new SnapshotCorruptError(`${what} is not valid UTF-8`, { cause });
    }
  }

  /** Reads `indexes.length` elements into `values` at the given indexes (see ByteWriter.column). */
  column(
    values: Record<number, number>,
    kind: string,
    size: number,
    indexes: Int32Array,
    what: string,
  ): void {
    this.need(indexes.length * size, what);
    const view = this.view;
    let p = this.pos;
    // One loop per element type, as ByteWriter.column and for the same reason.
    switch (kind) {
      case "f64":
      case "entity":
        for (let i = 0; i < indexes.length; i++, p += 8)
          values[indexes[i] as number] = view.getFloat64(p, true);
        break;
      case "f32":
        for (let i = 0; i < indexes.length; i++, p += 4)
          values[indexes[i] as number] = view.getFloat32(p, true);
        break;
      case "i32":
        for (let i = 0; i < indexes.length; i++, p += 4)
          values[indexes[i] as number] = view.getInt32(p, true);
        break;
      case "u32":
        for (let i = 0; i < indexes.length; i++, p += 4)
          values[indexes[i] as number] = view.getUint32(p, true);
        break;
      case "i16":
        for (let i = 0; i < indexes.length; i++, p += 2)
          values[indexes[i] as number] = view.getInt16(p, true);
        break;
      case "u16":
        for (let i = 0; i < indexes.length; i++, p += 2)
          values[indexes[i] as number] = view.getUint16(p, true);
        break;
      case "i8":
        for (let i = 0; i < indexes.length; i++, p += 1)
          values[indexes[i] as number] = view.getInt8(p);
        break;
      default:
        for (let i = 0; i < indexes.length; i++, p += 1)
          values[indexes[i] as number] = view.getUint8(p);
    }
    this.pos = p;
  }
}
