// EventBridge refuses an event pattern over its size quota (2,048 characters by default): so
// does `compilePattern`, the one check the CDK stacks and the local bus share, with a typed error.
import { describe, expect, it } from "vitest";
import { EVENT_RULES } from "../src/definitions/events.js";
import { loopEndedPattern } from "../src/definitions/workflow.js";
import { InvalidEventPatternError } from "../src/errors.js";
import { compilePattern, MAX_EVENT_PATTERN_CHARS } from "../src/events/pattern.js";

/** `{"source":["xxx…"]}`, exactly `chars` characters of JSON. */
function patternOf(chars: number): { source: string[] } {
  const frame = JSON.stringify({ source: [""] }).length;
  return { source: ["x".repeat(chars - frame)] };
}

function refusal(pattern: unknown, options = {}): InvalidEventPatternError | undefined {
  try {
    compilePattern(pattern, options);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
}

describe("an event pattern's size", () => {
  it("is EventBridge's default quota: 2,048 characters", () => {
    expect(MAX_EVENT_PATTERN_CHARS).toBe(2048);
  });

  it("may be the quota exactly, and not a character more", () => {
    expect(JSON.stringify(patternOf(2048)).length).toBe(2048);
    expect(refusal(patternOf(2048))).toBeUndefined();
    const error = refusal(patternOf(2049));
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect(error?.path).toBe("<pattern>");
    expect(error?.reason).toMatch(/2049 characters .* at most 2048/);
  });

  it("is counted on the text as given, whitespace included, and in characters, not UTF-16 units", () => {
    const compact = JSON.stringify(patternOf(2040));
    expect(refusal(compact)).toBeUndefined();
    // The same pattern, spread over more than the quota's characters: refused as sent.
    expect(refusal(JSON.stringify(patternOf(2040), null, 8))).toBeInstanceOf(
      InvalidEventPatternError,
    );
    // 2,048 characters, some of them outside the BMP (two UTF-16 units each): allowed.
    const astral = { source: [`${"\u{1F600}".repeat(10)}${"x".repeat(2048 - 15 - 10)}`] };
    expect([...JSON.stringify(astral)].length).toBe(2048);
    expect(JSON.stringify(astral).length).toBeGreaterThan(2048);
    expect(refusal(astral)).toBeUndefined();
  });

  it("follows a raised quota when told, and refuses a nonsense one", () => {
    expect(refusal(patternOf(4000), { maxPatternChars: 4096 })).toBeUndefined();
    expect(refusal(patternOf(4097), { maxPatternChars: 4096 })).toBeInstanceOf(
      InvalidEventPatternError,
    );
    expect(() => compilePattern(patternOf(100), { maxPatternChars: 0 })).toThrow(RangeError);
  });

  it("leaves room in every pattern the stacks deploy", () => {
    for (const rule of EVENT_RULES) expect(refusal(rule.eventPattern), rule.name).toBeUndefined();
    // The loop-ended rule names the state machine by its ARN: the longest a name can make it.
    const arn = `arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:${"n".repeat(80)}`;
    expect(refusal(loopEndedPattern(arn))).toBeUndefined();
  });
});
