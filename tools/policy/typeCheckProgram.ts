/**
 * Type-checks a Pulumi TypeScript program the way `pulumi preview` does before running it: the
 * CLI compiles the entry point with ts-node, type-checked unless the tsconfig says `noCheck`, with
 * its defaults (ES2020, nodenext) under the program's own tsconfig.json. The offline runner runs
 * programs through tsx, which never checks types, so it checks them here first.
 */

import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as ts from "typescript";

/** The program has type errors: what `pulumi preview` would refuse to run. */
export class ProgramTypeError extends Error {
  override name = "ProgramTypeError";
}

function compilerOptions(programDir: string): ts.CompilerOptions {
  const defaults: ts.CompilerOptions = { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true };
  const configPath = join(programDir, "tsconfig.json");
  if (!existsSync(configPath)) return defaults;
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new ProgramTypeError(`${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, " ")}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, programDir);
  return { ...defaults, ...parsed.options, noEmit: true };
}

/** Throws ProgramTypeError listing the first errors in the program's own files (not its dependencies'). */
export function typeCheckProgram(programDir: string, entry: string): void {
  const options = compilerOptions(programDir);
  if ((options as { noCheck?: boolean }).noCheck) return;
  const program = ts.createProgram([entry], { ...options, skipLibCheck: true });
  const root = resolve(programDir);
  const own = (file: ts.SourceFile | undefined): boolean =>
    file !== undefined && !file.isDeclarationFile && resolve(file.fileName).startsWith(`${root}/`) && !file.fileName.includes("/node_modules/");
  const errors = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && (d.file === undefined || own(d.file)));
  if (errors.length === 0) return;
  const lines = errors.slice(0, 10).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || d.start === undefined) return `  ${message}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `  ${relative(process.cwd(), d.file.fileName)}:${line + 1}:${character + 1}: TS${d.code}: ${message}`;
  });
  const more = errors.length > 10 ? `\n  ... and ${errors.length - 10} more` : "";
  throw new ProgramTypeError(`the program has ${errors.length} type error${errors.length === 1 ? "" : "s"}, which pulumi preview would refuse to run:\n${lines.join("\n")}${more}`);
}
