/**
 * Live charts of the world's tick pipeline and economy, with uPlot (small, fast, canvas-based):
 * milliseconds per tick and ticks per batch, commands applied per second, and the supply of each
 * unit in circulation (held outside the system accounts: players and bots), whatever units the
 * game has. Fed by the client's `push` events; a rolling window of the last points.
 */
import type { StatePushFrame } from "@ledgerquest/client";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h, panel } from "./dom.js";

type BatchStats = StatePushFrame["batch"];
type Supply = StatePushFrame["supply"];

/** Points kept per chart (about 10 minutes at one push a second). */
export const WINDOW = 600;

const PALETTE = ["#f5c542", "#4aa3ff", "#35e08a", "#ef6b6b", "#b48cff", "#ff9f43", "#5ee7df"];

const axisStyle = {
  stroke: "#9aa4b8",
  grid: { stroke: "rgba(154,164,184,0.12)", width: 1 },
  ticks: { stroke: "rgba(154,164,184,0.25)", width: 1 },
};

interface Series {
  readonly label: string;
  readonly color: string;
  readonly scale?: string;
}

/** One chart: a uPlot over columns kept here, resized with its container. */
class LiveChart {
  readonly element: HTMLElement;
  readonly #holder: HTMLElement;
  #plot: uPlot | undefined;
  #series: Series[];
  #columns: number[][];
  readonly #title: string;
  readonly #rightAxis: string | undefined;

  constructor(title: string, testid: string, series: Series[], rightAxis?: string) {
    this.#title = title;
    this.#series = series;
    this.#rightAxis = rightAxis;
    this.#columns = [[], ...series.map(() => [])];
    this.#holder = h("div", { class: "chart-holder" });
    // Hidden until its first point: an empty chart is just a blank box.
    this.element = h(
      "figure",
      { class: "chart", "data-testid": testid, hidden: true },
      h("figcaption", {}, title),
      this.#holder,
    );
  }

  /** Adds a point at `t` (seconds) with a value per series (by label; missing ones are null). */
  push(t: number, values: Readonly<Record<string, number>>): void {
    this.element.hidden = false;
    const labels = Object.keys(values);
    if (labels.some((l) => !this.#series.some((s) => s.label === l))) {
      // A new series (a unit first held): rebuild with it, earlier points null.
      for (const l of labels) {
        if (this.#series.some((s) => s.label === l)) continue;
        this.#series.push({
          label: l,
          color: PALETTE[this.#series.length % PALETTE.length] ?? "#fff",
        });
        this.#columns.push(this.#columns[0]?.map(() => Number.NaN) ?? []);
      }
      this.#plot?.destroy();
      this.#plot = undefined;
    }
    this.#columns[0]?.push(t);
    this.#series.forEach((s, i) => {
      this.#columns[i + 1]?.push(values[s.label] ?? Number.NaN);
    });
    if ((this.#columns[0]?.length ?? 0) > WINDOW) for (const c of this.#columns) c.shift();
    this.#draw();
  }

  resize(): void {
    const width = this.#holder.clientWidth;
    if (width > 0) this.#plot?.setSize({ width, height: this.#height() });
  }

  #height(): number {
    return 150;
  }

  #draw(): void {
    const width = this.#holder.clientWidth;
    if (width === 0) return; // hidden (a collapsed panel): drawn when shown
    const data = this.#columns.map((c) => c.map((v) => (Number.isNaN(v) ? null : v)));
    if (this.#plot === undefined) {
      this.#plot = new uPlot(
        {
          width,
          height: this.#height(),
          title: "",
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true } },
          axes: [
            {
              ...axisStyle,
              space: 70,
              values: (_u: uPlot, splits: number[]) => splits.map(clock),
            },
            { ...axisStyle, size: 48 },
            ...(this.#rightAxis === undefined
              ? []
              : [
                  { ...axisStyle, scale: this.#rightAxis, side: 1 as const, grid: { show: false } },
                ]),
          ],
          series: [
            {},
            ...this.#series.map((s) => ({
              label: s.label,
              stroke: s.color,
              width: 1.5,
              ...(s.scale === undefined ? {} : { scale: s.scale }),
              points: { show: false },
              spanGaps: true,
            })),
          ],
        },
        data as uPlot.AlignedData,
        this.#holder,
      );
      this.#plot.root.setAttribute("aria-label", this.#title);
    } else this.#plot.setData(data as uPlot.AlignedData);
  }
}

export class Charts {
  readonly element: HTMLElement;
  readonly #tick = new LiveChart(
    "Tick pipeline",
    "chart-ticks",
    [
      { label: "ms per tick", color: "#4aa3ff" },
      { label: "ticks per batch", color: "#f5c542", scale: "ticks" },
    ],
    "ticks",
  );
  readonly #commands = new LiveChart("Commands applied per second", "chart-commands", [
    { label: "commands/s", color: "#35e08a" },
  ]);
  readonly #supply = new LiveChart("In circulation (players and bots)", "chart-supply", []);
  readonly #waiting = h("p", { class: "muted" }, "Charts start with the first push.");
  #lastPushAt = Number.NaN;

  constructor() {
    const { section, body } = panel("charts", "Charts");
    this.element = section;
    body.append(this.#waiting, this.#tick.element, this.#commands.element, this.#supply.element);
    new ResizeObserver(() => {
      this.#tick.resize();
      this.#commands.resize();
      this.#supply.resize();
    }).observe(body);
  }

  /** A push arrived at `nowMs` (page clock) with its batch stats and supply. */
  onPush(nowMs: number, batch: BatchStats | undefined, supply: Supply | undefined): void {
    this.#waiting.hidden = true;
    const t = nowMs / 1000;
    const gap = (nowMs - this.#lastPushAt) / 1000;
    this.#lastPushAt = nowMs;
    if (batch !== undefined && batch.ticks > 0) {
      this.#tick.push(t, {
        "ms per tick": round(batch.durationMs / batch.ticks),
        "ticks per batch": batch.ticks,
      });
      if (gap > 0 && Number.isFinite(gap)) {
        this.#commands.push(t, { "commands/s": round(batch.commandsApplied / gap) });
      }
    }
    if (supply !== undefined) this.#supply.push(t, supply);
  }
}

/** A time axis label: hh:mm:ss, local time. */
function clock(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
