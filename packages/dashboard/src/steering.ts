/**
 * Input as directions: which keys mean which way, where a pointer target lies, and when a `move`
 * command is worth sending. Pure: no DOM, so it is tested in Node. The world's y axis points down
 * the screen (the view draws minY at the top), so "up" is -y.
 */

/** The command the page steers with, as `{dx, dy}` in [-1, 1], when the game has it. */
export const STEER_COMMAND = "move";

/** Whether the page can steer in a game: its commands include `move` (taking `{dx, dy}`). */
export function canSteer(game: { readonly commands: readonly string[] } | undefined): boolean {
  return game?.commands.includes(STEER_COMMAND) === true;
}

export interface Vector {
  readonly dx: number;
  readonly dy: number;
}

export const STOP: Vector = { dx: 0, dy: 0 };

const KEY_DIRECTIONS: Readonly<Record<string, Vector>> = {
  KeyW: { dx: 0, dy: -1 },
  ArrowUp: { dx: 0, dy: -1 },
  KeyS: { dx: 0, dy: 1 },
  ArrowDown: { dx: 0, dy: 1 },
  KeyA: { dx: -1, dy: 0 },
  ArrowLeft: { dx: -1, dy: 0 },
  KeyD: { dx: 1, dy: 0 },
  ArrowRight: { dx: 1, dy: 0 },
};

/** Whether a `KeyboardEvent.code` steers. */
export function isSteeringKey(code: string): boolean {
  return Object.hasOwn(KEY_DIRECTIONS, code);
}

/** The direction of the keys held (opposite keys cancel), scaled to unit length. */
export function keyVector(held: Iterable<string>): Vector {
  let dx = 0;
  let dy = 0;
  const seen = new Set<Vector>();
  for (const code of held) {
    const d = KEY_DIRECTIONS[code];
    // W and ArrowUp together are one "up", not two.
    if (d === undefined || seen.has(d)) continue;
    seen.add(d);
    dx += d.dx;
    dy += d.dy;
  }
  dx = Math.sign(dx);
  dy = Math.sign(dy);
  return normalize(dx, dy);
}

/** Unit direction from `from` to `to`; STOP within `arrive` world units of it. */
export function pointVector(
  from: { readonly x: number; readonly y: number },
  to: { readonly x: number; readonly y: number },
  arrive = 0.6,
): Vector {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (Math.hypot(dx, dy) <= arrive) return STOP;
  return normalize(dx, dy);
}

function normalize(dx: number, dy: number): Vector {
  const len = Math.hypot(dx, dy);
  if (len === 0) return STOP;
  // Rounded to 3 places: short frames, and tiny wobbles do not count as a change.
  return { dx: round3(dx / len), dy: round3(dy / len) };
}

function round3(n: number): number {
  const r = Math.round(n * 1000) / 1000;
  return r === 0 ? 0 : r; // no -0 in frames
}

export function isStop(v: Vector): boolean {
  return v.dx === 0 && v.dy === 0;
}

/** Whether two directions differ enough to send a new command (about 3 degrees). */
export function differs(a: Vector, b: Vector): boolean {
  if (isStop(a) !== isStop(b)) return true;
  return Math.abs(a.dx - b.dx) > 0.05 || Math.abs(a.dy - b.dy) > 0.05;
}

export interface MoveSchedulerOptions {
  /** The shortest time between two sends (a stop excepted). Default 200 ms: at most 5 a second. */
  readonly minGapMs?: number;
  /** While a direction is held, it is sent again this often. Default 1000 ms. */
  readonly repeatMs?: number;
}

/**
 * Decides when a `move` goes out: a change at once (if the last send is at least `minGapMs` old,
 * else as soon as it is), a held direction again every `repeatMs` (so a lost frame or a reconnect
 * does not leave the player stopped), and a stop always at once.
 */
export class MoveScheduler {
  readonly #minGapMs: number;
  readonly #repeatMs: number;
  #sent: Vector = STOP;
  #sentAt = Number.NEGATIVE_INFINITY;

  constructor(options: MoveSchedulerOptions = {}) {
    this.#minGapMs = options.minGapMs ?? 200;
    this.#repeatMs = options.repeatMs ?? 1000;
  }

  /** The direction to send now for the wanted one, or `undefined` to send nothing. */
  next(wanted: Vector, now: number): Vector | undefined {
    const since = now - this.#sentAt;
    if (differs(wanted, this.#sent)) {
      if (isStop(wanted) || since >= this.#minGapMs) return this.#mark(wanted, now);
      return undefined;
    }
    if (!isStop(wanted) && since >= Math.max(this.#repeatMs, this.#minGapMs)) {
      return this.#mark(wanted, now);
    }
    return undefined;
  }

  /** Forget what was sent (after a reconnect: the next wanted direction goes out at once). */
  reset(): void {
    this.#sent = STOP;
    this.#sentAt = Number.NEGATIVE_INFINITY;
  }

  #mark(v: Vector, now: number): Vector {
    this.#sent = v;
    this.#sentAt = now;
    return v;
  }
}
