/** Manifests the integration and end-to-end tests commit to their git repositories, as YAML text. */

/** A one-container Deployment named `name` (default `web`). */
export function deploymentYaml(replicas: number, image = 'nginx:1.27', name = 'web'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: ${name}
          image: ${image}
`;
}

/** A ConfigMap with one `value` key. */
export function configMapYaml(name: string, value: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  value: "${value}"
`;
}

/** A Service selecting `app: name` on port 9898. */
export function serviceYaml(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: { app: ${name} }
  ports: [{ port: 9898 }]
`;
}
