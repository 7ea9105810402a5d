import type { Command, JsonValue } from "@ledgerquest/engine";
import * as z from "zod/mini";
import { pathOf, safeParse } from "./zod.js";

/**
 * Commands from players: the WebSocket frame schema (one source for the API Gateway routes and
 * the local gateway) and each game's per-type payload schemas. Everything a client sends is
 * validated here, at the boundary; a bad frame is answered with a typed error frame and changes
 * nothing.
 *
 * A frame: `{ "action": "command", "id": "c-17", "type": "move", "data": { "dx": 1, "dy": 0 } }`.
 * `action` drives API Gateway's route selection (`$request.body.action`); `id` is the client's
 * command id, unique per player, which makes a resent command a no-op; the acting player comes
 * from the connection's authorizer context, never from the frame.
 */

/** The route selection expression of the WebSocket API. */
export const ROUTE_SELECTION_EXPRESSION = "$request.body.action";

/** Routes besides `$connect`, `$disconnect` and `$default`: one per `action`. */
export const COMMAND_ROUTES = ["command"] as const;

/** Frames larger than this are refused before parsing (API Gateway's own limit is 128 KB). */
export const MAX_FRAME_BYTES = 8 * 1024;

/** What a client frame id is: 1 to 64 of `A-Za-z0-9_.:-`. */
export const FRAME_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A client frame id: the command id of a command, the query id of a query. */
export const frameIdSchema = z
  .string()
  .check(z.regex(FRAME_ID_PATTERN, "must be 1 to 64 letters, digits, or _ . : -"));
const commandType = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9_.]{0,31}$/, "must be a lowercase command name"));

/** The envelope every command frame has, whatever its type. */
export const commandFrameSchema = z.strictObject({
  action: z.literal("command"),
  id: frameIdSchema,
  type: commandType,
  data: z.optional(z.unknown()),
});

/**
 * Per command type, the schema of its `data`: any zod 4 schema, built with `zod/mini` (what the
 * runtime uses, as it tree-shakes) or with classic `zod`.
 */
export type CommandSchemas = Readonly<Record<string, z.core.$ZodType<JsonValue>>>;

/** Why a frame was refused: what a client sees in the error frame's `code`. */
export type CommandErrorCode =
  /** A query type the API does not answer. */
  | "unknown_query"
  | "frame_too_large"
  | "not_json"
  | "invalid_frame"
  | "unknown_command"
  | "invalid_data"
  /** The command names an entity the player does not control. */
  | "forbidden"
  /** The connection is not in a world (or the world is gone). */
  | "not_in_world"
  /** The player is not one of the world's players: it may watch, not command. */
  | "not_a_member"
  /** The world is not running (deactivated): nothing would apply the command. */
  | "world_inactive"
  /** Over the connection's rate (`retryAfterMs` says when to send again); nothing was stored. */
  | "rate_limited"
  /** The server could not finish in time; nothing was stored unless a resend says `duplicate`. */
  | "busy";

/** The frame sent back for a refused command. */
export interface CommandErrorFrame {
  readonly type: "error";
  readonly code: CommandErrorCode;
  /** The client's command id, when the frame had a readable one. */
  readonly id?: string;
  /** Where the problem is (`data.dx`), when it is in a field. */
  readonly path?: string;
  readonly message: string;
  /** With `rate_limited`: how long until the connection may send again. */
  readonly retryAfterMs?: number;
}

/** An error frame; `id` and `path` only when known. */
export function errorFrame(
  code: CommandErrorCode,
  message: string,
  id?: string,
  path?: string,
): CommandErrorFrame {
  return {
    type: "error",
    code,
    message,
    ...(id === undefined ? {} : { id }),
    ...(path === undefined ? {} : { path }),
  };
}

/**
 * The checks every client frame (command or query) passes first: present, at most
 * `MAX_FRAME_BYTES`, JSON, and of the route's `envelope`; with the frame's `id` when it has a
 * well-formed one, for the error frames that follow.
 */
export function readFrame<S extends z.core.$ZodType>(
  body: string | null | undefined,
  envelope: S,
):
  | { readonly ok: true; readonly frame: z.infer<S>; readonly id: string | undefined }
  | { readonly ok: false; readonly error: CommandErrorFrame } {
  const fail = (code: CommandErrorCode, message: string) =>
    ({ ok: false, error: errorFrame(code, message) }) as const;
  if (typeof body !== "string") return fail("not_json", "the frame is empty: send a JSON object");
  if (
    body.length > MAX_FRAME_BYTES ||
    (body.length * 3 > MAX_FRAME_BYTES && utf8.encode(body).length > MAX_FRAME_BYTES)
  ) {
    return fail("frame_too_large", `the frame is larger than ${MAX_FRAME_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return fail("not_json", "the frame is not JSON");
  }
  const rawId =
    typeof json === "object" && json !== null ? (json as { id?: unknown }).id : undefined;
  const id =
    typeof rawId === "string" && safeParse(frameIdSchema, rawId).success ? rawId : undefined;
  const frame = safeParse(envelope, json);
  if (!frame.success) {
    const issue = frame.error.issues[0];
    return {
      ok: false,
      error: errorFrame(
        "invalid_frame",
        issue?.message ?? "invalid frame",
        id,
        issue ? pathOf(issue.path) : undefined,
      ),
    };
  }
  return { ok: true, frame: frame.data, id };
}

export type ParsedCommand =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly error: CommandErrorFrame };

const utf8 = new TextEncoder();

/** The `invalid_data` frame for a frame whose `data` did not parse: its first issue, and where. */
export function invalidDataFrame(
  issues: readonly z.core.$ZodIssue[],
  id: string | undefined,
): CommandErrorFrame {
  const issue = issues[0];
  return errorFrame(
    "invalid_data",
    issue?.message ?? "invalid data",
    id,
    issue ? pathOf(["data", ...issue.path]) : "data",
  );
}

/**
 * A game's commands: `defineCommands({ move: z.object({ dx: z.number(), dy: z.number() }) })`
 * (with `import * as z from "zod/mini"`, or classic `zod`).
 * `parse(body, actor)` turns a raw WebSocket body into an engine `Command` for that player, or an
 * error frame saying what was wrong.
 */
export function defineCommands(schemas: CommandSchemas) {
  for (const type of Object.keys(schemas)) {
    if (!safeParse(commandType, type).success)
      throw new RangeError(`command type "${type}" is not a lowercase command name`);
  }
  const types = Object.keys(schemas).sort();

  function parse(body: string | null | undefined, actor: string): ParsedCommand {
    const read = readFrame(body, commandFrameSchema);
    if (!read.ok) return read;
    const { id } = read;
    const frame = { data: read.frame };
    const fail = (
      code: CommandErrorCode,
      message: string,
      failedId?: string,
      path?: string,
    ): ParsedCommand => ({ ok: false, error: errorFrame(code, message, failedId, path) });
    // Own properties only: `constructor` is a lowercase command name every object inherits.
    const schema = Object.hasOwn(schemas, frame.data.type) ? schemas[frame.data.type] : undefined;
    if (schema === undefined) {
      return fail(
        "unknown_command",
        `unknown command type "${frame.data.type}"; known: ${types.join(", ")}`,
        id,
        "type",
      );
    }
    const data = safeParse(schema, frame.data.data);
    if (!data.success) return { ok: false, error: invalidDataFrame(data.error.issues, id) };
    return {
      ok: true,
      command: { id: frame.data.id, type: frame.data.type, actor, data: data.data },
    };
  }

  return { types, parse };
}
