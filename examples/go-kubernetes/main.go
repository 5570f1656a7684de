// examples/go's pool and Machine with their Kubernetes objects: the plugin's components hold each
// host or Machine and its Metal³ / Cluster API objects (BareMetalHost + BMC Secret, Machine +
// Metal3Machine + bootstrap Secret), written to the ambient kubeconfig's cluster.
package main

import (
	"github.com/pulumi-metal3/pulumi-metal3/sdk-go/metal3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		namespace := orDefault(cfg.Get("namespace"), "metal3")
		bmcPassword := cfg.RequireSecret("bmcPassword")
		macPrefix := orDefault(cfg.Get("macPrefix"), "52:54:00")
		imageURL := orDefault(cfg.Get("imageUrl"), "http://images.example/ubuntu-24.04.qcow2")
		labels := pulumi.StringMap{"role": pulumi.String("worker"), "stack": pulumi.String(ctx.Stack())}

		worker, err := metal3.NewBareMetalHostWithObjects(ctx, "worker-0", &metal3.BareMetalHostWithObjectsArgs{
			Namespace: pulumi.String(namespace),
			Bmc: metal3.BareMetalHostBmcArgs{
				Address:  pulumi.String("fake://bmc-worker-0"),
				Username: pulumi.String("admin"),
				Password: bmcPassword,
			},
			BootMACAddress: pulumi.Sprintf("%s:30:00:01", macPrefix),
			Online:         pulumi.Bool(false),
			Labels:         labels,
		})
		if err != nil {
			return err
		}

		machine, err := metal3.NewMachineWithObjects(ctx, "machine-0", &metal3.MachineWithObjectsArgs{
			Namespace:    pulumi.String(namespace),
			ClusterName:  pulumi.String("demo"),
			HostSelector: metal3.MachineHostSelectorArgs{MatchLabels: labels},
			Image: metal3.MachineImageArgs{
				Url:          pulumi.String(imageURL),
				Checksum:     pulumi.String("http://images.example/SHA256SUMS"),
				ChecksumType: pulumi.String("sha256"),
				Format:       pulumi.String("qcow2"),
			},
			UserData: pulumi.String("#cloud-config\nhostname: machine-0\n"),
			// The vendored CRDs store v1beta2 (no conversion webhook on a bare API server).
			Kubernetes: metal3.KubernetesTargetArgs{ApiVersion: pulumi.String("v1beta2")},
		}, pulumi.DependsOn([]pulumi.Resource{worker}))
		if err != nil {
			return err
		}

		// The host resource's own view, from before the Machine claimed it: "available" until a
		// `pulumi refresh` (docs/HANDOVER.md, "What the outputs say"); the Machine's outputs say the hold.
		ctx.Export("workerState", worker.ProvisioningState)
		ctx.Export("machineHost", machine.HostName)
		ctx.Export("machineReady", machine.Ready)
		return nil
	})
}
