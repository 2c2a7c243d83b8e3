import { STATUS_CODES } from 'node:http';
export function etag(version) {
    return `W/"${version}"`;
}
export function resourceUrl(baseUrl, type, id) {
    return `${baseUrl}/${type}/${id}`;
}
export function versionUrl(baseUrl, stored) {
    return `${resourceUrl(baseUrl, stored.type, stored.id)}/_history/${stored.versionId}`;
}
export function statusText(status) {
    const text = STATUS_CODES[status];
    return text ? `${status} ${text}` : String(status);
}
export function historyBundle(baseUrl, versions, links, total) {
    const entry = versions.map((v) => {
        const first = v.versionId === 1;
        return {
            fullUrl: resourceUrl(baseUrl, v.type, v.id),
            ...(v.resource ? { resource: v.resource } : {}),
            request: {
                method: v.deleted ? 'DELETE' : first ? 'POST' : v.method === 'PATCH' ? 'PATCH' : 'PUT',
                url: v.deleted || !first ? `${v.type}/${v.id}` : v.type,
            },
            response: {
                status: statusText(v.deleted ? 204 : first ? 201 : 200),
                etag: etag(v.versionId),
                lastModified: v.lastUpdated,
            },
        };
    });
    return {
        resourceType: 'Bundle',
        type: 'history',
        ...(total !== undefined ? { total } : {}),
        link: links,
        entry,
    };
}
export function searchEntry(baseUrl, resource, mode) {
    return {
        ...(resource.id ? { fullUrl: resourceUrl(baseUrl, resource.resourceType, resource.id) } : {}),
        resource,
        search: { mode },
    };
}
//# sourceMappingURL=bundles.js.map