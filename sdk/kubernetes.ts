// The @pulumi/kubernetes glue: turns the pure render output (provider/render) into Kubernetes
// resources parented to a BareMetalHost or Machine resource.
//
//   emitHostObjects(parent, input, target)     → BMC Secret, user/network/meta data Secrets, BareMetalHost
//   emitMachineObjects(parent, input, target)  → bootstrap/meta/network data Secrets, Machine, Metal3Machine,
//                                                and SSA patches claiming the host (consumerRef, labels)
//
// `parent`  the pulumi-metal3 resource the objects belong to (they are deleted with it).
// `input`   the renderer's input (HostRenderInput / MachineRenderInput); any field may be a
//           pulumi.Input, e.g. `status: { nodeUuid: host.nodeUuid, ... }` from the resource outputs.
// `target`  { provider?: k8s.Provider, namespace?: string, name?: string, dependsOn? }: the cluster
//           (default: the ambient kubeconfig provider), the namespace used when `input.namespace`
//           is empty (every object carries an explicit metadata.namespace; default "default"), the
//           prefix of the Pulumi resource names (default: the parent's name), and extra
//           dependencies (e.g. the Metal3Crds installing the CRDs). emitMachineObjects also takes
//           `apiVersion` ("v1beta1" default | "v1beta2") and `claimHost`; emitHostObjects takes the
//           claim of the Machine holding the host (sdk/claims.ts), so the host's object is the one
//           writer of its fields (provider/render/claim.ts).
//
// Call sites (BareMetalHost / Machine constructors), with their args and outputs:
//   emitHostObjects(this, { name, namespace, labels, bmc, bootMACAddress, bootMode, online, image,
//     customDeploy, userData, networkData, metaData, rootDeviceHints, automatedCleaningMode,
//     description, architecture, externallyProvisioned, disablePowerOff, inspectionMode, raid,
//     rebootRequest, powerOffMode, inspectRequest, detached,
//     status: { nodeUuid: this.nodeUuid, provisioningState: this.provisioningState,
//               ironicProvisionState: this.ironicProvisionState, poweredOn: this.poweredOn,
//               hardware: this.hardware, errorMessage: this.errorMessage, lastUpdated: this.lastUpdated } },
//     args.kubernetes);
//   emitMachineObjects(this, { name, namespace, clusterName, labels, host: { name: this.hostName },
//     hostSelector, image, customDeploy, userData, metaData, networkData, automatedCleaningMode,
//     failureDomain }, args.kubernetes);
//
// Secrets: the BMC password and all user/network/meta/bootstrap data are Pulumi secrets in state,
// and reach only the Secrets' `data`. Everything else is rendered from the input with those values
// left out (`publicInput`), so it is secret only where the user made something else secret (a
// secret image URL keeps the whole spec secret): nothing is un-secreted, and with the usual
// secrets the BareMetalHost, Machine and Metal3Machine stay readable in `pulumi preview --diff`.
//
// Rendering runs inside `pulumi.output(input).apply(...)`; resources are declared outside it, so
// they appear at preview. Which optional data Secrets exist is decided from which keys of `input`
// are present; if the whole `input` is itself an Output those few Secrets are declared inside the
// apply (they then appear only once the input is known).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    DEFAULT_NAMESPACE,
    type HostClaim,
    type HostClaimPatch,
    HOST_DATA_SECRETS,
    renderBareMetalHost,
    renderDataImage,
    renderMachine,
    type HostDataKind,
    type HostRenderInput,
    type KubeObject,
    type MachineApiVersion,
    type MachineRenderInput,
    type SecretObject,
} from "../provider/render";

/** A value whose fields, at any depth, may be pulumi Inputs. */
export type DeepInput<T> = T extends string | number | boolean | null | undefined | Date
    ? pulumi.Input<T>
    : T extends Array<infer E>
      ? pulumi.Input<Array<DeepInput<E>>>
      : pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>;

export interface KubernetesTarget {
    /** Cluster to write to; default: Pulumi's ambient Kubernetes provider. */
    provider?: k8s.Provider;
    /** Namespace for objects whose input has no namespace of its own (default "default"). */
    namespace?: string;
    /** Prefix of the Pulumi resource names; default: the parent resource's name. */
    name?: string;
    /** Extra dependencies of every emitted object, e.g. a `Metal3Crds` that installs the CRDs first. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The `kubernetes` option of BareMetalHost: where to publish the host (see KubernetesTarget). */
export type HostKubernetesOptions = Omit<KubernetesTarget, "name">;
/** The `kubernetes` option of Machine: where and in which Cluster API version (see MachineTarget). */
export type MachineKubernetesOptions = Omit<MachineTarget, "name">;

export interface EmittedHostObjects {
    bmcSecret: k8s.core.v1.Secret;
    dataSecrets: Partial<Record<HostDataKind, k8s.core.v1.Secret>>;
    host: k8s.apiextensions.CustomResource;
    /** The HostFirmwareSettings object, when the host sets firmware.settings. */
    firmwareSettings?: k8s.apiextensions.CustomResource;
    /** The HostUpdatePolicy of the host's name, when the host sets updatePolicy. */
    updatePolicy?: k8s.apiextensions.CustomResource;
    /** The DataImage of the host's name, when the host has a dataImage. */
    dataImage?: k8s.apiextensions.CustomResource;
}

export interface MachineTarget extends KubernetesTarget {
    /** Cluster API version of Machine and Metal3Machine; default v1beta1. */
    apiVersion?: MachineApiVersion;
    /**
     * Show the claim on the host's BareMetalHost (consumerRef, cluster-name label, image and data
     * refs, rendered by the host's object) and patch its BMC Secret (cluster-name label). Default
     * true; needs the host's objects in the same cluster and program.
     */
    claimHost?: boolean;
}

export interface EmittedMachineObjects {
    dataSecrets: { bootstrap: k8s.core.v1.Secret; metaData?: k8s.core.v1.Secret; networkData?: k8s.core.v1.Secret };
    machine: k8s.apiextensions.CustomResource;
    metal3Machine: k8s.apiextensions.CustomResource;
    /** CAPM3's fields of the claimed host (consumerRef, image, data refs), for its own object to render. */
    hostClaim: pulumi.Output<HostClaimPatch | undefined>;
    bmcSecretClaim?: k8s.core.v1.SecretPatch;
}

function resourcePrefix(parent: pulumi.Resource, target: KubernetesTarget): string {
    // Resource keeps its name in `__name` (set by the Pulumi SDK constructor; not in the typings).
    const name = target.name ?? (parent as unknown as { __name?: string }).__name;
    if (!name) throw new Error("emit: cannot tell the parent resource's name; pass target.name");
    return name;
}

function childOptions(parent: pulumi.Resource, target: KubernetesTarget): pulumi.CustomResourceOptions {
    return { parent, provider: target.provider, dependsOn: target.dependsOn ?? [] };
}

/** `dependsOn` of the options plus more resources (dependsOn may be an Input array). */
function alsoDependsOn(opts: pulumi.CustomResourceOptions, more: pulumi.Resource[]): pulumi.CustomResourceOptions {
    const base = (opts.dependsOn ?? []) as pulumi.Input<pulumi.Resource>[];
    return { ...opts, dependsOn: [...base, ...more] };
}

/** Keys of a plain-object input that are set; undefined when the input is an Output/Promise as a whole. */
function presentKeys(input: unknown): Set<string> | undefined {
    if (!input || typeof input !== "object" || pulumi.Output.isInstance(input) || input instanceof Promise) return undefined;
    return new Set(
        Object.entries(input as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .map(([k]) => k),
    );
}

function withNamespace<T extends { namespace?: string }>(input: T, target: KubernetesTarget): T {
    return { ...input, namespace: input.namespace || target.namespace || DEFAULT_NAMESPACE };
}

/**
 * Declares a core/v1 Secret: metadata and type from the public render, `data` (the only place the
 * secret values go) from the full one, as a Pulumi secret.
 */
function secretResource(
    name: string,
    rendered: pulumi.Output<SecretObject>,
    full: pulumi.Output<SecretObject>,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: rendered.apply((s) => s.metadata),
            type: rendered.apply((s) => s.type),
            data: pulumi.secret(full.apply((s) => s.data)),
        },
        opts,
    );
}

/** Stands in for a secret value in the public render: only its presence matters there. */
const LEFT_OUT = "";

/** Keys of `input` whose values are secret data (they go to Secrets' data only). */
function publicInput<T extends object>(input: DeepInput<T>, secretKeys: string[], bmc: boolean): pulumi.Input<T> {
    const strip = (i: Record<string, unknown>): Record<string, unknown> => {
        const out: Record<string, unknown> = { ...i };
        for (const k of secretKeys) if (out[k] !== undefined) out[k] = LEFT_OUT;
        if (bmc && out.bmc !== undefined) {
            const b = out.bmc;
            // A plain object keeps its other fields' own secrecy; an Output as a whole stays as secret as it was.
            out.bmc = presentKeys(b)
                ? { ...(b as object), password: LEFT_OUT }
                : pulumi.output(b as pulumi.Input<object>).apply((v) => ({ ...v, password: LEFT_OUT }));
        }
        return out;
    };
    if (presentKeys(input)) return strip(input as Record<string, unknown>) as unknown as pulumi.Input<T>;
    return pulumi.output(input as pulumi.Input<T>).apply((i) => pulumi.output(strip(i as Record<string, unknown>)) as unknown as T);
}

/**
 * Metadata as separate Outputs per field, so that at preview what is known (name, namespace,
 * labels) shows even while a late field (the status annotation, the owner UID) is still unknown.
 */
function metadataOf(
    rendered: pulumi.Output<KubeObject>,
    late: { annotations?: pulumi.Output<Record<string, string> | undefined>; ownerReferences?: pulumi.Output<unknown> } = {},
): Record<string, pulumi.Input<unknown>> {
    const meta = rendered.apply((o) => o.metadata);
    return {
        name: meta.apply((m) => m.name),
        namespace: meta.apply((m) => m.namespace),
        labels: meta.apply((m) => m.labels),
        annotations: late.annotations ?? meta.apply((m) => m.annotations),
        ownerReferences: late.ownerReferences ?? meta.apply((m) => m.ownerReferences),
    };
}

/** Declares a custom resource from a rendered object (apiVersion and kind known up front). */
function customResource(
    name: string,
    apiVersion: string,
    kind: string,
    rendered: pulumi.Output<KubeObject & { spec?: unknown }>,
    metadata: Record<string, pulumi.Input<unknown>>,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata, spec: rendered.apply((o) => o.spec) }, opts);
}

/** The input without one key (kept plain when it is a plain object, so its other keys stay visible). */
function withoutKey<T extends object>(input: DeepInput<T>, key: string): pulumi.Input<T> {
    if (presentKeys(input)) return { ...(input as object), [key]: undefined } as unknown as pulumi.Input<T>;
    return pulumi.output(input as pulumi.Input<T>).apply((i) => ({ ...i, [key]: undefined }) as T);
}

const HOST_SECRET_KEYS = Object.keys(HOST_DATA_SECRETS);

/** Options of emitHostObjects besides the target. */
export interface HostEmitOptions {
    /**
     * The Machine holding the host, if any (sdk/claims.ts hostClaimFor): the object then shows what
     * Metal³ shows for a claimed host (provider/render/claim.ts). Undefined: the host's own state.
     */
    claim?: pulumi.Input<HostClaim | undefined>;
}

/**
 * Emits the BareMetalHost's objects: `<name>-bmc-secret`, `<name>-user-data` / `-network-data` /
 * `-meta-data` when set, and the BareMetalHost (paused for BMO, status annotation when
 * `input.status` is given; its `goodCredentials.credentialsVersion` is the BMC Secret's live
 * resourceVersion unless the input sets one). The BareMetalHost object is the one writer of its
 * fields (`pulumi.com/patchForce`: it takes over any field an older release's claim patch held).
 */
export function emitHostObjects(
    parent: pulumi.Resource,
    input: DeepInput<HostRenderInput>,
    target: KubernetesTarget,
    options: HostEmitOptions = {},
): EmittedHostObjects {
    const prefix = resourcePrefix(parent, target);
    const opts = childOptions(parent, target);
    const pub = publicInput<HostRenderInput>(input, HOST_SECRET_KEYS, true);
    const claim = pulumi.output(options.claim);
    const resolved = pulumi.output(pub).apply((i) => withNamespace(i as HostRenderInput, target));
    // Everything but the status annotation comes from a render without the status, which is known
    // at preview even when the node UUID is not yet.
    const own = pulumi.output(withoutKey<HostRenderInput>(pub as DeepInput<HostRenderInput>, "status"));
    // The Secrets do not depend on the claim (so a Machine moving never touches them); the host does.
    const rendered = own.apply((i) => renderBareMetalHost(withNamespace(i as HostRenderInput, target)));
    const withClaimRendered = pulumi.all([own, claim]).apply(([i, c]) => renderBareMetalHost({ ...withNamespace(i as HostRenderInput, target), claim: c }));
    // With the secret values: only for the Secrets' data.
    const full = pulumi.output(withoutKey<HostRenderInput>(input, "status")).apply((i) => renderBareMetalHost(withNamespace(i as HostRenderInput, target)));

    const bmcSecret = secretResource(
        `${prefix}-bmc-secret`,
        rendered.apply((r) => r.bmcSecret),
        full.apply((r) => r.bmcSecret),
        opts,
    );

    const dataSecrets: EmittedHostObjects["dataSecrets"] = {};
    const declare = (kind: HostDataKind) =>
        secretResource(
            `${prefix}-${HOST_DATA_SECRETS[kind].suffix}`,
            rendered.apply((r) => r.dataSecrets[kind]!),
            full.apply((r) => r.dataSecrets[kind]!),
            opts,
        );
    const keys = presentKeys(input);
    const kinds = Object.keys(HOST_DATA_SECRETS) as HostDataKind[];
    if (keys) {
        for (const kind of kinds) if (keys.has(kind)) dataSecrets[kind] = declare(kind);
    } else {
        // The input is one Output: its keys are known only inside apply.
        rendered.apply((r) => {
            for (const kind of kinds) if (r.dataSecrets[kind] && !dataSecrets[kind]) dataSecrets[kind] = declare(kind);
        });
    }

    // The annotations from a render with the status and the BMC Secret's live resourceVersion, so
    // the status annotation's goodCredentials match the Secret BMO will find after hand-over (no
    // needless re-registration).
    const annotations = pulumi.all([resolved, claim, bmcSecret.metadata]).apply(([i, c, meta]) => {
        const status = i.status ? { ...i.status, credentialsVersion: i.status.credentialsVersion ?? meta?.resourceVersion } : undefined;
        return { ...renderBareMetalHost({ ...i, status, claim: c }).host.metadata.annotations, [PATCH_FORCE_ANNOTATION]: "true" };
    });
    const hostObject = withClaimRendered.apply((r) => r.host);
    const host = customResource(
        `${prefix}-bmh`,
        "metal3.io/v1alpha1",
        "BareMetalHost",
        hostObject,
        // Name and namespace from the render without the claim: known at preview while a Machine moves.
        {
            ...metadataOf(
                rendered.apply((r) => r.host),
                { annotations },
            ),
            labels: hostObject.apply((o) => o.metadata.labels),
        },
        alsoDependsOn(opts, [bmcSecret, ...Object.values(dataSecrets)]),
    );
    // HostFirmwareSettings beside the host (provider/render/firmware.ts), declared when the program sets firmware.
    const firmware = keys ? (input as { firmware?: unknown }).firmware : undefined;
    const settings =
        firmware && typeof firmware === "object" && !pulumi.Output.isInstance(firmware) ? (firmware as { settings?: unknown }).settings : undefined;
    const plainSettings = settings && typeof settings === "object" && !pulumi.Output.isInstance(settings) && !(settings instanceof Promise);
    const firmwareSettings =
        !keys || keys.has("firmware")
            ? emitFirmwareSettings(prefix, rendered, !!plainSettings && Object.keys(settings as object).length > 0, opts, host)
            : undefined;
    // The DataImage, named as the host (how BMO finds it): its spec only; the status is a
    // subresource no apply writes (provider/render/data-image.ts).
    const dataImageObject = resolved.apply((i) => (i.dataImage ? renderDataImage({ name: i.name, namespace: i.namespace, url: i.dataImage.url }) : undefined));
    let dataImage: k8s.apiextensions.CustomResource | undefined;
    const declareDataImage = () =>
        customResource(
            `${prefix}-dataimage`,
            "metal3.io/v1alpha1",
            "DataImage",
            dataImageObject.apply((o) => o!),
            metadataOf(dataImageObject.apply((o) => o!)),
            alsoDependsOn(opts, [host]),
        );
    if (keys) {
        if (keys.has("dataImage")) dataImage = declareDataImage();
    } else {
        dataImageObject.apply((o) => {
            if (o && !dataImage) dataImage = declareDataImage();
        });
    }
    // The HostUpdatePolicy, named as the host (provider/render/firmware.ts), when the program sets updatePolicy.
    const updatePolicyObject = rendered.apply((r) => r.updatePolicy);
    let updatePolicy: k8s.apiextensions.CustomResource | undefined;
    const declareUpdatePolicy = () =>
        customResource(
            `${prefix}-update-policy`,
            "metal3.io/v1alpha1",
            "HostUpdatePolicy",
            updatePolicyObject.apply((o) => o!),
            metadataOf(updatePolicyObject.apply((o) => o!)),
            alsoDependsOn(opts, [host]),
        );
    if (keys) {
        if (keys.has("updatePolicy")) updatePolicy = declareUpdatePolicy();
    } else {
        updatePolicyObject.apply((o) => {
            if (o && !updatePolicy) updatePolicy = declareUpdatePolicy();
        });
    }
    return {
        bmcSecret,
        dataSecrets,
        host,
        ...(firmwareSettings ? { firmwareSettings } : {}),
        ...(dataImage ? { dataImage } : {}),
        ...(updatePolicy ? { updatePolicy } : {}),
    };
}

/**
 * The host's HostFirmwareSettings. `known`: the input's keys are plain (firmware is there), else
 * the object is declared inside apply when the render has one.
 */
function emitFirmwareSettings(
    prefix: string,
    rendered: pulumi.Output<ReturnType<typeof renderBareMetalHost>>,
    known: boolean,
    opts: pulumi.CustomResourceOptions,
    host: pulumi.Resource,
): k8s.apiextensions.CustomResource | undefined {
    const declare = () => {
        const obj = rendered.apply((r) => r.firmwareSettings!);
        return customResource(`${prefix}-firmware-settings`, "metal3.io/v1alpha1", "HostFirmwareSettings", obj, metadataOf(obj), alsoDependsOn(opts, [host]));
    };
    if (known) return declare();
    rendered.apply((r) => {
        if (r.firmwareSettings) declare();
    });
    return undefined;
}

/** pulumi-kubernetes: apply with force, taking over fields another field manager holds. */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

const MACHINE_SECRET_KEYS = ["userData", "metaData", "networkData"];

/**
 * Emits the Machine's objects: `<name>-bootstrap-data` (CAPI bootstrap Secret, key `value`),
 * `<name>-metadata` / `<name>-networkdata` when set, the Machine, then the Metal3Machine with a
 * controller owner reference to the Machine's live UID, and, when `input.host` is set and
 * `target.claimHost` is not false, `hostClaim`: what CAPM3 writes on the claimed host
 * (consumerRef → Metal3Machine, cluster-name label, image and data refs), which the host's own
 * BareMetalHost object renders (sdk/claims.ts: Machine.ts registers it), and a server-side-apply
 * patch of the host's BMC Secret (cluster-name label), given back when the Machine is deleted.
 *
 * Pick `apiVersion` to match the CRDs' storage version when no conversion webhooks run (a bare
 * apiserver, or CRDs installed by Metal3Crds): CAPI ≥ 1.11's Machine CRD and CAPM3 main's
 * Metal3Machine CRD store v1beta2, and an unconverted v1beta1 object loses the fields v1beta2
 * does not declare (infrastructureRef.apiVersion/namespace, image.format). test/render/
 * apiserver.test.ts shows both versions round-tripping when storage matches.
 */
export function emitMachineObjects(parent: pulumi.Resource, input: DeepInput<MachineRenderInput>, target: MachineTarget): EmittedMachineObjects {
    const prefix = resourcePrefix(parent, target);
    const apiVersion = target.apiVersion ?? "v1beta1";
    const opts = childOptions(parent, target);
    const pub = publicInput<MachineRenderInput>(input, MACHINE_SECRET_KEYS, false);
    const resolved = pulumi.output(pub).apply((i) => withNamespace(i as MachineRenderInput, target));
    const rendered = resolved.apply((i) => renderMachine(i, apiVersion));
    // With the secret values: only for the Secrets' data.
    const full = pulumi
        .output(input as pulumi.Input<MachineRenderInput>)
        .apply((i) => renderMachine(withNamespace(i as MachineRenderInput, target), apiVersion));
    const keys = presentKeys(input);

    const dataSecrets: EmittedMachineObjects["dataSecrets"] = {
        bootstrap: secretResource(
            `${prefix}-bootstrap-data`,
            rendered.apply((r) => r.dataSecrets.bootstrap),
            full.apply((r) => r.dataSecrets.bootstrap),
            opts,
        ),
    };
    const optional = (k: "metaData" | "networkData", suffix: string) =>
        secretResource(
            `${prefix}-${suffix}`,
            rendered.apply((r) => r.dataSecrets[k]!),
            full.apply((r) => r.dataSecrets[k]!),
            opts,
        );
    if (keys) {
        if (keys.has("metaData")) dataSecrets.metaData = optional("metaData", "metadata");
        if (keys.has("networkData")) dataSecrets.networkData = optional("networkData", "networkdata");
    } else {
        rendered.apply((r) => {
            if (r.dataSecrets.metaData && !dataSecrets.metaData) dataSecrets.metaData = optional("metaData", "metadata");
            if (r.dataSecrets.networkData && !dataSecrets.networkData) dataSecrets.networkData = optional("networkData", "networkdata");
        });
    }
    const secrets = Object.values(dataSecrets).filter((s): s is k8s.core.v1.Secret => s !== undefined);

    // Names and labels do not depend on which host is claimed (unknown at preview until the claim).
    const identity = pulumi
        .output(withoutKey<MachineRenderInput>(pub as DeepInput<MachineRenderInput>, "host"))
        .apply((i) => renderMachine(withNamespace(i as MachineRenderInput, target), apiVersion));
    const machineObject = rendered.apply((r) => r.machine);
    const machine = customResource(
        `${prefix}-machine`,
        `cluster.x-k8s.io/${apiVersion}`,
        "Machine",
        machineObject,
        metadataOf(identity.apply((r) => r.machine)),
        alsoDependsOn(opts, secrets),
    );
    // Only the owner reference waits for the Machine's live UID; the rest is known at preview.
    const ownerReferences = pulumi
        .all([resolved, machine.metadata])
        .apply(([i, meta]) => renderMachine({ ...i, machineUid: i.machineUid ?? meta?.uid }, apiVersion).metal3Machine.metadata.ownerReferences);
    const m3mObject = rendered.apply((r) => r.metal3Machine);
    const metal3Machine = customResource(
        `${prefix}-metal3machine`,
        `infrastructure.cluster.x-k8s.io/${apiVersion}`,
        "Metal3Machine",
        m3mObject,
        metadataOf(
            identity.apply((r) => r.metal3Machine),
            { annotations: m3mObject.apply((o) => o.metadata.annotations), ownerReferences },
        ),
        alsoDependsOn(opts, secrets),
    );

    // What the claimed host's object shows of this Machine (emitHostObjects renders it: one writer).
    const claim = target.claimHost ?? (keys ? keys.has("host") : false);
    const hostClaim = claim ? rendered.apply((r) => r.hostClaim) : pulumi.output(undefined as HostClaimPatch | undefined);
    const out: EmittedMachineObjects = { dataSecrets, machine, metal3Machine, hostClaim };
    if (claim && (!keys || keys.has("host"))) {
        // The claimed host is only known once Ironic has allocated one, i.e. not at the first preview.
        // A patch needs its target's name at check time (pulumi-kubernetes refuses an unknown
        // `.metadata.name`), so the BMC Secret's cluster-name label patch (a key the Secret's own
        // object never writes) is registered once the host is known.
        rendered.apply((r) => {
            if (!r.hostClaim || !r.bmcSecretClaim)
                throw new Error(`Machine ${r.machine.metadata.namespace}/${r.machine.metadata.name}: claimHost is set but input.host is empty`);
            out.bmcSecretClaim = new k8s.core.v1.SecretPatch(`${prefix}-bmc-secret-claim`, { metadata: r.bmcSecretClaim.metadata }, opts);
        });
    }
    return out;
}
