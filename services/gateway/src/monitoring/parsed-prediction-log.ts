// The shared prediction log, parsed once. The periodic drift refresh (every
// MONITORING_INTERVAL_MS) and the dashboard's Monitoring page (every 5 s) read the last hour of it;
// reading and parsing that hour on every call took 260-890 ms of the gateway's main thread at
// 30,000-72,000 entries (docs/performance.md). This keeps the entries of the windows asked for
// parsed in memory, reads only the entries added since the last call, and drops those the stream
// no longer holds, so a call costs the new entries and one pass over its window.
import type { Redis } from 'ioredis';
import { predictionRecordSchema, type PredictionRecord } from './prediction-record.js';

/** Entries per XRANGE: the parsing between two reads stays a few milliseconds long. */
const PAGE = 1000;
/** A window is kept in memory for this long after it was last asked for. */
export const KEEP_ASKED_MS = 10 * 60_000;

/** A stream entry id, "ms-seq", as numbers. */
type EntryId = readonly [ms: number, seq: number];

function entryId(id: string): EntryId {
  const dash = id.indexOf('-');
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

function isBefore(a: EntryId, b: EntryId): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function idText(id: EntryId): string {
  return `${id[0]}-${id[1]}`;
}

/** The index of the first id not before `id` (ids in stream order). */
function lowerBound(ids: readonly EntryId[], id: EntryId): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isBefore(ids[middle]!, id)) low = middle + 1;
    else high = middle;
  }
  return low;
}

interface Parsed {
  ids: EntryId[];
  records: PredictionRecord[];
  /** The id of the last entry read, valid or not. */
  last: EntryId | undefined;
}

export class ParsedPredictionLog {
  /** The valid records, in stream order, of every entry from `coveredFrom` (ms) to `last`. */
  private heldIds: EntryId[] = [];
  private held: PredictionRecord[] = [];
  private coveredFrom = Infinity;
  private last: EntryId | undefined;
  /** The spans (ms) asked for, with when they were last asked. */
  private readonly asked = new Map<number, number>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Entries read from Redis so far (what the calls cost). */
  entriesRead = 0;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** The records of `version` whose entries were added from `from` to `to` (ms), oldest first. */
  records(version: string, from: number, to: number, now = Date.now()): Promise<PredictionRecord[]> {
    // One call at a time: each brings the parsed entries up to date for the next.
    const result = this.queue.then(() => this.read(version, from, to, now));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** How many parsed records are held. */
  get size(): number {
    return this.held.length;
  }

  private async read(version: string, from: number, to: number, now: number): Promise<PredictionRecord[]> {
    await this.sync(from);
    const found: PredictionRecord[] = [];
    for (
      let i = lowerBound(this.heldIds, [from, 0]);
      i < this.heldIds.length && this.heldIds[i]![0] <= to;
      i++
    ) {
      if (this.held[i]!.v === version) found.push(this.held[i]!);
    }
    this.forget(from, now);
    return found;
  }

  private async sync(from: number): Promise<void> {
    const bounds = await this.redis
      .pipeline()
      .xrange(this.key, '-', '+', 'COUNT', 1)
      .xrevrange(this.key, '+', '-', 'COUNT', 1)
      .exec();
    const [firstEntries, lastEntries] = (bounds ?? []).map(([error, entries]) => {
      if (error) throw error;
      return entries as [string, string[]][];
    });
    const first = firstEntries?.[0]?.[0];
    const newest = lastEntries?.[0]?.[0];
    // A stream whose newest entry comes before the last one read was replaced: start again.
    if (!first || !newest || (this.last && isBefore(entryId(newest), this.last))) this.clear();
    if (first) this.drop(lowerBound(this.heldIds, entryId(first)));

    if (this.coveredFrom === Infinity) {
      this.append(await this.readRange(String(from), '+'));
      this.coveredFrom = from;
      return;
    }
    if (from < this.coveredFrom) {
      const older = await this.readRange(String(from), String(this.coveredFrom - 1));
      this.heldIds = [...older.ids, ...this.heldIds];
      this.held = [...older.records, ...this.held];
      this.last ??= older.last;
      this.coveredFrom = from;
    }
    this.append(await this.readRange(this.last ? `(${idText(this.last)}` : String(this.coveredFrom), '+'));
  }

  private async readRange(start: string, end: string): Promise<Parsed> {
    const parsed: Parsed = { ids: [], records: [], last: undefined };
    for (;;) {
      const entries = await this.redis.xrange(this.key, start, end, 'COUNT', PAGE);
      this.entriesRead += entries.length;
      for (const [id, fields] of entries) {
        const record = parseRecord(fields[1]);
        if (record) {
          parsed.ids.push(entryId(id));
          parsed.records.push(record);
        }
      }
      if (entries.length > 0) parsed.last = entryId(entries[entries.length - 1]![0]);
      if (entries.length < PAGE) return parsed;
      start = `(${idText(parsed.last!)}`;
    }
  }

  private append(parsed: Parsed): void {
    // One at a time: spreading tens of thousands of arguments can overflow the stack.
    for (let i = 0; i < parsed.ids.length; i++) {
      this.heldIds.push(parsed.ids[i]!);
      this.held.push(parsed.records[i]!);
    }
    if (parsed.last) this.last = parsed.last;
  }

  /** Drops the first `count` records. */
  private drop(count: number): void {
    if (count === 0) return;
    this.heldIds.splice(0, count);
    this.held.splice(0, count);
  }

  private clear(): void {
    this.heldIds = [];
    this.held = [];
    this.coveredFrom = Infinity;
    this.last = undefined;
  }

  /** Keeps only the widest window asked for within KEEP_ASKED_MS. */
  private forget(from: number, now: number): void {
    this.asked.set(Math.max(0, now - from), now);
    let widest = 0;
    for (const [span, at] of this.asked) {
      if (now - at > KEEP_ASKED_MS) this.asked.delete(span);
      else widest = Math.max(widest, span);
    }
    const keepFrom = now - widest;
    if (keepFrom <= this.coveredFrom) return;
    this.drop(lowerBound(this.heldIds, [keepFrom, 0]));
    this.coveredFrom = keepFrom;
  }
}

/**
 * The records of `version` in a window read straight from the stream, every entry parsed: what each
 * call did before ParsedPredictionLog, kept as the reference its tests and `bench:monitoring`
 * compare with.
 */
export async function readLogWindow(
  redis: Redis,
  key: string,
  version: string,
  from: number,
  to: number,
): Promise<PredictionRecord[]> {
  const found: PredictionRecord[] = [];
  let start = String(from);
  for (;;) {
    const entries = await redis.xrange(key, start, String(to), 'COUNT', PAGE);
    for (const [, fields] of entries) {
      const record = parseRecord(fields[1]);
      if (record?.v === version) found.push(record);
    }
    if (entries.length < PAGE) return found;
    start = `(${entries[entries.length - 1]![0]}`;
  }
}

function parseRecord(text: string | undefined): PredictionRecord | undefined {
  try {
    const parsed = predictionRecordSchema.safeParse(JSON.parse(text ?? 'null'));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
