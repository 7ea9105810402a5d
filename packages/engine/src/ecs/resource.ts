import type { World } from "./world.js";

/**
 * A piece of simulation state that is not per-entity component data (the set of sensor overlaps,
 * a quest tracker's progress), stored in the world's snapshot under a unique name.
 */
export interface Resource {
  /** A canonical encoding: equal states must give equal bytes (it feeds the state hash). */
  encode(): Uint8Array;
  /** Replaces the state with the decoded bytes. */
  decode(bytes: Uint8Array): void;
}

interface Slots {
  readonly live: Map<string, Resource>;
  /** Decoded from a snapshot but not yet claimed by the code that owns them. */
  readonly raw: Map<string, Uint8Array>;
}

const byWorld = new WeakMap<World, Slots>();

function slots(world: World): Slots {
  let s = byWorld.get(world);
  if (!s) {
    s = { live: new Map(), raw: new Map() };
    byWorld.set(world, s);
  }
  return s;
}

/** The world's resource `name`, created on first use (and loaded from the snapshot if it had one). */
export function useResource<R extends Resource>(world: World, name: string, create: () => R): R {
  const s = slots(world);
  const existing = s.live.get(name);
  if (existing) return existing as R;
  const resource = create();
  const raw = s.raw.get(name);
  if (raw) {
    resource.decode(raw);
    s.raw.delete(name);
  }
  s.live.set(name, resource);
  return resource;
}

/** Every resource's encoding, sorted by name (unclaimed snapshot bytes included as they were). */
export function encodeResources(world: World): [string, Uint8Array][] {
  const s = slots(world);
  const out: [string, Uint8Array][] = [];
  for (const [name, r] of s.live) out.push([name, r.encode()]);
  for (const [name, bytes] of s.raw) out.push([name, bytes]);
  return out
    .filter(([, bytes]) => bytes.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** @internal snapshot decoding hands the bytes over; the owner claims them with useResource. */
export function loadResources(
  world: World,
  entries: readonly (readonly [string, Uint8Array])[],
): void {
  const s = slots(world);
  for (const [name, bytes] of entries) {
    const live = s.live.get(name);
    if (live) live.decode(bytes);
    else s.raw.set(name, bytes);
  }
}
