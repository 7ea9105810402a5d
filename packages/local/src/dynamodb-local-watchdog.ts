/**
 * The watchdog between the local stack and DynamoDB Local's JVM: `startDynamoDbLocal` runs it as
 * `node --conditions=@ledgerquest/source --import tsx dynamodb-local-watchdog.ts <options JSON>` in a session of its own, and it
 * runs the JVM as its child.
 *
 * Why a process of its own: a kill of the stack's Node process, or of its whole process group
 * (Ctrl-C twice, a closed terminal, `kill -9` of `npm start`), must neither orphan the JVM nor kill
 * it abruptly. DynamoDB Local answers a TransactWriteItems before its SQLite COMMIT has run, so a
 * SIGKILL of the JVM right after an answer can lose that acknowledged write. Out of the stack's
 * process group, the JVM is reached by no such kill; this watchdog stops it gracefully (a flush,
 * then SIGTERM, then SIGKILL after a bound) as soon as the stack is gone. Its stdin is a pipe
 * from the stack, whose end-of-file says that the stack has exited, however it exited.
 *
 * It tells the stack on stdout, one JSON object a line: `{"type":"spawned","pid":N}` and
 * `{"type":"exited","code":C,"signal":S}`. The JVM's stderr goes to its stderr.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import {
  flushDynamoDbLocal,
  parseWatchdogOptions,
  removePidFile,
  writePidFile,
} from "./dynamodb-local-process.js";

// The stack may be gone: writing to it must never crash the watchdog.
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);

function tell(message: Record<string, unknown>): void {
  if (process.stdout.writable) process.stdout.write(`${JSON.stringify(message)}\n`);
}

const options = parseWatchdogOptions(process.argv[2] ?? "");
const jvm = spawn("java", [...options.javaArgs], {
  cwd: options.cwd,
  stdio: ["ignore", "ignore", "pipe"],
});
jvm.stderr?.on("data", (chunk: Buffer) => {
  if (process.stderr.writable) process.stderr.write(chunk);
});

let exited = false;
jvm.on("error", (error) => {
  exited = true;
  process.stderr.write(`${error.message}\n`);
  tell({ type: "exited", code: null, signal: null });
  process.exitCode = 1;
  process.stdin.destroy();
});
if (jvm.pid !== undefined) {
  if (options.dbPath !== undefined) {
    writePidFile({
      pid: jvm.pid,
      port: options.port,
      dbPath: options.dbPath,
      watchdogPid: process.pid,
      ownerPid: options.ownerPid,
      startedAt: new Date().toISOString(),
    });
  }
  tell({ type: "spawned", pid: jvm.pid });
}
jvm.on("exit", (code, signal) => {
  exited = true;
  if (options.dbPath !== undefined && jvm.pid !== undefined) removePidFile(options.dbPath, jvm.pid);
  // An in-memory instance's working directory is a temporary one of its own.
  else if (options.dbPath === undefined) rmSync(options.cwd, { recursive: true, force: true });
  tell({ type: "exited", code, signal });
  // Nothing else keeps the watchdog: it ends once stdout is flushed.
  process.stdin.destroy();
});

let stopping = false;
async function stopJvm(): Promise<void> {
  if (stopping || exited) return;
  stopping = true;
  // Every write acknowledged before the stack went away is committed before the JVM is stopped.
  if (options.dbPath !== undefined) await flushDynamoDbLocal(options.endpoint, 5000);
  if (exited) return;
  jvm.kill("SIGTERM");
  setTimeout(() => {
    if (!exited) jvm.kill("SIGKILL");
  }, options.stopTimeoutMs).unref();
}

// End-of-file on stdin: the stack has closed it (a clean stop) or has exited, however it exited.
process.stdin.on("end", () => void stopJvm());
process.stdin.on("close", () => void stopJvm());
process.stdin.on("error", () => void stopJvm());
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.on(signal, () => void stopJvm());
}
process.on("uncaughtException", (error) => {
  process.stderr.write(`dynamodb-local watchdog: ${error.stack ?? error.message}\n`);
  if (!exited) jvm.kill("SIGTERM");
  process.exitCode = 1;
});
