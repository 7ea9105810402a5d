// The client's own protocol types stay assignable to the runtime's (and back, for what the
// runtime sends): a change on either side that breaks a client fails the type-check
// (`npm run typecheck`). Types only: nothing of the runtime is loaded.
import type {
  CommandsOf,
  EntityView as RuntimeEntityView,
  CommandErrorCode as RuntimeErrorCode,
  ClientErrorFrame as RuntimeErrorFrame,
  GameDescription as RuntimeGameDescription,
  LedgerQueryResult as RuntimeLedgerResult,
  PlayerRecord as RuntimePlayerRecord,
  QueryData as RuntimeQueryData,
  QueryResultFrame as RuntimeQueryResultFrame,
  QueryResults as RuntimeQueryResults,
  QueryType as RuntimeQueryType,
  ReplayReport as RuntimeReplayReport,
  StatePushFrame as RuntimeStatePushFrame,
  StateQueryResult as RuntimeStateQueryResult,
  VerifyWorldReport as RuntimeVerifyReport,
  WorldsQueryResult as RuntimeWorldsResult,
} from "@ledgerquest/runtime";
import { describe, expect, it } from "vitest";
import type { Client } from "../src/client.js";
import type {
  EntityView,
  ErrorFrame,
  GameDescription,
  LedgerQueryResult,
  PlayerRecord,
  QueryParams,
  QueryResultFrame,
  QueryResults,
  QueryType,
  ReplayReport,
  ServerErrorCode,
  StatePushFrame,
  StateQueryResult,
  VerifyWorldReport,
  WorldsQueryResult,
} from "../src/protocol.js";
import { SERVER_ERROR_CODES } from "../src/protocol.js";
import type { tinyGame } from "./support/tiny-game.js";

/** Compiles only when `A` is assignable to `B`. */
type Assignable<A extends B, B> = A;
/** Compiles only when `A` and `B` are assignable both ways. */
type Same<A extends B, B extends C, C = A> = [A, B, C];

// What the server sends is what the client reads.
export type Frames = [
  Assignable<RuntimeStatePushFrame, StatePushFrame>,
  Assignable<RuntimeErrorFrame, ErrorFrame>,
  Assignable<RuntimeQueryResultFrame, QueryResultFrame>,
  Assignable<RuntimeStateQueryResult, StateQueryResult>,
  Assignable<RuntimeLedgerResult, LedgerQueryResult>,
  Assignable<RuntimeVerifyReport, VerifyWorldReport>,
  Assignable<RuntimeReplayReport, ReplayReport>,
  Assignable<RuntimeWorldsResult, WorldsQueryResult>,
  Assignable<RuntimeEntityView, EntityView>,
  Assignable<RuntimePlayerRecord, PlayerRecord>,
  Assignable<RuntimeGameDescription, GameDescription>,
];

// The same codes and query types on both sides, no more, no fewer.
export type Codes = [
  Same<RuntimeErrorCode, ServerErrorCode>,
  Same<RuntimeQueryType, QueryType>,
  Same<keyof RuntimeQueryResults, keyof QueryResults>,
];

// What the client sends for a query is what the runtime's schema takes.
export type Params = [
  Assignable<QueryParams["state"], RuntimeQueryData<"state">>,
  Assignable<QueryParams["ledger"], RuntimeQueryData<"ledger">>,
  Assignable<QueryParams["verify"], RuntimeQueryData<"verify">>,
  Assignable<QueryParams["replay"], RuntimeQueryData<"replay">>,
  Assignable<QueryParams["worlds"], RuntimeQueryData<"worlds">>,
];

// A client typed by the game's own commands.
type TinyCommands = CommandsOf<typeof tinyGame>;
export type Typed = [
  Same<TinyCommands["move"], { dx: number; dy: number }>,
  Same<Parameters<Client<TinyCommands>["send"]>[0], "move" | "wave">,
];

describe("the protocol's types", () => {
  it("lists every server code (the types above are checked by tsc)", () => {
    const codes: Record<RuntimeErrorCode, true> = {
      rate_limited: true,
      frame_too_large: true,
      not_json: true,
      invalid_frame: true,
      unknown_command: true,
      unknown_query: true,
      invalid_data: true,
      forbidden: true,
      not_in_world: true,
      not_a_member: true,
      busy: true,
      world_inactive: true,
    };
    expect([...SERVER_ERROR_CODES].sort()).toEqual(Object.keys(codes).sort());
  });
});
