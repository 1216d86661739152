/**
 * Headers on every HTTPS response the host serves (the MTA-STS policy endpoint).
 * @source the product spec's security headers; OWASP Secure Headers Project
 */
export const httpSecurityHeaders: Readonly<Record<string, string>> = {
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
  // Nothing inline is served, so the spec's 'unsafe-inline' allowances are not needed.
  "Content-Security-Policy": "default-src 'self'",
};
