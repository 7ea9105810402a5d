/**
 * Steering, for a game with a `move {dx, dy}` command: WASD or the arrow keys, or a press on the
 * canvas (mouse, pen or touch) that sends the player towards that point (dragging moves the
 * point). Directions become `move` commands through the MoveScheduler: a change at once (at most
 * 5 a second), a held direction again every second, a stop on release. Whether they go out at
 * all is the page's call (`canSend`): a game without `move` is not steered.
 */
import {
  isSteeringKey,
  keyVector,
  MoveScheduler,
  pointVector,
  STOP,
  type Vector,
} from "./steering.js";

export interface InputDeps {
  readonly canvas: HTMLCanvasElement;
  readonly toWorld: (clientX: number, clientY: number) => { x: number; y: number };
  /** The player's latest known position, or undefined when it has no body in the world. */
  readonly myPosition: () => { x: number; y: number } | undefined;
  /** Whether commands can go out now (connected, in the world). */
  readonly canSend: () => boolean;
  readonly send: (v: Vector) => void;
  /** The world point under the pointer as it moves over the canvas (undefined: it left). */
  readonly onPointer?: (at: { x: number; y: number } | undefined) => void;
}

export class Input {
  readonly #deps: InputDeps;
  readonly #held = new Set<string>();
  readonly #scheduler = new MoveScheduler();
  #target: { x: number; y: number } | undefined;
  #pointerDown = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(deps: InputDeps) {
    this.#deps = deps;
  }

  /** Where a pointer sent the player, if anywhere. */
  get target(): { x: number; y: number } | undefined {
    return this.#target;
  }

  attach(): void {
    window.addEventListener("keydown", (e) => {
      if (!isSteeringKey(e.code) || inFormField(e.target) || e.altKey || e.ctrlKey || e.metaKey)
        return;
      e.preventDefault(); // arrows would scroll the page
      this.#held.add(e.code);
      this.#target = undefined; // the keyboard takes over from a pointer target
      this.#update();
    });
    window.addEventListener("keyup", (e) => {
      if (!this.#held.delete(e.code)) return;
      this.#update();
    });
    window.addEventListener("blur", () => {
      this.#held.clear();
      this.#update();
    });
    const c = this.#deps.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      this.#pointerDown = true;
      c.setPointerCapture(e.pointerId);
      this.#target = this.#deps.toWorld(e.clientX, e.clientY);
      this.#update();
    });
    c.addEventListener("pointermove", (e) => {
      const at = this.#deps.toWorld(e.clientX, e.clientY);
      this.#deps.onPointer?.(at);
      if (this.#pointerDown) this.#target = at;
    });
    c.addEventListener("pointerleave", () => this.#deps.onPointer?.(undefined));
    const up = () => {
      this.#pointerDown = false;
    };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    // Re-evaluated often: a pointer target's direction changes as the player moves.
    this.#timer = setInterval(() => this.#update(), 50);
  }

  detach(): void {
    clearInterval(this.#timer);
  }

  /** After a reconnect: the wanted direction goes out again at once. */
  reset(): void {
    this.#scheduler.reset();
  }

  /** Stops the player (sign-out, lost body). */
  clear(): void {
    this.#held.clear();
    this.#target = undefined;
    this.#update();
  }

  #wanted(): Vector {
    if (this.#held.size > 0) return keyVector(this.#held);
    if (this.#target === undefined) return STOP;
    const me = this.#deps.myPosition();
    if (me === undefined) return STOP;
    const v = pointVector(me, this.#target);
    if (v === STOP && !this.#pointerDown) this.#target = undefined; // arrived
    return v;
  }

  #update(): void {
    if (!this.#deps.canSend()) return;
    const v = this.#scheduler.next(this.#wanted(), performance.now());
    if (v !== undefined) this.#deps.send(v);
  }
}

/**
 * Whether a key went to a field that reads keys (text, numbers, a menu). A checkbox does not:
 * after ticking one (the operator's "Whole world"), the keys still steer.
 */
function inFormField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    (target instanceof HTMLInputElement && target.type !== "checkbox") ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}
