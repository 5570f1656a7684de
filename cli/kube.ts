// `pulumi-metal3 kube start|stop|status`: the command line of the local kube-apiserver
// (../local/kube.ts starts and stops it; this file parses arguments and prints).
import { kubeStatus, startKube, stopKube } from "../local/kube";
import { operatorCrdSources } from "../local/capi-crds";

const KUBE_USAGE = `usage: pulumi-metal3 kube start [--state-dir D] [--port P] [--crds [FILE_DIR_OR_URL ...]]
  --crds alone installs the vendored set: every baremetal-operator and CAPM3 CRD (crds/), and Cluster
  API's Machine/Cluster CRDs where the repository has them (crds/cluster-api)
       pulumi-metal3 kube stop [--state-dir D]
       pulumi-metal3 kube status [--state-dir D]   (exit 0 running, 3 stopped)
`;

/** `pulumi-metal3 kube start|stop|status`; start prints `KUBECONFIG=<path>` on stdout. */
export async function kubeCommand(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    let stateDir: string | undefined;
    let port: number | undefined;
    const crds: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === "--state-dir" && rest[i + 1]) stateDir = rest[++i];
        else if (a === "--port" && rest[i + 1]) port = Number.parseInt(rest[++i], 10);
        else if (a === "--crds" && sub === "start") {
            const before = crds.length;
            while (rest[i + 1] && !rest[i + 1].startsWith("--")) crds.push(rest[++i]);
            if (crds.length === before) crds.push(...operatorCrdSources());
        } else {
            process.stderr.write(`kube: unexpected argument ${a}\n${KUBE_USAGE}`);
            return 2;
        }
    }
    try {
        if (sub === "start") {
            const k = await startKube({ stateDir, port, installCrds: crds });
            process.stderr.write(`kube: ${k.alreadyRunning ? "already running" : "started"} at ${k.url}\n`);
            process.stdout.write(`KUBECONFIG=${k.kubeconfig}\n`);
            return 0;
        }
        if (sub === "stop") {
            await stopKube({ stateDir });
            return 0;
        }
        if (sub === "status") {
            const s = await kubeStatus({ stateDir });
            process.stdout.write(JSON.stringify(s, null, 2) + "\n");
            // 3 when stopped, as `ironic status`, `bmc status` and `lab status` (1 stays "the command failed").
            return s.running ? 0 : 3;
        }
    } catch (err) {
        process.stderr.write(`kube: ${(err as Error).message}\n`);
        return 1;
    }
    process.stderr.write(KUBE_USAGE);
    return 2;
}
