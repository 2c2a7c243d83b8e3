/** The Patient id a reference points to (relative or absolute), if it points to a Patient. */
export function patientIdOf(reference) {
    return /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]*)?$/.exec(reference ?? '')?.[1];
}
//# sourceMappingURL=references.js.map