// Bare-metal provisioning in the style of Metal³: BareMetalHost and Machine resources that drive OpenStack Ironic (served by the pulumi-resource-metal3 plugin, and as Node.js dynamic resources; generated from their zod input schemas).
package metal3
