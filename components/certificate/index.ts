export { AcmeCertificate } from "./acmeCertificate";
export type { AcmeCertificateArgs, CloudflareSolverArgs, Dns01SolverArgs, PropagationArgs, Rfc2136SolverArgs } from "./acmeCertificate";
export { acmeDirectories, type AcmeDirectoryName } from "./directories";
export { createSolver, tsigAlgorithms } from "./dns/solver";
export type { CloudflareSolverConfig, Dns01Solver, Dns01SolverConfig, Rfc2136SolverConfig, TsigAlgorithm } from "./dns/solver";
export { issueCertificate, type IssueRequest } from "./issue";
export type { IssuedCertificate } from "./certificateInfo";
export { revokeCertificate, type RevokeRequest } from "./revoke";
export { CertificateError } from "./problems";
