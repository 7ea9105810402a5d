import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { datan2, dcos, dsin, hashString, Rng, rotate, rotation, wrapAngle } from "../src/index.js";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** What simulation code must not use, and why. Comments are stripped before matching. */
const FORBIDDEN: readonly [RegExp, string][] = [
  [/\bDate\b/, "the clock (time comes in through the world's context)"],
  [/\bperformance\s*\.\s*now\b/, "the clock"],
  [/\bMath\s*\.\s*random\b/, "unseeded randomness (use world.rng)"],
  [
    /\bMath\s*\.\s*(sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|exp|expm1|log|log1p|log2|log10|pow|cbrt|hypot)\b/,
    "a transcendental function whose last bit differs between engines (use math/det.ts)",
  ],
  [/\*\*/, "the ** operator (Math.pow in disguise)"],
  [/\bcrypto\s*\.\s*(getRandomValues|randomUUID)\b/, "unseeded randomness"],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, "timers"],
  [/\bprocess\s*\./, "the host process (the engine runs anywhere)"],
  [/from\s+["']node:/, "Node built-ins (the engine is pure)"],
  // zod validates declarative definitions (economy, quests) at load, at the boundary, never in a
  // tick: `zod` or `zod/mini`, and the English messages `zod/mini` does not load by itself.
  [
    /from\s+["'](?!\.|@noble\/hashes|zod(?:\/mini|\/v4\/locales\/en\.js)?["'])/,
    "a runtime dependency other than @noble/hashes and zod",
  ],
  [/\bfor\s*\([^;)]*\bin\b/, "for...in (iterate arrays or sorted keys instead)"],
  [/\bnew\s+(Weak)?Set\s*\(/, "a Set in simulation code (iterate arrays in a defined order)"],
];

/** Files allowed a listed construct, with the reason. */
const ALLOWED: Readonly<Record<string, readonly RegExp[]>> = {
  // Builds the registry of component names once, at world creation; never iterated in a tick.
  "ecs/world.ts": [/\bnew\s+(Weak)?Set\s*\(/],
  // Decoding checks names for duplicates; not simulation.
  "sim/snapshot.ts": [/\bnew\s+(Weak)?Set\s*\(/],
  // 2 ** 33 - 1: a constant computed once at load.
  "ecs/entity.ts": [/\*\*/],
};

/** Drops comments, and empties string literals except module specifiers (which the rules read). */
function stripComments(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1")
    .replace(
      /(\bfrom\s+)?("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)/g,
      (m, from: string | undefined) => (from ? m : '""'),
    );
}

describe("determinism rules", () => {
  const files = sources(SRC);

  it("scans every engine source file", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    const rel = relative(SRC, file).split("\\").join("/");
    it(`${rel} uses no clock, unseeded randomness, transcendental Math or host APIs`, () => {
      const lines = stripComments(readFileSync(file, "utf8")).split("\n");
      const allowed = ALLOWED[rel] ?? [];
      const found: string[] = [];
      lines.forEach((line, i) => {
        for (const [pattern, why] of FORBIDDEN) {
          if (pattern.test(line) && !allowed.some((a) => a.source === pattern.source)) {
            found.push(`${rel}:${i + 1}: ${why}: ${line.trim()}`);
          }
        }
      });
      expect(found).toEqual([]);
    });
  }

  it("the scanner catches what it should (it can fail)", () => {
    const bad = [
      "const t = Date.now();",
      "x = Math.random()",
      "y = Math.sin(a)",
      "z = a ** 2",
      "import x from 'node:fs'",
    ];
    for (const line of bad) expect(FORBIDDEN.some(([p]) => p.test(stripComments(line)))).toBe(true);
    expect(FORBIDDEN.some(([p]) => p.test(stripComments("// Math.sin is banned")))).toBe(false);
  });
});

describe("seeded random numbers", () => {
  it("xoshiro128** matches the reference outputs for state (1, 2, 3, 4)", () => {
    const rng = new Rng(0);
    rng.setState([1, 2, 3, 4]);
    const out = Array.from({ length: 10 }, () => rng.nextU32());
    expect(out).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597,
      4258142804,
    ]);
  });

  it("same seed, same sequence; state round-trips; text seeds work", () => {
    const a = new Rng("world-1");
    const b = new Rng(hashString("world-1"));
    expect(Array.from({ length: 5 }, () => a.nextU32())).toEqual(
      Array.from({ length: 5 }, () => b.nextU32()),
    );
    const state = a.getState();
    const c = new Rng(99);
    c.setState(state);
    expect(c.nextFloat()).toBe(a.nextFloat());
    expect(() => c.setState([0, 0, 0, 0])).toThrow(RangeError);
  });

  it("int() is within bounds and unbiased enough; float() in [0, 1)", () => {
    const rng = new Rng(7);
    const counts = new Array(6).fill(0) as number[];
    for (let i = 0; i < 60_000; i++) {
      const v = rng.int(1, 6);
      expect(v >= 1 && v <= 6).toBe(true);
      counts[v - 1] = (counts[v - 1] as number) + 1;
    }
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(400);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = new Rng(seed);
        const f = r.nextFloat();
        return f >= 0 && f < 1;
      }),
    );
    expect(() => rng.int(3, 2)).toThrow(RangeError);
  });
});

describe("deterministic math", () => {
  it("dsin, dcos and datan2 agree with Math within documented accuracy", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (a) => {
        expect(Math.abs(dsin(a) - Math.sin(a))).toBeLessThan(
          2e-15 * Math.max(1, Math.abs(a) / 1e3),
        );
        expect(Math.abs(dcos(a) - Math.cos(a))).toBeLessThan(
          2e-15 * Math.max(1, Math.abs(a) / 1e3),
        );
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        (y, x) => {
          expect(Math.abs(datan2(y, x) - Math.atan2(y, x))).toBeLessThan(2e-12);
        },
      ),
      { numRuns: 2000 },
    );
    expect(datan2(0, 0)).toBe(0);
    expect(Math.abs(wrapAngle(7))).toBeLessThanOrEqual(Math.PI);
  });

  it("rotates vectors without trigonometry per call", () => {
    const out = { x: 0, y: 0 };
    rotate(1, 0, rotation(Math.PI / 2), out);
    expect(out.x).toBeCloseTo(0, 15);
    expect(out.y).toBeCloseTo(1, 15);
  });
});

describe("SHA-256", () => {
  it("the engine's SHA-256 matches the FIPS 180-2 vectors and @noble/hashes on every length", async () => {
    const { sha256Hex } = await import("../src/index.js");
    const { sha256: fresh } = await import("@noble/hashes/sha2.js");
    const { bytesToHex } = await import("@noble/hashes/utils.js");
    const text = (s: string) => new TextEncoder().encode(s);
    expect(sha256Hex(text("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(sha256Hex(text(""))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(sha256Hex(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    // Every length around the one- and two-block padding boundaries.
    for (let n = 0; n <= 200; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
      expect(sha256Hex(bytes)).toBe(bytesToHex(fresh(bytes)));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(bytesToHex(fresh(bytes)));
      }),
      { numRuns: 500 },
    );
  });

  it("an installed SHA-256 hashes the long messages; one that computes something else is refused", async () => {
    const { installSha256, InvalidArgumentError, sha256Hex, SHA256_INSTALLED_MIN_BYTES } =
      await import("../src/index.js");
    const { sha256: fresh } = await import("@noble/hashes/sha2.js");
    const { bytesToHex } = await import("@noble/hashes/utils.js");
    const lengths: number[] = [];
    try {
      installSha256((bytes) => {
        lengths.push(bytes.length);
        return fresh(bytes);
      });
      lengths.length = 0;
      const long = Uint8Array.from({ length: SHA256_INSTALLED_MIN_BYTES + 5 }, (_, i) => i & 255);
      const short = long.subarray(0, SHA256_INSTALLED_MIN_BYTES - 1);
      expect(sha256Hex(long)).toBe(bytesToHex(fresh(long)));
      expect(sha256Hex(short)).toBe(bytesToHex(fresh(short)));
      expect(lengths).toEqual([long.length]);
      // Not SHA-256 (one byte flipped on long messages only): refused, and the last one stays.
      const wrong = (bytes: Uint8Array) => {
        const h = fresh(bytes);
        if (bytes.length > 1000) h[0] = (h[0] as number) ^ 1;
        return h;
      };
      expect(() => installSha256(wrong)).toThrow(InvalidArgumentError);
      lengths.length = 0;
      expect(sha256Hex(long)).toBe(bytesToHex(fresh(long)));
      expect(lengths).toEqual([long.length]);
    } finally {
      installSha256(undefined);
    }
  });
});
