/**
 * The ImagePolicy's Tags tab: every tag its ImageRepository scanned (a virtual list: repositories have thousands),
 * which passed `filterTags` and what they extract to, the tag the policy selects highlighted, and why: the policy
 * and its range or order, the filter, how many tags passed, the tag before.
 */
import { useEffect } from 'react';

import type { ImagePolicyView, PolicyTag } from '../../../main/contract/index.ts';
import { fire, focusNode } from '../../store/actions.ts';
import { nodeIdOf } from '../../store/ids.ts';
import { loadImagePanel } from '../../store/image-actions.ts';
import { useAppStore } from '../../store/index.ts';
import { timeAgo } from '../../ui/format.ts';
import { VirtualList } from '../../ui/VirtualList.tsx';

const POLICY_WORDS: Record<ImagePolicyView['policy']['kind'], string> = {
  semver: 'semver range',
  alphabetical: 'alphabetical, order',
  numerical: 'numerical, order',
  none: 'no policy',
};

function TagRow(props: { t: PolicyTag; selected: boolean; previous: boolean }): React.JSX.Element {
  const { t } = props;
  return (
    <div
      className={`tag-row${props.selected ? ' is-selected' : ''}${t.passed ? '' : ' is-filtered'}`}
      data-testid="policy-tag"
      data-tag={t.tag}
      data-selected={props.selected}
      title={t.passed ? undefined : 'Left out by filterTags.pattern'}
    >
      <code className="tag-row__tag">{t.tag}</code>
      {t.extracted !== undefined && <span className="muted">→ {t.extracted}</span>}
      <span className="tag-row__spacer" />
      {props.selected && <span className="pill pill--selected">selected</span>}
      {props.previous && <span className="pill">before</span>}
      {!t.passed && <span className="muted">filtered out</span>}
    </div>
  );
}

export function ImagePolicyTab(props: { nodeId: string }): React.JSX.Element {
  const state = useAppStore((s) => (s.imagePanel?.nodeId === props.nodeId ? s.imagePanel : undefined));
  useEffect(() => {
    if (!state) fire(loadImagePanel(props.nodeId));
  }, [props.nodeId, state]);
  if (!state || (state.status === 'loading' && !state.policy))
    return <p className="muted">Reading the scanned tags…</p>;
  if (!state.policy) return <p className="error-text">{state.error}</p>;
  const v = state.policy;
  const repoId = {
    cluster: v.key.cluster,
    group: 'image.toolkit.fluxcd.io',
    kind: 'ImageRepository',
    ...v.repository,
  };
  const selected = v.selected ?? v.latest?.tag;
  return (
    <div className="image-policy" data-testid="image-policy">
      <dl className="facts">
        <dt>Image</dt>
        <dd>
          <code className="wrap">{v.image ?? '—'}</code>
        </dd>
        <dt>Repository</dt>
        <dd>
          <button type="button" className="link" onClick={() => focusNode(nodeIdOf(repoId))}>
            ImageRepository {v.repository.namespace}/{v.repository.name}
          </button>
          {v.scanTime && <span className="muted"> · scanned {timeAgo(v.scanTime)} ago</span>}
        </dd>
        <dt>Policy</dt>
        <dd data-testid="policy-rule">
          {POLICY_WORDS[v.policy.kind]} <code>{v.policy.detail}</code>
        </dd>
        {v.filter && (
          <>
            <dt>Filter</dt>
            <dd data-testid="policy-filter">
              {v.filter.pattern !== undefined && <code className="wrap">{v.filter.pattern}</code>}
              {v.filter.extract && (
                <>
                  {' '}
                  extract <code>{v.filter.extract}</code>
                </>
              )}
            </dd>
          </>
        )}
        <dt>Passed</dt>
        <dd data-testid="policy-passed">
          {v.passed} of {v.tags.length} tags
        </dd>
        <dt>Selected</dt>
        <dd data-testid="policy-selected">
          {v.latest ? <code>{v.latest.tag}</code> : <span className="muted">nothing yet</span>}
          {v.latest?.digest && <code className="muted"> @{v.latest.digest.slice(0, 19)}</code>}
          {v.selected && v.latest && v.selected !== v.latest.tag && (
            <span className="muted"> · the stored tags select {v.selected} now (next reconcile)</span>
          )}
        </dd>
        {v.previous && (
          <>
            <dt>Before</dt>
            <dd data-testid="policy-previous">
              <code>{v.previous.tag}</code>
            </dd>
          </>
        )}
      </dl>
      {v.problem && (
        <p className="error-text" data-testid="policy-problem">
          {v.problem}
        </p>
      )}
      <h3 className="section-title">
        Tags <span className="muted">{v.tags.length}</span>
        <button
          type="button"
          className="btn btn--ghost btn--small"
          onClick={() => fire(loadImagePanel(props.nodeId, true))}
        >
          Refresh
        </button>
      </h3>
      {v.tags.length === 0 ? (
        <p className="muted">No tags stored for this repository.</p>
      ) : (
        <VirtualList
          className="tag-list"
          label="Scanned tags"
          items={v.tags}
          rowHeight={26}
          activeIndex={v.tags.findIndex((t) => t.tag === selected)}
          renderRow={(t) => <TagRow t={t} selected={t.tag === selected} previous={t.tag === v.previous?.tag} />}
        />
      )}
    </div>
  );
}
