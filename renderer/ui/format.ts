/** Small display helpers shared by the graph, the panel and the palette. */

const ABBREV: Record<string, string> = {
  GitRepository: 'GIT',
  OCIRepository: 'OCI',
  HelmRepository: 'HELM',
  HelmChart: 'CHART',
  Bucket: 'S3',
  Kustomization: 'KS',
  HelmRelease: 'HR',
  ImageRepository: 'IMG',
  ImagePolicy: 'POL',
  ImageUpdateAutomation: 'AUTO',
  Receiver: 'RCV',
  Deployment: 'DEPLOY',
  StatefulSet: 'STS',
  DaemonSet: 'DS',
  ReplicaSet: 'RS',
  Job: 'JOB',
  CronJob: 'CRON',
  Pod: 'POD',
  Service: 'SVC',
  ConfigMap: 'CM',
  Secret: 'SECRET',
  Namespace: 'NS',
  ServiceAccount: 'SA',
  Ingress: 'ING',
  Objects: '…',
};

export function kindAbbrev(kind: string): string {
  return ABBREV[kind] ?? (kind.replace(/[a-z]/g, '').slice(0, 4) || kind.slice(0, 3).toUpperCase());
}

/** "12s", "5m", "3h", "2d" ago; '' for a missing or unparseable time. */
export function timeAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function hostOf(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `1.2 MiB`, `640 B`: sizes as file managers show them, in binary units. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A duration for people: whole milliseconds below a second, tenths of seconds above. */
export function formatMillis(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
