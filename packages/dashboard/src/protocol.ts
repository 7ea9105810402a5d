/**
 * The client protocol as the page speaks it (docs/reference/client-protocol.md). Types only: the
 * runtime's and the engine's are imported with `import type`, so nothing of theirs is bundled.
 */
import type { JournalEntry } from "@ledgerquest/engine";
import type {
  ClientErrorFrame,
  EntityLook,
  EntityView,
  GameDescription,
  LedgerQueryResult,
  PlayerRecord,
  QueryResultFrame,
  QueryResults,
  QueryType,
  ReplayReport,
  StatePushFrame,
  StateQueryResult,
  VerifyWorldReport,
  WorldsQueryResult,
} from "@ledgerquest/runtime";

export type {
  ClientErrorFrame,
  EntityLook,
  EntityView,
  GameDescription,
  JournalEntry,
  LedgerQueryResult,
  PlayerRecord,
  QueryResultFrame,
  QueryResults,
  QueryType,
  ReplayReport,
  StatePushFrame,
  StateQueryResult,
  VerifyWorldReport,
  WorldsQueryResult,
};

/** Totals held outside the system accounts (players and bots), per unit: what is in circulation. */
export type Supply = Readonly<Record<string, number>>;
export type BatchStats = StatePushFrame["batch"];

/** What a query's `data` may hold, per type (client-protocol.md). */
export interface QueryData {
  readonly state: undefined;
  readonly ledger: { readonly limit?: number } | undefined;
  readonly verify: undefined;
  readonly replay: { readonly fromTick?: number; readonly toTick?: number } | undefined;
  readonly worlds: undefined;
}

export interface AckFrame {
  readonly type: "ack";
  readonly id: string;
  readonly result: "accepted" | "duplicate";
}

/** API Gateway's own answer when a handler failed. */
export interface GatewayFailureFrame {
  readonly message: string;
  readonly connectionId?: string;
  readonly requestId?: string;
}

/** `/config.json`: where the WebSocket API is and how players sign in. */
export interface PageConfig {
  readonly websocketUrl: string;
  readonly world: string;
  readonly auth: "dev" | "token";
}

export interface QuestReward {
  readonly unit: string;
  readonly amount: number;
}

/** A quest of the game's book, as the page reads it (the book comes as JSON). */
export interface QuestDescription {
  readonly id: string;
  readonly title: string;
  readonly objectives: readonly { readonly kind: string; readonly count?: number }[];
  readonly rewards: readonly QuestReward[];
  readonly claim?: "manual";
  readonly repeatable?: boolean;
  readonly prerequisites?: { readonly quests?: readonly string[] };
}

/** The quest book of a game description, read defensively (what does not parse is skipped). */
export function questBook(quests: readonly unknown[] | undefined): QuestDescription[] {
  const out: QuestDescription[] = [];
  for (const raw of quests ?? []) {
    if (typeof raw !== "object" || raw === null) continue;
    const q = raw as Record<string, unknown>;
    if (typeof q.id !== "string") continue;
    const objectives = Array.isArray(q.objectives)
      ? q.objectives.flatMap((o: unknown) => {
          if (typeof o !== "object" || o === null) return [];
          const r = o as { kind?: unknown; count?: unknown };
          return [
            {
              kind: String(r.kind ?? "?"),
              ...(typeof r.count === "number" ? { count: r.count } : {}),
            },
          ];
        })
      : [];
    const rewards = Array.isArray(q.rewards)
      ? q.rewards.flatMap((o: unknown) => {
          const r = o as { unit?: unknown; amount?: unknown } | null;
          return typeof r?.unit === "string" && typeof r.amount === "number"
            ? [{ unit: r.unit, amount: r.amount }]
            : [];
        })
      : [];
    const prereq = (q.prerequisites as { quests?: unknown } | undefined)?.quests;
    out.push({
      id: q.id,
      title: typeof q.title === "string" ? q.title : q.id,
      objectives,
      rewards,
      ...(q.claim === "manual" ? { claim: "manual" as const } : {}),
      ...(q.repeatable === true ? { repeatable: true } : {}),
      ...(Array.isArray(prereq)
        ? { prerequisites: { quests: prereq.filter((x): x is string => typeof x === "string") } }
        : {}),
    });
  }
  return out;
}

/** Sorts a parsed frame into its kind, or `undefined` for something the page does not know. */
export function classifyFrame(
  json: unknown,
):
  | { kind: "state"; frame: StatePushFrame }
  | { kind: "result"; frame: QueryResultFrame }
  | { kind: "ack"; frame: AckFrame }
  | { kind: "error"; frame: ClientErrorFrame }
  | { kind: "failure"; frame: GatewayFailureFrame }
  | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const f = json as { type?: unknown; message?: unknown };
  switch (f.type) {
    case "state":
      return { kind: "state", frame: json as StatePushFrame };
    case "result":
      return { kind: "result", frame: json as QueryResultFrame };
    case "ack":
      return { kind: "ack", frame: json as AckFrame };
    case "error":
      return { kind: "error", frame: json as ClientErrorFrame };
    default:
      return typeof f.message === "string"
        ? { kind: "failure", frame: json as GatewayFailureFrame }
        : undefined;
  }
}

/** Client frame ids: `[A-Za-z0-9_.:-]{1,64}`, unique per page load. */
export function frameIdFactory(prefix: string): () => string {
  const session = Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, "0");
  let n = 0;
  return () => `${prefix}-${session}-${(++n).toString(36)}`;
}
