import { InvalidArgumentError } from "commander";

/** A commander parser for a whole number in `[min, max]`, with an error naming the option. */
export function whole(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
