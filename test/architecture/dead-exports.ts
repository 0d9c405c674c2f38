/**
 * Dead exports (#17): a name a module exports that nothing in the repository uses — not the
 * programs, not the tests, not the build scripts, not the module itself. Read with the TypeScript
 * parser alone (no type check; 8-10 s on the loaded 2-core machine): every exported declaration of every TypeScript file
 * is matched by name against the identifiers of every file (TypeScript and JavaScript). A name only
 * listed again by an `export { … }` (an index.ts passing it on) does not count as a use, so a name
 * that travels through index files to nobody is found in the file that declares it.
 *
 * A name its own module uses is not dead (knip's `ignoreExportsUsedInFile`): such exports are mostly
 * a module's named limits and the types of its signatures, there for callers and docs to name.
 *
 * By name, not by symbol: an unrelated identifier of the same name elsewhere hides a dead export
 * (a miss, never a false alarm). `export default` (configs read by tools) is not looked at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const SKIP = new Set(['node_modules', '.git', 'dist', '.data', 'coverage']);

/** Every .ts, .mts, .js and .mjs file of the repository but dependencies, builds and data. */
export function repositoryFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.m?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  walk(root);
  return files;
}

export interface ExportedName {
  /** Relative to the root, `/`-separated. */
  file: string;
  name: string;
}

function hasExportKeyword(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function isDefault(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
  );
}

/** The names a file declares with `export` (its own declarations, not what it passes on). */
function declaredExports(source: ts.SourceFile): ts.Identifier[] {
  const names: ts.Identifier[] = [];
  for (const statement of source.statements) {
    if (!hasExportKeyword(statement) || isDefault(statement)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.push(statement.name);
    }
  }
  return names;
}

/** How often each name is used in a file: identifiers, minus declarations' own names and `export { … }` lists. */
function usedNames(source: ts.SourceFile, declared: ReadonlySet<ts.Identifier>): Map<string, number> {
  const used = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    if (ts.isExportSpecifier(node)) {
      // `export { a as b }`: `a` is a use only in the file that declares it (a local export list).
      return;
    }
    if (ts.isIdentifier(node) && !declared.has(node)) used.set(node.text, (used.get(node.text) ?? 0) + 1);
    // `import('…').then((m) => m.name)` and `mod.name` are identifiers too; strings are not names.
    ts.forEachChild(node, visit);
  };
  visit(source);
  return used;
}

/** The exported names no other file of the repository uses. */
export function deadExports(root: string): ExportedName[] {
  const parsed = repositoryFiles(root).map((path) => {
    const text = readFileSync(path, 'utf8');
    const kind = /\.m?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
    const exported = kind === ts.ScriptKind.TS ? declaredExports(source) : [];
    return { file: relative(root, path).split('\\').join('/'), exported, used: usedNames(source, new Set(exported)) };
  });
  const usersOf = new Map<string, Set<string>>();
  for (const { file, used } of parsed) {
    for (const name of used.keys()) {
      const users = usersOf.get(name) ?? new Set<string>();
      users.add(file);
      usersOf.set(name, users);
    }
  }
  const dead: ExportedName[] = [];
  for (const { file, exported } of parsed) {
    for (const { text } of exported) {
      if (!usersOf.has(text)) dead.push({ file, name: text });
    }
  }
  return dead;
}
