/** ACME directories by name; any other https:// directory URL is taken as given. */

export const acmeDirectories = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

export type AcmeDirectoryName = keyof typeof acmeDirectories;

export function resolveDirectoryUrl(value: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(acmeDirectories, value)) return acmeDirectories[value as AcmeDirectoryName];
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.username === "" && url.password === "" ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
