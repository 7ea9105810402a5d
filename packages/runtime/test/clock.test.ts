import { ManualClock, systemClock } from "../src/ports/clock.js";
import { describeClockContract } from "../src/testing/clock.contract.js";

describeClockContract("system", () => systemClock);
describeClockContract("manual", () => new ManualClock());
