import { createCloudflareSolver } from "./cloudflare";
import { createRfc2136Solver } from "./rfc2136";
import type { Dns01Solver, Dns01SolverConfig } from "./solver";

/** The solver a certificate's inputs name; its own module, so the solver types import no implementation. */
export function createSolver(config: Dns01SolverConfig): Dns01Solver {
  switch (config.kind) {
    case "cloudflare":
      return createCloudflareSolver(config);
    case "rfc2136":
      return createRfc2136Solver(config);
  }
}
