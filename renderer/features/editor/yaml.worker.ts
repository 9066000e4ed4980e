// monaco-yaml's language worker, bundled through this file: Vite cannot build `monaco-yaml/yaml.worker.js` as a
// worker entry directly (monaco-yaml's README, "Why doesn't it work with Vite?").
import 'monaco-yaml/yaml.worker.js';
