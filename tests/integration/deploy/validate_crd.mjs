// Validate Prometheus Operator resources against the CRD schemas that
// @kubernetes-models/prometheus-operator generates from the operator's CRDs (ajv).
// stdin: a JSON array of resources; stdout: a JSON array of {name, error|null}.
import { readFileSync } from "node:fs";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const KINDS = { "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor };

const resources = JSON.parse(readFileSync(0, "utf8"));
const results = resources.map((resource) => {
  const model = KINDS[`${resource.apiVersion}/${resource.kind}`];
  const name = `${resource.kind}/${resource.metadata?.name}`;
  if (!model) return { name, error: `no schema for ${resource.apiVersion} ${resource.kind}` };
  try {
    new model(resource).validate();
    return { name, error: null };
  } catch (err) {
    return { name, error: String(err.message ?? err) };
  }
});
process.stdout.write(JSON.stringify(results));
