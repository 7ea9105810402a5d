/**
 * What the DynamoDB Local launcher (`dynamodb-local.ts`) and its watchdog
 * (`dynamodb-local-watchdog.ts`) share: the watchdog's options, the pid file kept in the data
 * directory, the flush that makes DynamoDB Local finish the commits it has queued, and how to tell
 * from outside that a process is DynamoDB Local, or its watchdog, for a given data directory.
 */
import { spawnSync } from "node:child_process";
import {
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

export class DynamoDbLocalError extends Error {
  override readonly name = "DynamoDbLocalError";
}

/** The pid file's name inside a data directory. */
export const DYNAMODB_LOCAL_PID_FILE = "dynamodb-local.pid";
/** The watchdog module, without its extension (`.ts` from the sources, `.js` built). */
export const WATCHDOG_SCRIPT_NAME = "dynamodb-local-watchdog";

export interface WatchdogOptions {
  /** The JVM's arguments (`java` is the command). */
  readonly javaArgs: readonly string[];
  readonly cwd: string;
  readonly endpoint: string;
  readonly port: number;
  /** The absolute data directory; absent for an in-memory instance (no pid file, no flush). */
  readonly dbPath?: string;
  /** How long a SIGTERMed JVM gets before a SIGKILL. */
  readonly stopTimeoutMs: number;
  /** The stack's Node process: the watchdog's parent for exactly as long as it lives. */
  readonly ownerPid: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

export function parseWatchdogOptions(text: string): WatchdogOptions {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DynamoDbLocalError("the watchdog's options are not JSON", { cause });
  }
  if (
    !isRecord(value) ||
    !Array.isArray(value.javaArgs) ||
    !value.javaArgs.every((a) => typeof a === "string") ||
    typeof value.cwd !== "string" ||
    typeof value.endpoint !== "string" ||
    !isPositiveInteger(value.port) ||
    !isPositiveInteger(value.stopTimeoutMs) ||
    !isPositiveInteger(value.ownerPid) ||
    (value.dbPath !== undefined && (typeof value.dbPath !== "string" || !isAbsolute(value.dbPath)))
  ) {
    throw new DynamoDbLocalError(`the watchdog's options are malformed: ${text.slice(0, 500)}`);
  }
  return {
    javaArgs: value.javaArgs,
    cwd: value.cwd,
    endpoint: value.endpoint,
    port: value.port,
    stopTimeoutMs: value.stopTimeoutMs,
    ownerPid: value.ownerPid,
    ...(value.dbPath === undefined ? {} : { dbPath: value.dbPath }),
  };
}

/** What the pid file says: who holds the data directory. */
export interface DynamoDbLocalPidFile {
  /** The JVM. */
  readonly pid: number;
  readonly port: number;
  readonly dbPath: string;
  readonly watchdogPid: number;
  /** The Node process that started it: while it lives, the data directory is in use. */
  readonly ownerPid: number;
  readonly startedAt: string;
}

export function pidFilePath(dbPath: string): string {
  return join(dbPath, DYNAMODB_LOCAL_PID_FILE);
}

/** The pid file's content, or undefined when there is none or it is not one of ours. */
export function readPidFile(dbPath: string): DynamoDbLocalPidFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(pidFilePath(dbPath), "utf8"));
  } catch {
    return undefined;
  }
  if (
    !isRecord(value) ||
    !isPositiveInteger(value.pid) ||
    !isPositiveInteger(value.port) ||
    typeof value.dbPath !== "string" ||
    !isPositiveInteger(value.watchdogPid) ||
    !isPositiveInteger(value.ownerPid) ||
    typeof value.startedAt !== "string"
  ) {
    return undefined;
  }
  return {
    pid: value.pid,
    port: value.port,
    dbPath: value.dbPath,
    watchdogPid: value.watchdogPid,
    ownerPid: value.ownerPid,
    startedAt: value.startedAt,
  };
}

export function writePidFile(content: DynamoDbLocalPidFile): void {
  // Written whole, then renamed, so a reader never sees half a file.
  const path = pidFilePath(content.dbPath);
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(content)}\n`);
  renameSync(partial, path);
}

/** Removes the pid file if it still names `pid` (a later instance may have written its own). */
export function removePidFile(dbPath: string, pid: number): void {
  if (readPidFile(dbPath)?.pid === pid) rmSync(pidFilePath(dbPath), { force: true });
}

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly args: readonly string[];
  /** The working directory, where the platform tells it. */
  readonly cwd?: string;
}

const hasProc = process.platform === "linux";

/** A live process's parent and command line; undefined for no process or a zombie. */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (hasProc) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // The command name (field 2) is in parentheses and may hold spaces: read after the last one.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || fields[0] === "X") return undefined;
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (args.at(-1) === "") args.pop();
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        cwd = undefined;
      }
      return { pid, ppid: Number(fields[1]), args, ...(cwd === undefined ? {} : { cwd }) };
    } catch {
      return undefined;
    }
  }
  // Elsewhere (macOS) `ps` tells the same, with the arguments joined by spaces.
  const r = spawnSync("ps", ["-o", "ppid=,stat=,command=", "-p", String(pid)], {
    encoding: "utf8",
  });
  const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(r.stdout ?? "");
  if (r.status !== 0 || match === null || match[2]?.startsWith("Z")) return undefined;
  return { pid, ppid: Number(match[1]), args: (match[3] ?? "").trim().split(/\s+/) };
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync.native(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

function argAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

function isDynamoDbLocal(info: ProcessInfo): boolean {
  return info.args.some((a) => a.endsWith("DynamoDBLocal.jar"));
}

/** Whether the process is a DynamoDB Local JVM persisting to `dbPath`. */
export function isDynamoDbLocalFor(info: ProcessInfo, dbPath: string): boolean {
  const dir = argAfter(info.args, "-dbPath");
  if (!isDynamoDbLocal(info) || dir === undefined) return false;
  return sameDir(isAbsolute(dir) || info.cwd === undefined ? dir : resolve(info.cwd, dir), dbPath);
}

/** The port a DynamoDB Local JVM listens on, from its command line. */
export function portOf(info: ProcessInfo): number | undefined {
  const port = Number(argAfter(info.args, "-port"));
  return isPositiveInteger(port) ? port : undefined;
}

/** The options of a watchdog of a DynamoDB Local on `dbPath`; undefined for any other process. */
export function watchdogFor(info: ProcessInfo, dbPath: string): WatchdogOptions | undefined {
  const i = info.args.findIndex((a) => /dynamodb-local-watchdog\.(?:ts|js)$/.test(a));
  if (i < 0) return undefined;
  try {
    const options = parseWatchdogOptions(info.args.slice(i + 1).join(" "));
    return options.dbPath !== undefined && sameDir(options.dbPath, dbPath) ? options : undefined;
  } catch {
    return undefined;
  }
}

/** The DynamoDB Local JVM listening on `port` that the process table shows (Linux), if any. */
export function findDynamoDbLocalOnPort(port: number): number | undefined {
  if (!hasProc) return undefined;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info !== undefined && isDynamoDbLocal(info) && portOf(info) === port) return info.pid;
  }
  return undefined;
}

/** The CPU a process has used so far (user and system), µs; undefined without /proc or process. */
export function processCpuUs(pid: number): number | undefined {
  if (!hasProc) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the parenthesised command name: utime and stime are fields 14 and 15 of the line,
    // in clock ticks (USER_HZ, 100 a second on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1e6;
  } catch {
    return undefined;
  }
}

/** Linux's clock ticks a second (USER_HZ), the unit of /proc/PID/stat's CPU times. */
const CLOCK_TICKS_PER_S = 100;

/** Every DynamoDB Local JVM persisting to `dbPath` that the process table shows (Linux). */
export function findDynamoDbLocals(dbPath: string): number[] {
  if (!hasProc) return [];
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info !== undefined && isDynamoDbLocalFor(info, dbPath)) found.push(info.pid);
  }
  return found;
}

/**
 * Makes DynamoDB Local finish every commit it has queued. It answers TransactWriteItems before its
 * SQLite COMMIT has run (the commit is queued on the one SQLite thread, not awaited), so a JVM
 * stopped right after such an answer could lose the write. Its SQLite work runs one job at a time
 * in order, and ListTables is such a job that it awaits: once ListTables is answered, every commit
 * queued before it is done. True if it answered.
 */
export async function flushDynamoDbLocal(endpoint: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.ListTables",
        // Any well-formed credential will do: with -sharedDb it only has to parse.
        authorization:
          "AWS4-HMAC-SHA256 Credential=local/20240101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "{}",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
