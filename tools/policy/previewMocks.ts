import type * as pulumi from "@pulumi/pulumi";

/**
 * Mocks that answer as a preview of new resources does: every output is what the program set as
 * an input, and nothing a provider computes (ids, addresses, generated keys, fingerprints) is known.
 * Run with `preview: true`, so those outputs and every value derived from them stay unknown.
 */
export const previewMocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs) {
    return { id: undefined, state: { ...args.inputs } };
  },
  call(args: pulumi.runtime.MockCallArgs) {
    return args.inputs;
  },
};
