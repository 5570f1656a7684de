// BareMetalHost rendering: the BMC Secret, the user/network/meta data Secrets and the
// `metal3.io/v1alpha1` BareMetalHost whose spec mirrors the resource's inputs (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go; crds/metal3.io_baremetalhosts.yaml).
// Pure: no Pulumi, no I/O; the same output feeds @pulumi/kubernetes (sdk/kubernetes.ts), the
// `make-host --yaml` command and the CRD validation tests.
import { assertObjectMeta, compact, configDataText, looksLikeUuid, renderSecret } from "./meta";
import { hostStatus, statusAnnotationValue } from "./status";
import { withClaim } from "./claim";
import { dayTwoAnnotations } from "./day-two";
import { renderHostFirmwareSettings, renderHostUpdatePolicy } from "./firmware";
import type {
    BareMetalHostObject,
    HostFirmwareSettingsObject,
    HostRenderInput,
    HostUpdatePolicyObject,
    RenderedHost,
    SecretObject,
    SecretReference,
} from "./types";
import {
    BMC_SECRET_LABEL,
    BMC_SECRET_LABEL_VALUE,
    CLUSTER_NAME_LABEL,
    DEFAULT_NAMESPACE,
    HOST_DATA_SECRETS,
    INSPECT_ANNOTATION,
    METAL3_API_VERSION,
    PAUSED_ANNOTATION,
    PAUSED_BY_US,
    STATUS_ANNOTATION,
    bmcSecretName,
    hostDataSecretName,
    type HostDataKind,
} from "./well-known";

/**
 * Renders the objects of one host. Throws (naming the host) on what the apiserver or BMO's
 * webhook would refuse regardless of schema: a name that is not a DNS subdomain or parses as a UUID.
 *
 * Annotations:
 * - `baremetalhost.metal3.io/paused: pulumi-metal3` always: pulumi-metal3 drives Ironic itself,
 *   and a baremetal-operator watching the namespace must not fight over the node.
 * - `baremetalhost.metal3.io/status: <json>` when `input.status` is given (see status.ts).
 * - `inspect.metal3.io: disabled` when `inspectionMode: disabled`: the legacy form of the same
 *   switch, so a BMO older than `spec.inspectionMode` (whose CRD prunes the field) also skips
 *   inspection after hand-over; the webhook only refuses the two when they disagree.
 * - `reboot.metal3.io`, `inspect.metal3.io: ""`, `baremetalhost.metal3.io/detached` for the
 *   day-two requests (day-two.ts says which keys and why).
 */
export function renderBareMetalHost(unclaimed: HostRenderInput): RenderedHost {
    const input = withClaim(unclaimed);
    const name = input.name;
    const namespace = input.namespace || DEFAULT_NAMESPACE;
    if (looksLikeUuid(name)) throw new Error(`BareMetalHost ${namespace}/${name}: a host name must not be a UUID (BMO's webhook refuses it)`);
    const labels = input.labels && Object.keys(input.labels).length ? { ...input.labels } : undefined;

    // The BMC Secret carries BMO's label, and the cluster-name label when the host is claimed
    // (CAPM3 labels it on claim, cluster-api-provider-metal3 baremetal/metal3machine_manager.go).
    const secretLabels: Record<string, string> = { [BMC_SECRET_LABEL]: BMC_SECRET_LABEL_VALUE };
    if (labels?.[CLUSTER_NAME_LABEL]) secretLabels[CLUSTER_NAME_LABEL] = labels[CLUSTER_NAME_LABEL];
    const bmcSecret = renderSecret(
        { name: bmcSecretName(name), namespace, labels: secretLabels },
        { username: input.bmc.username ?? "", password: input.bmc.password ?? "" },
    );

    const dataSecrets: RenderedHost["dataSecrets"] = {};
    const dataRefs: Partial<Record<HostDataKind, SecretReference>> = {};
    for (const kind of Object.keys(HOST_DATA_SECRETS) as HostDataKind[]) {
        const value = input[kind];
        if (value === undefined) continue;
        const secretName = hostDataSecretName(name, kind);
        dataSecrets[kind] = renderSecret({ name: secretName, namespace }, { [HOST_DATA_SECRETS[kind].key]: configDataText(value) });
        dataRefs[kind] = { name: secretName, namespace };
    }

    const annotations: Record<string, string> = { [PAUSED_ANNOTATION]: PAUSED_BY_US };
    if (input.inspectionMode === "disabled") annotations[INSPECT_ANNOTATION] = "disabled";
    Object.assign(annotations, dayTwoAnnotations(input));
    if (input.status) {
        const status = hostStatus(input.status, {
            image: input.image,
            customDeploy: input.customDeploy,
            bootMode: input.bootMode,
            rootDeviceHints: input.rootDeviceHints,
            raid: input.raid,
            credentials: { name: bmcSecret.metadata.name, namespace },
        });
        annotations[STATUS_ANNOTATION] = statusAnnotationValue(status);
    }

    const host: BareMetalHostObject = {
        apiVersion: METAL3_API_VERSION,
        kind: "BareMetalHost",
        metadata: compact({ name, namespace, labels, annotations }),
        spec: compact({
            online: input.online,
            bmc: compact({
                address: input.bmc.address,
                credentialsName: bmcSecret.metadata.name,
                disableCertificateVerification: input.bmc.disableCertificateVerification,
            }),
            bootMACAddress: input.bootMACAddress,
            bootMode: input.bootMode,
            description: input.description,
            architecture: input.architecture,
            externallyProvisioned: input.externallyProvisioned,
            disablePowerOff: input.disablePowerOff,
            inspectionMode: input.inspectionMode,
            automatedCleaningMode: input.automatedCleaningMode,
            rootDeviceHints: input.rootDeviceHints ? compact({ ...input.rootDeviceHints }) : undefined,
            raid: input.raid,
            image: input.image ? compact({ ...input.image }) : undefined,
            customDeploy: input.customDeploy ? { method: input.customDeploy.method } : undefined,
            userData: dataRefs.userData ?? input.claim?.spec.userData,
            networkData: dataRefs.networkData ?? input.claim?.spec.networkData,
            metaData: dataRefs.metaData ?? input.claim?.spec.metaData,
            consumerRef: input.consumerRef ? { ...input.consumerRef } : undefined,
        }),
    };
    assertObjectMeta("BareMetalHost", host.metadata);
    const firmwareSettings = renderHostFirmwareSettings({ name, namespace, firmware: input.firmware });
    const updatePolicy = renderHostUpdatePolicy({ name, namespace, updatePolicy: input.updatePolicy });
    return { bmcSecret, dataSecrets, host, ...(firmwareSettings ? { firmwareSettings } : {}), ...(updatePolicy ? { updatePolicy } : {}) };
}

/** The rendered objects in apply order (Secrets before the host that names them). */
export function hostObjectList(rendered: RenderedHost): Array<SecretObject | BareMetalHostObject | HostFirmwareSettingsObject | HostUpdatePolicyObject> {
    const data = (Object.keys(HOST_DATA_SECRETS) as HostDataKind[]).map((k) => rendered.dataSecrets[k]).filter((s): s is SecretObject => s !== undefined);
    return [
        rendered.bmcSecret,
        ...data,
        rendered.host,
        ...(rendered.firmwareSettings ? [rendered.firmwareSettings] : []),
        ...(rendered.updatePolicy ? [rendered.updatePolicy] : []),
    ];
}
