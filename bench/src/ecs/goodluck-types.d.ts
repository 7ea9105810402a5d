/** Types for goodluck 7, which ships none (its whole API is these two exports). */
declare module "goodluck" {
  export class WorldImpl {
    /** One bit mask of components per entity; 0 for a destroyed entity. */
    Signature: number[];
    /** Ids of destroyed entities, reused last in, first out. */
    Graveyard: number[];
    CreateEntity(): number;
    DestroyEntity(entity: number): void;
  }
  export function instantiate(
    world: WorldImpl,
    blueprint: readonly ((world: WorldImpl, entity: number) => void)[],
  ): number;
}
