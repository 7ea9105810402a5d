/**
 * Entity ids and handles.
 *
 * - An entity **id** (`eid`) is the entity's slot: a small integer in `[0, maxEntities)` that
 *   indexes every component array. Queries yield ids. An id is valid while its entity lives, so
 *   use ids inside a tick, where the entity is known to be alive.
 * - An entity **handle** is `generation * 2^20 + eid`: the id plus the slot's generation, which
 *   grows each time the slot is freed. Keep handles for anything that outlives a tick (a
 *   reference in a component, a command from a client, a map key): `world.resolve(handle)` turns
 *   a handle back into an id and throws `StaleEntityError` if that entity has been destroyed,
 *   even when its slot has been reused since.
 *
 * Handles are exact integers below 2^53 (a generation has 33 bits), so they round-trip through
 * JSON and Float64Array fields, and `handle & ID_MASK` extracts the id.
 */

/** Bits of a handle that hold the id: worlds have at most 2^20 (1,048,576) entity slots. */
export const ID_BITS = 20;
export const MAX_ENTITIES = 1 << ID_BITS;
export const ID_MASK = MAX_ENTITIES - 1;
/** A slot whose generation reaches this value is retired rather than reused. */
export const MAX_GENERATION = 2 ** 33 - 1;

/** An entity id: the slot index into component arrays. */
export type Eid = number;
/** An entity handle: id and generation; detects use after destroy. */
export type EntityHandle = number;

export function handleOf(eid: Eid, generation: number): EntityHandle {
  return generation * MAX_ENTITIES + eid;
}

export function idOf(handle: EntityHandle): Eid {
  return handle & ID_MASK;
}

export function generationOf(handle: EntityHandle): number {
  return Math.floor(handle / MAX_ENTITIES);
}
