// The protocol's constants the client defines for itself (a browser bundle carries nothing of the
// runtime) are the runtime's: the one definition the server checks frames against.
import {
  FRAME_ID_PATTERN as RUNTIME_FRAME_ID_PATTERN,
  MAX_FRAME_BYTES as RUNTIME_MAX_FRAME_BYTES,
} from "@ledgerquest/runtime";
import { describe, expect, it } from "vitest";
import { FRAME_ID_PATTERN, MAX_FRAME_BYTES } from "../src/protocol.js";

describe("the protocol's constants", () => {
  it("are the runtime's", () => {
    expect(MAX_FRAME_BYTES).toBe(RUNTIME_MAX_FRAME_BYTES);
    expect(FRAME_ID_PATTERN.source).toBe(RUNTIME_FRAME_ID_PATTERN.source);
    expect(FRAME_ID_PATTERN.flags).toBe(RUNTIME_FRAME_ID_PATTERN.flags);
  });
});
