/**
 * The EventBridge event-pattern matcher, tested against AWS's own documentation: tests alike, one
 * per example of the docs, so that a failure names the example.
 *
 * Doc pages cited below (Amazon EventBridge User Guide):
 * - [patterns]  "Amazon EventBridge event patterns" (eb-event-patterns)
 * - [syntax]    "Event pattern syntax" / "Creating event patterns" (eb-create-pattern)
 * - [null]      "Matching null values and empty strings in Amazon EventBridge event patterns"
 *               (eb-event-patterns-null-values)
 * - [arrays]    "Arrays in Amazon EventBridge event patterns" / "Matching on multiple field values"
 *               (eb-event-patterns-arrays)
 * - [filtering] "Content filtering in Amazon EventBridge event patterns", now "Comparison operators
 *               for use in event patterns in Amazon EventBridge" (eb-event-patterns-content-based-
 *               filtering, eb-create-pattern-operators), cited with the section's name
 * - [ruler]     README of Event Ruler (github.com/aws/event-ruler), the library EventBridge's
 *               matching is built on, where the user guide is silent
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toMicros } from "../src/events/numbers.js";
import {
  matchWildcard,
  parseWildcard,
  type WildcardPattern,
  wildcardComplexity,
} from "../src/events/wildcard.js";
import {
  type CompilePatternOptions,
  compilePattern,
  DEFAULT_MAX_WILDCARD_COMPLEXITY,
  InvalidEventPatternError,
  MAX_PATTERN_ALTERNATIVES,
  matchesPattern,
  RuntimeError,
} from "../src/index.js";

const matches = (pattern: unknown, event: unknown): boolean =>
  compilePattern(pattern).matches(event);

/** Parses a wildcard value that the test knows to be valid. */
const wildcard = (source: string): WildcardPattern => {
  const parsed = parseWildcard(source);
  if ("problem" in parsed) throw new Error(parsed.problem);
  return parsed;
};

/** The EC2 event of [patterns] and [syntax]. */
const ec2Event = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

/** The sample event of [ruler] "Ruler by Example". */
const rulerEvent = {
  version: "0",
  id: "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "012345679012",
  time: "2017-10-02T16:24:49Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  detail: {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    state: "running",
  },
};

/** Builds `{ detail: { [field]: value } }`, or `{ detail: {} }` for `undefined`. */
const detail = (field: string, value: unknown) =>
  value === undefined ? { detail: {} } : { detail: { [field]: value } };

describe("[patterns] Amazon EventBridge event patterns", () => {
  const termination = {
    source: ["aws.ec2"],
    "detail-type": ["EC2 Instance State-change Notification"],
    detail: { state: ["terminated"] },
  };

  it("selects the EC2 instance-termination event of the page's example", () => {
    expect(matches(termination, ec2Event)).toBe(true);
  });

  it("fails when any one of the three requirements fails (AND across fields)", () => {
    expect(matches(termination, { ...ec2Event, source: "aws.fargate" })).toBe(false);
    expect(matches(termination, { ...ec2Event, "detail-type": "Something Else" })).toBe(false);
    expect(matches(termination, { ...ec2Event, detail: { state: "running" } })).toBe(false);
  });
});

describe("[syntax] Event pattern syntax", () => {
  it("matches any of the values in a field's array (section 'Matching event values')", () => {
    const pattern = compilePattern({ source: ["aws.ec2", "aws.fargate"] });
    expect(pattern.matches({ source: "aws.ec2" })).toBe(true);
    expect(pattern.matches({ source: "aws.fargate" })).toBe(true);
    expect(pattern.matches({ source: "aws.s3" })).toBe(false);
  });

  it("needs every named field, with the same nesting; other event fields are ignored", () => {
    const pattern = compilePattern({ detail: { state: ["terminated"] } });
    expect(pattern.matches(ec2Event)).toBe(true);
    expect(pattern.matches({ state: "terminated" })).toBe(false); // not nested under detail
    expect(pattern.matches({ detail: { other: { state: "terminated" } } })).toBe(false);
    expect(pattern.matches({ detail: {} })).toBe(false);
    expect(pattern.matches({})).toBe(false);
  });

  it("compares strings character by character, without case folding or normalization", () => {
    const pattern = compilePattern({ source: ["aws.ec2"] });
    expect(pattern.matches({ source: "AWS.EC2" })).toBe(false);
    expect(pattern.matches({ source: "aws.ec2 " })).toBe(false);
    // "é" precomposed vs "e" + combining acute: different strings, no normalization.
    expect(matches({ name: ["caf\u00e9"] }, { name: "cafe\u0301" })).toBe(false);
  });

  it("matches JSON values by type: strings, numbers, true, false and null never match each other", () => {
    expect(matches({ v: ["5"] }, { v: 5 })).toBe(false);
    expect(matches({ v: [5] }, { v: "5" })).toBe(false);
    expect(matches({ v: [true] }, { v: "true" })).toBe(false);
    expect(matches({ v: ["true"] }, { v: true })).toBe(false);
    expect(matches({ v: [false] }, { v: 0 })).toBe(false);
    expect(matches({ v: [null] }, { v: "null" })).toBe(false);
    expect(matches({ v: [true] }, { v: true })).toBe(true);
    expect(matches({ v: [false] }, { v: false })).toBe(true);
    expect(matches({ v: [5] }, { v: 5 })).toBe(true);
  });

  it("numbers match by value: 300, 300.0 and 3.0e2 are one number once the JSON is parsed", () => {
    // The page says EventBridge compares numbers by their text ("300, 300.0, and 3.0e2 are not
    // considered equal"). A parsed event cannot tell those texts apart, and Event Ruler also adds
    // a numeric-equality matcher for every number of a pattern (JsonRuleCompiler.writeRules).
    const pattern = compilePattern(JSON.parse('{ "x": [300] }'));
    for (const text of ["300", "300.0", "3.0e2"]) {
      expect(pattern.matches(JSON.parse(`{ "x": ${text} }`))).toBe(true);
    }
    expect(pattern.matches({ x: 300.000001 })).toBe(false);
    expect(matches({ x: [0] }, { x: -0 })).toBe(true);
  });

  it("uses only the last of duplicate keys (section 'Considerations when creating event patterns')", () => {
    const text = `{
      "source": ["aws.s3"],
      "source": ["aws.sns"],
      "detail-type": ["AWS API Call via CloudTrail"],
      "detail": { "eventSource": ["s3.amazonaws.com"], "eventSource": ["sns.amazonaws.com"] }
    }`;
    const unique = {
      source: ["aws.sns"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventSource: ["sns.amazonaws.com"] },
    };
    const sns = {
      source: "aws.sns",
      "detail-type": "AWS API Call via CloudTrail",
      detail: { eventSource: "sns.amazonaws.com" },
    };
    const s3 = { ...sns, source: "aws.s3", detail: { eventSource: "s3.amazonaws.com" } };
    for (const pattern of [text, unique]) {
      expect(matches(pattern, sns)).toBe(true);
      expect(matches(pattern, s3)).toBe(false);
    }
  });

  it("joins keys with dots: both pattern forms are identical and match both event forms", () => {
    const nested = compilePattern({ detail: { state: { status: ["running"] } } });
    const dotted = compilePattern({ detail: { "state.status": ["running"] } });
    const events = [
      { detail: { state: { status: "running" } } },
      { detail: { "state.status": "running" } },
    ];
    for (const pattern of [nested, dotted]) {
      for (const event of events) expect(pattern.matches(event)).toBe(true);
      expect(pattern.matches({ detail: { "state.status": "stopped" } })).toBe(false);
    }
  });

  it("reads dotted event keys at any depth and merges them with nested objects", () => {
    const pattern = compilePattern({ detail: { state: { status: ["running"], code: [16] } } });
    expect(pattern.matches({ "detail.state.status": "running", "detail.state.code": 16 })).toBe(
      true,
    );
    expect(
      pattern.matches({ detail: { state: { code: 16 } }, "detail.state.status": "running" }),
    ).toBe(true);
    expect(pattern.matches({ "detail.state": { status: "running", code: 16 } })).toBe(true);
    expect(pattern.matches({ "detail.state.status": "running" })).toBe(false);
    expect(matches({ "a.b.c": [{ exists: false }] }, { "a.b": { c: 1 } })).toBe(false);
    expect(matches({ "a.b.c": [{ exists: false }] }, { "a.b": { d: 1 } })).toBe(true);
  });

  it("keeps the last of a key given both nested and dotted", () => {
    const pattern = compilePattern({ detail: { state: ["a"] }, "detail.state": ["b"] });
    expect(pattern.matches({ detail: { state: "b" } })).toBe(true);
    expect(pattern.matches({ detail: { state: "a" } })).toBe(false);
  });
});

describe("[null] Matching null values and empty strings", () => {
  const event = {
    version: "0",
    id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    source: "aws.autoscaling",
    account: "123456789012",
    time: "2015-11-11T21:31:47Z",
    region: "us-east-1",
    resources: [],
    detail: { eventVersion: "", responseElements: null },
  };

  it('matches an empty string with [""]', () => {
    expect(matches({ detail: { eventVersion: [""] } }, event)).toBe(true);
  });

  it("matches a field that is explicitly null with [null]", () => {
    expect(matches({ detail: { responseElements: [null] } }, event)).toBe(true);
    // [patterns] "Field matching" uses the same event with source and detail-type too.
    expect(
      matches(
        {
          source: ["aws.autoscaling"],
          "detail-type": ["EC2 Instance Launch Successful"],
          detail: { responseElements: [null] },
        },
        event,
      ),
    ).toBe(true);
  });

  it("does not interchange null and empty strings", () => {
    expect(matches({ detail: { responseElements: [""] } }, event)).toBe(false);
    expect(matches({ detail: { eventVersion: [null] } }, event)).toBe(false);
  });

  it("does not match null against a missing field", () => {
    expect(matches({ detail: { missing: [null] } }, event)).toBe(false);
    expect(matches({ resources: [null] }, event)).toBe(false); // an empty array holds no null
  });
});

describe("[arrays] Arrays in event patterns", () => {
  it("matches an event array when its intersection with the pattern array is non-empty", () => {
    const pattern = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    };
    const event = {
      resources: [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: [event.resources[0]] })).toBe(false);
    expect(matches(pattern, { resources: [] })).toBe(false);
  });

  it("applies operators to each element of an event array", () => {
    expect(matches({ tags: [{ prefix: "env:" }] }, { tags: ["team:a", "env:prod"] })).toBe(true);
    expect(matches({ n: [{ numeric: [">", 10] }] }, { n: [1, 2, 30] })).toBe(true);
    expect(matches({ n: [{ numeric: [">", 10] }] }, { n: [1, 2, 3] })).toBe(false);
  });

  it("flattens nested arrays in the event", () => {
    expect(matches({ v: ["x"] }, { v: [["a"], [["b", "x"]]] })).toBe(true);
    expect(matches({ v: ["x"] }, { v: [[], [[]]] })).toBe(false);
    expect(matches({ a: { b: ["x"] } }, { a: [[{ b: "y" }], [{ b: ["z", "x"] }]] })).toBe(true);
  });

  it("matches nested fields through an array of objects ([ruler] 'JSON Array Matching')", () => {
    const event = {
      employees: [
        { firstName: "John", lastName: "Doe" },
        { firstName: "Anna", lastName: "Smith" },
        { firstName: "Peter", lastName: "Jones" },
      ],
    };
    expect(matches({ employees: { firstName: ["Anna"] } }, event)).toBe(true);
    // Array consistency: both fields must come from the same element.
    expect(matches({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, event)).toBe(false);
    expect(matches({ employees: { firstName: ["Anna"], lastName: ["Smith"] } }, event)).toBe(true);
    // Multi-level arrays, as in the README.
    const multi = {
      employees: [
        [
          { firstName: "John", lastName: "Doe" },
          { firstName: "Anna", lastName: "Smith" },
        ],
        [{ firstName: "Peter", lastName: "Jones" }],
      ],
    };
    expect(matches({ employees: { firstName: ["Anna"] } }, multi)).toBe(true);
    expect(matches({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, multi)).toBe(false);
  });

  it("keeps array consistency across deeper nesting and $or branches", () => {
    const event = {
      a: [
        { x: 1, b: { y: 2 } },
        { x: 3, b: { y: 4 } },
      ],
    };
    expect(matches({ a: { x: [1], b: { y: [2] } } }, event)).toBe(true);
    expect(matches({ a: { x: [1], b: { y: [4] } } }, event)).toBe(false);
    expect(matches({ a: { x: [1] }, $or: [{ a: { b: { y: [4] } } }, { z: ["no"] }] }, event)).toBe(
      false,
    );
    expect(matches({ a: { x: [3] }, $or: [{ a: { b: { y: [4] } } }, { z: ["no"] }] }, event)).toBe(
      true,
    );
  });
});

describe("[filtering] Prefix matching", () => {
  it('matches "time" fields starting with "2017-10-02" (section "Prefix matching")', () => {
    const pattern = compilePattern({ time: [{ prefix: "2017-10-02" }] });
    expect(pattern.matches({ time: "2017-10-02T18:43:48Z" })).toBe(true);
    expect(pattern.matches({ time: "2017-10-03T18:43:48Z" })).toBe(false);
    expect(pattern.matches(rulerEvent)).toBe(true);
  });

  it("matches Auto Scaling events from European regions (section 'Prefix Matching Example')", () => {
    const pattern = compilePattern({ source: ["aws.autoscaling"], region: [{ prefix: "eu-" }] });
    expect(pattern.matches({ source: "aws.autoscaling", region: "eu-west-1" })).toBe(true);
    expect(pattern.matches({ source: "aws.autoscaling", region: "us-east-1" })).toBe(false);
  });

  it("works on strings only", () => {
    expect(matches({ v: [{ prefix: "20" }] }, { v: 2017 })).toBe(false);
    expect(matches({ v: [{ prefix: "tr" }] }, { v: true })).toBe(false);
    expect(matches({ v: [{ prefix: "nu" }] }, { v: null })).toBe(false);
    expect(matches({ v: [{ prefix: "" }] }, { v: "" })).toBe(true);
  });

  it("ignores case with equals-ignore-case (section 'Prefix matching while ignoring case')", () => {
    const pattern = compilePattern({
      detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] },
    });
    for (const service of ["EventBridge", "EVENTB", "eventb", "eVeNtBus"]) {
      expect(pattern.matches(detail("service", service))).toBe(true);
    }
    expect(pattern.matches(detail("service", "Event"))).toBe(false);
    expect(pattern.matches(detail("service", "SQS"))).toBe(false);
  });
});

describe("[filtering] Suffix matching", () => {
  it('matches "FileName" fields ending with ".png" (section "Suffix matching")', () => {
    const pattern = compilePattern({ FileName: [{ suffix: ".png" }] });
    expect(pattern.matches({ FileName: "image.png" })).toBe(true);
    expect(pattern.matches({ FileName: "image.PNG" })).toBe(false);
    expect(pattern.matches({ FileName: "image.png.txt" })).toBe(false);
    expect(matches({ source: [{ suffix: "ec2" }] }, rulerEvent)).toBe(true); // [ruler] example
  });

  it("ignores case with equals-ignore-case (section 'Suffix matching while ignoring case')", () => {
    const pattern = compilePattern({
      detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] },
    });
    expect(pattern.matches(detail("FileName", "a.png"))).toBe(true);
    expect(pattern.matches(detail("FileName", "a.PNG"))).toBe(true);
    expect(pattern.matches(detail("FileName", "a.Png"))).toBe(true);
    expect(pattern.matches(detail("FileName", "a.jpg"))).toBe(false);
    // Operators table, "Ends with (ignore case)": a service name ending in "tbridge" in any case.
    const ends = compilePattern({ service: [{ suffix: { "equals-ignore-case": "tbridge" } }] });
    expect(ends.matches({ service: "EventBridge" })).toBe(true);
    expect(ends.matches({ service: "EVENTBRIDGE" })).toBe(true);
  });

  it("works on strings only", () => {
    expect(matches({ v: [{ suffix: "5" }] }, { v: 25 })).toBe(false);
    expect(matches({ v: [{ suffix: { "equals-ignore-case": "E" } }] }, { v: true })).toBe(false);
  });
});

describe("[filtering] Equals-ignore-case matching", () => {
  it("matches a string in any case (operators table, 'Equals (ignore case)')", () => {
    const pattern = compilePattern({ Name: [{ "equals-ignore-case": "alice" }] });
    expect(pattern.matches({ Name: "Alice" })).toBe(true);
    expect(pattern.matches({ Name: "ALICE" })).toBe(true);
    expect(pattern.matches({ Name: "Alicia" })).toBe(false);
    expect(
      matches(
        { "detail-type": [{ "equals-ignore-case": "ec2 instance state-change notification" }] },
        ec2Event,
      ),
    ).toBe(true);
    expect(matches({ source: [{ "equals-ignore-case": "EC2" }] }, { source: "ec2" })).toBe(true);
  });

  it("works on strings only, beyond ASCII too", () => {
    expect(matches({ v: [{ "equals-ignore-case": "TRUE" }] }, { v: true })).toBe(false);
    expect(matches({ v: [{ "equals-ignore-case": "ÉTÉ" }] }, { v: "été" })).toBe(true);
  });
});

describe("[filtering] Anything-but matching", () => {
  it('excludes one string: state is anything but "initializing"', () => {
    const pattern = compilePattern({ detail: { state: [{ "anything-but": "initializing" }] } });
    expect(pattern.matches(detail("state", "running"))).toBe(true);
    expect(pattern.matches(detail("state", "initializing"))).toBe(false);
    expect(pattern.matches(rulerEvent)).toBe(true);
  });

  it("excludes one number: x-limit is anything but 123", () => {
    const pattern = compilePattern({ detail: { "x-limit": [{ "anything-but": 123 }] } });
    expect(pattern.matches(detail("x-limit", 124))).toBe(true);
    expect(pattern.matches(detail("x-limit", 123))).toBe(false);
    expect(pattern.matches(detail("x-limit", 123.0))).toBe(false);
    expect(pattern.matches(detail("x-limit", "123"))).toBe(true); // a string is not the number
  });

  it('excludes a list of strings: anything but "stopped" or "overloaded"', () => {
    const pattern = compilePattern({
      detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] },
    });
    expect(pattern.matches(detail("state", "running"))).toBe(true);
    expect(pattern.matches(detail("state", "stopped"))).toBe(false);
    expect(pattern.matches(detail("state", "overloaded"))).toBe(false);
  });

  it("excludes a list of numbers: anything but 100, 200 or 300", () => {
    const pattern = compilePattern({
      detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] },
    });
    expect(pattern.matches(detail("x-limit", 301.8))).toBe(true);
    expect(pattern.matches(detail("x-limit", 200))).toBe(false);
    expect(pattern.matches(rulerEvent)).toBe(true);
  });

  it("excludes a prefix (section 'Anything-but matching' with prefix)", () => {
    const pattern = compilePattern({ detail: { state: [{ "anything-but": { prefix: "init" } }] } });
    expect(pattern.matches(detail("state", "running"))).toBe(true);
    expect(pattern.matches(detail("state", "initializing"))).toBe(false);
    expect(pattern.matches(detail("state", "init"))).toBe(false);
    // Operators table, "Anything-but (begins with)": Region is not in the US.
    const notUs = compilePattern({ Region: [{ "anything-but": { prefix: "us-" } }] });
    expect(notUs.matches({ Region: "eu-west-1" })).toBe(true);
    expect(notUs.matches({ Region: "us-east-1" })).toBe(false);
    // [filtering] older page, "Anything-but Matching Example": only your own events, not "aws.".
    const own = compilePattern({ source: [{ "anything-but": { prefix: "aws." } }] });
    expect(own.matches({ source: "com.ledgerquest.game" })).toBe(true);
    expect(own.matches({ source: "aws.ec2" })).toBe(false);
  });

  it("excludes a list of prefixes, as Event Ruler allows", () => {
    const pattern = compilePattern({ state: [{ "anything-but": { prefix: ["init", "stop"] } }] });
    expect(pattern.matches({ state: "running" })).toBe(true);
    expect(pattern.matches({ state: "stopping" })).toBe(false);
    expect(pattern.matches({ state: "initializing" })).toBe(false);
  });

  it("excludes a suffix (operators table, 'Anything-but (ends with)')", () => {
    const pattern = compilePattern({ FileName: [{ "anything-but": { suffix: ".png" } }] });
    expect(pattern.matches({ FileName: "a.jpg" })).toBe(true);
    expect(pattern.matches({ FileName: "a.png" })).toBe(false);
    const list = compilePattern({ f: [{ "anything-but": { suffix: [".txt", ".rtf"] } }] });
    expect(list.matches({ f: "a.rtf" })).toBe(false);
    expect(list.matches({ f: "a.doc" })).toBe(true);
  });

  it("excludes any casing of a value (operators table, 'Anything-but (ignore case)')", () => {
    const pattern = compilePattern({
      detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
    });
    for (const state of ["initializing", "INITIALIZING", "Initializing"]) {
      expect(pattern.matches(detail("state", state))).toBe(false);
    }
    expect(pattern.matches(detail("state", "running"))).toBe(true);
    const list = compilePattern({
      state: [{ "anything-but": { "equals-ignore-case": ["initializing", "stopped"] } }],
    });
    expect(list.matches({ state: "Stopped" })).toBe(false);
    expect(list.matches({ state: "running" })).toBe(true);
  });

  it("excludes wildcard matches (operators table, 'Anything-but using a wildcard')", () => {
    const pattern = compilePattern({ FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] });
    expect(pattern.matches({ FilePath: "/usr/lib/tool" })).toBe(false);
    expect(pattern.matches({ FilePath: "/usr/bin/tool" })).toBe(true);
    const list = compilePattern({
      FilePath: [{ "anything-but": { wildcard: ["*/lib/*", "*/bin/*"] } }],
    });
    expect(list.matches({ FilePath: "/usr/bin/tool" })).toBe(false);
    expect(list.matches({ FilePath: "/usr/share/tool" })).toBe(true);
  });

  it("excludes all AWS CloudTrail API call reports (older page, 'Anything-but Matching Example')", () => {
    const pattern = compilePattern({
      "detail-type": [{ "anything-but": "AWS API Call via CloudTrail" }],
    });
    expect(pattern.matches(ec2Event)).toBe(true);
    expect(pattern.matches({ "detail-type": "AWS API Call via CloudTrail" })).toBe(false);
    const sources = compilePattern({ source: [{ "anything-but": ["aws.ec2", "aws.s3"] }] });
    expect(sources.matches(ec2Event)).toBe(false);
    expect(sources.matches({ source: "aws.sqs" })).toBe(true);
  });

  it("matches present values of other types, never a missing field", () => {
    const byString = compilePattern({ v: [{ "anything-but": "stopped" }] });
    for (const value of [5, true, false, null, "running", ""]) {
      expect(byString.matches({ v: value })).toBe(true);
    }
    const byNumber = compilePattern({ v: [{ "anything-but": [1, 2] }] });
    for (const value of ["1", true, null, 3]) expect(byNumber.matches({ v: value })).toBe(true);
    const byPrefix = compilePattern({ v: [{ "anything-but": { prefix: "1" } }] });
    expect(byPrefix.matches({ v: 123 })).toBe(true); // numbers never start with a string prefix
    for (const pattern of [byString, byNumber, byPrefix]) {
      expect(pattern.matches({})).toBe(false);
      expect(pattern.matches({ v: [] })).toBe(false);
      expect(pattern.matches({ v: { nested: "object" } })).toBe(false);
    }
  });

  it("matches an array when any element is not excluded", () => {
    const pattern = compilePattern({ state: [{ "anything-but": "stopped" }] });
    expect(pattern.matches({ state: ["stopped", "running"] })).toBe(true);
    expect(pattern.matches({ state: ["stopped", "stopped"] })).toBe(false);
  });

  it("treats numbers numeric matching cannot hold as not excluded", () => {
    const pattern = compilePattern({ v: [{ "anything-but": [100] }] });
    expect(pattern.matches({ v: 1e10 })).toBe(true);
    expect(pattern.matches({ v: 100.0000001 })).toBe(true);
  });
});

describe("[filtering] Numeric matching", () => {
  const numeric = {
    detail: {
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ numeric: ["=", 3.018e2] }],
    },
  };

  it("matches only when every field's comparison is true (section 'Numeric matching')", () => {
    const pattern = compilePattern(numeric);
    expect(pattern.matches(rulerEvent)).toBe(true);
    const with_ = (patch: Record<string, unknown>) => ({
      detail: { ...rulerEvent.detail, ...patch },
    });
    expect(pattern.matches(with_({ "c-count": 0 }))).toBe(false);
    expect(pattern.matches(with_({ "c-count": 5.000001 }))).toBe(false);
    expect(pattern.matches(with_({ "c-count": 0.000001 }))).toBe(true);
    expect(pattern.matches(with_({ "d-count": 10 }))).toBe(false);
    expect(pattern.matches(with_({ "d-count": -1e9 }))).toBe(true);
    expect(pattern.matches(with_({ "x-limit": 301.8 }))).toBe(true);
    expect(pattern.matches(with_({ "x-limit": 301.800001 }))).toBe(false);
  });

  it("supports every comparison of the operators table ('Numeric (equals)', 'Numeric (range)')", () => {
    const price = (p: unknown[]) => compilePattern({ Price: [{ numeric: p }] });
    const cases: [unknown[], number, boolean][] = [
      [["=", 100], 100, true],
      [["=", 100], 100.5, false],
      [[">", 10, "<=", 20], 10, false],
      [[">", 10, "<=", 20], 10.000001, true],
      [[">", 10, "<=", 20], 20, true],
      [[">", 10, "<=", 20], 20.000001, false],
      [[">=", 10, "<", 20], 10, true],
      [[">=", 10, "<", 20], 20, false],
      [["<", 0], -0.000001, true],
      [["<", 0], 0, false],
      [["<=", 0], -0, true],
      [[">", -5], -4.999999, true],
      [[">=", -5], -5, true],
      [[">", 5e9 - 1], 5e9, true],
      [["<", -5e9 + 1], -5e9, true],
    ];
    for (const [comparison, value, expected] of cases) {
      expect(
        price(comparison).matches({ Price: value }),
        `${JSON.stringify(comparison)} vs ${value}`,
      ).toBe(expected);
    }
  });

  it("works on JSON numbers only", () => {
    const pattern = compilePattern({ v: [{ numeric: [">", 0] }] });
    for (const value of ["5", true, null, [], {}])
      expect(pattern.matches({ v: value })).toBe(false);
    expect(pattern.matches({})).toBe(false);
  });

  it("is limited to ±5.0e9 with six decimals: other event numbers never compare", () => {
    const positive = compilePattern({ v: [{ numeric: [">", 0] }] });
    const negative = compilePattern({ v: [{ numeric: ["<", 0] }] });
    expect(positive.matches({ v: 5e9 })).toBe(true);
    expect(positive.matches({ v: 5e9 + 1 })).toBe(false);
    expect(negative.matches({ v: -5e9 })).toBe(true);
    expect(negative.matches({ v: -5e9 - 1 })).toBe(false);
    expect(positive.matches({ v: 0.123456 })).toBe(true);
    expect(positive.matches({ v: 0.1234567 })).toBe(false);
    expect(positive.matches({ v: 0.1 + 0.2 })).toBe(false); // 0.30000000000000004
    expect(positive.matches({ v: 1e-7 })).toBe(false);
  });

  it("compares exactly where floating point would not", () => {
    expect(matches({ v: [{ numeric: ["=", 0.3] }] }, { v: 0.3 })).toBe(true);
    expect(
      matches(
        { v: [{ numeric: [">", 4999999999.999998, "<", 4999999999.999999] }] },
        { v: 4999999999.999999 },
      ),
    ).toBe(false);
    expect(matches({ v: [{ numeric: [">=", 4999999999.999998] }] }, { v: 4999999999.999998 })).toBe(
      true,
    );
  });

  it("holds numbers as exact millionths", () => {
    expect(toMicros(301.8)).toBe(301_800_000);
    expect(toMicros(-0.000001)).toBe(-1);
    expect(toMicros(4999999999.999999)).toBe(4_999_999_999_999_999);
    expect(toMicros(5e9)).toBe(5e15);
    expect(toMicros(5000000000.000001)).toBeUndefined();
    expect(toMicros(1e-7)).toBeUndefined();
    expect(toMicros(Number.NaN)).toBeUndefined();
    expect(toMicros(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe("[filtering] IP address matching", () => {
  it("matches IPv4 addresses in 10.0.0.0/24 (section 'IP address matching')", () => {
    const pattern = compilePattern({ detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } });
    for (const ip of ["10.0.0.0", "10.0.0.1", "10.0.0.24", "10.0.0.255"]) {
      expect(pattern.matches(detail("sourceIPAddress", ip))).toBe(true);
    }
    for (const ip of ["10.0.1.0", "11.0.0.1", "10.0.0", "10.0.0.256", "not an ip", "::1"]) {
      expect(pattern.matches(detail("sourceIPAddress", ip))).toBe(false);
    }
    expect(pattern.matches(detail("sourceIPAddress", 167772161))).toBe(false); // 10.0.0.1 as a number
  });

  it("matches the [ruler] complex example's source-ip against 10.0.0.0/8", () => {
    expect(matches({ detail: { "source-ip": [{ cidr: "10.0.0.0/8" }] } }, rulerEvent)).toBe(true);
    expect(matches({ detail: { "source-ip": [{ cidr: "10.0.0.0/24" }] } }, rulerEvent)).toBe(true);
    expect(matches({ detail: { "source-ip": [{ cidr: "10.0.1.0/24" }] } }, rulerEvent)).toBe(false);
  });

  it("matches IPv6 addresses in any textual form", () => {
    const pattern = compilePattern({ ip: [{ cidr: "2001:db8::/32" }] });
    expect(pattern.matches({ ip: "2001:db8::1" })).toBe(true);
    expect(pattern.matches({ ip: "2001:0DB8:0000:0000:0000:0000:0000:0001" })).toBe(true);
    expect(pattern.matches({ ip: "2001:db9::1" })).toBe(false);
    expect(pattern.matches({ ip: "10.0.0.1" })).toBe(false);
    const mapped = compilePattern({ ip: [{ cidr: "::ffff:10.0.0.0/120" }] });
    expect(mapped.matches({ ip: "::ffff:10.0.0.7" })).toBe(true);
    expect(mapped.matches({ ip: "::ffff:10.0.1.7" })).toBe(false);
  });

  it("honours masks that are not byte-aligned, /0 and /32", () => {
    const block = compilePattern({ ip: [{ cidr: "192.168.8.0/21" }] });
    expect(block.matches({ ip: "192.168.15.255" })).toBe(true);
    expect(block.matches({ ip: "192.168.16.0" })).toBe(false);
    expect(matches({ ip: [{ cidr: "0.0.0.0/0" }] }, { ip: "203.0.113.9" })).toBe(true);
    expect(matches({ ip: [{ cidr: "203.0.113.9/32" }] }, { ip: "203.0.113.9" })).toBe(true);
    expect(matches({ ip: [{ cidr: "203.0.113.9/32" }] }, { ip: "203.0.113.8" })).toBe(false);
  });
});

describe("[filtering] Exists matching", () => {
  const withoutState = {
    "detail-type": ["EC2 Instance State-change Notification"],
    resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
    detail: { "c-count": { c1: 100 } },
  };

  it("exists: true matches an event with detail.state and not one without it", () => {
    const pattern = compilePattern({ detail: { state: [{ exists: true }] } });
    expect(
      pattern.matches({
        version: "0",
        id: "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification",
        source: "aws.ec2",
        account: "123456789012",
        time: "2015-11-11T21:29:54Z",
        region: "us-east-1",
        resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        detail: { "instance-id": "i-abcd1111", state: "pending" },
      }),
    ).toBe(true);
    expect(pattern.matches(withoutState)).toBe(false);
  });

  it("exists: false matches events without detail.c-count, including where it is not a leaf", () => {
    const pattern = compilePattern({ detail: { "c-count": [{ exists: false }] } });
    const base = {
      "detail-type": ["EC2 Instance State-change Notification"],
      resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
    };
    expect(pattern.matches({ ...base, detail: { state: ["initializing", "running"] } })).toBe(true);
    expect(
      pattern.matches({
        ...base,
        detail: { state: ["initializing", "running"], "c-count": { c1: 100 } },
      }),
    ).toBe(true);
    expect(pattern.matches(rulerEvent)).toBe(false);
  });

  it("selects events with a description field (older page, 'Existence Matching Example')", () => {
    const pattern = compilePattern({ detail: { description: [{ exists: true }] } });
    expect(pattern.matches(detail("description", "full text"))).toBe(true);
    expect(pattern.matches(detail("other", "x"))).toBe(false);
  });

  it("counts null as present: exists true matches it, exists false does not", () => {
    expect(matches({ v: [{ exists: true }] }, { v: null })).toBe(true);
    expect(matches({ v: [{ exists: false }] }, { v: null })).toBe(false);
    expect(matches({ v: [{ exists: true }] }, {})).toBe(false);
    expect(matches({ v: [{ exists: false }] }, {})).toBe(true);
  });

  it("sees leaves only: objects and empty arrays do not exist, arrays of values do", () => {
    const present = compilePattern({ v: [{ exists: true }] });
    const absent = compilePattern({ v: [{ exists: false }] });
    const cases: [unknown, boolean][] = [
      ["", true],
      [0, true],
      [false, true],
      [["x"], true],
      [[null], true],
      [[], false],
      [[[]], false],
      [{}, false],
      [{ a: 1 }, false],
      [[{ a: 1 }], false],
    ];
    for (const [value, exists] of cases) {
      expect(present.matches({ v: value }), JSON.stringify(value)).toBe(exists);
      expect(absent.matches({ v: value }), JSON.stringify(value)).toBe(!exists);
    }
  });

  it("exists: false is true where an intermediate field is missing or not an object", () => {
    const pattern = compilePattern({ detail: { a: { b: [{ exists: false }] } } });
    expect(pattern.matches({})).toBe(true);
    expect(pattern.matches({ detail: "a string" })).toBe(true);
    expect(pattern.matches({ detail: { a: 5 } })).toBe(true);
    expect(pattern.matches({ detail: { a: { b: 1 } } })).toBe(false);
  });

  it("combines with values in one field: present with a value, or absent", () => {
    const pattern = compilePattern({ v: ["x", { exists: false }] });
    expect(pattern.matches({ v: "x" })).toBe(true);
    expect(pattern.matches({})).toBe(true);
    expect(pattern.matches({ v: "y" })).toBe(false);
  });

  it("within an array of objects, is judged per element like every nested field", () => {
    const pattern = compilePattern({ items: { sku: ["a"], discount: [{ exists: false }] } });
    expect(pattern.matches({ items: [{ sku: "a", discount: 5 }, { sku: "b" }] })).toBe(false);
    expect(pattern.matches({ items: [{ sku: "a", discount: 5 }, { sku: "a" }] })).toBe(true);
  });
});

describe("[filtering] Wildcard matching", () => {
  it("matches with * anywhere (operators table, 'Wildcard')", () => {
    const pattern = compilePattern({ FileName: [{ wildcard: "dir/*.png" }] });
    expect(pattern.matches({ FileName: "dir/image.png" })).toBe(true);
    expect(pattern.matches({ FileName: "dir/.png" })).toBe(true); // * matches nothing too
    expect(pattern.matches({ FileName: "dir/sub/image.png" })).toBe(true);
    expect(pattern.matches({ FileName: "other/image.png" })).toBe(false);
    expect(pattern.matches({ FileName: "dir/image.jpg" })).toBe(false);
  });

  it("matches the ARN examples of 'Wildcards and event pattern complexity'", () => {
    const arn = "arn:aws:events:us-east-1:123456789012:event-bus/ledgerquest.eventbus";
    expect(
      matches({ EventBusArn: [{ wildcard: "*:*:*:*:*:event-bus/*" }] }, { EventBusArn: arn }),
    ).toBe(true);
    expect(
      matches(
        { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
        { EventBusArn: arn },
      ),
    ).toBe(true);
    expect(
      matches(
        { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
        { EventBusArn: arn.replace("us-east-1", "eu-west-1") },
      ),
    ).toBe(false);
    const file = compilePattern({
      FileName: [{ wildcard: "/Users/*/dir/dir/dir/dir/dir/doc.txt" }],
    });
    expect(file.matches({ FileName: "/Users/ana/dir/dir/dir/dir/dir/doc.txt" })).toBe(true);
    expect(file.matches({ FileName: "/Users/ana/dir/dir/dir/dir/doc.txt" })).toBe(false);
    expect(
      matches({ source: [{ wildcard: "Simple*Service" }] }, { source: "SimpleQueueService" }),
    ).toBe(true); // [ruler] "Wildcard matching"
  });

  it("escapes: \\* is a literal asterisk and \\\\ a literal backslash", () => {
    expect(matches({ v: [{ wildcard: "a\\*b" }] }, { v: "a*b" })).toBe(true);
    expect(matches({ v: [{ wildcard: "a\\*b" }] }, { v: "axb" })).toBe(false);
    expect(matches({ v: [{ wildcard: "a\\\\b" }] }, { v: "a\\b" })).toBe(true);
    expect(matches({ v: [{ wildcard: "\\\\*" }] }, { v: "\\anything" })).toBe(true);
    expect(matches({ v: [{ wildcard: "*\\**" }] }, { v: "has * inside" })).toBe(true);
    expect(matches({ v: [{ wildcard: "*\\**" }] }, { v: "has no star" })).toBe(false);
  });

  it("treats other characters literally and matches strings only", () => {
    expect(matches({ v: [{ wildcard: "a?c" }] }, { v: "abc" })).toBe(false);
    expect(matches({ v: [{ wildcard: "a?c" }] }, { v: "a?c" })).toBe(true);
    expect(matches({ v: [{ wildcard: "a.c" }] }, { v: "abc" })).toBe(false);
    expect(matches({ v: [{ wildcard: "*" }] }, { v: "" })).toBe(true);
    expect(matches({ v: [{ wildcard: "*" }] }, { v: 5 })).toBe(false);
    expect(matches({ v: [{ wildcard: "" }] }, { v: "" })).toBe(true);
    expect(matches({ v: [{ wildcard: "ab*ba" }] }, { v: "aba" })).toBe(false); // no overlap
    expect(matches({ v: [{ wildcard: "ab*ba" }] }, { v: "abba" })).toBe(true);
  });

  it("measures complexity as Event Ruler does", () => {
    const of = (...values: string[]) => wildcardComplexity(values.map(wildcard), 1_000);
    expect(of("*a*a*a*")).toBe(7); // Ruler's MachineComplexityEvaluatorTest
    expect(of("1*2345")).toBe(2);
    expect(of("*123")).toBe(2);
    expect(of("*")).toBe(1);
    expect(of("a*bc", "a*aa")).toBeGreaterThanOrEqual(3);
    // The doc's advice: fewer wildcards, fewer repeating sequences after one.
    expect(of("/Users/*/dir/dir/dir/dir/dir/doc.txt")).toBeGreaterThan(of("/Users/*/doc.txt"));
    expect(of("*:*:*:*:*:event-bus/*")).toBeGreaterThan(
      of("arn:aws:events:us-east-1:*:event-bus/*"),
    );
  });

  it("refuses patterns above the complexity limit, which the caller can lower", () => {
    const pattern = { FileName: [{ wildcard: "/Users/*/dir/dir/dir/dir/dir/doc.txt" }] };
    const compiled = compilePattern(pattern);
    expect(compiled.wildcardComplexity).toBeGreaterThan(3);
    expect(compiled.wildcardComplexity).toBeLessThanOrEqual(DEFAULT_MAX_WILDCARD_COMPLEXITY);
    const strict: CompilePatternOptions = { maxWildcardComplexity: 3 };
    expect(() => compilePattern(pattern, strict)).toThrow(
      /FileName: the wildcard values are too complex/,
    );
    expect(
      compilePattern({ FileName: [{ wildcard: "/Users/*/doc.txt" }] }, strict).wildcardComplexity,
    ).toBe(2);
    // Values of one field add up, anything-but wildcards included.
    const many = { f: Array.from({ length: 60 }, (_, i) => ({ wildcard: `*x${i}*y*` })) };
    expect(() => compilePattern(many)).toThrow(InvalidEventPatternError);
    const mixed = { f: [{ wildcard: "*a*a*a*" }, { "anything-but": { wildcard: "*a*a*b*" } }] };
    expect(compilePattern(mixed).wildcardComplexity).toBeGreaterThan(7);
    expect(() =>
      compilePattern(
        { f: [{ "anything-but": { wildcard: "*a*a*a*" } }] },
        { maxWildcardComplexity: 6 },
      ),
    ).toThrow(/too complex/);
    expect(compilePattern({ f: [{ prefix: "x" }] }).wildcardComplexity).toBe(0);
    expect(() => compilePattern({ f: ["x"] }, { maxWildcardComplexity: 0 })).toThrow(RangeError);
  });
});

describe("[filtering] Complex example with multiple matching", () => {
  const pattern = {
    time: [{ prefix: "2017-10-02" }],
    detail: {
      state: [{ "anything-but": "initializing" }],
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ "anything-but": [100, 200, 300] }],
    },
  };

  it("combines anything-but, numeric and prefix", () => {
    expect(matches(pattern, rulerEvent)).toBe(true);
    expect(
      matches(pattern, { ...rulerEvent, detail: { ...rulerEvent.detail, state: "initializing" } }),
    ).toBe(false);
    expect(
      matches(pattern, { ...rulerEvent, detail: { ...rulerEvent.detail, "x-limit": 200 } }),
    ).toBe(false);
    expect(matches(pattern, { ...rulerEvent, time: "2017-10-03T00:00:00Z" })).toBe(false);
  });

  it("matches with cidr added ([ruler] 'Complex example')", () => {
    const withCidr = {
      ...pattern,
      detail: { ...pattern.detail, "source-ip": [{ cidr: "10.0.0.0/8" }] },
    };
    expect(matches(withCidr, rulerEvent)).toBe(true);
  });

  it('uses only the last "location" of a pattern with a duplicate key (older page, note)', () => {
    const text = `{ "detail": { "location": [ { "prefix": "us-" } ], "location": [ { "anything-but": "us-east" } ] } }`;
    const compiled = compilePattern(text);
    expect(compiled.matches(detail("location", "eu-west"))).toBe(true); // the prefix is not used
    expect(compiled.matches(detail("location", "us-east"))).toBe(false);
  });
});

describe("[filtering] $or matching", () => {
  it("matches when any of several fields matches (operators table, 'Or (multiple fields)')", () => {
    const pattern = compilePattern({ $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] });
    expect(pattern.matches({ Location: "New York", Day: "Friday" })).toBe(true);
    expect(pattern.matches({ Location: "Paris", Day: "Monday" })).toBe(true);
    expect(pattern.matches({ Location: "Paris", Day: "Friday" })).toBe(false);
  });

  it("works inside nested objects with numeric branches", () => {
    const pattern = compilePattern({
      detail: {
        $or: [
          { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
          { "d-count": [{ numeric: ["<", 10] }] },
          { "x-limit": [{ numeric: ["=", 3.018e2] }] },
        ],
      },
    });
    expect(pattern.matches(detail("c-count", 3))).toBe(true);
    expect(pattern.matches(detail("d-count", 9))).toBe(true);
    expect(pattern.matches(detail("x-limit", 301.8))).toBe(true);
    expect(pattern.matches({ detail: { "c-count": 6, "d-count": 10, "x-limit": 301 } })).toBe(
      false,
    );
  });

  it("reproduces [ruler]'s four $or examples", () => {
    const normal = compilePattern({
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        { namespace: ["AWS/EC2", "AWS/ES"] },
      ],
    });
    expect(normal.matches({ source: "aws.cloudwatch", metricName: "ReadLatency" })).toBe(true);
    expect(normal.matches({ source: "aws.cloudwatch", namespace: "AWS/ES" })).toBe(true);
    expect(normal.matches({ source: "aws.ec2", namespace: "AWS/ES" })).toBe(false);
    expect(normal.matches({ source: "aws.cloudwatch" })).toBe(false);

    const parallel = compilePattern({
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        { namespace: ["AWS/EC2", "AWS/ES"] },
      ],
      detail: {
        $or: [{ source: ["aws.cloudwatch"] }, { "detail-type": ["CloudWatch Alarm State Change"] }],
      },
    });
    expect(
      parallel.matches({
        namespace: "AWS/EC2",
        detail: { "detail-type": "CloudWatch Alarm State Change" },
      }),
    ).toBe(true);
    expect(parallel.matches({ namespace: "AWS/EC2", detail: { source: "aws.s3" } })).toBe(false);

    const orWithAnd = compilePattern({
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        { metricType: ["MetricType"], namespace: ["AWS/EC2", "AWS/ES"] },
        { scope: ["Service"] },
      ],
    });
    expect(
      orWithAnd.matches({
        source: "aws.cloudwatch",
        metricType: "MetricType",
        namespace: "AWS/EC2",
      }),
    ).toBe(true);
    expect(orWithAnd.matches({ source: "aws.cloudwatch", metricType: "MetricType" })).toBe(false);
    expect(orWithAnd.matches({ source: "aws.cloudwatch", scope: "Service" })).toBe(true);

    const nested = compilePattern({
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        {
          metricType: ["MetricType"],
          namespace: ["AWS/EC2", "AWS/ES"],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ["Service"] },
      ],
    });
    const base = { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/ES" };
    expect(nested.matches({ ...base, spaceId: 1000 })).toBe(true);
    expect(nested.matches({ ...base, metricId: 1234 })).toBe(true);
    expect(nested.matches(base)).toBe(false);
  });

  it("lets a later key replace an earlier one of the same path, branch by branch", () => {
    // Event Ruler writes fields in key order; "last one wins" also across $or.
    const after = compilePattern({ source: ["a"], $or: [{ source: ["b"] }, { x: ["1"] }] });
    expect(after.matches({ source: "b" })).toBe(true);
    expect(after.matches({ source: "a", x: "1" })).toBe(true);
    expect(after.matches({ source: "a" })).toBe(false);
    const before = compilePattern({ $or: [{ source: ["b"] }, { x: ["1"] }], source: ["a"] });
    expect(before.matches({ source: "a" })).toBe(true);
    expect(before.matches({ source: "b" })).toBe(false);
  });

  it("allows operator names as field names outside $or", () => {
    expect(matches({ prefix: ["x"], numeric: [1] }, { prefix: "x", numeric: 1 })).toBe(true);
  });
});

describe("edge cases", () => {
  it("matches nothing but JSON objects", () => {
    const pattern = compilePattern({ v: [{ exists: false }] });
    expect(pattern.matches({})).toBe(true);
    for (const event of [null, undefined, "{}", 5, [], [{}], true])
      expect(pattern.matches(event)).toBe(false);
  });

  it("never reads inherited properties of the event", () => {
    expect(matches({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(matches({ toString: [{ exists: false }] }, {})).toBe(true);
    const event = JSON.parse('{ "__proto__": { "polluted": "yes" } }');
    expect(matches(JSON.parse('{ "__proto__": { "polluted": ["yes"] } }'), event)).toBe(true);
    expect(matches(JSON.parse('{ "__proto__.polluted": ["yes"] }'), event)).toBe(true);
    const noProto = compilePattern(JSON.parse('{ "__proto__": [{ "exists": false }] }'));
    expect(noProto.matches({})).toBe(true);
    expect(noProto.matches(JSON.parse('{ "__proto__": 1 }'))).toBe(false);
    expect(matches({ hasOwnProperty: { x: [{ exists: false }] } }, {})).toBe(true);
  });

  it("matches missing, null and wrongly shaped intermediate fields as absent", () => {
    const pattern = compilePattern({ detail: { state: ["x"] } });
    for (const d of [undefined, null, "x", 5, [], ["x"], { other: 1 }]) {
      expect(pattern.matches(d === undefined ? {} : { detail: d })).toBe(false);
    }
  });

  it("does not match a leaf pattern against an object", () => {
    expect(matches({ detail: ["x"] }, { detail: { x: "x" } })).toBe(false);
  });

  it("is pure: the event is not modified, and later edits of the input pattern change nothing", () => {
    const input = { detail: { state: ["running"] } };
    const pattern = compilePattern(input);
    input.detail.state[0] = "stopped";
    const event = { "detail.state": "running", detail: { other: 1 } };
    const copy = structuredClone(event);
    expect(pattern.matches(event)).toBe(true);
    expect(event).toEqual(copy);
    expect(pattern.pattern).toEqual({ detail: { state: ["running"] } });
    expect(Object.isFrozen(pattern.pattern)).toBe(true);
  });

  it("accepts the pattern as JSON text, as PutRule carries it", () => {
    const pattern = compilePattern(
      '{ "source": ["aws.ec2"], "detail": { "state": ["terminated"] } }',
    );
    expect(pattern.matches(ec2Event)).toBe(true);
    expect(pattern.pattern).toEqual({ source: ["aws.ec2"], detail: { state: ["terminated"] } });
  });

  it("matchesPattern is compilePattern(...).matches", () => {
    expect(matchesPattern({ source: ["aws.ec2"] }, ec2Event)).toBe(true);
    expect(matchesPattern({ source: ["aws.s3"] }, ec2Event)).toBe(false);
    expect(() => matchesPattern({}, ec2Event)).toThrow(InvalidEventPatternError);
  });

  it("handles events with keys containing dots that the pattern does not name", () => {
    const pattern = compilePattern({ detail: { state: ["on"] } });
    expect(pattern.matches({ "a.b": 1, detail: { "x.y": 2, state: "on" } })).toBe(true);
    expect(pattern.matches({ "detail.state": ["off", "on"] })).toBe(true);
    expect(pattern.matches({ detail: { state: "off" }, "detail.state": "on" })).toBe(true);
  });

  it("matches empty strings and empty keys exactly", () => {
    expect(matches({ "": [""] }, { "": "" })).toBe(true);
    expect(matches({ "": [""] }, { "": " " })).toBe(false);
    expect(matches({ a: { "": ["x"] } }, { a: { "": "x" } })).toBe(true);
  });
});

describe("invalid patterns are refused with the path and the reason", () => {
  const refused: [string, unknown, string, RegExp][] = [
    ["not an object", ["source"], "<pattern>", /must be a JSON object/],
    ["null", null, "<pattern>", /must be a JSON object/],
    ["JSON text of an array", '["a"]', "<pattern>", /must be a JSON object/],
    ["broken JSON text", "{ source: ", "<pattern>", /not valid JSON/],
    ["an empty pattern", {}, "<pattern>", /empty objects are not allowed/],
    ["an empty nested object", { detail: {} }, "detail", /empty objects are not allowed/],
    ["a scalar field", { source: "aws.ec2" }, "source", /array of match values or an object/],
    ["a null field", { source: null }, "source", /not null/],
    ["an empty array", { source: [] }, "source", /empty arrays are not allowed/],
    ["a nested array", { source: [["a"]] }, "source[0]", /match values must be/],
    ["a non-finite number", { v: [Number.NaN] }, "v[0]", /not NaN/],
    ["an infinite number", { v: [Number.POSITIVE_INFINITY] }, "v[0]", /not Infinity/],
    ["undefined", { v: [undefined] }, "v[0]", /not undefined/],
    ["a Date", { v: [new Date(0)] }, "v[0]", /not a Date/],
    ["a class instance as a field", { v: new Map() }, "v", /array of match values or an object/],
    ["an empty operator", { v: [{}] }, "v[0]", /needs one operator, found none/],
    [
      "two operators",
      { v: [{ prefix: "a", suffix: "b" }] },
      "v[0]",
      /exactly one operator, found prefix, suffix/,
    ],
    ["an unknown operator", { v: [{ contains: "x" }] }, "v[0]", /unknown operator "contains"/],
    [
      "Ruler's undocumented exactly",
      { v: [{ exactly: "x" }] },
      "v[0]",
      /unknown operator "exactly"/,
    ],
    ["a prefix number", { v: [{ prefix: 5 }] }, "v[0].prefix", /prefix takes a string/],
    [
      "a prefix with another option",
      { v: [{ prefix: { suffix: "x" } }] },
      "v[0].prefix",
      /found suffix/,
    ],
    [
      "a prefix ignore-case number",
      { v: [{ prefix: { "equals-ignore-case": 1 } }] },
      "v[0].prefix.equals-ignore-case",
      /takes a string/,
    ],
    ["a suffix null", { v: [{ suffix: null }] }, "v[0].suffix", /suffix takes a string/],
    ["an empty suffix object", { v: [{ suffix: {} }] }, "v[0].suffix", /found an empty object/],
    [
      "equals-ignore-case with a list",
      { v: [{ "equals-ignore-case": ["a"] }] },
      "v[0].equals-ignore-case",
      /takes a string/,
    ],
    [
      "consecutive wildcards",
      { v: [{ wildcard: "a**b" }] },
      "v[0].wildcard",
      /consecutive wildcard characters at position 1/,
    ],
    [
      "a bad escape",
      { v: [{ wildcard: "a\\b" }] },
      "v[0].wildcard",
      /invalid escape at position 1/,
    ],
    [
      "a trailing backslash",
      { v: [{ wildcard: "abc\\" }] },
      "v[0].wildcard",
      /invalid escape at position 3/,
    ],
    ["a wildcard number", { v: [{ wildcard: 5 }] }, "v[0].wildcard", /wildcard takes a string/],
    [
      "anything-but null",
      { v: [{ "anything-but": null }] },
      "v[0].anything-but",
      /anything-but takes a string/,
    ],
    [
      "anything-but true",
      { v: [{ "anything-but": true }] },
      "v[0].anything-but",
      /anything-but takes a string/,
    ],
    ["anything-but []", { v: [{ "anything-but": [] }] }, "v[0].anything-but", /must not be empty/],
    [
      "anything-but mixed",
      { v: [{ "anything-but": ["a", 1] }] },
      "v[0].anything-but[1]",
      /only strings or only numbers/,
    ],
    [
      "anything-but [true]",
      { v: [{ "anything-but": [true] }] },
      "v[0].anything-but[0]",
      /strings or numbers, not a boolean/,
    ],
    [
      "anything-but [null]",
      { v: [{ "anything-but": [null] }] },
      "v[0].anything-but[0]",
      /not null/,
    ],
    [
      "anything-but {}",
      { v: [{ "anything-but": {} }] },
      "v[0].anything-but",
      /exactly one of prefix.*found none/,
    ],
    [
      "anything-but two options",
      { v: [{ "anything-but": { prefix: "a", suffix: "b" } }] },
      "v[0].anything-but",
      /found prefix, suffix/,
    ],
    [
      "anything-but exists",
      { v: [{ "anything-but": { exists: true } }] },
      "v[0].anything-but",
      /found exists/,
    ],
    [
      "anything-but numeric",
      { v: [{ "anything-but": { numeric: [">", 1] } }] },
      "v[0].anything-but",
      /found numeric/,
    ],
    [
      "anything-but empty prefix",
      { v: [{ "anything-but": { prefix: "" } }] },
      "v[0].anything-but.prefix",
      /must not be empty/,
    ],
    [
      "anything-but empty suffix in a list",
      { v: [{ "anything-but": { suffix: [".a", ""] } }] },
      "v[0].anything-but.suffix[1]",
      /must not be empty/,
    ],
    [
      "anything-but prefix number",
      { v: [{ "anything-but": { prefix: 5 } }] },
      "v[0].anything-but.prefix",
      /string or a list of strings/,
    ],
    [
      "anything-but prefix []",
      { v: [{ "anything-but": { prefix: [] } }] },
      "v[0].anything-but.prefix",
      /must not be empty/,
    ],
    [
      "anything-but nested ignore-case",
      { v: [{ "anything-but": { prefix: { "equals-ignore-case": "x" } } }] },
      "v[0].anything-but.prefix",
      /string or a list of strings, not an object/,
    ],
    [
      "anything-but bad wildcard",
      { v: [{ "anything-but": { wildcard: ["ok*", "bad**"] } }] },
      "v[0].anything-but.wildcard[1]",
      /consecutive/,
    ],
    [
      "anything-but ignore-case number",
      { v: [{ "anything-but": { "equals-ignore-case": [1] } }] },
      "v[0].anything-but.equals-ignore-case[0]",
      /list of strings/,
    ],
    [
      "anything-but out of range",
      { v: [{ "anything-but": 1e10 }] },
      "v[0].anything-but",
      /between -5.0e9 and 5.0e9/,
    ],
    [
      "anything-but too precise",
      { v: [{ "anything-but": [1, 0.1234567] }] },
      "v[0].anything-but[1]",
      /at most 6 digits/,
    ],
    ["numeric not an array", { v: [{ numeric: ">" }] }, "v[0].numeric", /numeric takes an array/],
    ["numeric empty", { v: [{ numeric: [] }] }, "v[0].numeric", /numeric takes an array/],
    [
      "numeric without a number",
      { v: [{ numeric: [">"] }] },
      "v[0].numeric",
      /operators must alternate operator and number/,
    ],
    [
      "numeric string number",
      { v: [{ numeric: [">", "5"] }] },
      "v[0].numeric",
      /operators must alternate operator and number/,
    ],
    [
      "numeric number first",
      { v: [{ numeric: [5, ">"] }] },
      "v[0].numeric",
      /operators must alternate operator and number/,
    ],
    [
      "numeric three terms",
      { v: [{ numeric: [">", 0, 5] }] },
      "v[0].numeric",
      /operators must alternate operator and number/,
    ],
    [
      "numeric unknown comparison",
      { v: [{ numeric: ["!=", 5] }] },
      "v[0].numeric",
      /unknown comparison "!="/,
    ],
    [
      "numeric = in a range",
      { v: [{ numeric: ["=", 5, "<", 6] }] },
      "v[0].numeric",
      /= stands alone/,
    ],
    [
      "numeric upper bound first",
      { v: [{ numeric: ["<", 10, ">", 0] }] },
      "v[0].numeric",
      /lower bound first/,
    ],
    [
      "numeric two lower bounds",
      { v: [{ numeric: [">", 0, ">=", 5] }] },
      "v[0].numeric",
      /lower bound first/,
    ],
    [
      "numeric empty range",
      { v: [{ numeric: [">", 5, "<", 5] }] },
      "v[0].numeric",
      /must be below its upper bound/,
    ],
    [
      "numeric inverted range",
      { v: [{ numeric: [">=", 6, "<=", 5] }] },
      "v[0].numeric",
      /must be below its upper bound/,
    ],
    [
      "numeric three comparisons",
      { v: [{ numeric: [">", 0, "<", 5, "<", 6] }] },
      "v[0].numeric",
      /at most two comparisons/,
    ],
    [
      "numeric out of range",
      { v: [{ numeric: [">", 6e9] }] },
      "v[0].numeric",
      /between -5.0e9 and 5.0e9/,
    ],
    [
      "numeric too precise",
      { v: [{ numeric: ["=", 0.0000001] }] },
      "v[0].numeric",
      /at most 6 digits after the decimal point/,
    ],
    [
      "numeric string top",
      { v: [{ numeric: [">", 0, "<=", "5"] }] },
      "v[0].numeric",
      /operators must alternate operator and number/,
    ],
    [
      "exists as a string",
      { v: [{ exists: "true" }] },
      "v[0].exists",
      /exists takes true or false/,
    ],
    ["exists null", { v: [{ exists: null }] }, "v[0].exists", /exists takes true or false/],
    ["cidr number", { v: [{ cidr: 10 }] }, "v[0].cidr", /cidr takes a string/],
    ["cidr without a mask", { v: [{ cidr: "10.0.0.0" }] }, "v[0].cidr", /exactly one "\/"/],
    ["cidr two masks", { v: [{ cidr: "10.0.0.0/8/8" }] }, "v[0].cidr", /exactly one "\/"/],
    ["cidr mask too long", { v: [{ cidr: "10.0.0.0/33" }] }, "v[0].cidr", /from 0 to 32/],
    ["cidr IPv6 mask too long", { v: [{ cidr: "2001:db8::/129" }] }, "v[0].cidr", /from 0 to 128/],
    ["cidr mask not a number", { v: [{ cidr: "10.0.0.0/x" }] }, "v[0].cidr", /whole number/],
    [
      "cidr bad address",
      { v: [{ cidr: "10.0.0.256/8" }] },
      "v[0].cidr",
      /not an IPv4 or IPv6 address/,
    ],
    [
      "cidr bad IPv6",
      { v: [{ cidr: "2001:db8:::1/64" }] },
      "v[0].cidr",
      /not an IPv4 or IPv6 address/,
    ],
    ["$or not an array", { $or: { a: ["x"] } }, "$or", /array of at least two objects/],
    ["$or with one object", { $or: [{ a: ["x"] }] }, "$or", /at least two objects/],
    [
      "$or with a non-object",
      { $or: [["x"], { a: ["x"] }] },
      "$or[0]",
      /each \$or entry must be an object/,
    ],
    [
      "$or with an empty object",
      { $or: [{}, { a: ["x"] }] },
      "$or[0]",
      /empty objects are not allowed/,
    ],
    [
      "$or with an operator name",
      { $or: [{ prefix: ["x"] }, { a: ["x"] }] },
      "$or[0].prefix",
      /operator name/,
    ],
    [
      "$or with an operator name deeper",
      { detail: { $or: [{ a: ["x"] }, { b: { numeric: [1] } }] } },
      "detail.$or[1].b.numeric",
      /operator name/,
    ],
    [
      "$or with a comparison name",
      { $or: [{ ">": [1] }, { a: ["x"] }] },
      '$or[0][">"]',
      /operator name/,
    ],
    [
      "a dotted key",
      { "detail.state": [{ prefix: 1 }] },
      '["detail.state"][0].prefix',
      /prefix takes a string/,
    ],
  ];

  it.each(refused)("refuses %s", (_, pattern, path, reason) => {
    let error: unknown;
    try {
      compilePattern(pattern);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect(error).toBeInstanceOf(RuntimeError);
    const invalid = error as InvalidEventPatternError;
    expect(invalid.name).toBe("InvalidEventPatternError");
    expect(invalid.path).toBe(path);
    expect(invalid.reason).toMatch(reason);
    expect(invalid.message).toBe(`invalid event pattern: ${path}: ${invalid.reason}`);
  });

  it("names the path of the brief's example", () => {
    expect(() => compilePattern({ detail: { state: [{ numeric: [">", 0, 5] }] } })).toThrow(
      "invalid event pattern: detail.state[0].numeric: operators must alternate operator and number",
    );
  });

  it("keeps the JSON parse error as the cause", () => {
    try {
      compilePattern("{");
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidEventPatternError).cause).toBeInstanceOf(SyntaxError);
    }
  });

  it(`refuses patterns that expand to more than ${MAX_PATTERN_ALTERNATIVES} alternatives`, () => {
    const or = (field: string) => ({
      $or: Array.from({ length: 6 }, (_, i) => ({ [`${field}${i}`]: ["x"] })),
    });
    const ok = { a: or("a"), b: or("b"), c: or("c") }; // 6 × 6 × 6 = 216
    expect(() => compilePattern(ok)).not.toThrow();
    expect(() => compilePattern({ ...ok, d: or("d") })).toThrow(/more than 1000 alternatives/); // 1296
  });
});

describe("properties", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "b", "*", "\\", ".", "é"), maxLength: 8 });
  const value = fc.string({ unit: fc.constantFrom("a", "b", "*", "\\", ".", "é"), maxLength: 12 });

  it("wildcard matching agrees with an equivalent regular expression", () => {
    fc.assert(
      fc.property(text, value, (source, candidate) => {
        const parsed = parseWildcard(source);
        fc.pre(!("problem" in parsed));
        const pattern = wildcard(source);
        const regex = new RegExp(
          `^${pattern.segments.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]*")}$`,
          "u",
        );
        expect(matchWildcard(pattern, candidate)).toBe(regex.test(candidate));
      }),
    );
  });

  const micros = fc.integer({ min: -5e15, max: 5e15 });

  it("numeric ranges agree with exact comparison of six-decimal numbers", () => {
    fc.assert(
      fc.property(micros, micros, micros, (a, b, v) => {
        fc.pre(a < b);
        const [low, high, x] = [a / 1e6, b / 1e6, v / 1e6];
        fc.pre(toMicros(low) === a && toMicros(high) === b && toMicros(x) === v);
        const pattern = compilePattern({ n: [{ numeric: [">=", low, "<", high] }] });
        expect(pattern.matches({ n: x })).toBe(a <= v && v < b);
      }),
    );
  });

  const leaf = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.boolean(),
    fc.constant(null),
  );
  const field = fc.oneof(
    leaf,
    fc.array(leaf, { maxLength: 3 }),
    fc.constant(undefined),
    fc.constant({}),
  );

  it("exists: true and exists: false always disagree", () => {
    const present = compilePattern({ v: [{ exists: true }] });
    const absent = compilePattern({ v: [{ exists: false }] });
    fc.assert(
      fc.property(field, (v) => {
        const event = v === undefined ? {} : { v };
        expect(present.matches(event)).toBe(!absent.matches(event));
      }),
    );
  });

  it("on a scalar, anything-but a list matches exactly when the list does not", () => {
    const strings = fc.uniqueArray(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(strings, leaf, (list, v) => {
        const exact = compilePattern({ v: list }).matches({ v });
        const but = compilePattern({ v: [{ "anything-but": list }] }).matches({ v });
        expect(but).toBe(!exact);
      }),
    );
  });

  it("prefix, suffix and equals-ignore-case agree with the string methods", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 4 }), leaf, (affix, v) => {
        const isString = typeof v === "string";
        expect(matches({ v: [{ prefix: affix }] }, { v })).toBe(isString && v.startsWith(affix));
        expect(matches({ v: [{ suffix: affix }] }, { v })).toBe(isString && v.endsWith(affix));
        expect(matches({ v: [{ "equals-ignore-case": affix }] }, { v })).toBe(
          isString && v.toLowerCase() === affix.toLowerCase(),
        );
      }),
    );
  });

  it("nested and dotted spellings of a pattern and of an event are interchangeable", () => {
    const spellings = (value: unknown) => [
      { a: { b: { c: value } } },
      { "a.b": { c: value } },
      { a: { "b.c": value } },
      { "a.b.c": value },
    ];
    fc.assert(
      fc.property(field, fc.array(leaf, { minLength: 1, maxLength: 3 }), (v, values) => {
        const results = spellings(values).flatMap((pattern) =>
          spellings(v).map((event) =>
            compilePattern(pattern).matches(v === undefined ? {} : event),
          ),
        );
        expect(new Set(results).size).toBe(1);
      }),
    );
  });

  const single = fc.oneof(
    fc.array(leaf, { minLength: 1, maxLength: 2 }),
    fc.constant([{ exists: false }]),
    fc.constant([{ exists: true }]),
    fc.constant([{ "anything-but": "a" }]),
    fc.constant([{ numeric: [">=", 0] }]),
  );

  it("fields are ANDed and $or branches are ORed", () => {
    fc.assert(
      fc.property(single, single, field, field, (x, y, a, b) => {
        const event: Record<string, unknown> = {};
        if (a !== undefined) event.a = a;
        if (b !== undefined) event.b = b;
        const onA = matches({ a: x }, event);
        const onB = matches({ b: y }, event);
        expect(matches({ a: x, b: y }, event)).toBe(onA && onB);
        expect(matches({ $or: [{ a: x }, { b: y }] }, event)).toBe(onA || onB);
        expect(matches({ n: { $or: [{ a: x }, { b: y }] } }, { n: event })).toBe(onA || onB);
      }),
    );
  });

  it("compiling the JSON text gives the same matcher, and matching is deterministic and pure", () => {
    const patternArb = fc.record({
      v: fc.array(
        fc.oneof(
          leaf,
          fc.record({ prefix: fc.string({ maxLength: 2 }) }),
          fc.record({ "anything-but": fc.string({ maxLength: 2 }) }),
          fc.record({ exists: fc.boolean() }),
          fc.record({ numeric: fc.constant([">", 0] as unknown[]) }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(patternArb, field, (pattern, v) => {
        const event = v === undefined ? {} : { v };
        const frozen = structuredClone(event);
        const fromObject = compilePattern(pattern);
        const fromText = compilePattern(JSON.stringify(pattern));
        const first = fromObject.matches(event);
        expect(fromText.matches(event)).toBe(first);
        expect(fromObject.matches(event)).toBe(first);
        expect(event).toEqual(frozen);
      }),
    );
  });
});
