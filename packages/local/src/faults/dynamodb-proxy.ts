/**
 * A proxy in front of DynamoDB Local that knows the commit protocol's writes by their requests,
 * and can crash the process that sent one: just before the write reaches the store, or just after
 * the store took it and before its caller hears so. The fault driver runs it in its own process,
 * so that it outlives the stack it kills; the stack's handlers reach DynamoDB through it
 * (`LocalStackOptions.faults.dynamodbEndpoint`), unchanged.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";

/** The writes a crash can be aimed at: the commit protocol's, and a command's submit. */
export const WRITE_POINTS = [
  "inbox.close",
  "journal.putBatch",
  "journal.appendEntries",
  "store.putProjections",
  "store.commitWorld",
  "inbox.submit",
] as const;
export type WritePoint = (typeof WRITE_POINTS)[number];

export interface CrashPlan {
  readonly point: WritePoint;
  /** `before`: the write never happens; `after`: it happened, and nobody heard. */
  readonly phase: "before" | "after";
  /** Crash at the n-th such write from now (1 = the next one). */
  readonly nth: number;
}

type AttributeValue = { readonly S?: string };
type Json = { readonly [key: string]: unknown };

function keyOf(item: unknown, attribute: string): string {
  const value = (item as Json | undefined)?.[attribute] as AttributeValue | undefined;
  return typeof value?.S === "string" ? value.S : "";
}

/** Which write of the protocol a DynamoDB request is, if any. */
export function writePointOf(target: string, body: Json): WritePoint | undefined {
  const operation = target.split(".")[1] ?? "";
  if (operation === "UpdateItem") {
    const expression = String(body.UpdateExpression ?? "");
    if (keyOf(body.Key, "sk") === "~watermark" && expression.includes("wm = :u"))
      return "inbox.close";
    return undefined;
  }
  if (operation === "PutItem") {
    const item = body.Item;
    if (keyOf(item, "pk").startsWith("batch#")) return "journal.putBatch";
    if (
      keyOf(item, "entity_id").startsWith("world#") &&
      String(body.ConditionExpression).includes("#v")
    )
      return "store.commitWorld";
    return undefined;
  }
  if (operation === "TransactWriteItems") {
    const items = (body.TransactItems as Json[] | undefined) ?? [];
    const keys = items.flatMap((i) => {
      const put = i.Put as Json | undefined;
      const update = i.Update as Json | undefined;
      return [
        keyOf(put?.Item, "pk"),
        keyOf(put?.Item, "entity_id"),
        keyOf(update?.Key, "entity_id"),
      ];
    });
    if (keys.some((k) => k.startsWith("journal#"))) return "journal.appendEntries";
    if (keys.some((k) => k.startsWith("acct#") || k.startsWith("player#")))
      return "store.putProjections";
    if (keys.some((k) => k.startsWith("inbox#"))) return "inbox.submit";
  }
  return undefined;
}

export interface DynamoDbProxy {
  /** Where clients send their requests. */
  readonly endpoint: string;
  /** Sends requests on to DynamoDB Local on this port from now on. */
  retarget(port: number): void;
  /** Crashes (calls `crash`) at the planned write; one plan at a time, replacing any other. */
  arm(plan: CrashPlan, crash: () => void): void;
  /** Whether the armed plan went off, since it was armed. */
  readonly fired: boolean;
  /** Requests seen per write point, since start. */
  counts(): Readonly<Record<WritePoint, number>>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startDynamoDbProxy(targetPort: number): Promise<DynamoDbProxy> {
  let port = targetPort;
  let plan: { readonly plan: CrashPlan; readonly crash: () => void; seen: number } | undefined;
  let fired = false;
  const counts = Object.fromEntries(WRITE_POINTS.map((p) => [p, 0])) as Record<WritePoint, number>;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      let point: WritePoint | undefined;
      try {
        point = writePointOf(
          String(req.headers["x-amz-target"] ?? ""),
          JSON.parse(body.toString("utf8")) as Json,
        );
      } catch {
        point = undefined;
      }
      if (point !== undefined) counts[point]++;
      let crashAfter = false;
      if (point !== undefined && plan !== undefined && plan.plan.point === point) {
        plan.seen++;
        if (plan.seen === plan.plan.nth) {
          const { crash, plan: p } = plan;
          plan = undefined;
          fired = true;
          if (p.phase === "before") {
            crash();
            req.socket.destroy();
            return;
          }
          crashAfter = true;
          // The write goes through; the crash comes before its caller hears of it.
          const upstream = await forward(port, req, body);
          crash();
          upstream.resume();
          req.socket.destroy();
          return;
        }
      }
      if (crashAfter) return;
      try {
        const upstream = await forward(port, req, body);
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      } catch {
        // DynamoDB Local is down (a restart): the client sees what it would see without us.
        req.socket.destroy();
      }
    })();
  });
  // Keep-alive connections outlive the SDK's idle ones: a server closing an idle connection just
  // as a client reuses it would reset requests that no fault caused.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const own = typeof address === "object" && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${own}`,
    retarget: (p) => {
      port = p;
    },
    arm: (p, crash) => {
      plan = { plan: p, crash, seen: 0 };
      fired = false;
    },
    get fired() {
      return fired;
    },
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forward(port: number, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${port}` },
      },
      resolve,
    );
    out.on("error", reject);
    out.end(body);
  });
}
