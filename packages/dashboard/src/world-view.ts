/**
 * The world on a 2D canvas, for any game: every entity drawn from its kind's look in the game's
 * description (circle or box, half extents; a colour from the kind's name), the biggest kinds
 * underneath, big ones as translucent areas, named entities labelled, the player's own entity
 * ringed. Positions come interpolated (the SDK's `Interpolator`, one push interval behind), so
 * motion is smooth at the screen's frame rate; scaled to fit the world's bounds and sharp on
 * high-density screens. Entities shown as of the last commit (an operator's whole world beyond
 * the pushed area) are drawn faded.
 */
import type { EntityView, GameDescription } from "@ledgerquest/client";
import {
  drawOrder,
  entityLook,
  gridStep,
  isArea,
  kindColor,
  kindLook,
  type Look,
  ME_COLOR,
  withAlpha,
} from "./look.js";

const MIN_RADIUS_PX = 1.6;
/** How opaque entities shown as of the last commit are. */
const FADED_ALPHA = 0.4;
const BACKGROUND = "#0b0f17";
const FLOOR = "#121826";

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
export function boundsOf(entities: Iterable<EntityView>): Bounds | undefined {
  let b: { minX: number; minY: number; maxX: number; maxY: number } | undefined;
  for (const e of entities) {
    if (b === undefined) b = { minX: e.x, minY: e.y, maxX: e.x, maxY: e.y };
    b.minX = Math.min(b.minX, e.x);
    b.minY = Math.min(b.minY, e.y);
    b.maxX = Math.max(b.maxX, e.x);
    b.maxY = Math.max(b.maxY, e.y);
  }
  return b === undefined
    ? undefined
    : { minX: b.minX - 5, minY: b.minY - 5, maxX: b.maxX + 5, maxY: b.maxY + 5 };
}

export interface WorldViewDeps {
  /** Every entity where it is drawn at page time `now` (interpolated). */
  readonly entitiesAt: (now: number) => readonly EntityView[];
  readonly game: () => GameDescription | undefined;
  /** The signed-in player's id (its entity is highlighted), if any. */
  readonly me: () => string | undefined;
  /** Where a pointer sent the player, if anywhere (drawn as a marker). */
  readonly target: () => { x: number; y: number } | undefined;
  /** Entities shown as of the last commit rather than live (drawn faded). */
  readonly faded?: (e: EntityView) => boolean;
}

interface Label {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly inside: boolean;
}

/** A frame being drawn: the context and the world-to-screen mapping. */
interface Frame {
  readonly ctx: CanvasRenderingContext2D;
  readonly v: Viewport;
  readonly labels: Label[];
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
  #drawn: Record<string, number> = {};

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

  /** How many entities of each kind the last frame drew (the player's own included). */
  drawn(): Readonly<Record<string, number>> {
    return this.#drawn;
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
    const game = this.#deps.game();
    const entities = this.#deps.entitiesAt(now);
    const bounds = game?.bounds ?? boundsOf(entities);
    ctx.setTransform(this.#dpr, 0, 0, this.#dpr, 0, 0);
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, this.#cssWidth, this.#cssHeight);
    if (bounds === undefined) {
      this.#drawn = {};
      return;
    }
    const v = fitViewport(bounds, this.#cssWidth, this.#cssHeight);
    this.#viewport = v;
    const f: Frame = { ctx, v, labels: [] };
    drawFloor(f, bounds);
    const me = this.#deps.me();
    const mine = this.#drawKinds(f, game, entities, me);
    drawTarget(f, this.#deps.target());
    if (mine !== undefined) drawMine(f, mine.e, mine.look, now, `${me} (you)`);
    drawLabels(f);
  }

  /** Every entity but the player's own, one path per kind; returns the player's own. */
  #drawKinds(
    f: Frame,
    game: GameDescription | undefined,
    entities: readonly EntityView[],
    me: string | undefined,
  ): { e: EntityView; look: Look } | undefined {
    const byKind = new Map<string, EntityView[]>();
    for (const e of entities) {
      const list = byKind.get(e.kind);
      if (list === undefined) byKind.set(e.kind, [e]);
      else list.push(e);
    }
    const drawn: Record<string, number> = {};
    let mine: { e: EntityView; look: Look } | undefined;
    for (const kind of drawOrder(game, byKind.keys())) {
      const list = byKind.get(kind) ?? [];
      drawn[kind] = list.length;
      const look = kindLook(game, kind);
      const own = me === undefined ? undefined : list.find((e) => e.name === me);
      if (own !== undefined) mine = { e: own, look: entityLook(own, look) };
      const rest = own === undefined ? list : list.filter((e) => e !== own);
      const faded = this.#deps.faded;
      if (faded === undefined) drawKind(f, kindColor(kind), look, rest);
      else {
        f.ctx.globalAlpha = FADED_ALPHA;
        drawKind(f, kindColor(kind), look, rest.filter(faded));
        f.ctx.globalAlpha = 1;
        drawKind(
          f,
          kindColor(kind),
          look,
          rest.filter((e) => !faded(e)),
        );
      }
    }
    this.#drawn = drawn;
    return mine;
  }
}

/** The world's floor, its border, and a grid whose spacing suits the scale. */
function drawFloor({ ctx, v }: Frame, b: Bounds): void {
  const x0 = v.offsetX + b.minX * v.scale;
  const y0 = v.offsetY + b.minY * v.scale;
  const w = (b.maxX - b.minX) * v.scale;
  const hgt = (b.maxY - b.minY) * v.scale;
  ctx.fillStyle = FLOOR;
  ctx.fillRect(x0, y0, w, hgt);
  const step = gridStep(v.scale);
  ctx.strokeStyle = "rgba(154,164,184,0.07)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = Math.ceil(b.minX / step) * step; x <= b.maxX; x += step) {
    const sx = Math.round(v.offsetX + x * v.scale) + 0.5;
    ctx.moveTo(sx, y0);
    ctx.lineTo(sx, y0 + hgt);
  }
  for (let y = Math.ceil(b.minY / step) * step; y <= b.maxY; y += step) {
    const sy = Math.round(v.offsetY + y * v.scale) + 0.5;
    ctx.moveTo(x0, sy);
    ctx.lineTo(x0 + w, sy);
  }
  ctx.stroke();
  ctx.strokeStyle = "rgba(154,164,184,0.35)";
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, w - 1, hgt - 1);
}

/** The entities of one kind as one path (thousands of coins are one fill). */
function drawKind(f: Frame, color: string, kindLook: Look, list: readonly EntityView[]): void {
  const { ctx, v } = f;
  const area = isArea(kindLook);
  ctx.beginPath();
  for (const e of list) {
    const look = entityLook(e, kindLook);
    const x = v.offsetX + e.x * v.scale;
    const y = v.offsetY + e.y * v.scale;
    traceShape(f, look, x, y, MIN_RADIUS_PX);
    if (e.name !== undefined) {
      const inside = isArea(look);
      f.labels.push({ x, y: inside ? y : y - look.hh * v.scale, text: e.name, inside });
    }
  }
  if (area) {
    ctx.fillStyle = withAlpha(color, 0.18);
    ctx.fill();
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.stroke();
    ctx.setLineDash([]);
  } else {
    ctx.fillStyle = color;
    ctx.fill();
  }
}

/** Adds `look`'s shape at (x, y) to the path, a circle's radius at least `minRadius` pixels. */
function traceShape({ ctx, v }: Frame, look: Look, x: number, y: number, minRadius: number): void {
  if (look.shape === "box") {
    ctx.rect(
      x - look.hw * v.scale,
      y - look.hh * v.scale,
      2 * look.hw * v.scale,
      2 * look.hh * v.scale,
    );
  } else {
    const r = Math.max(minRadius, look.hw * v.scale);
    // A subpath of its own: without the move, the arc would join the shape before it.
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, Math.PI * 2);
  }
}

/** Where a pointer sent the player: a cross. */
function drawTarget({ ctx, v }: Frame, target: { x: number; y: number } | undefined): void {
  if (target === undefined) return;
  const x = v.offsetX + target.x * v.scale;
  const y = v.offsetY + target.y * v.scale;
  ctx.strokeStyle = ME_COLOR;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(x - 6, y - 6);
  ctx.lineTo(x + 6, y + 6);
  ctx.moveTo(x + 6, y - 6);
  ctx.lineTo(x - 6, y + 6);
  ctx.stroke();
}

/** The player's own entity on top, in its kind's shape, ringed, with a pulse. */
function drawMine(f: Frame, e: EntityView, look: Look, now: number, text: string): void {
  const { ctx, v } = f;
  const x = v.offsetX + e.x * v.scale;
  const y = v.offsetY + e.y * v.scale;
  const r = Math.max(3, Math.max(look.hw, look.hh) * v.scale);
  const pulse = 0.5 + 0.5 * Math.sin(now / 300);
  ctx.beginPath();
  ctx.arc(x, y, r + 4 + pulse * 3, 0, Math.PI * 2);
  ctx.strokeStyle = withAlpha(ME_COLOR, 0.35 + 0.3 * pulse);
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.beginPath();
  traceShape(f, look, x, y, 3);
  ctx.fillStyle = ME_COLOR;
  ctx.fill();
  f.labels.push({ x, y: y - Math.max(3, look.hh * v.scale), text, inside: false });
}

/** Names: inside areas, above everything else, on a dark tag. */
function drawLabels({ ctx, labels }: Frame): void {
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "rgba(230,235,245,0.8)";
  for (const l of labels) if (l.inside) ctx.fillText(l.text, l.x, l.y);
  ctx.textBaseline = "bottom";
  for (const l of labels) {
    if (l.inside) continue;
    ctx.fillStyle = "rgba(11,15,23,0.7)";
    const w = ctx.measureText(l.text).width + 6;
    ctx.fillRect(l.x - w / 2, l.y - 17, w, 14);
    ctx.fillStyle = "#e6ebf5";
    ctx.fillText(l.text, l.x, l.y - 4);
  }
}
