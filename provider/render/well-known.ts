// The label, annotation and API names Metal³ and Cluster API give meaning to (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go, cluster-api-provider-metal3 baremetal/metal3machine_manager.go),
// and the names of the objects we derive from a host or machine name. One home, so the renderers,
// the CLI and the tests agree.

export const METAL3_API_VERSION = "metal3.io/v1alpha1";
export const CAPI_GROUP = "cluster.x-k8s.io";
export const INFRA_GROUP = "infrastructure.cluster.x-k8s.io";

/** Any value stops BMO reconciling the host; ours is distinct from CAPM3's `metal3.io/capm3`. */
export const PAUSED_ANNOTATION = "baremetalhost.metal3.io/paused";
export const PAUSED_BY_US = "pulumi-metal3";
/** JSON copy of `status`; BMO restores status from it when the status is empty (pivot / hand-over). */
export const STATUS_ANNOTATION = "baremetalhost.metal3.io/status";
/** Legacy switch for inspection; `disabled` agrees with `spec.inspectionMode: disabled`. */
export const INSPECT_ANNOTATION = "inspect.metal3.io";
/** A reboot request (`{"mode":"soft|hard"}`); the bare key is BMO's one-shot reboot, removed once done. */
export const REBOOT_ANNOTATION = "reboot.metal3.io";
/** Any value: BMO removes the host from Ironic and leaves the server alone. */
export const DETACHED_ANNOTATION = "baremetalhost.metal3.io/detached";
/** On a Metal3Machine: `<namespace>/<host>`, CAPM3's claim back-pointer. */
export const HOST_ANNOTATION = "metal3.io/BareMetalHost";

/** BMO's informer only sees Secrets carrying this label. */
export const BMC_SECRET_LABEL = "environment.metal3.io";
export const BMC_SECRET_LABEL_VALUE = "baremetal";
export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";
export const FAILURE_DOMAIN_LABEL = "infrastructure.cluster.x-k8s.io/failure-domain";

export const bmcSecretName = (host: string): string => `${host}-bmc-secret`;

/** BMH data Secrets: name suffix and the data key BMO reads first (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go: userData/networkData/metaData). */
export const HOST_DATA_SECRETS = {
    userData: { suffix: "user-data", key: "userData" },
    networkData: { suffix: "network-data", key: "networkData" },
    metaData: { suffix: "meta-data", key: "metaData" },
} as const;
export type HostDataKind = keyof typeof HOST_DATA_SECRETS;
export const hostDataSecretName = (host: string, kind: HostDataKind): string => `${host}-${HOST_DATA_SECRETS[kind].suffix}`;

/** CAPI bootstrap data Secret (key `value`, as kubeadm's bootstrap provider writes it). */
export const bootstrapSecretName = (machine: string): string => `${machine}-bootstrap-data`;
/** Metal3Data's names for rendered meta/network data Secrets (cluster-api-provider-metal3 baremetal/metal3data_manager.go). */
export const machineMetaDataSecretName = (m3m: string): string => `${m3m}-metadata`;
export const machineNetworkDataSecretName = (m3m: string): string => `${m3m}-networkdata`;

/** CAPM3's providerID form (cluster-api-provider-metal3 baremetal/metal3machine_manager.go). */
export const providerID = (namespace: string, host: string, machine: string): string => `metal3://${namespace}/${host}/${machine}`;

export const DEFAULT_NAMESPACE = "default";
