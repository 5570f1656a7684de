"""examples/python's pool and Machine with their Kubernetes objects: the plugin's components
hold each host or Machine and its Metal3 / Cluster API objects (BareMetalHost + BMC Secret,
Machine + Metal3Machine + bootstrap Secret), written to the ambient kubeconfig's cluster."""
import pulumi
import pulumi_metal3 as metal3

config = pulumi.Config()
namespace = config.get("namespace") or "metal3"
bmc_password = config.require_secret("bmcPassword")
mac_prefix = config.get("macPrefix") or "52:54:00"
image_url = config.get("imageUrl") or "http://images.example/ubuntu-24.04.qcow2"
labels = {"role": "worker", "stack": pulumi.get_stack()}

worker = metal3.BareMetalHostWithObjects(
    "worker-0",
    namespace=namespace,
    bmc={"address": "fake://bmc-worker-0", "username": "admin", "password": bmc_password},
    boot_mac_address=f"{mac_prefix}:30:00:01",
    online=False,
    labels=labels,
)

machine = metal3.MachineWithObjects(
    "machine-0",
    namespace=namespace,
    cluster_name="demo",
    host_selector={"match_labels": labels},
    image={
        "url": image_url,
        "checksum": "http://images.example/SHA256SUMS",
        "checksum_type": "sha256",
        "format": "qcow2",
    },
    user_data="#cloud-config\nhostname: machine-0\n",
    # The vendored CRDs store v1beta2 (no conversion webhook on a bare API server).
    kubernetes={"api_version": "v1beta2"},
    opts=pulumi.ResourceOptions(depends_on=[worker]),
)

# The host resource's own view, from before the Machine claimed it: "available" until a
# `pulumi refresh` (docs/HANDOVER.md, "What the outputs say"); the Machine's outputs say the hold.
pulumi.export("workerState", worker.provisioning_state)
pulumi.export("machineHost", machine.host_name)
pulumi.export("machineReady", machine.ready)
