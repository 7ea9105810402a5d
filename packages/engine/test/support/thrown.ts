import { expect } from "vitest";

type ErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

/** The error `fn` throws, checked to be a `type` and each of `also`; a return fails the test. */
export function thrownBy<E extends Error>(
  fn: () => unknown,
  type: ErrorClass<E>,
  ...also: readonly ErrorClass[]
): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    for (const other of also) expect(e).toBeInstanceOf(other);
    return e as E;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}
