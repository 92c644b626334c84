import { z } from 'zod';
import { EVENT_SCHEMA_VERSION } from './schema.js';
import { driverEventSchema, driverRefSchema } from './wire.js';

/**
 * Voice-of-the-Customer events (docs/voc.md) as they appear on pub/sub, in the department streams and
 * in spike records: JSON written by another process (or instance), so readers validate them with
 * these schemas. Unknown fields are kept (fields may be added within a version).
 */
const v = z.literal(EVENT_SCHEMA_VERSION);

export const driverRefWireSchema = driverRefSchema.loose();

/** On the call's socket and on pub/sub channel `<p>:drivers`. */
export const driverEventWireSchema = driverEventSchema.extend({ primary: driverRefWireSchema, secondary: z.array(driverRefWireSchema) }).loose();

/** A department stream entry for each ended call whose primary driver the department owns. */
export const driverCallEntrySchema = z
  .object({
    type: z.literal('driver_call'),
    v,
    callId: z.string(),
    primary: driverRefWireSchema,
    secondary: z.array(driverRefWireSchema),
    /** Categories (not drivers) the call matched. */
    categories: z.array(z.string()),
    endedAt: z.string(),
    durationMs: z.number(),
  })
  .loose();

/** What a spike is about: the series it was found in. */
export const seriesRefSchema = z
  .object({
    kind: z.enum(['driver', 'department', 'category']),
    id: z.string(),
    /** Display name (driver or department), when the taxonomy has one. */
    name: z.string().optional(),
    /** The owning department (drivers; departments themselves). */
    department: z.string().optional(),
  })
  .loose();
export type SeriesRef = z.infer<typeof seriesRefSchema>;

/** A new spike episode: on pub/sub `<p>:spikes` and in the owning department's stream. */
export const spikeEventSchema = z
  .object({
    type: z.literal('spike'),
    v,
    id: z.string(),
    series: seriesRefSchema,
    /** Start of the window in which the spike was found (ISO-8601). */
    windowStart: z.string(),
    windowMs: z.number(),
    bucketMs: z.number(),
    /** Calls of the series in the window ... */
    observed: z.number(),
    /** ... and how many were expected from the history, for the window's call volume. */
    expected: z.number(),
    /** All calls in the window (the denominator). */
    volume: z.number(),
    /** observed / volume and the expected share. */
    currentRate: z.number(),
    expectedRate: z.number(),
    /** Poisson upper tail P(X >= observed | expected): smaller is more significant. */
    pValue: z.number(),
    /** 'seasonal': the same hour of previous days; 'trailing': the buckets just before the window. */
    baseline: z.enum(['seasonal', 'trailing']),
    exampleCallIds: z.array(z.string()),
    raisedAt: z.string(),
  })
  .loose();
export type SpikeEvent = z.infer<typeof spikeEventSchema>;

/** The spike episode is over: the series is back near its expected rate. */
export const spikeEndEventSchema = z
  .object({ type: z.literal('spike_end'), v, id: z.string(), series: seriesRefSchema, raisedAt: z.string(), endedAt: z.string(), peakObserved: z.number() })
  .loose();
export type SpikeEndEvent = z.infer<typeof spikeEndEventSchema>;

/** Someone acknowledged or resolved a spike (`voc spikes ack|resolve`). */
export const spikeUpdateEventSchema = z
  .object({ type: z.literal('spike_update'), v, id: z.string(), series: seriesRefSchema, action: z.enum(['ack', 'resolve']), by: z.string(), note: z.string(), at: z.string() })
  .loose();
export type SpikeUpdateEvent = z.infer<typeof spikeUpdateEventSchema>;

export const spikeChannelEventSchema = z.discriminatedUnion('type', [spikeEventSchema, spikeEndEventSchema, spikeUpdateEventSchema]);
export type SpikeChannelEvent = z.infer<typeof spikeChannelEventSchema>;

/** Entries of `<p>:{voc}:dept:<department>` (field `event`). */
export const departmentEntrySchema = z.discriminatedUnion('type', [driverCallEntrySchema, spikeEventSchema, spikeEndEventSchema, spikeUpdateEventSchema]);
export type DepartmentEntry = z.infer<typeof departmentEntrySchema>;
export type DriverCallEntry = z.infer<typeof driverCallEntrySchema>;
