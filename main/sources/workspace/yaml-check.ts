import { parseAllDocuments } from 'yaml';

/**
 * YAML syntax errors of an edited file, with 1-based line and column, so the editor can mark them and a commit can
 * be refused with the location. Duplicate keys count as errors (the apiserver and kustomize reject them too).
 */

export interface YamlProblem {
  /** The file, relative to the work tree. */
  path: string;
  line: number;
  column: number;
  message: string;
}

export const isYamlPath = (path: string): boolean => /\.ya?ml$/i.test(path);

export function checkYaml(path: string, text: string): YamlProblem[] {
  const problems: YamlProblem[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true })) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      problems.push({
        path,
        line: pos?.line ?? 1,
        column: pos?.col ?? 1,
        // The pretty message repeats the source line and a caret after the first line: the editor shows those.
        message: err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? err.code,
      });
    }
  }
  return problems;
}

/** `apps/deploy.yaml:5:3: message`, the form compilers and editors recognise. */
export const formatProblem = (p: YamlProblem): string => `${p.path}:${p.line}:${p.column}: ${p.message}`;
