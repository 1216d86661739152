/**
 * The actions the workflows may use, each at one commit, with the inputs of its action.yml there.
 * Source: the actions' own repositories, tag -> commit (`git rev-parse <tag>^{commit}`) and
 * `git show <commit>:action.yml`, read 2026-11-29. actionlint knows the inputs of popular actions
 * only by tag (`actions/checkout@v4`), not by commit, so this table is what checks `with:` keys.
 * To move an action: resolve the new tag's commit in its repository, never guess one.
 */

export interface PinnedAction {
  readonly version: string;
  readonly inputs: readonly string[];
}

export const pinnedActions: Readonly<Record<string, PinnedAction>> = {
  "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1": {
    version: "v7.0.1",
    inputs: ["repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "persist-credentials", "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules", "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout"],
  },
  "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020": {
    version: "v7.0.0",
    inputs: ["node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope", "token", "cache", "package-manager-cache", "cache-dependency-path", "mirror", "mirror-token"],
  },
  "actions/github-script@ed597411d8f924073f98dfc5c65a23a2325f34cd": {
    version: "v8.0.0",
    inputs: ["script", "github-token", "debug", "user-agent", "previews", "result-encoding", "retries", "retry-exempt-status-codes", "base-url"],
  },
  "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f": {
    version: "v7.0.0",
    inputs: ["name", "path", "if-no-files-found", "retention-days", "compression-level", "overwrite", "include-hidden-files", "archive"],
  },
  "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c": {
    version: "v8.0.1",
    inputs: ["name", "artifact-ids", "path", "pattern", "merge-multiple", "github-token", "repository", "run-id", "skip-decompress", "digest-mismatch"],
  },
  "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d": {
    version: "v7.0.0",
    inputs: [
      "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token",
      "cloud-url", "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target",
      "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan",
      "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug",
    ],
  },
};
