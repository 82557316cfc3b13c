/**
 * The Kubernetes and Knative manifests under infra/, validated offline: no cluster runs here.
 * kubernetes-models checks types and required fields; manifest-checks.ts adds what it misses
 * (unknown fields, references between objects, what the container actually sees).
 */
import { execFile } from 'node:child_process';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/index.js';
import type { Config } from '../../../lib/config/index.js';
import {
  buildKustomization,
  containerViews,
  loadYamlDocuments,
  modelProblems,
  podSpecOf,
  referenceProblems,
  resourceListProblems,
  securityProblems,
  unknownFieldProblems,
  yamlFilesUnder,
  type ContainerView,
  type K8sObject,
  type Loaded,
} from './manifest-checks.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const infra = join(repo, 'infra');
const kustomizations = ['infra/base', 'infra/knative', 'infra/k8s', 'infra/grafana'];
/** The folders of Kubernetes manifests (infra/aws belongs to the Lambda deployment). */
const kubernetesDirs = ['base', 'knative', 'k8s', 'grafana', 'prometheus'];
/** promtool's files, checked by test/integration/prometheus-rules.test.ts. */
const notKubernetes = (file: string) => /^prometheus\/(.+\.rules\.yml|tests\/)/.test(file);
/**
 * The webhook Secret is created once by hand, outside every kustomization (docs/kubernetes.md,
 * step 4), so that `kubectl apply -k` never overwrites it. Its example stands in for it beside
 * the deployments that read it, as it would sit beside them in the cluster.
 */
const webhookSecretExample = 'examples/kubernetes/webhook-secret.yaml';
const readsWebhookSecret = ['infra/knative', 'infra/k8s'];

let built: Record<string, Loaded[]>;
beforeAll(async () => {
  built = {};
  const secret = (await loadYamlDocuments(join(repo, webhookSecretExample))).map((object) => ({ object: object as K8sObject, file: webhookSecretExample }));
  for (const dir of kustomizations) {
    built[dir] = [...(await buildKustomization(repo, join(repo, dir))), ...(readsWebhookSecret.includes(dir) ? structuredClone(secret) : [])];
  }
});

const clone = (objects: Loaded[]): Loaded[] => structuredClone(objects);
const objectOf = (objects: Loaded[], kind: string): K8sObject => objects.find((l) => l.object.kind === kind)!.object;
type Obj = Record<string, unknown>;
const containerOf = (object: K8sObject): Obj => (podSpecOf(object)!.containers as Obj[])[0]!;

/** Loads the config the container would load, from the files and env it would see. */
async function loadContainerConfig(view: ContainerView): Promise<Config> {
  return loadConfig({
    env: view.env,
    readFile: (path) => {
      const content = view.files.get(path);
      return content === undefined ? Promise.reject(new Error(`ENOENT: ${path} is not mounted`)) : Promise.resolve(content);
    },
    tmpdir: () => '/tmp',
    cwd: '/app',
  });
}

/** What the program would trip over at run time, given the files and env of its container. */
async function runtimeProblems(objects: Loaded[]): Promise<string[]> {
  const problems: string[] = [];
  for (const view of containerViews(objects)) {
    const where = `${view.workload} container ${String(view.container.name)}`;
    const configFile = view.env.CONFIG_FILE;
    if (configFile === undefined) {
      problems.push(`${where}: no CONFIG_FILE env`);
      continue;
    }
    if (!view.files.has(configFile)) {
      problems.push(`${where}: CONFIG_FILE ${configFile} is not a mounted ConfigMap file (mounted: ${[...view.files.keys()].join(', ')})`);
      continue;
    }
    let config: Config;
    try {
      config = await loadContainerConfig(view);
    } catch (error) {
      problems.push(`${where}: the config does not load: ${(error as Error).message}`);
      continue;
    }
    for (const sink of config.alerts.sinks) {
      const url = sink.url;
      if (url && 'env' in url && view.env[url.env] === undefined) problems.push(`${where}: sink ${sink.name} reads env ${url.env}, which is not set`);
      if (url && 'file' in url && !view.files.has(url.file)) problems.push(`${where}: sink ${sink.name} reads file ${url.file}, which is not mounted`);
    }
    const store = config.alerts.stateStore;
    if (store.type === 'file') {
      const dir = posix.dirname(store.path);
      const writable = view.writableMounts.some((mount) => dir === mount || dir.startsWith(`${mount}/`));
      if (view.readOnlyRootFilesystem && !writable) problems.push(`${where}: state file ${store.path} is not on a writable volume`);
    }
  }
  return problems;
}

describe('every YAML file of the Kubernetes manifests', () => {
  it('parses (no duplicate keys) and is a valid, known Kubernetes object or kustomization', async () => {
    const problems: string[] = [];
    let objects = 0;
    const files = (await Promise.all(kubernetesDirs.map(async (dir) => (await yamlFilesUnder(join(infra, dir))).map((f) => `${dir}/${f}`))))
      .flat()
      .filter((file) => !notKubernetes(file))
      .map((file) => `infra/${file}`);
    for (const file of [...files, webhookSecretExample]) {
      for (const document of await loadYamlDocuments(join(repo, file))) {
        const object = document as K8sObject;
        objects++;
        problems.push(...unknownFieldProblems(object).map((p) => `${file}: ${p}`));
        if (object.kind !== 'Kustomization') problems.push(...modelProblems(object).map((p) => `${file}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
    expect(objects).toBeGreaterThanOrEqual(14);
  });

  it('is yamllint-clean', async () => {
    // yamllint comes from the Debian package `yamllint`; the test fails without it.
    const run = promisify(execFile);
    const paths = [...kubernetesDirs.map((dir) => join(infra, dir)), join(repo, webhookSecretExample)];
    const result = await run('yamllint', ['--strict', '-c', join(infra, '.yamllint.yml'), ...paths]).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number | string; stdout?: string; stderr?: string }) => {
        if (error.code === 'ENOENT') throw new Error('yamllint not found: install the Debian package yamllint');
        return { code: error.code, output: `${error.stdout ?? ''}${error.stderr ?? ''}` };
      },
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

describe.each(kustomizations)('%s', (dir) => {
  it('lists exactly the files beside its kustomization.yaml', async () => {
    expect(await resourceListProblems(join(repo, dir))).toEqual([]);
  });

  it('builds into objects that pass kubernetes-models and have no unknown fields', () => {
    const problems = built[dir]!.flatMap(({ object, file }) => [...modelProblems(object), ...unknownFieldProblems(object)].map((p) => `${file}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('references only objects and keys it contains; every container has an image', () => {
    expect(referenceProblems(built[dir]!)).toEqual([]);
  });

  it('runs non-root, read-only, without privileges, with resources', () => {
    expect(securityProblems(built[dir]!)).toEqual([]);
  });

  it('gives each container a config it can load, with its secrets and state where it can reach them', async () => {
    expect(await runtimeProblems(built[dir]!)).toEqual([]);
  });
});

describe('the webhook Secret', () => {
  it('is in no kustomization, so re-applying one never overwrites the real Secret', () => {
    const secrets = kustomizations.flatMap((dir) =>
      built[dir]!.filter((l) => l.object.kind === 'Secret' && l.file !== webhookSecretExample).map((l) => `${dir}: ${l.file}`),
    );

    expect(secrets).toEqual([]);
    expect(objectOf(built['infra/knative']!, 'Secret').metadata).toMatchObject({ name: 'aiops-detector-webhook', namespace: 'aiops-detector' });
  });
});

describe('the Knative deployment', () => {
  it('serves the PingSource events one at a time with state in Prometheus', async () => {
    const objects = built['infra/knative']!;
    const service = objectOf(objects, 'Service');
    const template = (service.spec as { template: { metadata: { annotations: Record<string, string> }; spec: Obj } }).template;
    const container = containerOf(service);
    const ping = objectOf(objects, 'PingSource').spec as { schedule: string; contentType: string; sink: { ref: Obj } };

    expect(template.spec.containerConcurrency).toBe(1);
    expect(template.metadata.annotations['autoscaling.knative.dev/max-scale']).toBe('1');
    expect(template.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe('0');
    expect((container.args as string[])[0]).toBe('serve');
    const port = (container.args as string[])[(container.args as string[]).indexOf('--port') + 1];
    expect((container.ports as Obj[])[0]!.containerPort).toBe(Number(port));
    expect(((container.readinessProbe as Obj).httpGet as Obj).path).toBe('/readyz');
    expect(((container.livenessProbe as Obj).httpGet as Obj).path).toBe('/healthz');
    expect(ping.schedule).toBe('* * * * *');
    expect(ping.contentType).toBe('application/json');
    expect(ping.sink.ref).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: service.metadata.name });

    // A Service that scales to zero keeps no local state: the config must not use a file store.
    const [view] = containerViews(objects);
    expect((await loadContainerConfig(view!)).alerts.stateStore).toEqual({ type: 'prometheus' });
  });

  it('is scraped on GET /metrics at the container port: prometheus.io annotations, and a PodMonitor for its pods', async () => {
    // Prepare
    const objects = built['infra/knative']!;
    const service = objectOf(objects, 'Service');
    const annotations = (service.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
    const [monitor] = (await loadYamlDocuments(join(infra, 'prometheus/pod-monitor.yaml'))) as K8sObject[];
    const spec = monitor!.spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Obj[] };

    // Assess: the annotations name the detector's own port, not Knative's queue-proxy
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe((containerOf(service).ports as Obj[])[0]!.containerPort);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    // The PodMonitor: in the Service's namespace, selecting its pods (Knative labels them with
    // the Service's name), on the port name Knative gives the container, for kube-prometheus-stack.
    expect(monitor!.kind).toBe('PodMonitor');
    expect(monitor!.metadata?.namespace).toBe(service.metadata?.namespace);
    expect(monitor!.metadata?.labels?.release).toBe('kube-prometheus-stack');
    expect(spec.selector.matchLabels).toEqual({ 'serving.knative.dev/service': service.metadata?.name });
    expect(spec.podMetricsEndpoints).toEqual([{ port: 'user-port', path: '/metrics', interval: '30s' }]);
  });

  it('uses an image name Knative does not try to resolve in a registry (minikube-built)', () => {
    const image = String(containerOf(objectOf(built['infra/knative']!, 'Service')).image);
    // knative-serving's config-deployment `registries-skipping-tag-resolving` default.
    expect(['kind.local', 'ko.local', 'dev.local']).toContain(image.split('/')[0]);
  });
});

describe('the CronJob deployment', () => {
  it('runs one cycle per minute, never two at once, with state on a persistent volume', async () => {
    const objects = built['infra/k8s']!;
    const cronJob = objectOf(objects, 'CronJob');
    const spec = cronJob.spec as Obj;
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(spec.startingDeadlineSeconds).toBeLessThan(60);
    expect(spec.successfulJobsHistoryLimit).toBeGreaterThan(0);
    expect(spec.failedJobsHistoryLimit).toBeGreaterThan(0);
    expect((containerOf(cronJob).args as string[])[0]).toBe('run');
    expect(podSpecOf(cronJob)!.restartPolicy).toBe('Never');

    const [view] = containerViews(objects);
    const config = await loadContainerConfig(view!);
    const store = config.alerts.stateStore;
    expect(store.type).toBe('file');
    // Nothing scrapes a CronJob: its runs remote-write their own metrics.
    expect(config.selfMetrics).toEqual({ remoteWrite: true, job: 'aiops-detector-cronjob' });
    const volumes = podSpecOf(cronJob)!.volumes as Obj[];
    const mount = (containerOf(cronJob).volumeMounts as Obj[]).find((m) => 'path' in store && store.path.startsWith(`${String(m.mountPath)}/`))!;
    expect(volumes.find((v) => v.name === mount.name)!.persistentVolumeClaim).toBeDefined();
  });
});

describe('the checks catch what kubernetes-models lets through', () => {
  it('a misspelt field', () => {
    const objects = clone(built['infra/knative']!);
    const service = objectOf(objects, 'Service');
    const container = containerOf(service);
    container.imagePullPolicyy = container.imagePullPolicy;
    (service.spec as { template: { spec: Obj } }).template.spec.containerConcurency = 1;

    expect(modelProblems(service)).toEqual([]);
    expect(unknownFieldProblems(service)).toEqual([
      'Service.spec.template.spec.containers[0].imagePullPolicyy: unknown field (in Container)',
      'Service.spec.template.spec.containerConcurency: unknown field (in RevisionSpec)',
    ]);
  });

  it('a container without an image', () => {
    const objects = clone(built['infra/knative']!);
    const service = objectOf(objects, 'Service');
    delete containerOf(service).image;

    expect(modelProblems(service)).toEqual([]);
    expect(referenceProblems(objects)).toEqual(['Service aiops-detector container detector: no image']);
  });

  it('a PingSource sink that names no Service of the kustomization', () => {
    const objects = clone(built['infra/knative']!);
    ((objectOf(objects, 'PingSource').spec as { sink: { ref: Obj } }).sink.ref).name = 'aiops-detectr';

    expect(modelProblems(objectOf(objects, 'PingSource'))).toEqual([]);
    expect(referenceProblems(objects)).toEqual([
      'PingSource aiops-detector-every-minute: sink.ref serving.knative.dev/v1 Service aiops-detectr is not in the kustomization',
    ]);
  });

  it('a secretKeyRef key or a configMap volume that does not exist', () => {
    const objects = clone(built['infra/knative']!);
    const secret = objectOf(objects, 'Secret');
    secret.stringData = { 'webhook-uri': 'https://example.test/hook' };
    objectOf(objects, 'ConfigMap').metadata.name = 'renamed';

    expect(referenceProblems(objects)).toEqual([
      'Service aiops-detector volume config: ConfigMap aiops-detector-config is not in the kustomization',
      'Service aiops-detector volume config: ConfigMap aiops-detector-config is not in the kustomization',
      'Service aiops-detector container detector env WEBHOOK_URL: Secret aiops-detector-webhook has no key webhook-url',
    ]);
  });

  it('CONFIG_FILE pointing elsewhere than the mounted ConfigMap', async () => {
    const objects = clone(built['infra/k8s']!);
    const env = containerOf(objectOf(objects, 'CronJob')).env as Obj[];
    env.find((e) => e.name === 'CONFIG_FILE')!.value = '/etc/aiops-detector/config.yml';

    const problems = await runtimeProblems(objects);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('CONFIG_FILE /etc/aiops-detector/config.yml is not a mounted ConfigMap file');
  });

  it('a config the program would reject, and a state file on the read-only root filesystem', async () => {
    const objects = clone(built['infra/k8s']!);
    const configMap = objectOf(objects, 'ConfigMap');
    const data = configMap.data as Record<string, string>;
    data['config.yaml'] = data['config.yaml']!.replace('path: /var/lib/aiops-detector/state.json', 'path: /data/state.json');
    const broken = clone(objects);
    const brokenData = objectOf(broken, 'ConfigMap').data as Record<string, string>;
    brokenData['config.yaml'] = brokenData['config.yaml']!.replace('windowMinutes: 60', 'windowMinute: 60');

    expect(await runtimeProblems(objects)).toEqual([
      'CronJob aiops-detector container detector: state file /data/state.json is not on a writable volume',
    ]);
    const [problem] = await runtimeProblems(broken);
    expect(problem).toContain('the config does not load');
    expect(problem).toContain('windowMinute');
  });
});
