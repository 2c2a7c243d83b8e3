/** Organisation Data Service codes: how NHS organisations such as GP practices are identified. */
export const ODS_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export function isOdsCode(value) {
    return /^[A-Z0-9]{3,10}$/.test(value);
}
//# sourceMappingURL=ods.js.map