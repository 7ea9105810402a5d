/**
 * The usage meter's DynamoDB part: the request units each handler's DynamoDB calls consume, as
 * on-demand DynamoDB bills them, by function and by kind of item.
 *
 * How: an AWS SDK v3 middleware on every DynamoDB client that sends a request inside a metered
 * Lambda invocation (`UsageMeter.invoke`). It asks for `ReturnConsumedCapacity: "TOTAL"` (and
 * takes it off the answer again when the caller had not asked), and records the units DynamoDB
 * Local reports, except where DynamoDB Local does not follow AWS's rules or says nothing:
 * - transactions: DynamoDB Local reports 4 units for a one-item transaction of a small item and
 *   the same 4 for three of them (measured with DynamoDB Local 2.x), where AWS bills 2 write units
 *   per KB of each item; so transactions are computed by AWS's rules from the items' sizes;
 * - failed conditional writes (`ConditionalCheckFailedException`, `TransactionCanceledException`):
 *   AWS bills them as the write they would have been; the error carries no capacity, so they are
 *   computed the same way;
 * - a read that finds nothing: AWS bills a strongly consistent read at least 1 unit and an
 *   eventually consistent one at least half of one; DynamoDB Local reports 0 for an empty query;
 * - a reply without `ConsumedCapacity`: computed from the sizes of what was written or read.
 * Each tally's `computed` says how many of its requests were computed rather than reported.
 *
 * Why a hook on the SDK's client class rather than a middleware on clients the stack makes: the
 * handlers build their own clients (packages/aws, from the environment, as in Lambda), and have no
 * way to take one from the stack. The hook is inert outside a metered invocation, and on other
 * services' clients. A handler option that takes the client (or its middleware) would replace it.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TABLES } from "@ledgerquest/runtime";
import { currentInvocation, READ_UNIT_BYTES, WRITE_UNIT_BYTES } from "./usage.js";

type Json = Readonly<Record<string, unknown>>;

/** The operations that take `ReturnConsumedCapacity`. */
const READS = new Set(["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]);
const WRITES = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);
/** Reads billed as one request: at least one unit, or half of one when eventually consistent. */
const SINGLE_READS = new Set(["GetItem", "Query", "Scan"]);
/** The errors AWS bills: a condition that failed is a write that was tried. */
const BILLED_FAILURES = new Set([
  "ConditionalCheckFailedException",
  "TransactionCanceledException",
]);

function record(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

/** UTF-8 bytes of a string, counted without encoding it (this runs on every request). */
const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** A number's stored size: about one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text
    .replace(/^-/, "")
    .replace(/e.*$/i, "")
    .replace(".", "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function binaryBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  // The wire form: base64 text.
  return typeof value === "string" ? Math.floor((value.replace(/=+$/, "").length * 3) / 4) : 0;
}

/**
 * A marshalled attribute value's size as DynamoDB bills it: strings and binaries by their bytes,
 * numbers by their digits, booleans and null 1 byte, a list or map 3 bytes plus 1 a member.
 */
export function attributeValueBytes(value: unknown): number {
  const v = record(value);
  if (typeof v.S === "string") return utf8Bytes(v.S);
  if (typeof v.N === "string") return numberBytes(v.N);
  if (v.B !== undefined) return binaryBytes(v.B);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (Array.isArray(v.L)) return v.L.reduce<number>((s, e) => s + 1 + attributeValueBytes(e), 3);
  if (v.M !== undefined) {
    let size = 3;
    for (const [name, e] of Object.entries(record(v.M))) {
      size += utf8Bytes(name) + attributeValueBytes(e) + 1;
    }
    return size;
  }
  if (Array.isArray(v.SS)) return v.SS.reduce<number>((s, e) => s + utf8Bytes(String(e)), 0);
  if (Array.isArray(v.NS)) return v.NS.reduce<number>((s, e) => s + numberBytes(String(e)), 0);
  if (Array.isArray(v.BS)) return v.BS.reduce<number>((s, e) => s + binaryBytes(e), 0);
  return 0;
}

/** A marshalled item's size: its attribute names and values. */
export function itemBytes(item: unknown): number {
  let size = 0;
  for (const [name, value] of Object.entries(record(item))) {
    size += utf8Bytes(name) + attributeValueBytes(value);
  }
  return size;
}

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));

/**
 * What an update, a delete or a condition check is billed for is the stored item's size, which
 * the request does not show: the key plus the values written is a floor (exact for the small
 * watermark and counter items the adapters update).
 */
function keyAndValuesBytes(action: Json): number {
  return itemBytes(action.Key) + Math.max(0, itemBytes(action.ExpressionAttributeValues));
}

/** Write units of a write request by AWS's rules, from the request alone. */
export function computedWriteUnits(operation: string, input: Json): number {
  switch (operation) {
    case "PutItem":
      return writeUnits(itemBytes(input.Item));
    case "UpdateItem":
      return writeUnits(keyAndValuesBytes(input));
    case "DeleteItem":
      return writeUnits(itemBytes(input.Key));
    case "TransactWriteItems": {
      let units = 0;
      for (const raw of Array.isArray(input.TransactItems) ? input.TransactItems : []) {
        const action = record(raw);
        const bytes =
          action.Put !== undefined
            ? itemBytes(record(action.Put).Item)
            : keyAndValuesBytes(record(action.Update ?? action.Delete ?? action.ConditionCheck));
        // Transactional writes cost two units per KB of each item. The pricing page does not
        // price a condition check apart; it counts as a transactional write of its key here.
        units += 2 * writeUnits(bytes);
      }
      return units;
    }
    case "BatchWriteItem": {
      let units = 0;
      for (const requests of Object.values(record(input.RequestItems))) {
        for (const r of Array.isArray(requests) ? requests : []) {
          const put = record(record(r).PutRequest);
          units += writeUnits(itemBytes(put.Item ?? record(record(r).DeleteRequest).Key));
        }
      }
      return units;
    }
    default:
      return 0;
  }
}

/**
 * Read units of a read by AWS's rules, from what it returned: a strongly consistent read costs 1
 * unit per 4 KB (at least 1, found or not), a query or scan is sized by all it returns together,
 * an eventually consistent read costs half, and a transactional read twice.
 */
export function computedReadUnits(operation: string, input: Json, output: Json): number {
  const half = input.ConsistentRead === true ? 1 : 0.5;
  switch (operation) {
    case "GetItem":
      return readUnits(itemBytes(output.Item)) * half;
    case "Query":
    case "Scan": {
      const items = Array.isArray(output.Items) ? output.Items : [];
      return readUnits(items.reduce<number>((s, i) => s + itemBytes(i), 0)) * half;
    }
    case "TransactGetItems": {
      const responses = Array.isArray(output.Responses) ? output.Responses : [];
      return responses.reduce<number>((s, r) => s + 2 * readUnits(itemBytes(record(r).Item)), 0);
    }
    case "BatchGetItem": {
      let units = 0;
      for (const items of Object.values(record(output.Responses))) {
        for (const item of Array.isArray(items) ? items : []) units += readUnits(itemBytes(item));
      }
      return units * 0.5;
    }
    default:
      return 0;
  }
}

/** The capacity units DynamoDB reported, or undefined when it reported none. */
function reportedUnits(output: Json): number | undefined {
  const consumed = output.ConsumedCapacity;
  if (consumed === undefined) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce<number>((s, c) => {
    const r = record(c);
    const units =
      r.CapacityUnits ?? Number(r.ReadCapacityUnits ?? 0) + Number(r.WriteCapacityUnits ?? 0);
    return s + Number(units);
  }, 0);
}

// ─── kinds of item ───────────────────────────────────────────────────────────────────────────────

const PARTITION_KEYS: readonly { readonly table: string; readonly attribute: string }[] =
  TABLES.flatMap((t) => [
    { table: t.logicalName, attribute: t.partitionKey.name },
    ...(t.indexes ?? []).map((i) => ({ table: t.logicalName, attribute: i.partitionKey.name })),
  ]);

/** `world#w1` → `world`: the first segment of a key, which names the kind of item. */
function segmentOf(key: string): string {
  const at = key.indexOf("#");
  return at < 0 ? key : key.slice(0, at);
}

/** The kind of a marshalled key or item: `<table>:<first segment of its partition key>`. */
function kindOfKey(tableName: unknown, key: unknown): string {
  const k = record(key);
  for (const { table, attribute } of PARTITION_KEYS) {
    const value = record(k[attribute]).S;
    if (typeof value === "string") return `${table}:${segmentOf(value)}`;
  }
  return `${String(tableName ?? "?")}:?`;
}

/** A query's kind, from the value its key condition gives the partition key. */
function kindOfQuery(input: Json): string {
  const names = record(input.ExpressionAttributeNames);
  const values = record(input.ExpressionAttributeValues);
  const condition = String(input.KeyConditionExpression ?? "");
  for (const [, left, placeholder] of condition.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const attribute = left?.startsWith("#") ? names[left] : left;
    const entry = PARTITION_KEYS.find((p) => p.attribute === attribute);
    const value = record(values[placeholder ?? ""]).S;
    if (entry !== undefined && typeof value === "string") {
      return `${entry.table}:${segmentOf(value)}`;
    }
  }
  return `${String(input.TableName ?? "?")}:query`;
}

/** Which kind of item a request is about (a transaction's or batch's: its first item's). */
export function kindOf(operation: string, input: Json): string {
  switch (operation) {
    case "GetItem":
    case "UpdateItem":
    case "DeleteItem":
      return kindOfKey(input.TableName, input.Key);
    case "PutItem":
      return kindOfKey(input.TableName, input.Item);
    case "Query":
      return kindOfQuery(input);
    case "Scan":
      return `${String(input.TableName ?? "?")}:scan`;
    case "TransactWriteItems":
    case "TransactGetItems": {
      const first = record(Array.isArray(input.TransactItems) ? input.TransactItems[0] : {});
      const action = record(
        first.Put ?? first.Update ?? first.Delete ?? first.ConditionCheck ?? first.Get,
      );
      return kindOfKey(action.TableName, action.Item ?? action.Key);
    }
    case "BatchWriteItem":
    case "BatchGetItem": {
      const [table, requests] = Object.entries(record(input.RequestItems))[0] ?? ["?", undefined];
      const first = record(Array.isArray(requests) ? requests[0] : record(requests).Keys);
      const key =
        record(first.PutRequest).Item ??
        record(first.DeleteRequest).Key ??
        (Array.isArray(record(requests).Keys) ? (record(requests).Keys as unknown[])[0] : first);
      return kindOfKey(table, key);
    }
    default:
      return "?";
  }
}

// ─── the hook ────────────────────────────────────────────────────────────────────────────────────

interface RequestState {
  /** The request as sent (marshalled), seen after serialization. */
  input?: Json;
}

type Next = (args: { input: unknown; request?: unknown }) => Promise<{ output: unknown }>;
interface StackLike {
  add(middleware: unknown, options: Record<string, unknown>): void;
}
interface ClientLike {
  readonly config?: { readonly serviceId?: string };
  readonly middlewareStack: StackLike;
}

const requests = new WeakMap<object, RequestState>();
const metered = new WeakSet<object>();

function operationOf(commandName: unknown): string {
  return typeof commandName === "string" ? commandName.replace(/Command$/, "") : "";
}

function meterStack(stack: StackLike): void {
  if (metered.has(stack)) return;
  metered.add(stack);
  stack.add(
    (next: Next, context: { commandName?: string }) => async (args: { input: unknown }) => {
      const invocation = currentInvocation();
      const operation = operationOf(context.commandName);
      const isRead = READS.has(operation);
      if (invocation === undefined || !(isRead || WRITES.has(operation))) return next(args);
      const asked = record(args.input).ReturnConsumedCapacity;
      const askedByCaller = asked !== undefined && asked !== "NONE";
      const state: RequestState = {};
      requests.set(context, state);
      const record_ = (readUnits: number, writeUnits: number, computed: boolean, failed: boolean) =>
        invocation.meter.dynamoDb(invocation.functionName, kindOf(operation, state.input ?? {}), {
          readUnits,
          writeUnits,
          computed,
          failed,
        });
      let result: { output: unknown };
      try {
        result = await next(
          askedByCaller
            ? args
            : { ...args, input: { ...record(args.input), ReturnConsumedCapacity: "TOTAL" } },
        );
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        const billed = typeof name === "string" && BILLED_FAILURES.has(name);
        const units = billed && !isRead ? computedWriteUnits(operation, state.input ?? {}) : 0;
        record_(0, units, billed, true);
        throw error;
      }
      const output = record(result.output);
      const transaction = operation.startsWith("Transact");
      const reported = transaction ? undefined : reportedUnits(output);
      const input = state.input ?? {};
      if (isRead) {
        // A read costs its minimum even when it finds nothing; DynamoDB Local reports 0 for a
        // query that finds nothing.
        const minimum = SINGLE_READS.has(operation) ? (input.ConsistentRead === true ? 1 : 0.5) : 0;
        const units = reported ?? computedReadUnits(operation, input, output);
        record_(Math.max(units, minimum), 0, reported === undefined || units < minimum, false);
      } else {
        record_(0, reported ?? computedWriteUnits(operation, input), reported === undefined, false);
      }
      if (!askedByCaller) delete (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      return result;
    },
    { step: "initialize", name: "lqUsageMeter", priority: "high" },
  );
  // After serialization the request is in its wire form whether a document client or a plain
  // one sent it: sizes are measured on that.
  stack.add(
    (next: Next, context: object) => (args: { input: unknown }) => {
      const state = requests.get(context);
      if (state !== undefined) state.input = record(args.input);
      return next(args);
    },
    { step: "build", name: "lqUsageMeterInput", priority: "high" },
  );
}

let installed = false;

/**
 * Meters every DynamoDB client of this process, from its next request on, while it runs inside
 * a metered invocation. Idempotent.
 */
export function installDynamoDbMeter(): void {
  if (installed) return;
  installed = true;
  // The SDK's base client class: document clients share their DynamoDB client's middleware
  // stack, and send through this same method.
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as {
    send: (this: ClientLike, ...args: unknown[]) => unknown;
  };
  const send = base.send;
  base.send = function (this: ClientLike, ...args: unknown[]) {
    if (currentInvocation() !== undefined && this.config?.serviceId === "DynamoDB") {
      meterStack(this.middlewareStack);
    }
    return send.apply(this, args);
  };
}
