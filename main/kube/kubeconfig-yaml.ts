import { stringify } from 'yaml';

import { type Kubeconfig, resolveContext } from './kubeconfig.ts';

/**
 * One context of the merged kubeconfigs as a self-contained kubeconfig document, for tools that take kubeconfig text
 * (the Helm helper). Paths stay absolute as resolved; credentials are copied as they are, so the text is a secret:
 * keep it in memory and never log it.
 */
export function kubeconfigYamlFor(config: Kubeconfig, context: string): string {
  const ctx = resolveContext(config, context);
  const { cluster: c, user: u } = ctx;
  const cluster = compact({
    server: c.server,
    'certificate-authority': c.certificateAuthority,
    'certificate-authority-data': c.certificateAuthorityData,
    'insecure-skip-tls-verify': c.insecureSkipTlsVerify || undefined,
    'tls-server-name': c.tlsServerName,
    'proxy-url': c.proxyUrl,
    'disable-compression': c.disableCompression || undefined,
  });
  const user = compact({
    'client-certificate': u.clientCertificate,
    'client-certificate-data': u.clientCertificateData,
    'client-key': u.clientKey,
    'client-key-data': u.clientKeyData,
    token: u.token,
    tokenFile: u.tokenFile,
    username: u.username,
    password: u.password,
    as: u.impersonate,
    'as-uid': u.impersonateUid,
    'as-groups': u.impersonateGroups.length > 0 ? u.impersonateGroups : undefined,
    exec: u.exec && compact({ ...u.exec, installHint: u.exec.installHint }),
    'auth-provider': u.authProvider,
  });
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': ctx.name,
    clusters: [{ name: c.name, cluster }],
    users: [{ name: u.name, user }],
    contexts: [{ name: ctx.name, context: { cluster: c.name, user: u.name, namespace: ctx.namespace } }],
  });
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
