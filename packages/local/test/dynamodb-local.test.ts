// DynamoDB Local under a kill of the local stack: no acknowledged write lost, no JVM left behind,
// never two JVMs on one data directory. The stack is a child Node process (a fixture) that the
// test kills: its whole process group, or only itself.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  type AttributeValue,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { localClientConfig } from "../src/clients.js";
import {
  DYNAMODB_LOCAL_PID_FILE,
  DynamoDbLocalError,
  emulatorDir,
  freePort,
  startDynamoDbLocal,
} from "../src/dynamodb-local.js";
import { createWriterTable, WRITER_TABLE } from "./fixtures/writer-table.js";

const WRITER = fileURLToPath(new URL("./fixtures/dynamodb-local-writer.ts", import.meta.url));
const ITEMS = 30;
/** How long a killed stack's JVM may take to go away: a liveness bound, not a speed goal. */
const GONE_MS = 30_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lq-ddb-kill-"));
  cleanups.push(() => {
    // Whatever still runs on it (the test failed) goes first.
    for (const pid of processesWith(dir)) kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function args(pid: string): string[] | undefined {
  try {
    if (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined;
  }
}

/** Live processes whose command line mentions `text` (a data directory, a port). */
function processesWith(text: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => args(entry)?.some((a) => a.includes(text)) ?? false)
    .map(Number);
}

/** DynamoDB Local JVMs persisting to `dir`, or listening on `-port N`. */
function jvmsOn(dirOrPort: string | number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const a = args(entry);
      if (a === undefined || !a.some((x) => x.endsWith("DynamoDBLocal.jar"))) return false;
      return typeof dirOrPort === "number"
        ? a[a.indexOf("-port") + 1] === String(dirOrPort)
        : a[a.indexOf("-dbPath") + 1] === dirOrPort;
    })
    .map(Number);
}

function alive(pid: number): boolean {
  return args(String(pid)) !== undefined;
}

async function until(what: string, probe: () => boolean, timeoutMs = GONE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Writer {
  readonly child: ChildProcess;
  readonly jvmPid: number;
  readonly port: number;
  readonly exited: Promise<NodeJS.Signals | null>;
  /** Resolves when the writer prints `ready`. */
  readonly ready: Promise<void>;
}

/** Starts the fixture in a process group of its own, as `npm start` is in its terminal. */
async function startWriter(where: string, then: "kill-group" | "wait"): Promise<Writer> {
  const child = spawn(
    process.execPath,
    ["--conditions=@ledgerquest/source", "--import", "tsx", WRITER, where, String(ITEMS), then],
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  cleanups.push(() => kill(-(child.pid ?? 0), "SIGKILL"));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const started = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line.startsWith("started ")) resolve(line);
      if (line === "ready") onReady();
    });
    void exited.then(() => reject(new Error(`the writer exited before it started: ${stderr}`)));
  });
  const [, jvmPid, port] = started.split(" ").map(Number);
  if (jvmPid === undefined || port === undefined) throw new Error(`bad line: ${started}`);
  cleanups.push(() => {
    for (const pid of jvmsOn(port)) kill(pid, "SIGKILL");
  });
  return { child, jvmPid, port, exited, ready };
}

function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient(localClientConfig(endpoint));
}

async function count(endpoint: string): Promise<number> {
  let n = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client(endpoint).send(
      new ScanCommand({ TableName: WRITER_TABLE, Select: "COUNT", ExclusiveStartKey: start }),
    );
    n += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return n;
}

/** Starts DynamoDB Local on `dir` in this process and counts the writer's items. */
async function itemsKept(dir: string): Promise<number> {
  const ddb = await startDynamoDbLocal({ dbPath: dir, log: () => undefined });
  try {
    return await count(ddb.endpoint);
  } finally {
    await ddb.stop();
  }
}

// Its tests are alike (a writer, a kill, nothing lost): one per way the stack can be killed.
describe.runIf(process.platform === "linux")("DynamoDB Local under a kill of the stack", () => {
  it("a SIGKILL of the stack's whole process group, right on an answer, loses no acknowledged write and leaves no JVM", async () => {
    const dir = tempDir();
    const writer = await startWriter(dir, "kill-group");
    // It kills its own group in the tick in which its last write is acknowledged.
    expect(await writer.exited).toBe("SIGKILL");
    await until("the JVM to go", () => !alive(writer.jvmPid) && jvmsOn(dir).length === 0);
    await until("the watchdog to go", () => processesWith(dir).length === 0);
    expect(existsSync(join(dir, DYNAMODB_LOCAL_PID_FILE))).toBe(false);
    expect(await itemsKept(dir)).toBe(ITEMS);
  });

  it("a SIGKILL of the stack's Node process alone leaves no orphaned JVM and loses nothing", async () => {
    const dir = tempDir();
    const writer = await startWriter(dir, "wait");
    await writer.ready;
    kill(writer.child.pid ?? 0, "SIGKILL");
    expect(await writer.exited).toBe("SIGKILL");
    await until("the orphaned JVM to go", () => !alive(writer.jvmPid) && jvmsOn(dir).length === 0);
    expect(await itemsKept(dir)).toBe(ITEMS);
  });

  it("a start right after a kill of the stack's Node process waits for the old JVM: one JVM, nothing lost", async () => {
    const dir = tempDir();
    const writer = await startWriter(dir, "wait");
    await writer.ready;
    kill(writer.child.pid ?? 0, "SIGKILL");
    await writer.exited;
    // No wait: the old JVM may still be stopping, or (without a watchdog) be running on.
    const lines: string[] = [];
    const fresh = await startDynamoDbLocal({ dbPath: dir, log: (line) => lines.push(line) });
    cleanups.push(() => fresh.stop());
    expect(alive(writer.jvmPid)).toBe(false);
    expect(jvmsOn(dir)).toEqual([fresh.pid]);
    expect(await count(fresh.endpoint)).toBe(ITEMS);
  });

  it("an in-memory instance is not orphaned either", async () => {
    const writer = await startWriter("memory", "wait");
    await writer.ready;
    kill(writer.child.pid ?? 0, "SIGKILL");
    await writer.exited;
    await until("the orphaned JVM to go", () => jvmsOn(writer.port).length === 0);
  });
});

/** A DynamoDB Local JVM without a watchdog, as an earlier launcher left them. */
async function startOrphan(dir: string): Promise<{ pid: number; endpoint: string }> {
  const port = await freePort();
  const emulator = emulatorDir();
  const jvm = spawn(
    "java",
    [
      `-Djava.library.path=${join(emulator, "DynamoDBLocal_lib")}`,
      "-Xmx256m",
      "-jar",
      join(emulator, "DynamoDBLocal.jar"),
      "-port",
      String(port),
      "-dbPath",
      dir,
      "-sharedDb",
    ],
    { cwd: dir, detached: true, stdio: "ignore" },
  );
  const pid = jvm.pid ?? 0;
  cleanups.push(() => kill(pid, "SIGKILL"));
  const endpoint = `http://127.0.0.1:${port}`;
  const ddb = client(endpoint);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await ddb.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { pid, endpoint };
}

/** A pid that named a process a moment ago and names none now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid ?? 0;
}

function writePidFile(dir: string, pid: number, port: number, ownerPid: number): void {
  writeFileSync(
    join(dir, DYNAMODB_LOCAL_PID_FILE),
    JSON.stringify({
      pid,
      port,
      dbPath: dir,
      watchdogPid: ownerPid,
      ownerPid,
      startedAt: new Date().toISOString(),
    }),
  );
}

describe.runIf(process.platform === "linux")("one DynamoDB Local per data directory", () => {
  it("a start stops a JVM that an earlier run left on the directory, keeping what it acknowledged", async () => {
    const dir = tempDir();
    const orphan = await startOrphan(dir);
    const ddb = client(orphan.endpoint);
    await createWriterTable(ddb);
    for (let i = 0; i < ITEMS; i++) {
      await ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: WRITER_TABLE, Item: { pk: { S: `item-${i}` } } } }],
        }),
      );
    }
    writePidFile(dir, orphan.pid, Number(new URL(orphan.endpoint).port), await deadPid());
    // Right after the last answer: the start must flush before it stops the orphan.
    const lines: string[] = [];
    const fresh = await startDynamoDbLocal({ dbPath: dir, log: (line) => lines.push(line) });
    cleanups.push(() => fresh.stop());
    expect(alive(orphan.pid)).toBe(false);
    expect(jvmsOn(dir)).toEqual([fresh.pid]);
    expect(lines.join("\n")).toContain(`pid ${orphan.pid}`);
    expect(await count(fresh.endpoint)).toBe(ITEMS);
    const recorded = JSON.parse(readFileSync(join(dir, DYNAMODB_LOCAL_PID_FILE), "utf8"));
    expect(recorded).toMatchObject({ pid: fresh.pid, port: fresh.port, dbPath: dir });
    await fresh.stop();
    expect(existsSync(join(dir, DYNAMODB_LOCAL_PID_FILE))).toBe(false);
  });

  it("a pid file naming a dead pid or an unrelated process is ignored, and that process left alone", async () => {
    const dir = tempDir();
    writePidFile(dir, await deadPid(), 1, await deadPid());
    const first = await startDynamoDbLocal({ dbPath: dir, log: () => undefined });
    await first.stop();
    const unrelated = spawn("sleep", ["120"], { stdio: "ignore" });
    const unrelatedPid = unrelated.pid ?? 0;
    cleanups.push(() => kill(unrelatedPid, "SIGKILL"));
    writePidFile(dir, unrelatedPid, 1, await deadPid());
    const lines: string[] = [];
    const second = await startDynamoDbLocal({ dbPath: dir, log: (line) => lines.push(line) });
    cleanups.push(() => second.stop());
    expect(alive(unrelatedPid)).toBe(true);
    expect(lines).toEqual([]);
    expect(jvmsOn(dir)).toEqual([second.pid]);
  });

  it("a second start on a directory that a running stack uses is refused, and the first keeps serving", async () => {
    const dir = tempDir();
    const first = await startDynamoDbLocal({ dbPath: dir, log: () => undefined });
    cleanups.push(() => first.stop());
    await expect(startDynamoDbLocal({ dbPath: dir, log: () => undefined })).rejects.toThrow(
      DynamoDbLocalError,
    );
    expect(jvmsOn(dir)).toEqual([first.pid]);
    await client(first.endpoint).send(new ListTablesCommand({}));
  });
});
