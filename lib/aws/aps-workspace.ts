/** Amazon Managed Service for Prometheus: what its workspace URLs say. */

/** `aps-workspaces.<region>.amazonaws.com` (and its FIPS / dual-stack variants). */
const apsHostPattern = /^aps-workspaces(?:-fips)?\.([a-z0-9-]+)\.(?:api\.aws|amazonaws\.com(?:\.cn)?)$/i;

/** The AWS region of an Amazon Managed Service for Prometheus workspace URL, or undefined. */
export function apsRegionOf(url: string): string | undefined {
  try {
    return apsHostPattern.exec(new URL(url).hostname)?.[1];
  } catch {
    return undefined;
  }
}
