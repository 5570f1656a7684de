// Cluster API Machine + CAPM3 Metal3Machine rendering (cluster-api-provider-metal3 baremetal/metal3machine_manager.go), linked the way CAPI links them:
//
//   Machine.spec.infrastructureRef ──► Metal3Machine            (by name; v1beta2 by apiGroup+kind)
//   Machine.spec.bootstrap.dataSecretName ──► Secret <machine>-bootstrap-data (key `value`)
//   Metal3Machine.metadata.ownerReferences ──► Machine           (only with the Machine's UID, see below)
//   Metal3Machine annotation metal3.io/BareMetalHost = <ns>/<host>, spec.providerID
//   BareMetalHost.spec.consumerRef ──► Metal3Machine, label cluster.x-k8s.io/cluster-name   (hostClaim)
//
// Owner references need the owner's UID, which exists only after the apiserver created the owner.
// A pure renderer cannot know it: pass `machineUid` when you have it (sdk/kubernetes.ts creates the
// Machine first and feeds its `metadata.uid` back), and the Metal3Machine gets the controller owner
// reference CAPI's Machine controller would set. Without it the reference is omitted; CAPI sets it
// itself when its controllers run (CAPM3 waits for it, cluster-api-provider-metal3 baremetal/metal3machine_manager.go). The BMC Secret →
// BareMetalHost owner reference is BMO's to add on hand-over, so we never render it.
//
// `hostClaim` is a partial BareMetalHost for a server-side-apply patch: exactly the fields CAPM3's
// claim and `setHostSpec` write (consumerRef, cluster-name label, image/customDeploy, data refs,
// automatedCleaningMode). It leaves `online` and the paused/status annotations to the host's own
// object so two field managers never contend for a field.
import { assertObjectMeta, compact, configDataText, renderSecret } from "./meta";
import type { ConfigData, ConsumerRef, ImageInput, KubeObject, SecretObject, SecretReference, AutomatedCleaningMode } from "./types";
import {
    CAPI_GROUP,
    CLUSTER_NAME_LABEL,
    DEFAULT_NAMESPACE,
    HOST_ANNOTATION,
    INFRA_GROUP,
    METAL3_API_VERSION,
    bmcSecretName,
    bootstrapSecretName,
    machineMetaDataSecretName,
    machineNetworkDataSecretName,
    providerID,
} from "./well-known";

export type MachineApiVersion = "v1beta1" | "v1beta2";

/** Kubernetes selector operators as users write them, mapped to CAPM3's lower-case selection syntax. */
export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";
const CAPM3_OPERATORS: Record<SelectorOperator, string> = {
    In: "in",
    NotIn: "notin",
    Exists: "exists",
    DoesNotExist: "!",
    Gt: "gt",
    Lt: "lt",
};

export interface HostSelectorInput {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: SelectorOperator; values?: string[] }>;
}

export interface MachineRenderInput {
    /** Name of both the Machine and the Metal3Machine (CAPI's usual pairing). */
    name: string;
    namespace?: string;
    clusterName: string;
    labels?: Record<string, string>;
    /** The claimed BareMetalHost; absent while unclaimed (no providerID, no consumerRef). */
    host?: { name: string; namespace?: string };
    hostSelector?: HostSelectorInput;
    image?: ImageInput;
    customDeploy?: { method: string };
    /** Bootstrap data (cloud-config); goes to the CAPI bootstrap Secret under key `value`. */
    userData?: ConfigData;
    metaData?: ConfigData;
    networkData?: ConfigData;
    automatedCleaningMode?: AutomatedCleaningMode;
    failureDomain?: string;
    /** Kubernetes version label of the Machine (`spec.version`), optional. */
    version?: string;
    /** UID of the Machine object once it exists: adds the Metal3Machine → Machine owner reference. */
    machineUid?: string;
}

export interface MachineObject extends KubeObject {
    spec: Record<string, unknown> & { clusterName: string };
}
export interface Metal3MachineObject extends KubeObject {
    kind: "Metal3Machine";
    spec: Record<string, unknown>;
}
export interface HostClaimPatch extends KubeObject {
    apiVersion: typeof METAL3_API_VERSION;
    kind: "BareMetalHost";
    spec: Record<string, unknown> & { consumerRef: ConsumerRef };
}

export interface RenderedMachine {
    machine: MachineObject;
    metal3Machine: Metal3MachineObject;
    /** Bootstrap data Secret (always: CAPI requires bootstrap data) and Metal3Data-style meta/network data. */
    dataSecrets: { bootstrap: SecretObject; metaData?: SecretObject; networkData?: SecretObject };
    /** SSA patch of the claimed host; absent while unclaimed. */
    hostClaim?: HostClaimPatch;
    /** SSA patch adding the cluster-name label to the claimed host's BMC Secret (CAPM3 `setBMCSecretLabel`). */
    bmcSecretClaim?: { apiVersion: "v1"; kind: "Secret"; metadata: { name: string; namespace: string; labels: Record<string, string> } };
}

function metal3MachineImage(image: ImageInput, apiVersion: MachineApiVersion): Record<string, unknown> {
    // Neither M3M version knows checksumType `auto` (it means "let Ironic guess"): leave it out.
    const checksumType = image.checksumType === "auto" ? undefined : image.checksumType;
    if (apiVersion === "v1beta2") {
        return compact({ url: image.url, checksum: image.checksum, checksumType, diskFormat: image.format });
    }
    // v1beta1: the key is `format`, and `checksum` is a plain string CAPM3 ≤1.12 marks required,
    // so an absent checksum (live-iso) serialises as "" exactly as the Go type does.
    return compact({ url: image.url, checksum: image.checksum ?? "", checksumType, format: image.format });
}

function selector(sel: HostSelectorInput | undefined): Record<string, unknown> {
    const matchLabels = sel?.matchLabels && Object.keys(sel.matchLabels).length ? { ...sel.matchLabels } : undefined;
    const exprs = (sel?.matchExpressions ?? []).map((e) => {
        const operator = CAPM3_OPERATORS[e.operator];
        if (!operator) throw new Error(`hostSelector: unknown operator "${e.operator}" for key "${e.key}"`);
        return { key: e.key, operator, values: [...(e.values ?? [])] };
    });
    // v1beta2 declares matchExpressions minItems 1, and v1beta1 has hostSelector as a value: an empty
    // selector is `{}` in both.
    return compact({ matchLabels, matchExpressions: exprs.length ? exprs : undefined });
}

/**
 * Renders a Machine and its Metal3Machine for `apiVersion` (default v1beta1, which every CAPM3
 * release serves; v1beta2 needs CAPM3 ≥ 1.13 and CAPI ≥ 1.11).
 */
export function renderMachine(input: MachineRenderInput, apiVersion: MachineApiVersion = "v1beta1"): RenderedMachine {
    const name = input.name;
    const namespace = input.namespace || DEFAULT_NAMESPACE;
    const who = `Machine ${namespace}/${name}`;
    if (apiVersion !== "v1beta1" && apiVersion !== "v1beta2") throw new Error(`${who}: unknown Cluster API version "${apiVersion}"`);
    if (!input.clusterName) throw new Error(`${who}: clusterName is required (spec.clusterName)`);
    if (!input.image && !input.customDeploy) throw new Error(`${who}: Metal3Machine needs an image or a customDeploy`);
    if (input.host?.namespace && input.host.namespace !== namespace)
        throw new Error(
            `${who}: host ${input.host.namespace}/${input.host.name} is in another namespace; CAPM3 only claims hosts in the Metal3Machine's namespace`,
        );

    const capiApiVersion = `${CAPI_GROUP}/${apiVersion}`;
    const infraApiVersion = `${INFRA_GROUP}/${apiVersion}`;
    const labels = { ...(input.labels ?? {}), [CLUSTER_NAME_LABEL]: input.clusterName };
    const pid = input.host ? providerID(namespace, input.host.name, name) : undefined;

    const bootstrap = renderSecret(
        { name: bootstrapSecretName(name), namespace, labels: { [CLUSTER_NAME_LABEL]: input.clusterName } },
        { value: input.userData === undefined ? "" : configDataText(input.userData), format: "cloud-config" },
        "cluster.x-k8s.io/secret",
    );
    const dataSecrets: RenderedMachine["dataSecrets"] = { bootstrap };
    let metaDataRef: SecretReference | undefined;
    let networkDataRef: SecretReference | undefined;
    if (input.metaData !== undefined) {
        dataSecrets.metaData = renderSecret({ name: machineMetaDataSecretName(name), namespace }, { metaData: configDataText(input.metaData) });
        metaDataRef = { name: dataSecrets.metaData.metadata.name, namespace };
    }
    if (input.networkData !== undefined) {
        dataSecrets.networkData = renderSecret({ name: machineNetworkDataSecretName(name), namespace }, { networkData: configDataText(input.networkData) });
        networkDataRef = { name: dataSecrets.networkData.metadata.name, namespace };
    }

    const infrastructureRef =
        apiVersion === "v1beta2"
            ? { apiGroup: INFRA_GROUP, kind: "Metal3Machine", name }
            : { apiVersion: infraApiVersion, kind: "Metal3Machine", name, namespace };
    const machine: MachineObject = {
        apiVersion: capiApiVersion,
        kind: "Machine",
        metadata: { name, namespace, labels },
        spec: compact({
            clusterName: input.clusterName,
            bootstrap: { dataSecretName: bootstrap.metadata.name },
            infrastructureRef,
            providerID: pid,
            failureDomain: input.failureDomain,
            version: input.version,
        }),
    };

    const m3mAnnotations = input.host ? { [HOST_ANNOTATION]: `${namespace}/${input.host.name}` } : undefined;
    const ownerReferences = input.machineUid
        ? [{ apiVersion: capiApiVersion, kind: "Machine", name, uid: input.machineUid, controller: true, blockOwnerDeletion: true }]
        : undefined;
    const metal3Machine: Metal3MachineObject = {
        apiVersion: infraApiVersion,
        kind: "Metal3Machine",
        metadata: compact({ name, namespace, labels, annotations: m3mAnnotations, ownerReferences }),
        spec: compact({
            providerID: pid,
            image: input.image ? metal3MachineImage(input.image, apiVersion) : undefined,
            customDeploy: input.customDeploy ? { method: input.customDeploy.method } : undefined,
            hostSelector: selector(input.hostSelector),
            metaData: metaDataRef,
            networkData: networkDataRef,
            automatedCleaningMode: input.automatedCleaningMode,
            failureDomain: input.failureDomain,
        }),
    };

    let hostClaim: HostClaimPatch | undefined;
    let bmcSecretClaim: RenderedMachine["bmcSecretClaim"];
    if (input.host) {
        const consumerRef: ConsumerRef = { apiVersion: infraApiVersion, kind: "Metal3Machine", name, namespace };
        hostClaim = {
            apiVersion: METAL3_API_VERSION,
            kind: "BareMetalHost",
            metadata: { name: input.host.name, namespace, labels: { [CLUSTER_NAME_LABEL]: input.clusterName } },
            spec: compact({
                consumerRef,
                // CAPM3 setHostSpec: the host image keeps the BMH key `format` (← M3M diskFormat), checksumType
                // passes through (the BMH enum includes `auto`).
                image: input.image ? compact({ ...input.image }) : undefined,
                customDeploy: input.customDeploy ? { method: input.customDeploy.method } : undefined,
                userData: { name: bootstrap.metadata.name, namespace },
                metaData: metaDataRef,
                networkData: networkDataRef,
                automatedCleaningMode: input.automatedCleaningMode,
            }),
        };
        bmcSecretClaim = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: bmcSecretName(input.host.name), namespace, labels: { [CLUSTER_NAME_LABEL]: input.clusterName } },
        };
        assertObjectMeta("BareMetalHost", hostClaim.metadata);
    }

    assertObjectMeta("Machine", machine.metadata);
    assertObjectMeta("Metal3Machine", metal3Machine.metadata);
    return { machine, metal3Machine, dataSecrets, hostClaim, bmcSecretClaim };
}

/** The rendered objects in apply order (data Secrets, Metal3Machine, Machine). Claim patches excluded. */
export function machineObjectList(r: RenderedMachine): KubeObject[] {
    const data = [r.dataSecrets.bootstrap, r.dataSecrets.metaData, r.dataSecrets.networkData].filter((s): s is SecretObject => s !== undefined);
    return [...data, r.metal3Machine, r.machine];
}
