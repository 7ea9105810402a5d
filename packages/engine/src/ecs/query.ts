import type { Eid } from "./entity.js";

/** Marks a removed member in `members` until the next compaction (ids are never negative). */
const TOMBSTONE = -1;

/**
 * The cached, incrementally updated set of entities that match a query's terms.
 *
 * Membership changes cost O(1): an entity joins at the end; one that leaves becomes a tombstone
 * (or is popped, when it is the last). `ids()` returns the members in ascending id order whatever
 * the history of changes: it compacts tombstones and, only if an entity joined out of order,
 * sorts (both at most once per change batch). Ascending order is what makes iteration
 * deterministic.
 *
 * Members live in a plain array of small integers rather than a typed array: V8 iterates such an
 * array measurably faster (about 20% on a tight loop over 1,000 ids) than a Uint32Array.
 */
export class QueryState {
  /** Component mask words this query reads: `(masks[word[i]] & include[i]) === include[i]`. */
  readonly words: Int32Array;
  readonly include: Uint32Array;
  readonly exclude: Uint32Array;
  readonly key: string;

  /** Members in join order, with tombstones; exactly the ascending members after `normalize`. */
  private readonly members: number[] = [];
  /** Position + 1 of each member in `members`; 0 when not a member. */
  private readonly sparse: Int32Array;
  private holes = 0;
  private sorted = true;
  private last = -1;
  /** Bumped on every membership change; `runs()` recomputes when it moved. */
  private version = 0;
  private runsVersion = -1;
  private readonly runList: number[] = [];

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
    this.sparse = new Int32Array(capacity);
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
    this.version++;
    const members = this.members;
    members.push(eid);
    this.sparse[eid] = members.length;
    if (eid < this.last) this.sorted = false;
    else this.last = eid;
  }

  remove(eid: Eid): void {
    this.version++;
    const members = this.members;
    const pos = (this.sparse[eid] as number) - 1;
    this.sparse[eid] = 0;
    if (pos === members.length - 1) {
      members.pop();
      if (members.length === this.holes) this.clear();
      return;
    }
    members[pos] = TOMBSTONE;
    this.holes++;
    // Keep memory bounded when many changes happen between two iterations.
    if (this.holes > 1024 && this.holes * 2 > members.length) this.normalize();
  }

  /** Number of members. */
  get size(): number {
    return this.members.length - this.holes;
  }

  /**
   * The members in ascending id order. The array is owned by the query and updated in place:
   * read it, do not modify or keep it across structural changes, and make structural changes
   * while iterating only inside a system or `world.deferred()`, where they are applied after the
   * loop.
   */
  ids(): readonly number[] {
    if (this.holes !== 0 || !this.sorted) this.normalize();
    return this.members;
  }

  /**
   * The members as runs of consecutive ids, `[start0, end0, start1, end1, ...]` (end exclusive),
   * ascending: the same entities as `ids()`, in the same order. Entities created together are
   * usually consecutive, so a system can loop `for (let e = start; e < end; e++)` over plain
   * typed-array indexes, as fast as a bare loop. Recomputed once per batch of changes.
   */
  runs(): readonly number[] {
    const ids = this.ids();
    if (this.runsVersion === this.version) return this.runList;
    const out = this.runList;
    out.length = 0;
    let i = 0;
    while (i < ids.length) {
      const start = ids[i] as number;
      let end = start + 1;
      i++;
      while (i < ids.length && ids[i] === end) {
        end++;
        i++;
      }
      out.push(start, end);
    }
    this.runsVersion = this.version;
    return out;
  }

  /** Empties the member list (every entry left is a tombstone). */
  private clear(): void {
    this.members.length = 0;
    this.holes = 0;
    this.sorted = true;
    this.last = -1;
  }

  private normalize(): void {
    const members = this.members;
    let n = members.length;
    if (this.holes !== 0) {
      let w = 0;
      for (let i = 0; i < n; i++) {
        const e = members[i] as number;
        if (e !== TOMBSTONE) members[w++] = e;
      }
      members.length = w;
      n = w;
      this.holes = 0;
    }
    if (!this.sorted) {
      members.sort(ascending);
      this.sorted = true;
    }
    const sparse = this.sparse;
    for (let i = 0; i < n; i++) sparse[members[i] as number] = i + 1;
    this.last = n === 0 ? -1 : (members[n - 1] as number);
  }
}

function ascending(a: number, b: number): number {
  return a - b;
}
