// Two workers and a Machine (examples/yaml's stack, in Go): the workers are enrolled and left
// available and powered off as a pool; the Machine claims one of them through an Ironic
// allocation and deploys the image on it.
package main

import (
	"fmt"

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
		// First three octets of the boot MACs, so several copies of this stack can share one Ironic.
		macPrefix := orDefault(cfg.Get("macPrefix"), "52:54:00")
		imageURL := orDefault(cfg.Get("imageUrl"), "http://images.example/ubuntu-24.04.qcow2")
		labels := pulumi.StringMap{"role": pulumi.String("worker"), "stack": pulumi.String(ctx.Stack())}

		var workers []pulumi.Resource
		var states pulumi.StringArray
		for i := 0; i < 2; i++ {
			host, err := metal3.NewBareMetalHost(ctx, fmt.Sprintf("worker-%d", i), &metal3.BareMetalHostArgs{
				Namespace: pulumi.String(namespace),
				Bmc: metal3.BareMetalHostBmcArgs{
					Address:  pulumi.Sprintf("fake://bmc-worker-%d", i),
					Username: pulumi.String("admin"),
					Password: bmcPassword,
				},
				BootMACAddress: pulumi.Sprintf("%s:30:00:0%d", macPrefix, i+1),
				Online:         pulumi.Bool(false),
				Labels:         labels,
			})
			if err != nil {
				return err
			}
			workers = append(workers, host)
			states = append(states, host.ProvisioningState)
		}

		machine, err := metal3.NewMachine(ctx, "machine-0", &metal3.MachineArgs{
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
		}, pulumi.DependsOn(workers))
		if err != nil {
			return err
		}

		ctx.Export("workerStates", states)
		ctx.Export("machineHost", machine.HostName)
		ctx.Export("machineReady", machine.Ready)
		return nil
	})
}
