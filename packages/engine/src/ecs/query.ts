import type { Eid } from "./entity.js";

const TOMBSTONE = 0xffffffff;

/**
 * The cached, incrementally updated set of entities that match a query's terms.
 *
 * Membership changes cost O(1): an entity joins at the end; one that leaves becomes a tombstone.
 * `ids()` returns the members in ascending id order whatever the history of changes: it compacts
 * tombstones and, only if an entity joined out of order, sorts (both at most once per change
 * batch). Ascending order is what makes iteration deterministic.
 */
export class QueryState {
  /** Component mask words this query reads: `(masks[word[i]] & include[i]) === include[i]`. */
  readonly words: Int32Array;
  readonly include: Uint32Array;
  readonly exclude: Uint32Array;
  readonly key: string;

  private dense: Uint32Array;
  /** Position + 1 of each member in `dense`; 0 when not a member. */
  private readonly sparse: Int32Array;
  private count = 0;
  private holes = 0;
  private sorted = true;
  private last = -1;
  private view: Uint32Array;

  constructor(
    key: string,
    words: Int32Array,
    include: Uint32Array,
    exclude: Uint32Array,
    capacity: number,
  ) {
    this.key = key;
    this.words = words;
    this.include = include;
    this.exclude = exclude;
    this.dense = new Uint32Array(64);
    this.sparse = new Int32Array(capacity);
    this.view = this.dense.subarray(0, 0);
  }

  /** Whether an entity with these mask words matches the query's terms. */
  matches(masks: readonly Uint32Array[], eid: Eid): boolean {
    const words = this.words;
    for (let i = 0; i < words.length; i++) {
      const m = (masks[words[i] as number] as Uint32Array)[eid] as number;
      const inc = this.include[i] as number;
      if ((m & inc) !== inc || (m & (this.exclude[i] as number)) !== 0) return false;
    }
    return true;
  }

  has(eid: Eid): boolean {
    return this.sparse[eid] !== 0;
  }

  /** Adds or removes `eid` so that membership agrees with the entity's current mask. */
  update(masks: readonly Uint32Array[], eid: Eid): void {
    const member = this.sparse[eid] !== 0;
    if (this.matches(masks, eid)) {
      if (!member) this.add(eid);
    } else if (member) {
      this.remove(eid);
    }
  }

  add(eid: Eid): void {
    if (this.count === this.dense.length) this.grow();
    this.dense[this.count++] = eid;
    this.sparse[eid] = this.count;
    if (eid < this.last) this.sorted = false;
    else this.last = eid;
  }

  remove(eid: Eid): void {
    const pos = (this.sparse[eid] as number) - 1;
    this.sparse[eid] = 0;
    if (pos === this.count - 1) {
      this.count--;
      if (this.count === this.holes) this.reset();
      return;
    }
    this.dense[pos] = TOMBSTONE;
    this.holes++;
    // Keep memory bounded when many changes happen between two iterations.
    if (this.holes > 1024 && this.holes * 2 > this.count) this.normalize();
  }

  /** Number of members. */
  get size(): number {
    return this.count - this.holes;
  }

  /**
   * The members in ascending id order. The array is a view owned by the query: read it, do not
   * keep it across structural changes, and make structural changes while iterating only inside
   * a system or `world.deferred()`, where they are applied after the loop.
   */
  ids(): Uint32Array {
    if (this.holes !== 0 || !this.sorted) this.normalize();
    if (this.view.length !== this.count || this.view.buffer !== this.dense.buffer) {
      this.view = this.dense.subarray(0, this.count);
    }
    return this.view;
  }

  private reset(): void {
    this.count = 0;
    this.holes = 0;
    this.sorted = true;
    this.last = -1;
  }

  private normalize(): void {
    const dense = this.dense;
    let n = 0;
    if (this.holes !== 0) {
      for (let i = 0; i < this.count; i++) {
        const e = dense[i] as number;
        if (e !== TOMBSTONE) dense[n++] = e;
      }
      this.count = n;
      this.holes = 0;
    } else {
      n = this.count;
    }
    if (!this.sorted) {
      dense.subarray(0, n).sort();
      this.sorted = true;
    }
    const sparse = this.sparse;
    for (let i = 0; i < n; i++) sparse[dense[i] as number] = i + 1;
    this.last = n === 0 ? -1 : (dense[n - 1] as number);
  }

  private grow(): void {
    const next = new Uint32Array(this.dense.length * 2);
    next.set(this.dense);
    this.dense = next;
  }
}
