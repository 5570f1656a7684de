"""Two workers and a Machine (examples/yaml's stack, in Python): the workers are enrolled and left
available and powered off as a pool; the Machine claims one of them through an Ironic allocation
and deploys the image on it."""
import pulumi
import pulumi_metal3 as metal3

config = pulumi.Config()
namespace = config.get("namespace") or "metal3"
bmc_password = config.require_secret("bmcPassword")
# First three octets of the boot MACs, so several copies of this stack can share one Ironic.
mac_prefix = config.get("macPrefix") or "52:54:00"
image_url = config.get("imageUrl") or "http://images.example/ubuntu-24.04.qcow2"
labels = {"role": "worker", "stack": pulumi.get_stack()}

workers = [
    metal3.BareMetalHost(
        f"worker-{i}",
        namespace=namespace,
        bmc={"address": f"fake://bmc-worker-{i}", "username": "admin", "password": bmc_password},
        boot_mac_address=f"{mac_prefix}:30:00:0{i + 1}",
        online=False,
        labels=labels,
    )
    for i in range(2)
]

machine = metal3.Machine(
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
    opts=pulumi.ResourceOptions(depends_on=workers),
)

pulumi.export("workerStates", [w.provisioning_state for w in workers])
pulumi.export("machineHost", machine.host_name)
pulumi.export("machineReady", machine.ready)
