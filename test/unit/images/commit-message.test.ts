import { describe, expect, it } from 'vitest';

import {
  checkMessageTemplate,
  commitMessage,
  DEFAULT_COMMIT_MESSAGE,
  type FileChanges,
  RemovedTemplateFieldError,
  templateData,
} from '../../../main/images/commit-message.ts';
import { TemplateError } from '../../../main/images/go-template.ts';

const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'apps' };
const files: FileChanges = new Map([
  [
    'apps/podinfo.yaml',
    [
      { object: deploy, change: { oldValue: 'podinfo:6.0.0', newValue: 'podinfo:6.5.1', setter: 'flux-system:podinfo' } },
    ],
  ],
  [
    'apps/kustomization.yaml',
    [
      {
        object: { apiVersion: '', kind: 'Kustomization', name: '', namespace: '' },
        change: { oldValue: '6.0.0', newValue: '6.5.1', setter: 'flux-system:podinfo:tag' },
      },
    ],
  ],
]);
const data = templateData({ namespace: 'flux-system', name: 'apps' }, files, { env: 'prod' });

// The example template of Flux's ImageUpdateAutomation docs.
const FLUX_DOCS_TEMPLATE = `Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
`;

describe('commit messages', () => {
  it('renders the template of Flux docs as Go would', () => {
    expect(commitMessage(FLUX_DOCS_TEMPLATE, data)).toBe(`Automated image update

Automation name: flux-system/apps

Files:
- apps/kustomization.yaml
- apps/podinfo.yaml
Objects:
- Kustomization 
  Changes:
    - 6.0.0 -> 6.5.1
- Deployment podinfo
  Changes:
    - podinfo:6.0.0 -> podinfo:6.5.1
`);
  });

  it('supports if/else, len, printf, with, .Values and .Changes', () => {
    expect(() => checkMessageTemplate('{{ if gt0 }}{{ end }}')).toThrow(/function "gt0" not defined/);
    const msg = commitMessage(
      '{{ with .Values.env }}[{{ . }}] {{ end }}{{ printf "%d images" (len .Changed.Changes) }}{{ if not .Values.none }} ok{{ else }} no{{ end }}',
      data,
    );
    expect(msg).toBe('[prod] 2 images ok');
  });

  it('uses the default message without a template, and refuses .Updated and bad syntax', () => {
    expect(commitMessage(undefined, data)).toBe(DEFAULT_COMMIT_MESSAGE);
    expect(() => checkMessageTemplate('{{ range .Updated.Images }}{{ . }}{{ end }}')).toThrow(RemovedTemplateFieldError);
    expect(() => checkMessageTemplate('{{ if .Changed }}')).toThrow(TemplateError);
    expect(() => checkMessageTemplate('{{ .Changed ')).toThrow(/unclosed action/);
    expect(() => commitMessage('{{ .Nope }}', data)).toThrow(/can't evaluate field Nope/);
  });
});
