#!/usr/bin/env node
// Lists damage errors that may be built without a byte offset: every `new GrtError('<damage code>', …)`
// whose details (an object literal, or a variable or spread of one in scope) name no `offset`.
// Details that come in as a parameter are listed apart ("details from a parameter"): the caller
// may supply the offset. A reading, not a verdict: an error located later (withOffset, a wrapper
// that adds the offset) or one with an offset in only one branch of a conditional is listed too.
//
//   node scripts/error-offsets.mjs [DIR|FILE]...     (default: src/fs src/vmdk src/volume src/vm src/io)
//
// Prints `file:line CODE message` per finding and a count; exits 1 when there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The codes that report damage in what was read (src/errors.ts, "structure damage" and data bounds). */
const DAMAGE_CODES = new Set(['BAD_MAGIC', 'BAD_HEADER', 'BAD_DESCRIPTOR', 'BAD_TABLE', 'BAD_MARKER', 'BAD_CHECKSUM', 'BAD_COMPRESSED_DATA',
  'MISSING_DATA', 'BAD_RECORD', 'BAD_ATTRIBUTE', 'BAD_RUNLIST', 'BAD_INDEX', 'TRUNCATED']);

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src/fs', 'src/vmdk', 'src/volume', 'src/vm', 'src/io'];

function* tsFiles(path) {
  if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) yield* tsFiles(join(path, name));
  else if (path.endsWith('.ts')) yield path;
}

/** The declaration `name` refers to at `use`: the nearest enclosing function parameter or block variable. */
function resolve(use, name) {
  for (let scope = use.parent; scope; scope = scope.parent) {
    if (ts.isFunctionLike(scope)) {
      for (const parameter of scope.parameters) if (bindsName(parameter.name, name)) return { parameter };
    }
    const statements = ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isCaseClause(scope) ? scope.statements : [];
    for (const statement of statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name) return { initializer: declaration.initializer };
      }
    }
  }
  return {};
}

function bindsName(binding, name) {
  if (ts.isIdentifier(binding)) return binding.text === name;
  return binding.elements.some((element) => !ts.isOmittedExpression(element) && bindsName(element.name, name));
}

/**
 * Whether a details expression carries an offset: 'yes', 'no', or 'caller' when it comes from a
 * parameter (the offset, if any, is the caller's to give; reported apart).
 */
function offsetIn(node, seen = new Set()) {
  if (!node) return 'no';
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return offsetIn(node.expression, seen);
  if (ts.isConditionalExpression(node)) return worst(offsetIn(node.whenTrue, seen), offsetIn(node.whenFalse, seen));
  if (ts.isObjectLiteralExpression(node)) {
    let result = 'no';
    for (const property of node.properties) {
      if (ts.isSpreadAssignment(property)) result = best(result, offsetIn(property.expression, seen));
      else if (property.name && ts.isIdentifier(property.name) && property.name.text === 'offset') return 'yes';
    }
    return result;
  }
  if (ts.isIdentifier(node) && !seen.has(node)) {
    seen.add(node);
    const { parameter, initializer } = resolve(node, node.text);
    if (parameter) return 'caller';
    return offsetIn(initializer, seen);
  }
  return 'no';
}

const RANK = { no: 0, caller: 1, yes: 2 };
const worst = (a, b) => (RANK[a] <= RANK[b] ? a : b);
const best = (a, b) => (RANK[a] >= RANK[b] ? a : b);

const findings = [];
for (const root of roots) {
  for (const path of tsFiles(root)) {
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'GrtError') {
        const [code, detail, details] = node.arguments ?? [];
        const located = code && ts.isStringLiteral(code) && DAMAGE_CODES.has(code.text) ? offsetIn(details) : 'yes';
        if (located !== 'yes') {
          const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          const from = located === 'caller' ? ' (details from a parameter)' : '';
          findings.push(`${relative(process.cwd(), path)}:${line} ${code.text} ${detail ? detail.getText().slice(0, 70) : ''}${from}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
}
for (const finding of findings) console.log(finding);
console.log(`${findings.length} damage error(s) without an offset`);
process.exitCode = findings.length > 0 ? 1 : 0;
