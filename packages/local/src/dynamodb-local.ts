/**
 * Starts AWS's own DynamoDB emulator (DynamoDB Local, a Java jar shipped inside the npm package
 * `amplify-dynamodb-simulator`) on a free loopback port. The jar is never copied into this
 * repository: its licence forbids redistribution, so it stays in node_modules.
 *
 * The JVM runs under a watchdog (`dynamodb-local-watchdog.ts`) in a session of its own, so that no
 * kill of this process or of its process group reaches it, and the watchdog stops it gracefully
 * once this process is gone (see "What survives a crash" in docs/local-stack.md). With a data
 * directory, `dynamodb-local.pid` in it names the JVM; a start first stops a DynamoDB Local that an
 * earlier run left holding the directory.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import {
  DynamoDbLocalError,
  findDynamoDbLocals,
  flushDynamoDbLocal,
  isDynamoDbLocalFor,
  type ProcessInfo,
  pidFilePath,
  portOf,
  processInfo,
  readPidFile,
  WATCHDOG_SCRIPT_NAME,
  type WatchdogOptions,
  watchdogFor,
} from "./dynamodb-local-process.js";
import { nodeScriptArgs } from "./node-script.js";

export {
  DYNAMODB_LOCAL_PID_FILE,
  DynamoDbLocalError,
  findDynamoDbLocalOnPort,
  processCpuUs,
} from "./dynamodb-local-process.js";

/** How long a SIGTERMed JVM gets to exit before a SIGKILL (it takes well under a second). */
const STOP_TIMEOUT_MS = 10_000;
/** How long the flush before a stop may take (a commit takes milliseconds, more on a busy box). */
const FLUSH_TIMEOUT_MS = 5000;

export interface DynamoDbLocalOptions {
  /** Port to listen on; default: a free one. */
  readonly port?: number;
  /** Persist tables under this folder (`-dbPath DIR -sharedDb`); default: in memory. */
  readonly dbPath?: string;
  /** How long to wait for it to answer, ms. Default 30,000 (a cold JVM on a busy 2-core box). */
  readonly startTimeoutMs?: number;
  /** Where to say that a DynamoDB Local left by an earlier run is being stopped; default stdout. */
  readonly log?: (line: string) => void;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's process id. */
  readonly pid: number;
  /** Commits every acknowledged write, stops the JVM, and resolves once it has exited. */
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

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Waits until `pid` is gone or no longer `what` it was; false if it still is after `timeoutMs`. */
async function gone(
  pid: number,
  what: (info: ProcessInfo) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = processInfo(pid);
    if (info === undefined || !what(info)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stops every DynamoDB Local that an earlier run left holding `dbPath` (its stack killed while its
 * watchdog was killed too, or a launcher without a watchdog), gracefully: a flush, SIGTERM, and
 * SIGKILL only after a bound. Refuses if the directory belongs to a stack that still runs.
 */
async function stopEarlierRun(dbPath: string, log: (line: string) => void): Promise<void> {
  const recorded = readPidFile(dbPath);
  const pids = new Set(findDynamoDbLocals(dbPath));
  if (recorded !== undefined) pids.add(recorded.pid);
  const holds = (info: ProcessInfo) => isDynamoDbLocalFor(info, dbPath);
  const supervises = (info: ProcessInfo) => watchdogFor(info, dbPath) !== undefined;
  for (const pid of pids) {
    const jvm = processInfo(pid);
    // Gone, or the pid now names some other process: nothing to stop.
    if (jvm === undefined || !holds(jvm)) continue;
    const watchdog = processInfo(jvm.ppid);
    const watchdogOptions = watchdog === undefined ? undefined : watchdogFor(watchdog, dbPath);
    // A watchdog's parent is the stack that started it for exactly as long as that stack lives.
    if (watchdog !== undefined && watchdogOptions?.ownerPid === watchdog.ppid) {
      throw new DynamoDbLocalError(
        `${dbPath} is in use by DynamoDB Local (pid ${pid}, port ${watchdogOptions.port}) of a ` +
          `local stack that still runs (pid ${watchdog.ppid}): stop that stack first, or use ` +
          "another data directory.",
      );
    }
    const port = portOf(jvm);
    log(
      `DynamoDB Local (pid ${pid}${port === undefined ? "" : `, port ${port}`}) left by an ` +
        `earlier run still holds ${dbPath}: stopping it before starting a new one`,
    );
    if (port !== undefined) await flushDynamoDbLocal(`http://127.0.0.1:${port}`, FLUSH_TIMEOUT_MS);
    signal(pid, "SIGTERM");
    if (!(await gone(pid, holds, STOP_TIMEOUT_MS))) {
      signal(pid, "SIGKILL");
      if (!(await gone(pid, holds, STOP_TIMEOUT_MS))) {
        throw new DynamoDbLocalError(
          `DynamoDB Local (pid ${pid}) still holds ${dbPath} after SIGKILL; stop it by hand.`,
        );
      }
    }
    // Its watchdog, if it has one, ends once its JVM has; waiting for it keeps the pid file ours.
    if (watchdog !== undefined && watchdogOptions !== undefined) {
      if (!(await gone(watchdog.pid, supervises, STOP_TIMEOUT_MS))) signal(watchdog.pid, "SIGKILL");
    }
  }
  // Whatever it named is gone now.
  rmSync(pidFilePath(dbPath), { force: true });
}

/** The JVM's arguments: the jar in `dir`, on `port`, its tables under `dbPath` or in memory. */
function javaArgsFor(dir: string, port: number, dbPath: string | undefined): string[] {
  return [
    `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
    // A small heap keeps the test machine's memory for the tests; the emulator needs little.
    "-Xmx512m",
    "-jar",
    join(dir, "DynamoDBLocal.jar"),
    "-port",
    String(port),
    ...(dbPath === undefined ? ["-inMemory"] : ["-dbPath", dbPath, "-sharedDb"]),
    // It would otherwise report usage over the network: a machine with none has nothing to gain.
    "-disableTelemetry",
  ];
}

/**
 * The watchdog process, what it tells of the JVM it runs, and their working folder (a temporary
 * one, removed with them, when the tables are in memory).
 */
class Watchdog {
  readonly #options: WatchdogOptions;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  /** The last 4000 characters of its stderr. */
  #stderr = "";
  /** The JVM's pid, once the watchdog has spawned it. */
  #jvmPid: number | undefined;
  /** How the JVM ended, for a start's error message. */
  #jvmExit = "";
  /** The watchdog's exit code once it has exited (null when it could not start). */
  #exitCode: number | null | undefined;

  constructor(options: WatchdogOptions) {
    this.#options = options;
    // A session of its own: a signal to this process's group (Ctrl-C, a closed terminal, a kill of
    // `npm start`'s group) reaches neither the watchdog nor the JVM, which the watchdog then stops
    // gracefully, after this process, however this process ends.
    this.#child = spawn(
      process.execPath,
      [...nodeScriptArgs(import.meta.url, WATCHDOG_SCRIPT_NAME), JSON.stringify(options)],
      { cwd: options.cwd, detached: true, stdio: ["pipe", "pipe", "pipe"] },
    );
    this.#child.stdin?.on("error", () => undefined);
    this.#child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-4000);
    });
    if (this.#child.stdout !== null) {
      createInterface({ input: this.#child.stdout }).on("line", (line) => this.#onLine(line));
    }
    this.#exited = new Promise<void>((resolveExit) => {
      this.#child.on("exit", (code) => {
        this.#exitCode = code;
        resolveExit();
      });
    });
    this.#child.on("error", (error) => {
      this.#stderr += `\n${error.message}`;
      this.#exitCode ??= null;
    });
  }

  /** A line of the watchdog's stdout: the JVM's pid once spawned, how it exited once it has. */
  #onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null || !("type" in message)) return;
    if (message.type === "spawned" && "pid" in message && typeof message.pid === "number") {
      this.#jvmPid = message.pid;
    }
    if (message.type === "exited" && "code" in message && "signal" in message) {
      this.#jvmExit = ` (the JVM's exit code ${String(message.code)}, signal ${String(message.signal)})`;
    }
  }

  /**
   * Waits until the JVM answers, and returns its pid; abandons the start, and throws, once it
   * never will or `startTimeoutMs` has passed.
   */
  async untilAnswering(startTimeoutMs: number): Promise<number> {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const pid = this.#jvmPid;
      if (pid !== undefined && (await answers(this.#options.endpoint))) return pid;
      const failure = this.#startFailure(startTimeoutMs, deadline);
      if (failure !== undefined) {
        this.#abandon();
        throw new DynamoDbLocalError(failure);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Why the start has failed, if it has. */
  #startFailure(startTimeoutMs: number, deadline: number): string | undefined {
    const { port, endpoint } = this.#options;
    if (this.#exitCode !== undefined) {
      return `DynamoDB Local exited before it answered on port ${port}${this.#jvmExit}: ${this.#stderr.trim()}`;
    }
    // Jetty's bind failure leaves the JVM running but deaf: no use waiting for it.
    if (this.#stderr.includes("Failed to bind")) {
      return `DynamoDB Local could not listen on port ${port}, which something else holds: ${this.#stderr.trim()}`;
    }
    if (Date.now() > deadline) {
      return `DynamoDB Local did not answer on ${endpoint} within ${startTimeoutMs} ms: ${this.#stderr.trim()}`;
    }
    return undefined;
  }

  #abandon(): void {
    // Nothing is acknowledged yet: no graceful stop needed.
    if (this.#jvmPid !== undefined) signal(this.#jvmPid, "SIGKILL");
    this.#child.stdin?.end();
    this.#removeWorkingFolder();
  }

  /** Commits every acknowledged write, stops the JVM `jvmPid`, and resolves once it has exited. */
  async stop(jvmPid: number): Promise<void> {
    if (this.#exitCode === undefined) {
      // End-of-file tells the watchdog to flush and stop the JVM; it exits after the JVM has.
      this.#child.stdin?.end();
      const last = setTimeout(
        () => {
          signal(jvmPid, "SIGKILL");
          this.#child.kill("SIGKILL");
        },
        FLUSH_TIMEOUT_MS + 2 * STOP_TIMEOUT_MS,
      );
      await this.#exited;
      clearTimeout(last);
    }
    this.#removeWorkingFolder();
  }

  #removeWorkingFolder(): void {
    if (this.#options.dbPath === undefined)
      rmSync(this.#options.cwd, { recursive: true, force: true });
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
  const log = options.log ?? ((line: string) => console.log(line));
  const dbPath = options.dbPath === undefined ? undefined : resolve(options.dbPath);
  if (dbPath !== undefined) await stopEarlierRun(dbPath, log);
  const port = options.port ?? (await freePort());
  const javaArgs = javaArgsFor(emulatorDir(), port, dbPath);
  // The emulator writes a metadata file into its working directory: keep it out of the caller's.
  const cwd = dbPath ?? mkdtempSync(join(tmpdir(), "lq-dynamodb-"));
  const endpoint = `http://127.0.0.1:${port}`;
  const watchdog = new Watchdog({
    javaArgs,
    cwd,
    endpoint,
    port,
    stopTimeoutMs: STOP_TIMEOUT_MS,
    ownerPid: process.pid,
    ...(dbPath === undefined ? {} : { dbPath }),
  });
  const jvmPid = await watchdog.untilAnswering(options.startTimeoutMs ?? 30_000);
  return { endpoint, port, pid: jvmPid, stop: () => watchdog.stop(jvmPid) };
}
