/**
 * The non-empty lines of a stream of NDJSON, read as they arrive: memory holds one chunk and one line,
 * never the stream. A line longer than `maxBytes` is reported without its text and skipped.
 */
export async function* ndjsonLines(stream, maxBytes) {
    let pending = [];
    let pendingBytes = 0;
    let tooLong = false;
    let number = 0;
    const finish = () => {
        number++;
        const line = tooLong
            ? { number }
            : pendingBytes > 0
                ? { number, text: Buffer.concat(pending).toString('utf8').replace(/\r$/, '') }
                : undefined;
        pending = [];
        pendingBytes = 0;
        tooLong = false;
        return line && (line.text === undefined || line.text.trim() !== '') ? line : undefined;
    };
    const keep = (part) => {
        if (tooLong || part.length === 0)
            return;
        pendingBytes += part.length;
        if (pendingBytes > maxBytes) {
            tooLong = true;
            pending = [];
        }
        else
            pending.push(part);
    };
    for await (const chunk of stream) {
        let start = 0;
        for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
            keep(chunk.subarray(start, end));
            const line = finish();
            if (line)
                yield line;
            start = end + 1;
        }
        keep(chunk.subarray(start));
    }
    const last = finish();
    if (last)
        yield last;
}
//# sourceMappingURL=ndjson.js.map