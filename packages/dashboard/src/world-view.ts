/**
 * The world on a 2D canvas: every entity drawn from its kind's look (`game.kinds`: circle or box,
 * half extents, colour), positions interpolated between pushes (drawn one push interval behind
 * the newest, so motion is smooth at 60 fps however often pushes come), the player's own body
 * highlighted, scaled to fit and sharp on high-density screens.
 */
import { interpolate, type TrackedEntity, type WorldModel } from "./model.js";
import type { GameDescription } from "./protocol.js";

/** How a kind (or one entity) is drawn: a shape with half extents, in world units. */
interface KindLook {
  readonly shape: "circle" | "box";
  readonly hw: number;
  readonly hh: number;
  readonly color?: string;
}

/** Looks for kinds a game did not describe (or before the description arrives). */
const DEFAULT_LOOKS: Readonly<Record<string, KindLook>> = {
  player: { shape: "circle", hw: 0.7, hh: 0.7, color: "#4aa3ff" },
  bot: { shape: "circle", hw: 0.7, hh: 0.7, color: "#ef6b6b" },
  coin: { shape: "circle", hw: 0.6, hh: 0.6, color: "#f5c542" },
  zone: { shape: "box", hw: 3, hh: 3, color: "#b48cff" },
  wall: { shape: "box", hw: 2, hh: 6, color: "#5b6478" },
  body: { shape: "circle", hw: 0.5, hh: 0.5, color: "#8892a6" },
};
const FALLBACK_LOOK: KindLook = { shape: "circle", hw: 0.5, hh: 0.5, color: "#c8d0e0" };
/** Kinds drawn first (underneath), the rest in the order met. */
const LAYERS = ["zone", "wall", "coin", "body", "bot", "player"];
/** Kinds drawn as translucent areas (sensors) rather than solids. */
const AREA_KINDS = new Set(["zone"]);
const ME_COLOR = "#35e08a";
const MIN_RADIUS_PX = 1.6;

export interface Viewport {
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

export type Bounds = GameDescription["bounds"];

/** The scale and offsets that fit `bounds` into a `width` × `height` (CSS px) box, centred. */
export function fitViewport(bounds: Bounds, width: number, height: number, margin = 8): Viewport {
  const w = Math.max(1e-9, bounds.maxX - bounds.minX);
  const hgt = Math.max(1e-9, bounds.maxY - bounds.minY);
  const scale = Math.max(1e-6, Math.min((width - 2 * margin) / w, (height - 2 * margin) / hgt));
  return {
    scale,
    offsetX: (width - w * scale) / 2 - bounds.minX * scale,
    offsetY: (height - hgt * scale) / 2 - bounds.minY * scale,
  };
}

/** Bounds that hold every entity (a world whose game description did not arrive). */
export function boundsOf(entities: Iterable<TrackedEntity>): Bounds | undefined {
  let b: { minX: number; minY: number; maxX: number; maxY: number } | undefined;
  for (const e of entities) {
    if (b === undefined) b = { minX: e.x1, minY: e.y1, maxX: e.x1, maxY: e.y1 };
    b.minX = Math.min(b.minX, e.x1);
    b.minY = Math.min(b.minY, e.y1);
    b.maxX = Math.max(b.maxX, e.x1);
    b.maxY = Math.max(b.maxY, e.y1);
  }
  return b === undefined
    ? undefined
    : { minX: b.minX - 5, minY: b.minY - 5, maxX: b.maxX + 5, maxY: b.maxY + 5 };
}

export interface WorldViewDeps {
  readonly model: WorldModel;
  readonly game: () => GameDescription | undefined;
  /** The signed-in player's id (its body is highlighted), if any. */
  readonly me: () => string | undefined;
  /** Where a pointer sent the player, if anywhere (drawn as a marker). */
  readonly target: () => { x: number; y: number } | undefined;
}

export class WorldView {
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #deps: WorldViewDeps;
  #cssWidth = 0;
  #cssHeight = 0;
  #dpr = 1;
  #viewport: Viewport = { scale: 1, offsetX: 0, offsetY: 0 };
  #frame = 0;
  #bounds: Bounds | undefined;

  constructor(canvas: HTMLCanvasElement, deps: WorldViewDeps) {
    this.canvas = canvas;
    const ctx = canvas.getContext("2d", { alpha: false });
    if (ctx === null) throw new Error("this browser has no 2D canvas");
    this.#ctx = ctx;
    this.#deps = deps;
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  start(): void {
    const loop = (t: number) => {
      this.draw(t);
      this.#frame = requestAnimationFrame(loop);
    };
    this.#frame = requestAnimationFrame(loop);
  }

  stop(): void {
    cancelAnimationFrame(this.#frame);
  }

  /** The world point under a client (CSS px) point. */
  toWorld(clientX: number, clientY: number): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    const v = this.#viewport;
    return {
      x: (clientX - r.left - v.offsetX) / v.scale,
      y: (clientY - r.top - v.offsetY) / v.scale,
    };
  }

  /** The world's bounds as drawn. */
  bounds(): Bounds | undefined {
    return this.#bounds;
  }

  #resize(): void {
    const r = this.canvas.getBoundingClientRect();
    this.#dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
    this.#cssWidth = Math.max(1, Math.round(r.width));
    this.#cssHeight = Math.max(1, Math.round(r.height));
    this.canvas.width = Math.round(this.#cssWidth * this.#dpr);
    this.canvas.height = Math.round(this.#cssHeight * this.#dpr);
  }

  /** Draws a frame at page time `now` (performance.now()). */
  draw(now: number): void {
    if (window.devicePixelRatio !== this.#dpr && window.devicePixelRatio >= 1) this.#resize();
    const ctx = this.#ctx;
    const { model } = this.#deps;
    const game = this.#deps.game();
    const bounds = game?.bounds ?? boundsOf(model.entities.values());
    this.#bounds = bounds;
    ctx.setTransform(this.#dpr, 0, 0, this.#dpr, 0, 0);
    ctx.fillStyle = "#0b0f17";
    ctx.fillRect(0, 0, this.#cssWidth, this.#cssHeight);
    if (bounds === undefined) return;
    const v = fitViewport(bounds, this.#cssWidth, this.#cssHeight);
    this.#viewport = v;
    const sx = (x: number) => v.offsetX + x * v.scale;
    const sy = (y: number) => v.offsetY + y * v.scale;

    // The arena floor and a grid every 10 units.
    ctx.fillStyle = "#121826";
    ctx.fillRect(
      sx(bounds.minX),
      sy(bounds.minY),
      (bounds.maxX - bounds.minX) * v.scale,
      (bounds.maxY - bounds.minY) * v.scale,
    );
    ctx.strokeStyle = "rgba(154,164,184,0.07)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = Math.ceil(bounds.minX / 10) * 10; x <= bounds.maxX; x += 10) {
      ctx.moveTo(Math.round(sx(x)) + 0.5, sy(bounds.minY));
      ctx.lineTo(Math.round(sx(x)) + 0.5, sy(bounds.maxY));
    }
    for (let y = Math.ceil(bounds.minY / 10) * 10; y <= bounds.maxY; y += 10) {
      ctx.moveTo(sx(bounds.minX), Math.round(sy(y)) + 0.5);
      ctx.lineTo(sx(bounds.maxX), Math.round(sy(y)) + 0.5);
    }
    ctx.stroke();
    ctx.strokeStyle = "rgba(154,164,184,0.35)";
    ctx.strokeRect(
      sx(bounds.minX) + 0.5,
      sy(bounds.minY) + 0.5,
      (bounds.maxX - bounds.minX) * v.scale - 1,
      (bounds.maxY - bounds.minY) * v.scale - 1,
    );

    // Entities by kind, one path per kind (thousands of coins are one fill).
    const renderAt = now - model.renderDelayMs();
    const byKind = new Map<string, TrackedEntity[]>();
    for (const e of model.entities.values()) {
      const list = byKind.get(e.kind);
      if (list === undefined) byKind.set(e.kind, [e]);
      else list.push(e);
    }
    const kinds = [...byKind.keys()].sort((a, b) => layer(a) - layer(b));
    const me = this.#deps.me();
    let mine: { x: number; y: number; look: KindLook } | undefined;
    const labels: { x: number; y: number; text: string }[] = [];
    const areaLabels: { x: number; y: number; text: string }[] = [];
    for (const kind of kinds) {
      const kindLook: KindLook = game?.kinds[kind] ?? DEFAULT_LOOKS[kind] ?? FALLBACK_LOOK;
      const color = kindColor(kind);
      const area = AREA_KINDS.has(kind);
      ctx.beginPath();
      for (const e of byKind.get(kind) ?? []) {
        const p = interpolate(e, renderAt);
        const look = e.shape === undefined ? kindLook : e.shape;
        const x = sx(p.x);
        const y = sy(p.y);
        if (me !== undefined && e.name === me) {
          mine = { x, y, look };
          continue;
        }
        if (look.shape === "box") {
          ctx.rect(
            x - look.hw * v.scale,
            y - look.hh * v.scale,
            2 * look.hw * v.scale,
            2 * look.hh * v.scale,
          );
        } else {
          const r = Math.max(MIN_RADIUS_PX, look.hw * v.scale);
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, Math.PI * 2);
        }
        if (kind === "player" && e.name !== undefined) labels.push({ x, y, text: e.name });
        if (area && e.name !== undefined) {
          areaLabels.push({ x, y: y + look.hh * v.scale + 8, text: e.name });
        }
      }
      if (area) {
        ctx.fillStyle = withAlpha(color, 0.18);
        ctx.fill();
        ctx.setLineDash([4, 3]);
        ctx.strokeStyle = color;
        ctx.stroke();
        ctx.setLineDash([]);
      } else {
        ctx.fillStyle = color;
        ctx.fill();
      }
    }

    // Where a pointer sent the player.
    const target = this.#deps.target();
    if (target !== undefined) {
      const x = sx(target.x);
      const y = sy(target.y);
      ctx.strokeStyle = ME_COLOR;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x - 6, y - 6);
      ctx.lineTo(x + 6, y + 6);
      ctx.moveTo(x + 6, y - 6);
      ctx.lineTo(x - 6, y + 6);
      ctx.stroke();
    }

    // The player's own body on top, ringed, with a pulse.
    if (mine !== undefined) {
      const r = Math.max(3, mine.look.hw * v.scale);
      const pulse = 0.5 + 0.5 * Math.sin(now / 300);
      ctx.beginPath();
      ctx.arc(mine.x, mine.y, r + 4 + pulse * 3, 0, Math.PI * 2);
      ctx.strokeStyle = withAlpha(ME_COLOR, 0.35 + 0.3 * pulse);
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(mine.x, mine.y, r, 0, Math.PI * 2);
      ctx.fillStyle = ME_COLOR;
      ctx.fill();
      labels.push({ x: mine.x, y: mine.y, text: `${me} (you)` });
    }

    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    // Areas are named inside (the shrine), players above their heads.
    ctx.textBaseline = "middle";
    ctx.fillStyle = "rgba(230,235,245,0.8)";
    for (const l of areaLabels) ctx.fillText(l.text, l.x, l.y);
    ctx.textBaseline = "bottom";
    for (const l of labels) {
      ctx.fillStyle = "rgba(11,15,23,0.7)";
      const w = ctx.measureText(l.text).width + 6;
      ctx.fillRect(l.x - w / 2, l.y - 24, w, 14);
      ctx.fillStyle = "#e6ebf5";
      ctx.fillText(l.text, l.x, l.y - 11);
    }
  }
}

/** The colour a kind is drawn in. */
export function kindColor(kind: string): string {
  return DEFAULT_LOOKS[kind]?.color ?? colorOf(kind);
}

/** A stable colour for a kind the page has no colour for. */
function colorOf(kind: string): string {
  let hash = 0;
  for (let i = 0; i < kind.length; i++) hash = (hash * 31 + kind.charCodeAt(i)) | 0;
  return `hsl(${Math.abs(hash) % 360} 65% 65%)`;
}

function layer(kind: string): number {
  const i = LAYERS.indexOf(kind);
  return i < 0 ? LAYERS.length : i;
}

/** `#rrggbb` with an alpha; other colour syntaxes are returned as they are. */
function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (m?.[1] === undefined) return color;
  const n = Number.parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
