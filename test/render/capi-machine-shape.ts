// The shared CRDs do not include Cluster API's own Machine CRD, so a rendered Machine is checked
// here against the fields of cluster-api api/core/v1beta2/machine_types.go, per API version, and against its Metal3Machine.
import type { MachineObject, Metal3MachineObject } from "../../provider/render";
import { CLUSTER_NAME_LABEL, INFRA_GROUP, objectMetaProblems } from "../../provider/render";

const V1BETA1_REF_KEYS = ["apiVersion", "kind", "name", "namespace"];
const V1BETA2_REF_KEYS = ["apiGroup", "kind", "name"];

export function machineShapeProblems(machine: MachineObject, m3m: Metal3MachineObject, apiVersion: "v1beta1" | "v1beta2"): string[] {
    const out: string[] = [];
    const spec = machine.spec as Record<string, any>;
    if (machine.apiVersion !== `cluster.x-k8s.io/${apiVersion}`) out.push(`Machine apiVersion ${machine.apiVersion}`);
    if (machine.kind !== "Machine") out.push(`kind ${machine.kind}`);
    out.push(...objectMetaProblems("Machine", machine.metadata));
    const allowed = new Set(["clusterName", "bootstrap", "infrastructureRef", "providerID", "failureDomain", "version"]);
    for (const k of Object.keys(spec)) if (!allowed.has(k)) out.push(`spec.${k} is not a Machine field we expect`);
    if (typeof spec.clusterName !== "string" || !spec.clusterName) out.push("spec.clusterName missing");
    if (machine.metadata.labels?.[CLUSTER_NAME_LABEL] !== spec.clusterName) out.push("cluster-name label differs from spec.clusterName");
    const b = spec.bootstrap;
    if (!b || (typeof b.dataSecretName !== "string" && !b.configRef)) out.push("spec.bootstrap needs dataSecretName or configRef");
    const ref = spec.infrastructureRef ?? {};
    const keys = Object.keys(ref).sort();
    const want = (apiVersion === "v1beta1" ? V1BETA1_REF_KEYS : V1BETA2_REF_KEYS).slice().sort();
    if (JSON.stringify(keys) !== JSON.stringify(want)) out.push(`infrastructureRef keys ${keys} (want ${want})`);
    if (ref.kind !== "Metal3Machine" || ref.name !== m3m.metadata.name) out.push("infrastructureRef does not name the Metal3Machine");
    if (apiVersion === "v1beta1") {
        if (ref.apiVersion !== m3m.apiVersion) out.push(`infrastructureRef.apiVersion ${ref.apiVersion} != ${m3m.apiVersion}`);
        if (ref.namespace !== m3m.metadata.namespace) out.push("infrastructureRef.namespace differs");
    } else if (ref.apiGroup !== INFRA_GROUP) out.push(`infrastructureRef.apiGroup ${ref.apiGroup}`);
    if (machine.metadata.namespace !== m3m.metadata.namespace) out.push("Machine and Metal3Machine in different namespaces");
    if (spec.providerID !== (m3m.spec as any).providerID) out.push("providerID differs between Machine and Metal3Machine");
    if (spec.providerID !== undefined && !/^metal3:\/\/[^/]+\/[^/]+\/[^/]+$/.test(spec.providerID)) out.push(`providerID ${spec.providerID}`);
    return out;
}
