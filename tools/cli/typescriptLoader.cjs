/**
 * The tools' TypeScript, loaded for `node --require`: each .ts module is transpiled once by this
 * project's own TypeScript (the compiler the Pulumi CLI's ts-node uses on the program) and the
 * JavaScript is kept on disk, keyed by the source, its path and the compiler's version. Only .ts
 * files pass through here: the SDKs' thousands of .js modules load as plain Node loads them, which
 * a general loader (tsx scans every .js file for ESM syntax) made the slowest part of a plan.
 *
 * Plain CommonJS, because it is what loads the TypeScript.
 */

"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const projectDir = path.resolve(__dirname, "../..");
const compilerOptions = {
  module: "commonjs",
  target: "es2022",
  esModuleInterop: true,
  inlineSourceMap: true,
  inlineSources: false,
};
/** Bumped when what this file emits changes, so older cache entries are never read. */
const loaderVersion = 1;

let compiler;
/** TypeScript and the options in its own form, loaded on the first file not in the cache. */
function loadCompiler() {
  if (!compiler) {
    const ts = require(require.resolve("typescript", { paths: [projectDir] }));
    compiler = { ts, options: ts.convertCompilerOptionsFromJson(compilerOptions, projectDir).options };
  }
  return compiler;
}

function cacheDirectory() {
  const candidates = [path.join(projectDir, "node_modules/.cache/penguinmails-typescript"), path.join(require("node:os").tmpdir(), `penguinmails-typescript-${process.getuid?.() ?? "user"}`)];
  for (const dir of candidates) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    } catch {
      // the next candidate
    }
  }
  return undefined;
}

const cacheDir = cacheDirectory();
const typescriptVersion = require(require.resolve("typescript/package.json", { paths: [projectDir] })).version;

function transpile(source, filename) {
  const key = crypto
    .createHash("sha256")
    .update(JSON.stringify([loaderVersion, typescriptVersion, compilerOptions, filename]))
    .update("\0")
    .update(source)
    .digest("hex");
  const cached = cacheDir && path.join(cacheDir, `${key}.js`);
  if (cached) {
    try {
      return fs.readFileSync(cached, "utf8");
    } catch {
      // not compiled yet
    }
  }
  const { ts, options } = loadCompiler();
  const output = ts.transpileModule(source, { fileName: filename, compilerOptions: options, reportDiagnostics: false });
  if (cached) {
    // Written beside and renamed: a parallel run reads a whole entry or none.
    const partial = `${cached}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(partial, output.outputText, { mode: 0o600 });
      fs.renameSync(partial, cached);
    } catch {
      fs.rmSync(partial, { force: true });
    }
  }
  return output.outputText;
}

// Stack frames name the .ts line, so a program error is reported where it is in the source. Node's
// own source-map support would do it too, but it reads the map of every SDK module as it loads
// (a seventh of a plan); these maps are read only when a frame in a .ts file is printed.
const compiledText = new Map();
const sourceMaps = new Map();
const inlineMapPrefix = "//# sourceMappingURL=data:application/json;base64,";

function sourceMapOf(filename) {
  if (!sourceMaps.has(filename)) {
    const text = compiledText.get(filename) ?? "";
    const at = text.lastIndexOf(inlineMapPrefix);
    const payload = at < 0 ? undefined : JSON.parse(Buffer.from(text.slice(at + inlineMapPrefix.length).trim(), "base64").toString("utf8"));
    sourceMaps.set(filename, payload && new (require("node:module").SourceMap)(payload));
  }
  return sourceMaps.get(filename);
}

function describeCallSite(site) {
  const text = site.toString();
  const filename = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  const map = filename && line !== null && column !== null && compiledText.has(filename) ? sourceMapOf(filename) : undefined;
  const entry = map?.findEntry(line - 1, column - 1);
  if (!entry || entry.originalLine === undefined) return text;
  return text.replace(`${filename}:${line}:${column}`, `${filename}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
}

Error.prepareStackTrace = (error, callSites) => {
  const header = error instanceof Error ? Error.prototype.toString.call(error) : String(error);
  return [header, ...callSites.map((site) => `    at ${describeCallSite(site)}`)].join("\n");
};

require.extensions[".ts"] = function loadTypeScript(module, filename) {
  const text = transpile(fs.readFileSync(filename, "utf8"), filename);
  compiledText.set(filename, text);
  module._compile(text, filename);
};
