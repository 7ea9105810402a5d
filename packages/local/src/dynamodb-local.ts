/**
 * Starts AWS's own DynamoDB emulator (DynamoDB Local, a Java jar shipped inside the npm package
 * `amplify-dynamodb-simulator`) as a child process on a free loopback port. The jar is never
 * copied into this repository: its licence forbids redistribution, so it stays in node_modules.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export class DynamoDbLocalError extends Error {
  override readonly name = "DynamoDbLocalError";
}

export interface DynamoDbLocalOptions {
  /** Port to listen on; default: a free one. */
  readonly port?: number;
  /** Persist tables under this folder (`-dbPath DIR -sharedDb`); default: in memory. */
  readonly dbPath?: string;
  /** How long to wait for it to answer, ms. Default 30,000 (a cold JVM on a busy 2-core box). */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The emulator folder inside the npm package. */
export function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("amplify-dynamodb-simulator/package.json");
  return join(dirname(pkg), "emulator");
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function javaMissing(): boolean {
  const r = spawnSync("java", ["-version"], { stdio: "ignore" });
  return r.error !== undefined || r.status !== 0;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    // Any HTTP answer means the server is up (an unsigned request is refused with 400).
    const res = await fetch(endpoint, { method: "POST", signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export async function startDynamoDbLocal(
  options: DynamoDbLocalOptions = {},
): Promise<DynamoDbLocal> {
  if (javaMissing()) {
    throw new DynamoDbLocalError(
      "DynamoDB Local needs Java 17 or later, and `java` was not found. Install it with " +
        "`sudo apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu) and try again.",
    );
  }
  const port = options.port ?? (await freePort());
  const dir = emulatorDir();
  const args = [
    `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
    // A small heap keeps the test machine's memory for the tests; the emulator needs little.
    "-Xmx512m",
    "-jar",
    join(dir, "DynamoDBLocal.jar"),
    "-port",
    String(port),
    ...(options.dbPath === undefined ? ["-inMemory"] : ["-dbPath", options.dbPath, "-sharedDb"]),
  ];
  // The emulator writes a metadata file into its working directory: keep it out of the caller's.
  const cwd = options.dbPath ?? mkdtempSync(join(tmpdir(), "lq-dynamodb-"));
  const child: ChildProcess = spawn("java", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  let exited: number | null | undefined;
  child.on("exit", (code) => {
    exited = code;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await answers(endpoint))) {
    if (exited !== undefined) {
      throw new DynamoDbLocalError(
        `DynamoDB Local exited with code ${exited} before it answered on port ${port}: ${stderr.trim()}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new DynamoDbLocalError(
        `DynamoDB Local did not answer on ${endpoint} within ${options.startTimeoutMs ?? 30_000} ms: ${stderr.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    stop: async () => {
      if (exited === undefined) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        });
      }
      if (options.dbPath === undefined) rmSync(cwd, { recursive: true, force: true });
    },
  };
}
