/**
 * Why a command the players were told was accepted is in no batch: where its traces are. A lost
 * command is a bug, and a fault run is hard to repeat (its timing is not seeded), so the run
 * itself says what it found: the command id's claim (the time it was placed at) or none, the
 * inbox item that holds the command or none, the drains of its shard around that time, and the
 * shard's watermark.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  paginateQuery,
} from "@aws-sdk/client-dynamodb";
import { LOCAL_REGION } from "@ledgerquest/emulators/protocol";
import {
  auditKeys,
  type BatchRecord,
  inboxShardOf,
  pad,
  type RuntimeDeps,
} from "@ledgerquest/runtime";
import { LOCAL_CREDENTIALS } from "../clients.js";

/** One line per lost command (`<player>/<command id>`), naming what the stores hold of it. */
export async function explainLost(
  env: Readonly<Record<string, string>>,
  deps: Pick<RuntimeDeps, "journal" | "inbox" | "store">,
  worldId: string,
  lost: readonly string[],
): Promise<string[]> {
  if (lost.length === 0) return [];
  const db = new DynamoDBClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(env.AWS_ENDPOINT_URL_DYNAMODB === undefined
      ? {}
      : { endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
  });
  try {
    const world = await deps.store.getWorld(worldId);
    const shards = world?.cursors.length ?? 1;
    const version = world?.version ?? 0;
    const batches = version < 1 ? [] : await deps.journal.listBatches(worldId, 1, version);
    const at: Where = { db, table: env.LQ_AUDIT_TABLE ?? "", worldId };
    const lines: string[] = [];
    for (const key of lost) {
      const slash = key.indexOf("/");
      const playerId = key.slice(0, slash);
      const shard = inboxShardOf(playerId, shards);
      const traces = await traceCommand(at, shard, playerId, key.slice(slash + 1), batches);
      const wm = await getItem(at, auditKeys.watermark(worldId, shard));
      traces.push(`watermark ${wm?.wm?.N ?? "absent"}, cursor ${world?.cursors[shard] ?? "?"}`);
      lines.push(`${key}: shard ${shard}; ${traces.join("; ")}`);
    }
    return lines;
  } finally {
    db.destroy();
  }
}

interface Where {
  readonly db: DynamoDBClient;
  readonly table: string;
  readonly worldId: string;
}

async function getItem(at: Where, key: { readonly pk: string; readonly sk: string }) {
  return (
    await at.db.send(
      new GetItemCommand({
        TableName: at.table,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: true,
      }),
    )
  ).Item;
}

/** The inbox items of `shard` that arrived at `ms`, every page of them. */
async function inboxItemsAt(
  at: Where,
  shard: number,
  ms: number,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  const pages = paginateQuery(
    { client: at.db },
    {
      TableName: at.table,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :t)",
      ExpressionAttributeValues: {
        ":pk": { S: auditKeys.inbox(at.worldId, shard) },
        ":t": { S: pad(ms) },
      },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/** The command's claim, the inbox items at its time, and its shard's drains near that time. */
async function traceCommand(
  at: Where,
  shard: number,
  playerId: string,
  commandId: string,
  batches: readonly BatchRecord[],
): Promise<string[]> {
  const claim = await getItem(at, auditKeys.commandId(at.worldId, playerId, commandId));
  const arrivedMs = claim?.arrivedMs?.N === undefined ? undefined : Number(claim.arrivedMs.N);
  if (arrivedMs === undefined) return ["claim absent"];
  const items = await inboxItemsAt(at, shard, arrivedMs);
  const holding = items.filter((i) => (i.commands?.S ?? "").includes(JSON.stringify(commandId)));
  const around = batches
    .flatMap((b) =>
      b.drains
        .filter((d) => d.shard === shard)
        .map((d) => ({ version: b.version, fromMs: d.fromMs, toMs: d.toMs })),
    )
    .filter((d) => d.toMs >= arrivedMs - 2000 && d.fromMs <= arrivedMs + 2000);
  return [
    `claim placed at ${arrivedMs}`,
    `inbox items at that time: ${items.length}, holding it: ${holding.map((i) => i.sk?.S).join(", ") || "none"}`,
    `drains near it: ${around.map((d) => `v${d.version} (${d.fromMs}, ${d.toMs}]`).join(" ") || "none"}`,
  ];
}
