import { parse } from 'csv-parse';
import { ndjsonLines } from './ndjson.js';
/** Longest line read. */
const MAX_LINE_BYTES = 64 * 1024;
/**
 * The records of a CSV body (a header row naming the columns), streamed. A row that cannot be read (a
 * field count other than the header's, a broken quote) comes as an unreadable record at its line, and
 * the rows after it still come.
 */
export async function* csvRecords(stream, options = {}) {
    const parser = stream.pipe(parse({
        columns: true,
        info: true,
        skip_empty_lines: true,
        trim: true,
        max_record_size: MAX_LINE_BYTES,
        relax_column_count: true,
        skip_records_with_error: true,
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    }));
    // rows skipped for an error, yielded in line order among the others
    const skipped = [];
    parser.on('skip', (error) => skipped.push({ line: error.lines ?? 0, unreadable: `the row cannot be read: ${error.message}` }));
    let inconsistent = 0;
    for await (const { record, info } of parser) {
        while (skipped.length > 0 && skipped[0].line < info.lines)
            yield skipped.shift();
        if (info.invalid_field_length > inconsistent) {
            inconsistent = info.invalid_field_length;
            yield { line: info.lines, unreadable: 'the row has a different number of fields than the header' };
        }
        else
            yield { line: info.lines, fields: record };
    }
    yield* skipped;
}
/** The records of an NDJSON body (one JSON object a line), streamed. */
export async function* ndjsonRecords(stream) {
    for await (const line of ndjsonLines(stream, MAX_LINE_BYTES)) {
        if (line.text === undefined) {
            yield { line: line.number, unreadable: 'the line is too long' };
            continue;
        }
        try {
            const parsed = JSON.parse(line.text);
            if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
                yield { line: line.number, fields: parsed };
            else
                yield { line: line.number, unreadable: 'the line is not a JSON object' };
        }
        catch {
            yield { line: line.number, unreadable: 'the line is not JSON' };
        }
    }
}
/** The records of an uploaded table, whichever of the two forms it came in. */
export function lineRecords(stream) {
    return stream.format === 'csv' ? csvRecords(stream.body) : ndjsonRecords(stream.body);
}
//# sourceMappingURL=records.js.map