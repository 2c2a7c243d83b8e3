import { STATUS_CODES } from 'node:http';
import type { Bundle, BundleEntry, BundleLink, Resource } from 'fhir/r4';
import type { StoredVersion } from '../store/repository.js';

export function etag(version: number): string {
  return `W/"${version}"`;
}

export function resourceUrl(baseUrl: string, type: string, id: string): string {
  return `${baseUrl}/${type}/${id}`;
}

export function versionUrl(baseUrl: string, stored: StoredVersion): string {
  return `${resourceUrl(baseUrl, stored.type, stored.id)}/_history/${stored.versionId}`;
}

export function statusText(status: number): string {
  const text = STATUS_CODES[status];
  return text ? `${status} ${text}` : String(status);
}

export function historyBundle(
  baseUrl: string,
  versions: StoredVersion[],
  links: BundleLink[],
  total?: number,
): Bundle<Resource> {
  const entry: BundleEntry<Resource>[] = versions.map((v) => {
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

export function searchEntry(
  baseUrl: string,
  resource: Resource,
  mode: 'match' | 'include' | 'outcome',
): BundleEntry<Resource> {
  return {
    ...(resource.id ? { fullUrl: resourceUrl(baseUrl, resource.resourceType, resource.id) } : {}),
    resource,
    search: { mode },
  };
}
