import { InvalidArgumentError, Option } from "commander";

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

/** `--data-dir`: where a running `ledgerquest dev` publishes its endpoints. */
export function dataDirOption(): Option {
  return new Option(
    "--data-dir <dir>",
    "the running local stack's data directory (where `ledgerquest dev` publishes its endpoints)",
  ).default(".ledgerquest");
}
