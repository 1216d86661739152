// The policy pack as the Pulumi CLI runs it: `pulumi preview --policy-pack policies`.
// Constructing a PolicyPack starts the analyzer's gRPC server, so nothing else may import this file:
// tests and tools/policy use ./pack.
import { PolicyPack } from "@pulumi/policy";
import { mailSecurityPolicies, policyPackDescription, policyPackName } from "./pack";

new PolicyPack(policyPackName, { description: policyPackDescription, policies: [...mailSecurityPolicies] });
