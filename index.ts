// The Pulumi entry point: the engine calls the exported function and uses its result as stack outputs.
import { tenantStackProgram } from "./components/program";

export = tenantStackProgram;
