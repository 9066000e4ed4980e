/**
 * "Push as OCI artifact" in the work tree's side panel: pick a directory and a registry URL, watch the push, then
 * reconcile the OCIRepositories that follow the pushed repository. The push itself runs in main.
 */
import { useShallow } from 'zustand/react/shallow';

import type { WorkTree } from '../../../main/contract/index.ts';
import { fire, reconcile } from '../../store/actions.ts';
import { ociRepositoriesAt, ociRepositoryOf, workTreeDirs } from '../../store/editor-reducers.ts';
import { useAppStore } from '../../store/index.ts';
import type { ArtifactPushState } from '../../store/slices/editor.ts';
import { formatBytes, plural } from '../../ui/format.ts';
import { StepProgress } from '../../ui/StepProgress.tsx';
import { closeArtifactPush, pushArtifact, setArtifactForm } from './artifact-push.ts';

const OCI_URL = /^oci:\/\/\S+$/;

function Pushed(props: { push: ArtifactPushState; tree: WorkTree }): React.JSX.Element | null {
  const r = props.push.result;
  const objects = useAppStore((s) => s.objects);
  if (!r) return null;
  const followers = ociRepositoriesAt(objects, `oci://${r.repository}`);
  return (
    <div className="outcome" data-testid="artifact-pushed" role="status">
      <p>
        Pushed {plural(r.files, 'file')} ({formatBytes(r.size)}) to{' '}
        <code>
          {r.repository}:{r.tag}
        </code>{' '}
        as <code title={r.digest}>{r.digest.slice(0, 19)}</code>, revision{' '}
        <code title={r.revision}>{r.revision.replace(/(@sha1:[0-9a-f]{7})[0-9a-f]*$/, '$1')}</code>.
      </p>
      {r.uncommitted > 0 && (
        <p className="warn-text">
          {plural(r.uncommitted, 'uncommitted change')} went into the artifact but are not in commit{' '}
          {props.tree.status.head.slice(0, 7)}: commit and push them so Git and the artifact agree.
        </p>
      )}
      {followers.length === 0 ? (
        <p className="muted">No OCIRepository in a connected cluster follows {r.repository}.</p>
      ) : (
        followers.map(([nodeId, o]) => (
          <button
            key={nodeId}
            type="button"
            className="btn artifact-push__follower"
            onClick={() => fire(reconcile(nodeId))}
          >
            Reconcile OCIRepository {o.namespace}/{o.name} ({o.cluster})
          </button>
        ))
      )}
    </div>
  );
}

export function ArtifactPushForm(props: { tree: WorkTree }): React.JSX.Element | null {
  const { tree } = props;
  const push = useAppStore((s) => (s.artifactPush?.workTreeId === tree.id ? s.artifactPush : undefined));
  const known = useAppStore(
    useShallow((s) =>
      [...new Set(Object.values(s.objects).flatMap((o) => (o.kind === 'OCIRepository' && o.url ? [o.url] : [])))].map(
        (u) => `${ociRepositoryOf(u)}:latest`,
      ),
    ),
  );
  if (!push) return null;
  const running = push.status === 'running';
  const validUrl = OCI_URL.test(push.url.trim());
  return (
    <form
      className="creds artifact-push"
      data-testid="artifact-push"
      onSubmit={(e) => {
        e.preventDefault();
        fire(pushArtifact());
      }}
    >
      <p className="muted">
        Packs a directory as a Flux OCI artifact, as <code>flux push artifact</code> does, with this repository as its
        source and{' '}
        <code>
          {tree.branch}@sha1:{tree.status.head.slice(0, 7)}
        </code>{' '}
        as its revision. Registry credentials come from your Docker config (<code>docker login</code>).
      </p>
      <label>
        Directory
        <select
          className="select"
          value={push.dir}
          disabled={running}
          onChange={(e) => setArtifactForm({ dir: e.target.value })}
          data-testid="artifact-dir"
        >
          {workTreeDirs(tree).map((d) => (
            <option key={d} value={d}>
              {d === '.' ? '. (the whole work tree)' : `${d}/`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Registry URL
        <input
          value={push.url}
          disabled={running}
          list="artifact-urls"
          placeholder="oci://ghcr.io/org/app:latest"
          spellCheck={false}
          onChange={(e) => setArtifactForm({ url: e.target.value })}
          data-testid="artifact-url"
        />
        <datalist id="artifact-urls">
          {known.map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
      </label>
      {push.url.trim() !== '' && !validUrl && (
        <span className="warn-text">Write it as oci://registry/repository:tag.</span>
      )}
      <label className="toggle">
        <input
          type="checkbox"
          checked={push.insecure}
          disabled={running}
          onChange={(e) => setArtifactForm({ insecure: e.target.checked })}
        />{' '}
        Plain HTTP (a registry without TLS)
      </label>
      <div className="commit__buttons">
        <button
          type="submit"
          className="btn btn--primary"
          disabled={running || !validUrl}
          data-testid="artifact-submit"
        >
          {running ? 'Pushing…' : 'Push artifact'}
        </button>
        <button type="button" className="btn" disabled={running} onClick={closeArtifactPush}>
          Close
        </button>
      </div>
      {running && (
        <StepProgress
          step={push.progress}
          starting="Saving edited files…"
          label="Push progress"
          testId="artifact-progress"
        />
      )}
      {push.status === 'error' && push.error && (
        <div className="outcome outcome--warn" data-testid="artifact-error" role="alert">
          <p className="error-text">{push.error.message}</p>
          {push.error.hint && <p className="muted">{push.error.hint}</p>}
        </div>
      )}
      {push.status === 'pushed' && <Pushed push={push} tree={tree} />}
    </form>
  );
}
