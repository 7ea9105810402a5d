/**
 * How any game's entities look on the page, from its `GameDescription` alone: each kind's shape,
 * size and label as the game describes it, a colour derived from the kind's name (the same kind
 * is the same colour in every game and on every page load), the order kinds are drawn in, and
 * the legend's entries. Pure: no DOM, so it is tested in Node.
 */
import type { EntityLook, EntityView, GameDescription } from "@ledgerquest/client";

/** How a kind (or one entity with a shape of its own) is drawn: half extents in world units. */
export interface Look {
  readonly shape: "circle" | "box";
  readonly hw: number;
  readonly hh: number;
}

/** The look of a kind the description does not have (or before the description arrives). */
export const UNDESCRIBED: EntityLook = { shape: "circle", hw: 0.5, hh: 0.5, label: "" };

/** Kinds at least this big (square world units) are drawn as translucent areas with an outline. */
export const AREA_MIN = 16;

/** The player's own entity: drawn in this colour, ringed, whatever its kind. */
export const ME_COLOR = "#35e08a";

/** The look of `kind` in `game` (the description's, or `UNDESCRIBED`). */
export function kindLook(game: GameDescription | undefined, kind: string): EntityLook {
  const look = game?.kinds[kind];
  return look === undefined ? UNDESCRIBED : look;
}

/** An entity's own look when it has one (walls and zones that differ), else its kind's. */
export function entityLook(e: EntityView, kind: Look): Look {
  if (e.shape === undefined) return kind;
  const hw = e.hw ?? kind.hw;
  return { shape: e.shape, hw, hh: e.hh ?? hw };
}

/** The area a look covers, in square world units (its bounding box). */
export function areaOf(look: Look): number {
  return 4 * look.hw * look.hh;
}

/** Whether a kind is drawn as a translucent area (big ones: what stands on them shows). */
export function isArea(look: Look): boolean {
  return areaOf(look) >= AREA_MIN;
}

/**
 * A kind's colour: a hue from a hash of its name (FNV-1a), away from the player's own green so
 * that no kind looks like "you". Deterministic: the same name, the same colour, in every game.
 */
export function kindColor(kind: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < kind.length; i++) {
    hash ^= kind.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const n = hash >>> 0;
  // 300 hues, skipping 120..180 (the player's green), in steps of one degree.
  const step = n % 300;
  const hue = step < 120 ? step : step + 60;
  const light = 58 + ((n >>> 12) % 3) * 6;
  return `hsl(${hue} 70% ${light}%)`;
}

/**
 * The order kinds are drawn in: the biggest first (underneath), so small things stay visible on
 * large areas; equal sizes by name, for a stable picture.
 */
export function drawOrder(game: GameDescription | undefined, kinds: Iterable<string>): string[] {
  return [...kinds].sort(
    (a, b) => areaOf(kindLook(game, b)) - areaOf(kindLook(game, a)) || a.localeCompare(b),
  );
}

/** One line of the legend. */
export interface LegendEntry {
  readonly kind: string;
  readonly label: string;
  readonly shape: "circle" | "box";
  readonly color: string;
}

/** The legend: every kind the game describes, in its order, labelled as the game labels it. */
export function legendOf(game: GameDescription | undefined): LegendEntry[] {
  return Object.entries(game?.kinds ?? {}).map(([kind, look]) => ({
    kind,
    label: look.label === "" ? kind : look.label,
    shape: look.shape,
    color: kindColor(kind),
  }));
}

/**
 * The grid's spacing (world units) for `scale` pixels per unit: a power of ten whose cells are
 * at least `minPx` apart (1 for a 24-cell market, 10 for a 200-unit arena on a laptop screen).
 */
export function gridStep(scale: number, minPx = 16): number {
  if (!(scale > 0)) return 10;
  return 10 ** Math.max(-2, Math.ceil(Math.log10(minPx / scale)));
}

/** `#rrggbb` or `hsl(h s% l%)` with an alpha; other colour syntaxes are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex?.[1] !== undefined) {
    const n = Number.parseInt(hex[1], 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }
  const hsl = /^hsl\(([^)]*)\)$/.exec(color);
  return hsl?.[1] === undefined ? color : `hsl(${hsl[1]} / ${alpha})`;
}
