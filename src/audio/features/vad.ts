/**
 * Energy voice-activity gate with an adaptive noise floor. The floor follows quieter frames down
 * quickly, creeps up slowly through louder ones, and is never below the quietest frame of the last
 * `floorWindowMs` (speech always dips between syllables within that time; steady noise does not),
 * so steady line noise (hiss, hum) becomes the floor within that window instead of "speech".
 * Activity needs the level to be `marginDb` above the floor and at least `minDbfs`.
 */

export interface EnergyVadOptions {
  /** Frame hop in ms (how much time each update() covers). */
  frameMs: number;
  /** Activity needs this many dB above the noise floor. */
  marginDb: number;
  /** Activity also needs at least this level, dBFS. */
  minDbfs: number;
  /** How fast the floor may creep up through louder frames, dB per second. */
  floorRiseDbPerSec: number;
  /** Time constant of the floor falling toward a quieter frame, ms. */
  floorFallMs: number;
  /** The floor is at least the minimum level over this much recent audio, ms. */
  floorWindowMs: number;
}

const BLOCKS = 8;

export class EnergyVad {
  private floorDb: number;
  private readonly risePerFrame: number;
  private readonly fallCoeff: number;
  /** Minimum level of each of the last BLOCKS blocks (a sliding minimum in O(1) per frame). */
  private readonly blockMin = new Float64Array(BLOCKS).fill(Number.NEGATIVE_INFINITY);
  private readonly blockFrames: number;
  private block = 0;
  private inBlock = 0;

  constructor(private readonly options: EnergyVadOptions) {
    this.risePerFrame = (options.floorRiseDbPerSec * options.frameMs) / 1000;
    this.fallCoeff = 1 - Math.exp(-options.frameMs / options.floorFallMs);
    this.blockFrames = Math.max(1, Math.round(options.floorWindowMs / options.frameMs / BLOCKS));
    // Start low: speech from the first frame is active; steady noise lifts the floor within the window.
    this.floorDb = options.minDbfs - options.marginDb;
  }

  /** Current noise floor estimate, dBFS. */
  get noiseFloorDb(): number {
    return this.floorDb;
  }

  /** Feed one frame's level (dBFS); returns whether the frame is active. */
  update(levelDb: number): boolean {
    const active = levelDb >= this.options.minDbfs && levelDb >= this.floorDb + this.options.marginDb;
    if (levelDb < this.floorDb) this.floorDb += (levelDb - this.floorDb) * this.fallCoeff;
    else this.floorDb = Math.min(levelDb, this.floorDb + this.risePerFrame);
    this.trackMinimum(levelDb);
    return active;
  }

  private trackMinimum(levelDb: number): void {
    if (this.inBlock === 0) this.blockMin[this.block] = levelDb;
    else if (levelDb < this.blockMin[this.block]!) this.blockMin[this.block] = levelDb;
    if (++this.inBlock < this.blockFrames) return;
    this.inBlock = 0;
    this.block = (this.block + 1) % BLOCKS;
    let windowMin = Number.POSITIVE_INFINITY;
    for (let i = 0; i < BLOCKS; i++) if (this.blockMin[i]! < windowMin) windowMin = this.blockMin[i]!;
    // -Infinity until the window has filled once, so the floor is not lifted early.
    if (windowMin > this.floorDb) this.floorDb = windowMin;
  }
}
