import { forbiddenCipherClasses, minimumTlsVersion, tls12CipherSuites } from "../../../baseline/tls";

/**
 * The baseline's TLS 1.2 suites as one OpenSSL cipher string. TLS 1.3 suites are not listed:
 * OpenSSL's defaults for 1.3 are all AEAD with ephemeral key exchange already.
 */
export const baselineCipherList = tls12CipherSuites.join(":");

/** Postfix's protocol-range syntax (3.6 and later): the baseline floor and every newer version. */
export const postfixProtocolFloor = `>=${minimumTlsVersion}`;

/** Postfix's exclusion list: OpenSSL cipher classes that must never be negotiated, whatever the cipher grade. */
export const postfixExcludedCiphers = forbiddenCipherClasses.join(", ");
