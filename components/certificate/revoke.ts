/** Revocation of an issued certificate with the account that ordered it. */

import { openAcmeConnection } from "./acmeConnection";
import { AcmeProblemError, inStep } from "./problems";

export interface RevokeRequest {
  readonly directoryUrl: string;
  readonly directoryCaPem?: string;
  readonly accountKeyPem: string;
  readonly contactEmail: string;
  readonly domains: readonly string[];
  readonly certificatePem: string;
}

/** Revokes; a certificate the CA already revoked counts as done. */
export async function revokeCertificate(request: RevokeRequest): Promise<void> {
  const connection = openAcmeConnection(request);
  const { client } = connection;
  try {
    await inStep(request.domains, "revoking the certificate", async () => {
      await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${request.contactEmail}`] });
      try {
        await client.revokeCertificate(request.certificatePem);
      } catch (error) {
        if (!(error instanceof AcmeProblemError && error.shortType === "alreadyRevoked")) throw error;
      }
    });
  } finally {
    connection.close();
  }
}
