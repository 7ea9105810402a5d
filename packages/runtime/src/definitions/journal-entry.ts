/**
 * The shape of a stored ledger journal entry, for entries read back from storage or a file (an
 * export, the AuditLog stream, a gap read from the journal): one schema, so every reader refuses
 * the same malformed entries. It checks the shape only; whether an entry links and hashes is the
 * engine's `checkLink`, and whether it could have been committed is `JournalVerifier`'s.
 */
import type { JournalEntry } from "@ledgerquest/engine";
import * as z from "zod/mini";

const whole = z.int().check(z.minimum(0));
const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const entryBase = { seq: whole, prev: hex64, hash: hex64 };

export const journalEntrySchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("account"),
    ...entryBase,
    id: z.string(),
    owner: z.string(),
    unit: z.string(),
    flags: z.object({
      debitsMustNotExceedCredits: z.boolean(),
      creditsMustNotExceedDebits: z.boolean(),
    }),
  }),
  z.object({
    kind: z.literal("transfer"),
    ...entryBase,
    id: z.string(),
    debit: z.string(),
    credit: z.string(),
    amount: whole,
    unit: z.string(),
    reason: z.string(),
    tick: whole,
    meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    linked: z.boolean(),
  }),
]) satisfies z.ZodMiniType<JournalEntry>;

/**
 * Parses a stored entry (its JSON text, or the value already parsed); a string says what is
 * wrong with it, in a few words and the first three issues.
 */
export function parseJournalEntry(json: unknown): JournalEntry | string {
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch {
      return "its entry is not JSON";
    }
  }
  const parsed = journalEntrySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "<root>"}: ${issue.message}`)
    .join("; ");
  return `its entry is malformed (${issues})`;
}
