import { DefinitionError } from "../errors.js";

/**
 * The storage type of one component field. Physical quantities should be `f64`: the engine's
 * determinism rests on IEEE-754 double arithmetic, which every JavaScript engine performs
 * identically for `+ - * /` and `Math.sqrt`.
 *
 * `entity` stores an entity *handle* (index and generation, see `entity.ts`) in a Float64Array;
 * its default is `NO_ENTITY`.
 */
export type FieldType = "f64" | "f32" | "i32" | "u32" | "i16" | "u16" | "i8" | "u8" | "entity";

/** The typed array that stores a field of the given type. */
export type ArrayOf<T extends FieldType> = T extends "f64" | "entity"
  ? Float64Array
  : T extends "f32"
    ? Float32Array
    : T extends "i32"
      ? Int32Array
      : T extends "u32"
        ? Uint32Array
        : T extends "i16"
          ? Int16Array
          : T extends "u16"
            ? Uint16Array
            : T extends "i8"
              ? Int8Array
              : Uint8Array;

export type TypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** A component's fields, in declared order (the order is part of the snapshot format). */
export type Schema = { readonly [field: string]: FieldType };

/** A world's storage of one component: one typed array per field, indexed by entity id. */
export type Store<S extends Schema> = { readonly [K in keyof S]: ArrayOf<S[K]> };

/** The handle value of "no entity" in an `entity` field. */
export const NO_ENTITY = -1;

const FIELD_TYPES: Readonly<Record<FieldType, { code: number; bytes: number }>> = {
  f64: { code: 1, bytes: 8 },
  f32: { code: 2, bytes: 4 },
  i32: { code: 3, bytes: 4 },
  u32: { code: 4, bytes: 4 },
  i16: { code: 5, bytes: 2 },
  u16: { code: 6, bytes: 2 },
  i8: { code: 7, bytes: 1 },
  u8: { code: 8, bytes: 1 },
  entity: { code: 9, bytes: 8 },
};

export function fieldTypeCode(type: FieldType): number {
  return FIELD_TYPES[type].code;
}

export function fieldTypeBytes(type: FieldType): number {
  return FIELD_TYPES[type].bytes;
}

export function fieldTypeFromCode(code: number): FieldType | undefined {
  for (const type of Object.keys(FIELD_TYPES) as FieldType[]) {
    if (FIELD_TYPES[type].code === code) return type;
  }
  return undefined;
}

// Alike: its own cases (one typed array per field type, in a switch the compiler checks covers
// every FieldType).
export function allocateField(type: FieldType, length: number): TypedArray {
  switch (type) {
    case "f64":
      return new Float64Array(length);
    case "entity":
      return new Float64Array(length).fill(NO_ENTITY);
    case "f32":
      return new Float32Array(length);
    case "i32":
      return new Int32Array(length);
    case "u32":
      return new Uint32Array(length);
    case "i16":
      return new Int16Array(length);
    case "u16":
      return new Uint16Array(length);
    case "i8":
      return new Int8Array(length);
    case "u8":
      return new Uint8Array(length);
  }
}

/** A component type: a name, unique within a world, and its fields. Worlds hold the data. */
export interface ComponentDef<S extends Schema = Schema> {
  readonly name: string;
  readonly schema: S;
  /** Field names in declared order (typed loosely so that every ComponentDef<S> is a ComponentDef<Schema>). */
  readonly fields: readonly string[];
  /** True for a tag: a component without fields, which costs one bit per entity. */
  readonly isTag: boolean;
  /**
   * @internal a number unique to this definition in this process (non-enumerable), which lets a
   * world find the component's id with an array read instead of a map lookup. Definitions made
   * without `defineComponent` have none and are looked up by identity.
   */
  readonly serial?: number;
}

/** Serial numbers of `defineComponent`'s definitions, in definition order. */
let nextSerial = 0;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Defines a component type. Define components once, at module level, and list them in
 * `createWorld({ components })`; the position in that list is the component's id in the world.
 *
 * @example
 * const Position = defineComponent("Position", { x: "f64", y: "f64" });
 * const Frozen = defineComponent("Frozen"); // a tag
 */
export function defineComponent<S extends Schema = Record<never, FieldType>>(
  name: string,
  schema?: S,
): ComponentDef<S> {
  if (!NAME.test(name)) {
    throw new DefinitionError(
      `component name "${name}" is invalid: use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or "_"`,
    );
  }
  const s = (schema ?? {}) as S;
  const fields = Object.keys(s);
  for (const field of fields) {
    if (!NAME.test(field)) {
      throw new DefinitionError(`component "${name}": field name "${field}" is invalid`);
    }
    if (!((s[field] as string) in FIELD_TYPES)) {
      throw new DefinitionError(
        `component "${name}": field "${field}" has unknown type "${String(s[field])}"; use one of ${Object.keys(FIELD_TYPES).join(", ")}`,
      );
    }
  }
  const def = {
    name,
    schema: s,
    fields: Object.freeze(fields),
    isTag: fields.length === 0,
  };
  Object.defineProperty(def, "serial", { value: nextSerial++, enumerable: false });
  return Object.freeze(def);
}
