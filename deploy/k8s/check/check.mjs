// Validates the Kubernetes manifests given as arguments against the
// Kubernetes OpenAPI schemas bundled in kubernetes-models (offline).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Service } from "kubernetes-models/v1/Service";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";

const kinds = { "apps/v1 StatefulSet": StatefulSet, "v1 Service": Service, "v1 ConfigMap": ConfigMap };
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) { console.error(`${file}: YAML: ${doc.errors[0].message}`); failed++; continue; }
    const obj = doc.toJS();
    const Model = kinds[`${obj.apiVersion} ${obj.kind}`];
    if (!Model) { console.error(`${file}: no schema for ${obj.apiVersion} ${obj.kind}`); failed++; continue; }
    try {
      new Model(obj).validate();
      console.log(`${file}: ${obj.kind} ${obj.metadata?.name}: valid`);
    } catch (e) {
      console.error(`${file}: ${obj.kind} ${obj.metadata?.name}: ${e.message}`);
      failed++;
    }
  }
}
process.exit(failed ? 1 : 0);
