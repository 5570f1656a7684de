// Quickstart: three hosts enrolled in Ironic, one of them provisioned directly with an image, the
// others left available as a pool, and one Machine claimed from that pool. With a kubeconfig (or a
// render directory) the matching BareMetalHost / Secret / Machine / Metal3Machine objects are emitted.
//
//   pulumi config set pulumi-metal3:ironicUrl http://127.0.0.1:6385
//   pulumi config set --secret bmcPassword s3cr3t
//   pulumi config set kubeconfig ~/.kube/config        # optional: emit Kubernetes objects
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { BareMetalHost, Machine, hostState } from "pulumi-metal3";

const config = new pulumi.Config();
const stack = pulumi.getStack();
const namespace = config.get("namespace") ?? "metal3";
const poolSize = config.getNumber("poolSize") ?? 2;
const bmcPassword = config.requireSecret("bmcPassword");
// First three octets of the boot MACs, so several copies of this stack can share one Ironic.
const macPrefix = config.get("macPrefix") ?? "52:54:00";

// Images: changing `hostImageUrl` reprovisions the database host in place (an update that wipes it);
// changing `machineImageUrl` replaces the Machine (a new host is claimed, the old one released).
function image(url: string) {
    return { url, checksum: "http://images.example/SHA256SUMS", checksumType: "sha256" as const, format: "qcow2" as const };
}
const hostImageUrl = config.get("hostImageUrl") ?? "http://images.example/ubuntu-24.04.qcow2";
const machineImageUrl = config.get("machineImageUrl") ?? "http://images.example/ubuntu-24.04.qcow2";

// Kubernetes target: a real cluster from a kubeconfig, or manifests rendered to a directory.
const kubeconfigPath = config.get("kubeconfig");
const renderDir = config.get("renderDir");
const k8sProvider = kubeconfigPath
    ? new k8s.Provider("management-cluster", { kubeconfig: require("fs").readFileSync(kubeconfigPath, "utf8") })
    : renderDir
      ? new k8s.Provider("rendered-manifests", { renderYamlToDirectory: renderDir })
      : undefined;
const kubernetes = k8sProvider ? { provider: k8sProvider, namespace } : undefined;

const database = new BareMetalHost("db-0", {
    namespace,
    bmc: { address: "fake://bmc-db-0", username: "admin", password: bmcPassword },
    bootMACAddress: config.get("dbBootMACAddress") ?? `${macPrefix}:10:00:01`,
    bootMode: "UEFI",
    online: true,
    image: image(hostImageUrl),
    userData: "#cloud-config\nhostname: db-0\n",
    labels: { role: "database", stack },
    kubernetes,
});

const pool = Array.from(
    { length: poolSize },
    (_, i) =>
        new BareMetalHost(`worker-${i}`, {
            namespace,
            bmc: { address: `fake://bmc-worker-${i}`, username: "admin", password: bmcPassword },
            bootMACAddress: `${macPrefix}:20:00:${(i + 1).toString(16).padStart(2, "0")}`,
            online: false,
            labels: { role: "worker", stack },
            kubernetes,
        }),
);

const machine = new Machine(
    "worker-machine-0",
    {
        namespace,
        clusterName: "demo",
        hostSelector: { matchLabels: { role: "worker", stack } },
        image: image(machineImageUrl),
        userData: "#cloud-config\nhostname: worker-machine-0\n",
        // Cluster API ≥ 1.11 and CAPM3 main store v1beta2; emit that version so nothing is lost in
        // conversion (set "v1beta1" for clusters whose CRDs still store v1beta1).
        kubernetes: kubernetes && { ...kubernetes, apiVersion: (config.get("capiApiVersion") ?? "v1beta2") as "v1beta1" | "v1beta2" },
    },
    { dependsOn: pool },
);

// A node someone enrolled by hand, taken over by Pulumi. Dynamic resources cannot be brought in with
// `pulumi import` (pulumi/pulumi#16175), so BareMetalHost takes the node's UUID or name as `adoptNode`.
const adoptNode = config.get("adoptNode");
const adopted = adoptNode
    ? new BareMetalHost("adopted-0", {
          namespace,
          adoptNode,
          bmc: { address: "fake://bmc-adopted-0" },
          online: false,
          labels: { role: "adopted", stack },
      })
    : undefined;

// The hosts table: each host as this `up` left it. `hostState` takes the Machine's view of the host
// it holds (the Machine runs after its pool, so the host's own outputs still say `available`,
// powered off, until a `pulumi refresh`: docs/HANDOVER.md, "What the outputs say").
export const hosts = [database, ...pool, ...(adopted ? [adopted] : [])].map((h) => {
    const now = hostState(h);
    return {
        name: h.urn.apply((u) => u.split("::").pop()),
        state: now.provisioningState,
        poweredOn: now.poweredOn,
        heldBy: now.apply((s) => s.heldBy ?? ""),
        nodeUuid: h.nodeUuid,
    };
});
export const machineHost = machine.hostName;
export const machineProviderID = machine.providerID;
