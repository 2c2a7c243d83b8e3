import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ndjsonLines } from './ndjson.js';

/** Longest line read. */
const MAX_LINE_BYTES = 64 * 1024;

/** One line of an uploaded table (CSV with a header, or NDJSON objects), by its line number. */
export interface LineRecord {
  line: number;
  /** Absent when the line could not be read at all (the reason is given instead). */
  fields?: Record<string, unknown>;
  unreadable?: string;
}

/** The records of a CSV body (a header row naming the columns), streamed. */
export async function* csvRecords(stream: Readable): AsyncGenerator<LineRecord> {
  const parser = stream.pipe(
    parse({ columns: true, info: true, skip_empty_lines: true, trim: true, max_record_size: MAX_LINE_BYTES }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>)
    yield { line: info.lines, fields: record };
}

/** The records of an NDJSON body (one JSON object a line), streamed. */
export async function* ndjsonRecords(stream: Readable): AsyncGenerator<LineRecord> {
  for await (const line of ndjsonLines(stream, MAX_LINE_BYTES)) {
    if (line.text === undefined) {
      yield { line: line.number, unreadable: 'the line is too long' };
      continue;
    }
    try {
      const parsed: unknown = JSON.parse(line.text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        yield { line: line.number, fields: parsed as Record<string, unknown> };
      else yield { line: line.number, unreadable: 'the line is not a JSON object' };
    } catch {
      yield { line: line.number, unreadable: 'the line is not JSON' };
    }
  }
}

/** The records of an uploaded table, whichever of the two forms it came in. */
export function lineRecords(stream: {
  body: Readable;
  format: 'ndjson' | 'csv';
}): AsyncGenerator<LineRecord> {
  return stream.format === 'csv' ? csvRecords(stream.body) : ndjsonRecords(stream.body);
}
