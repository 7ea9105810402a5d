import * as z from "zod/mini";
import {
  type CommandErrorFrame,
  errorFrame,
  frameIdSchema,
  invalidDataFrame,
  readFrame,
} from "./commands.js";
import { safeParse } from "./zod.js";

/**
 * Queries: read-only questions a client asks over its WebSocket connection (the `query` route),
 * answered with a `result` frame. docs/reference/client-protocol.md lists them; this is their one
 * source for the gateway's routes and the handler.
 *
 * A frame: `{ "action": "query", "id": "q-3", "type": "ledger", "data": { "limit": 20 } }`.
 */

/** The route of queries (`$request.body.action`), served by its own, read-only function. */
export const QUERY_ROUTE = "query";

/** The most journal entries one `ledger` query returns. */
export const LEDGER_QUERY_LIMIT_MAX = 200;
/** What a `ledger` query returns without a limit. */
export const LEDGER_QUERY_LIMIT_DEFAULT = 50;
/** The most ticks one `replay` query compares: a replay re-simulates, and a query must be quick. */
export const REPLAY_QUERY_TICKS_MAX = 3600;

const tick = z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));

/** Per query type, the schema of its `data` (absent data is `{}`). */
export const QUERY_SCHEMAS = {
  state: z.strictObject({}),
  ledger: z.strictObject({
    limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(LEDGER_QUERY_LIMIT_MAX))),
  }),
  verify: z.strictObject({}),
  replay: z.strictObject({ fromTick: z.optional(tick), toTick: z.optional(tick) }),
  worlds: z.strictObject({}),
} as const;

export type QueryType = keyof typeof QUERY_SCHEMAS;
export type QueryData<T extends QueryType> = z.infer<(typeof QUERY_SCHEMAS)[T]>;

/** Queries only operators may ask (players whose token has the `operators` group). */
export const OPERATOR_QUERIES: readonly QueryType[] = ["replay", "worlds"];

/** The group (Cognito's `cognito:groups` claim) that makes a player an operator. */
export const OPERATOR_GROUP = "operators";

export const QUERY_TYPES = Object.keys(QUERY_SCHEMAS).sort() as QueryType[];

const queryFrameSchema = z.strictObject({
  action: z.literal(QUERY_ROUTE),
  id: frameIdSchema,
  type: z.string().check(z.maxLength(32)),
  data: z.optional(z.unknown()),
});

export type ParsedQuery =
  | {
      readonly ok: true;
      readonly query: { [T in QueryType]: { id: string; type: T; data: QueryData<T> } }[QueryType];
    }
  | { readonly ok: false; readonly error: CommandErrorFrame };

/** Parses a raw `query` frame, or says what is wrong with it in an error frame. */
export function parseQuery(body: string | null | undefined): ParsedQuery {
  const read = readFrame(body, queryFrameSchema);
  if (!read.ok) return read;
  const { id } = read;
  const frame = { data: read.frame };
  const fail = (
    code: CommandErrorFrame["code"],
    message: string,
    failedId?: string,
    path?: string,
  ): ParsedQuery => ({ ok: false, error: errorFrame(code, message, failedId, path) });
  const type = frame.data.type;
  if (!Object.hasOwn(QUERY_SCHEMAS, type)) {
    return fail(
      "unknown_query",
      `unknown query type "${type}"; known: ${QUERY_TYPES.join(", ")}`,
      id,
      "type",
    );
  }
  const schema = QUERY_SCHEMAS[type as QueryType];
  const data = safeParse(schema, frame.data.data ?? {});
  if (!data.success) return { ok: false, error: invalidDataFrame(data.error.issues, id) };
  return {
    ok: true,
    query: { id: frame.data.id, type, data: data.data } as Extract<
      ParsedQuery,
      { ok: true }
    >["query"],
  };
}

/** An error frame, as a client sees it (commands and queries share the codes). */
export type ClientErrorFrame = CommandErrorFrame;
