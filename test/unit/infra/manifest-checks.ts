/**
 * Offline checks of the Kubernetes manifests under infra/: what kubectl, kustomize and the
 * cluster would reject or silently get wrong. Each check returns a list of problems (empty when
 * fine) so a test can show that it catches a broken copy.
 *
 * `kubernetes-models` and `@kubernetes-models/knative` validate types and required fields but
 * accept any unknown key (their schemas allow additional properties), so a misspelt
 * `imagePullPolicyy` or `containerConcurency` passes them and the API server prunes it. The
 * allowed keys below cover the fields these manifests use and their documented siblings.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1';
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as plain data. */
export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** A manifest object and where it came from (file relative to the repository). */
export interface Loaded {
  object: K8sObject;
  file: string;
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Every YAML document of a file; YAML errors (duplicate keys included) become exceptions. */
export async function loadYamlDocuments(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  return parseAllDocuments(text, { uniqueKeys: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map((e) => e.message).join('; ')}`);
    return document.toJS() as unknown;
  });
}

export interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  resources?: string[];
  configMapGenerator?: { name: string; files?: string[]; literals?: string[] }[];
  generatorOptions?: { disableNameSuffixHash?: boolean; labels?: Record<string, string> };
}

/**
 * The objects `kubectl apply -k dir` would create, for the features these kustomizations use:
 * `resources` (files and directories with their own kustomization), `namespace`, and
 * `configMapGenerator` with `files` (name suffix hashing must be disabled: a hashed name would
 * break references from kinds kustomize does not know, such as a Knative Service).
 */
export async function buildKustomization(repo: string, dir: string): Promise<Loaded[]> {
  const [kustomization] = (await loadYamlDocuments(join(dir, 'kustomization.yaml'))) as Kustomization[];
  if (!kustomization) throw new Error(`${dir}/kustomization.yaml is empty`);
  const out: Loaded[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    if ((await stat(path)).isDirectory()) {
      out.push(...(await buildKustomization(repo, path)));
    } else {
      for (const object of await loadYamlDocuments(path)) out.push({ object: object as K8sObject, file: relative(repo, path) });
    }
  }
  for (const generator of kustomization.configMapGenerator ?? []) {
    if (kustomization.generatorOptions?.disableNameSuffixHash !== true) {
      throw new Error(`${relative(repo, dir)}: configMapGenerator ${generator.name} needs generatorOptions.disableNameSuffixHash`);
    }
    const data: Record<string, string> = {};
    for (const entry of generator.files ?? []) {
      const [key, file] = entry.includes('=') ? entry.split('=', 2) as [string, string] : [posix.basename(entry), entry];
      data[key] = await readFile(join(dir, file), 'utf8');
    }
    out.push({
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: generator.name, labels: { ...kustomization.generatorOptions.labels } },
        data,
      },
      file: `${relative(repo, join(dir, 'kustomization.yaml'))} (configMapGenerator)`,
    });
  }
  if (kustomization.namespace) {
    for (const { object } of out) {
      if (object.kind !== 'Namespace') object.metadata.namespace = kustomization.namespace;
    }
  }
  return out;
}

/** Problems with a kustomization's `resources`: every YAML file beside it listed, nothing missing. */
export async function resourceListProblems(dir: string): Promise<string[]> {
  const [kustomization] = (await loadYamlDocuments(join(dir, 'kustomization.yaml'))) as Kustomization[];
  const listed = (kustomization?.resources ?? []).filter((entry) => !entry.startsWith('../'));
  const generatorFiles = (kustomization?.configMapGenerator ?? []).flatMap((g) => (g.files ?? []).map((f) => f.split('=').pop()!));
  const present = (await readdir(dir)).filter(
    (name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml' && !generatorFiles.includes(name),
  );
  const problems: string[] = [];
  for (const name of present) if (!listed.includes(name)) problems.push(`${name} is in ${dir} but not in its kustomization resources`);
  for (const name of listed) if (!present.includes(name)) problems.push(`resources lists ${name}, which does not exist in ${dir}`);
  for (const entry of kustomization?.resources ?? []) {
    if (entry.startsWith('../')) {
      const ok = await stat(join(dir, entry, 'kustomization.yaml')).then(() => true, () => false);
      if (!ok) problems.push(`resources lists ${entry}, which has no kustomization.yaml`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Schema validation with kubernetes-models

type ModelClass = new (data: never) => { validate(): void };

const models: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'batch/v1/CronJob': CronJob,
  'serving.knative.dev/v1/Service': KnativeService,
  'sources.knative.dev/v1/PingSource': PingSource,
};

/** Kinds validated by our own key lists only (no model package for them here). */
const kindsWithoutModel = new Set(['monitoring.coreos.com/v1/PrometheusRule', 'monitoring.coreos.com/v1/PodMonitor']);

/** The model's validation errors, or a problem when no model covers the kind. */
export function modelProblems(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = models[key];
  if (!Model) return kindsWithoutModel.has(key) ? [] : [`${key}: no kubernetes-models class for this kind`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    return [`${key} ${object.metadata?.name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

// ---------------------------------------------------------------------------------------------
// Unknown fields

/**
 * A field's expected shape: `string`, `number`, `boolean`, `map` (free-form: labels, data),
 * `any` (not checked further), the name of another shape, or a list of one (`Container[]`).
 */
type FieldShape = string;

const objectMeta = { name: 'string', namespace: 'string', labels: 'map', annotations: 'map' } as const;
const typeMeta = { apiVersion: 'string', kind: 'string', metadata: 'ObjectMeta' } as const;
const podSpecFields = {
  serviceAccountName: 'string',
  automountServiceAccountToken: 'boolean',
  restartPolicy: 'string',
  securityContext: 'PodSecurityContext',
  containers: 'Container[]',
  initContainers: 'Container[]',
  volumes: 'Volume[]',
  nodeSelector: 'map',
  tolerations: 'any',
  affinity: 'any',
  imagePullSecrets: 'any',
  priorityClassName: 'string',
  terminationGracePeriodSeconds: 'number',
  enableServiceLinks: 'boolean',
} as const;

const shapes: Record<string, Record<string, FieldShape>> = {
  ObjectMeta: objectMeta,
  Namespace: { ...typeMeta, spec: 'any' },
  ServiceAccount: { ...typeMeta, automountServiceAccountToken: 'boolean', secrets: 'any', imagePullSecrets: 'any' },
  Secret: { ...typeMeta, type: 'string', data: 'map', stringData: 'map', immutable: 'boolean' },
  ConfigMap: { ...typeMeta, data: 'map', binaryData: 'map', immutable: 'boolean' },
  PersistentVolumeClaim: { ...typeMeta, spec: 'PersistentVolumeClaimSpec' },
  PersistentVolumeClaimSpec: {
    accessModes: 'string[]',
    resources: 'ResourceRequirements',
    storageClassName: 'string',
    volumeMode: 'string',
    selector: 'any',
  },
  CronJob: { ...typeMeta, spec: 'CronJobSpec' },
  CronJobSpec: {
    schedule: 'string',
    timeZone: 'string',
    concurrencyPolicy: 'string',
    startingDeadlineSeconds: 'number',
    successfulJobsHistoryLimit: 'number',
    failedJobsHistoryLimit: 'number',
    suspend: 'boolean',
    jobTemplate: 'JobTemplateSpec',
  },
  JobTemplateSpec: { metadata: 'ObjectMeta', spec: 'JobSpec' },
  JobSpec: {
    backoffLimit: 'number',
    activeDeadlineSeconds: 'number',
    ttlSecondsAfterFinished: 'number',
    parallelism: 'number',
    completions: 'number',
    template: 'PodTemplateSpec',
  },
  PodTemplateSpec: { metadata: 'ObjectMeta', spec: 'PodSpec' },
  PodSpec: podSpecFields,
  PodSecurityContext: {
    runAsNonRoot: 'boolean',
    runAsUser: 'number',
    runAsGroup: 'number',
    fsGroup: 'number',
    fsGroupChangePolicy: 'string',
    supplementalGroups: 'any',
    seccompProfile: 'SeccompProfile',
  },
  Container: {
    name: 'string',
    image: 'string',
    imagePullPolicy: 'string',
    command: 'string[]',
    args: 'string[]',
    workingDir: 'string',
    ports: 'ContainerPort[]',
    env: 'EnvVar[]',
    envFrom: 'EnvFromSource[]',
    resources: 'ResourceRequirements',
    readinessProbe: 'Probe',
    livenessProbe: 'Probe',
    startupProbe: 'Probe',
    securityContext: 'SecurityContext',
    volumeMounts: 'VolumeMount[]',
  },
  ContainerPort: { name: 'string', containerPort: 'number', protocol: 'string' },
  EnvVar: { name: 'string', value: 'string', valueFrom: 'EnvVarSource' },
  EnvVarSource: { secretKeyRef: 'KeySelector', configMapKeyRef: 'KeySelector', fieldRef: 'any', resourceFieldRef: 'any' },
  KeySelector: { name: 'string', key: 'string', optional: 'boolean' },
  EnvFromSource: { prefix: 'string', configMapRef: 'LocalObjectReference', secretRef: 'LocalObjectReference' },
  LocalObjectReference: { name: 'string', optional: 'boolean' },
  ResourceRequirements: { requests: 'map', limits: 'map' },
  Probe: {
    httpGet: 'HTTPGetAction',
    initialDelaySeconds: 'number',
    periodSeconds: 'number',
    timeoutSeconds: 'number',
    successThreshold: 'number',
    failureThreshold: 'number',
  },
  HTTPGetAction: { path: 'string', port: 'any', scheme: 'string', httpHeaders: 'any' },
  SecurityContext: {
    runAsNonRoot: 'boolean',
    runAsUser: 'number',
    runAsGroup: 'number',
    readOnlyRootFilesystem: 'boolean',
    allowPrivilegeEscalation: 'boolean',
    privileged: 'boolean',
    capabilities: 'Capabilities',
    seccompProfile: 'SeccompProfile',
  },
  Capabilities: { drop: 'string[]', add: 'string[]' },
  SeccompProfile: { type: 'string', localhostProfile: 'string' },
  VolumeMount: { name: 'string', mountPath: 'string', readOnly: 'boolean', subPath: 'string' },
  Volume: {
    name: 'string',
    configMap: 'ConfigMapVolumeSource',
    secret: 'SecretVolumeSource',
    persistentVolumeClaim: 'PersistentVolumeClaimVolumeSource',
    emptyDir: 'EmptyDirVolumeSource',
  },
  ConfigMapVolumeSource: { name: 'string', items: 'KeyToPath[]', defaultMode: 'number', optional: 'boolean' },
  SecretVolumeSource: { secretName: 'string', items: 'KeyToPath[]', defaultMode: 'number', optional: 'boolean' },
  KeyToPath: { key: 'string', path: 'string', mode: 'number' },
  PersistentVolumeClaimVolumeSource: { claimName: 'string', readOnly: 'boolean' },
  EmptyDirVolumeSource: { medium: 'string', sizeLimit: 'string' },
  KnativeService: { ...typeMeta, spec: 'KnativeServiceSpec' },
  KnativeServiceSpec: { template: 'RevisionTemplateSpec', traffic: 'any' },
  RevisionTemplateSpec: { metadata: 'ObjectMeta', spec: 'RevisionSpec' },
  RevisionSpec: {
    ...podSpecFields,
    containerConcurrency: 'number',
    timeoutSeconds: 'number',
    responseStartTimeoutSeconds: 'number',
    idleTimeoutSeconds: 'number',
  },
  PingSource: { ...typeMeta, spec: 'PingSourceSpec' },
  PingSourceSpec: {
    schedule: 'string',
    timezone: 'string',
    contentType: 'string',
    data: 'string',
    dataBase64: 'string',
    sink: 'Destination',
    ceOverrides: 'any',
  },
  Destination: { ref: 'KReference', uri: 'string' },
  KReference: { apiVersion: 'string', kind: 'string', name: 'string', namespace: 'string' },
  PrometheusRule: { ...typeMeta, spec: 'PrometheusRuleSpec' },
  PrometheusRuleSpec: { groups: 'RuleGroup[]' },
  RuleGroup: { name: 'string', interval: 'string', limit: 'number', rules: 'Rule[]' },
  Rule: { record: 'string', alert: 'string', expr: 'string', for: 'string', keep_firing_for: 'string', labels: 'map', annotations: 'map' },
  PodMonitor: { ...typeMeta, spec: 'PodMonitorSpec' },
  PodMonitorSpec: {
    selector: 'MonitorLabelSelector',
    namespaceSelector: 'any',
    podMetricsEndpoints: 'PodMetricsEndpoint[]',
    jobLabel: 'string',
    podTargetLabels: 'string[]',
  },
  MonitorLabelSelector: { matchLabels: 'map', matchExpressions: 'any' },
  PodMetricsEndpoint: {
    port: 'string',
    portNumber: 'number',
    path: 'string',
    scheme: 'string',
    interval: 'string',
    scrapeTimeout: 'string',
    honorLabels: 'boolean',
    relabelings: 'any',
    metricRelabelings: 'any',
  },
  Kustomization: {
    apiVersion: 'string',
    kind: 'string',
    namespace: 'string',
    resources: 'string[]',
    configMapGenerator: 'ConfigMapGeneratorArgs[]',
    generatorOptions: 'GeneratorOptions',
  },
  ConfigMapGeneratorArgs: { name: 'string', files: 'string[]', literals: 'string[]', envs: 'string[]' },
  GeneratorOptions: { disableNameSuffixHash: 'boolean', labels: 'map', annotations: 'map' },
};

const shapeOfKind: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Secret': 'Secret',
  'v1/ConfigMap': 'ConfigMap',
  'v1/PersistentVolumeClaim': 'PersistentVolumeClaim',
  'batch/v1/CronJob': 'CronJob',
  'serving.knative.dev/v1/Service': 'KnativeService',
  'sources.knative.dev/v1/PingSource': 'PingSource',
  'monitoring.coreos.com/v1/PrometheusRule': 'PrometheusRule',
  'monitoring.coreos.com/v1/PodMonitor': 'PodMonitor',
  'kustomize.config.k8s.io/v1beta1/Kustomization': 'Kustomization',
};

/** Keys that are not in the allowed lists, by path (`spec.template.spec.containers[0].imagee`). */
export function unknownFieldProblems(object: Record<string, unknown>): string[] {
  const shape = shapeOfKind[`${String(object.apiVersion)}/${String(object.kind)}`];
  if (!shape) return [`${String(object.apiVersion)}/${String(object.kind)}: kind without a list of allowed fields`];
  const problems: string[] = [];
  walk(object, shape, String(object.kind), problems);
  return problems;
}

function walk(value: unknown, shape: FieldShape, path: string, problems: string[]): void {
  if (shape === 'any') return;
  if (shape.endsWith('[]')) {
    if (!Array.isArray(value)) {
      problems.push(`${path}: must be a list`);
      return;
    }
    value.forEach((item, index) => walk(item, shape.slice(0, -2), `${path}[${index}]`, problems));
    return;
  }
  if (shape === 'string' || shape === 'number' || shape === 'boolean') {
    if (typeof value !== shape) problems.push(`${path}: must be a ${shape}, not ${JSON.stringify(value)}`);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path}: must be a mapping`);
    return;
  }
  if (shape === 'map') return;
  const fields = shapes[shape];
  if (!fields) throw new Error(`no shape ${shape}`);
  for (const [key, child] of Object.entries(value)) {
    const childShape = fields[key];
    if (childShape === undefined) problems.push(`${path}.${key}: unknown field (in ${shape})`);
    else walk(child, childShape, `${path}.${key}`, problems);
  }
}

// ---------------------------------------------------------------------------------------------
// References between objects

type Obj = Record<string, unknown>;
const asObj = (value: unknown): Obj => (typeof value === 'object' && value !== null ? (value as Obj) : {});
const asList = (value: unknown): Obj[] => (Array.isArray(value) ? (value as Obj[]) : []);
/** A manifest value for a message: strings as they are, anything else as JSON. */
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined');

/** The pod spec of a workload, or undefined for kinds without pods. */
export function podSpecOf(object: K8sObject): Obj | undefined {
  if (object.kind === 'CronJob') {
    return asObj(asObj(asObj(asObj(asObj(object.spec).jobTemplate).spec).template).spec);
  }
  if (object.apiVersion === 'serving.knative.dev/v1' && object.kind === 'Service') {
    return asObj(asObj(asObj(object.spec).template).spec);
  }
  return undefined;
}

function find(objects: Loaded[], apiVersion: string, kind: string, name: unknown): K8sObject | undefined {
  return objects.find((l) => l.object.apiVersion === apiVersion && l.object.kind === kind && l.object.metadata.name === name)?.object;
}

function keysOf(object: K8sObject): string[] {
  return [...Object.keys(asObj(object.data)), ...Object.keys(asObj(object.stringData))];
}

/**
 * Every reference from a workload (env, envFrom, volumes, mounts, service account) and from a
 * PingSource sink must name an object of this kustomization, with the key it asks for; every
 * container must have an image.
 */
export function referenceProblems(objects: Loaded[]): string[] {
  const problems: string[] = [];
  const need = (kind: 'Secret' | 'ConfigMap' | 'ServiceAccount' | 'PersistentVolumeClaim', name: unknown, key: unknown, where: string) => {
    const target = find(objects, 'v1', kind, name);
    if (!target) problems.push(`${where}: ${kind} ${text(name)} is not in the kustomization`);
    else if (key !== undefined && !keysOf(target).includes(text(key))) problems.push(`${where}: ${kind} ${text(name)} has no key ${text(key)}`);
  };
  for (const { object } of objects) {
    const where0 = `${object.kind} ${object.metadata.name}`;
    if (object.kind === 'PingSource') {
      const ref = asObj(asObj(asObj(object.spec).sink).ref);
      if (!find(objects, text(ref.apiVersion), text(ref.kind), ref.name)) {
        problems.push(`${where0}: sink.ref ${text(ref.apiVersion)} ${text(ref.kind)} ${text(ref.name)} is not in the kustomization`);
      }
      if (ref.namespace !== undefined && ref.namespace !== object.metadata.namespace) {
        problems.push(`${where0}: sink.ref points to another namespace (${text(ref.namespace)})`);
      }
    }
    const pod = podSpecOf(object);
    if (!pod) continue;
    if (pod.serviceAccountName !== undefined) need('ServiceAccount', pod.serviceAccountName, undefined, `${where0} serviceAccountName`);
    const volumes = asList(pod.volumes);
    for (const volume of volumes) {
      const where = `${where0} volume ${String(volume.name)}`;
      const configMap = asObj(volume.configMap);
      const secret = asObj(volume.secret);
      if (volume.configMap) {
        need('ConfigMap', configMap.name, undefined, where);
        for (const item of asList(configMap.items)) need('ConfigMap', configMap.name, item.key, where);
      }
      if (volume.secret) {
        need('Secret', secret.secretName, undefined, where);
        for (const item of asList(secret.items)) need('Secret', secret.secretName, item.key, where);
      }
      if (volume.persistentVolumeClaim) need('PersistentVolumeClaim', asObj(volume.persistentVolumeClaim).claimName, undefined, where);
    }
    const mounted = new Set<unknown>();
    for (const container of [...asList(pod.containers), ...asList(pod.initContainers)]) {
      const where = `${where0} container ${String(container.name)}`;
      if (typeof container.image !== 'string' || container.image.trim() === '') problems.push(`${where}: no image`);
      for (const env of asList(container.env)) {
        const from = asObj(env.valueFrom);
        if (from.secretKeyRef) need('Secret', asObj(from.secretKeyRef).name, asObj(from.secretKeyRef).key, `${where} env ${String(env.name)}`);
        if (from.configMapKeyRef) need('ConfigMap', asObj(from.configMapKeyRef).name, asObj(from.configMapKeyRef).key, `${where} env ${String(env.name)}`);
      }
      for (const source of asList(container.envFrom)) {
        if (source.secretRef) need('Secret', asObj(source.secretRef).name, undefined, `${where} envFrom`);
        if (source.configMapRef) need('ConfigMap', asObj(source.configMapRef).name, undefined, `${where} envFrom`);
      }
      for (const mount of asList(container.volumeMounts)) {
        mounted.add(mount.name);
        if (!volumes.some((volume) => volume.name === mount.name)) problems.push(`${where}: volumeMount ${String(mount.name)} has no volume`);
      }
    }
    for (const volume of volumes) if (!mounted.has(volume.name)) problems.push(`${where0}: volume ${String(volume.name)} is never mounted`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// What a container sees

/** A container's view: files from its ConfigMap/Secret mounts, env values, writable paths. */
export interface ContainerView {
  workload: string;
  container: Obj;
  /** Absolute path -> content, for configMap and secret volume mounts. */
  files: Map<string, string>;
  /** Literal env values; env from a Secret or ConfigMap key maps to that key's value. */
  env: Record<string, string>;
  /** Mount paths the container may write to (with readOnlyRootFilesystem, nothing else). */
  writableMounts: string[];
  readOnlyRootFilesystem: boolean;
}

function valueOf(object: K8sObject, key: string): string | undefined {
  const data = asObj(object.data);
  const stringData = asObj(object.stringData);
  if (typeof stringData[key] === 'string') return stringData[key];
  if (typeof data[key] === 'string') return object.kind === 'Secret' ? Buffer.from(data[key], 'base64').toString('utf8') : data[key];
  return undefined;
}

/** The view of every container of every workload in the kustomization. */
export function containerViews(objects: Loaded[]): ContainerView[] {
  const views: ContainerView[] = [];
  for (const { object } of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const volumes = asList(pod.volumes);
    for (const container of asList(pod.containers)) {
      const files = new Map<string, string>();
      const writableMounts: string[] = [];
      for (const mount of asList(container.volumeMounts)) {
        const volume = volumes.find((v) => v.name === mount.name);
        if (!volume) continue;
        const mountPath = String(mount.mountPath);
        const source = volume.configMap
          ? find(objects, 'v1', 'ConfigMap', asObj(volume.configMap).name)
          : volume.secret
            ? find(objects, 'v1', 'Secret', asObj(volume.secret).secretName)
            : undefined;
        if (source) {
          const items = asList(asObj(volume.configMap ?? volume.secret).items);
          const pairs = items.length > 0 ? items.map((item) => [String(item.key), String(item.path)]) : keysOf(source).map((key) => [key, key]);
          for (const [key, path] of pairs) {
            const content = valueOf(source, key!);
            if (content !== undefined) files.set(posix.join(mountPath, path!), content);
          }
        } else if (mount.readOnly !== true) {
          writableMounts.push(mountPath);
        }
      }
      const env: Record<string, string> = {};
      for (const entry of asList(container.env)) {
        if (typeof entry.value === 'string') env[String(entry.name)] = entry.value;
        const ref = asObj(asObj(entry.valueFrom).secretKeyRef ?? asObj(entry.valueFrom).configMapKeyRef);
        const kind = asObj(entry.valueFrom).secretKeyRef ? 'Secret' : 'ConfigMap';
        const source = ref.name !== undefined ? find(objects, 'v1', kind, ref.name) : undefined;
        const value = source ? valueOf(source, String(ref.key)) : undefined;
        if (value !== undefined) env[String(entry.name)] = value;
      }
      views.push({
        workload: `${object.kind} ${object.metadata.name}`,
        container,
        files,
        env,
        writableMounts,
        readOnlyRootFilesystem: asObj(container.securityContext).readOnlyRootFilesystem === true,
      });
    }
  }
  return views;
}

/** Problems with a container's security settings (non-root, read-only root, no privileges). */
export function securityProblems(objects: Loaded[]): string[] {
  const problems: string[] = [];
  for (const { object } of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const podContext = asObj(pod.securityContext);
    for (const container of asList(pod.containers)) {
      const where = `${object.kind} ${object.metadata.name} container ${String(container.name)}`;
      const context = asObj(container.securityContext);
      const effective = (key: string): unknown => context[key] ?? podContext[key];
      if (effective('runAsNonRoot') !== true) problems.push(`${where}: runAsNonRoot is not true`);
      const user = effective('runAsUser');
      if (typeof user !== 'number' || user === 0) problems.push(`${where}: runAsUser must be a non-zero number (the image's USER is 1000)`);
      if (context.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
      if (context.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      const drop = asObj(context.capabilities).drop;
      if (!Array.isArray(drop) || !drop.includes('ALL')) problems.push(`${where}: capabilities.drop does not include ALL`);
      if (asObj(effective('seccompProfile')).type !== 'RuntimeDefault') problems.push(`${where}: seccompProfile is not RuntimeDefault`);
      const resources = asObj(container.resources);
      for (const part of ['requests', 'limits']) {
        const values = asObj(resources[part]);
        if (values.cpu === undefined || values.memory === undefined) problems.push(`${where}: resources.${part} needs cpu and memory`);
      }
    }
  }
  return problems;
}

/** Every YAML file under a directory, recursively, relative to it. */
export async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFilesUnder(path)).map((p) => join(entry.name, p)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(entry.name);
  }
  return out.sort();
}
