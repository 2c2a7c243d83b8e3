/** A one-line progress bar on stdout, redrawn in place; `done` reaching `total` ends the line. */
export function progress(label, done, total, unit = '') {
    const width = 30;
    const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
    const amount = unit ? `${done}/${total} ${unit}` : `${done}/${total}`;
    process.stdout.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount}`);
    if (done >= total)
        process.stdout.write('\n');
}
//# sourceMappingURL=progress.js.map